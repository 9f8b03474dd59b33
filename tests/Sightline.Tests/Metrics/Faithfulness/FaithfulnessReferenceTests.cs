using System.Text.Json;
using Sightline.Evaluation;
using Sightline.IO;
using Sightline.Metrics.Axiomatic;
using Sightline.Onnx.Runtime;
using Sightline.Tests.Cli;
using Xunit.Abstractions;

namespace Sightline.Tests.Metrics.Faithfulness;

/// <summary>
/// Agreement with tools/fixtures/evaluate_faithfulness_a.py: numpy/torch re-implementations of Quantus's code (with the
/// spec §8 fixes) on the vgg_tiny fixture (float64 torch there, float32 ONNX Runtime here), within 1e-4 relative.
/// </summary>
public sealed class FaithfulnessReferenceTests(ITestOutputHelper log)
{
    private double _worst;

    private static string Models => Path.Combine(AlignCommandTests.RepoRoot(), "tests", "fixtures", "models");
    private static string Reference => Path.Combine(AlignCommandTests.RepoRoot(), "tests", "fixtures", "evaluate", "faithfulness_a", "reference.json");

    public static TheoryData<int> Cases()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Reference));
        var data = new TheoryData<int>();
        for (int i = 0; i < doc.RootElement.GetProperty("cases").GetArrayLength(); i++) data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Scores_and_curves_match_the_reference(int index)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Reference));
        var root = doc.RootElement;
        var c = root.GetProperty("cases")[index];
        string metricName = c.GetProperty("metric").GetString()!;
        var parameters = c.GetProperty("params").EnumerateObject().Select(p => new KeyValuePair<string, string>(p.Name, p.Value.GetString()!)).ToList();
        var metric = MetricCatalogue.All.Single(e => e.Name == metricName).Create(parameters);

        using var model = OnnxRuntimeModel.Open(Path.Combine(Models, root.GetProperty("model").GetString()!));
        using var xr = NpyReader.Open(Path.Combine(Models, root.GetProperty("inputs").GetString()!));
        using var tr = NpyReader.Open(Path.Combine(Models, root.GetProperty("targets").GetString()!));
        using var ar = NpyReader.Open(Path.Combine(Models, c.GetProperty("attributions").GetString()!));
        var x = xr.ReadAll<float>();
        var targets = tr.ReadAll<long>().Select(t => (int)t).ToArray();
        var a = ar.ReadAll<float>();
        int n = targets.Length, ch = xr.Shape[1], h = xr.Shape[2], w = xr.Shape[3];
        var shape = new EvaluationShape(ch, h, w, a.Length / (n * h * w), model.OutputCount);
        var batch = new EvaluationBatch(shape, n, x, a, targets, model: model);
        var output = MetricRuns.Run(metric, batch);

        var scores = c.GetProperty("scores").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (int i = 0; i < n; i++) Close(scores[i], output[i], $"{metricName} sample {i}");
        if (c.TryGetProperty("curves", out var curves))
            for (int i = 0; i < n; i++)
            {
                var reference = curves[i].EnumerateArray().Select(e => e.GetDouble()).ToArray();
                var got = output.Curve(i);
                for (int k = 0; k < reference.Length; k++) Close(reference[k], got[k], $"{metricName} sample {i} point {k}");
                for (int k = reference.Length; k < got.Length; k++) Assert.True(float.IsNaN(got[k]));
            }
        if (c.TryGetProperty("residuals", out var residuals))
        {
            int col = output.Columns.ToList().IndexOf(Completeness.ResidualColumn);
            for (int i = 0; i < n; i++)
                Assert.True(Math.Abs(residuals[i].GetDouble() - output.Values[i * output.Columns.Count + col]) <= 1e-4 * Math.Max(1, Math.Abs(residuals[i].GetDouble())),
                    $"residual {i}: {residuals[i].GetDouble()} vs {output.Values[i * output.Columns.Count + col]}");
        }
        log.WriteLine($"{metricName} {string.Join(",", parameters.Select(p => p.Key + "=" + p.Value))}: worst |Δ| / max(|ref|, 1e-2) = {_worst:E2}");
    }

    private void Close(double expected, double actual, string what)
    {
        double rel = Math.Abs(expected - actual) / Math.Max(Math.Abs(expected), 1e-2);
        _worst = Math.Max(_worst, rel);
        Assert.True(rel <= 1e-4, $"{what}: expected {expected}, got {actual}");
    }
}
