using System.Text.Json;
using Sightline.Evaluation;
using Sightline.Metrics.Faithfulness;
using Sightline.IO;
using Sightline.Numerics;
using Sightline.Onnx.Runtime;
using Sightline.Tests.Cli;

namespace Sightline.Tests.Metrics.Faithfulness;

/// <summary>
/// Agreement with tools/fixtures/evaluate_faithfulness_b.py (float64 PyTorch re-implementations of Quantus's semantics
/// with the §8 fixes) on the committed vgg_tiny fixture, run here through ONNX Runtime (float32).
/// </summary>
public sealed class FaithfulnessBReferenceTests
{
    private static string F(string name) => Path.Combine(AlignCommandTests.RepoRoot(), "tests", "fixtures", name);

    public static TheoryData<int> Cases()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(F("evaluate/faithfulness_b/scores.json")));
        var data = new TheoryData<int>();
        for (int i = 0; i < doc.RootElement.GetProperty("cases").GetArrayLength(); i++) data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Scores_match_the_reference_within_1e_4(int index)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(F("evaluate/faithfulness_b/scores.json")));
        var c = doc.RootElement.GetProperty("cases")[index];
        string metricName = c.GetProperty("metric").GetString()!, attribution = c.GetProperty("attribution").GetString()!;
        var parameters = c.GetProperty("params").EnumerateObject()
            .Select(p => new KeyValuePair<string, string>(p.Name, p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText()))
            .ToList();
        var want = c.GetProperty("scores").EnumerateArray().Select(v => v.GetDouble()).ToArray();

        using var model = OnnxRuntimeModel.Open(F("models/vgg_tiny.onnx"));
        var x = NpyReader.Open(F("models/inputs.npy")).ReadAll<float>();
        var targets = NpyReader.Open(F("models/vgg_tiny.targets.npy")).ReadAll<long>().Select(t => (int)t).ToArray();
        var a = NpyReader.Open(F($"models/vgg_tiny.{attribution}.npy")).ReadAll<float>();
        int ac = a.Length / (4 * 32 * 32);
        var batch = new EvaluationBatch(new EvaluationShape(3, 32, 32, ac, 10), 4, x, a, targets, model: model);
        var metric = MetricCatalogue.Evaluate.Single(e => e.Name == metricName).Create(parameters);
        var output = FaithfulnessHarness.Run(metric, batch);
        var got = Enumerable.Range(0, 4).Select(i => output[i]).ToArray();
        if (c.TryGetProperty("curves", out var curves))
            for (int i = 0; i < 4; i++)
                Assert.Equal(curves[i].EnumerateArray().Select(v => (float)v.GetDouble()).ToArray(), output.Curve(i).ToArray());
        for (int i = 0; i < 4; i++)
            Assert.True(Math.Abs(got[i] - want[i]) <= 1e-4 * Math.Max(1, Math.Abs(want[i])),
                $"{metricName}/{attribution} sample {i}: {got[i]} vs reference {want[i]}");
    }

    [Fact]
    public void Linear_imputation_matches_the_road_authors_sparse_solve()
    {
        // road_imputed_s0_p30.npy: sample 0 with the top 30 % of its Grad-CAM map imputed (noise 0), SciPy spsolve.
        var x = NpyReader.Open(F("models/inputs.npy")).ReadAll<float>().AsSpan(0, 3 * 1024).ToArray();
        var a = NpyReader.Open(F("models/vgg_tiny.gradcam.npy")).ReadAll<float>().AsSpan(0, 1024).ToArray();
        var prepared = new AttributionPreprocessing(Normalisation.ByNegative, false).Apply(a, 1, 1024);
        var order = Perturbation.DescendingOrder(prepared);
        NoisyLinearImputation.Impute(x, 3, 32, 32, order.AsSpan(0, ROAD.Removed(1024, 30)), 0, null);
        var want = NpyReader.Open(F("evaluate/faithfulness_b/road_imputed_s0_p30.npy")).ReadAll<float>();
        for (int i = 0; i < want.Length; i++) Assert.True(Math.Abs(want[i] - x[i]) <= 1e-5, $"value {i}: {x[i]} vs {want[i]}");
    }
}
