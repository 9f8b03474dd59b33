using System.Text.Json;
using Sightline.Evaluation;
using Sightline.IO;
using Sightline.Tests.Cli;
using Sightline.Tests.Evaluation;

namespace Sightline.Tests.Metrics.Complexity;

/// <summary>Agreement with the numpy/SciPy re-implementation of Quantus's complexity metrics (tools/fixtures/evaluate_complexity.py).</summary>
public sealed class ComplexityReferenceTests
{
    [Theory]
    [InlineData("grad_chw")]
    [InlineData("grad_sum")]
    public void Scores_match_the_quantus_semantics_reference_on_the_fixture_gradients(string name)
    {
        var root = AlignCommandTests.RepoRoot();
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "tests", "fixtures", "evaluate", "complexity", "references.json")));
        var expected = doc.RootElement.GetProperty("cases").GetProperty(name);
        using var r = NpyReader.Open(Path.Combine(root, "tests", "fixtures", "models", "resnet_tiny.grad.npy"));
        var g = r.ReadAll<float>();
        int n = 4, c = 3, pixels = 32 * 32;
        float[] maps = g;
        if (name == "grad_sum")
        {
            maps = new float[n * pixels];
            for (int i = 0; i < n; i++)
                for (int p = 0; p < pixels; p++)
                {
                    // numpy sums the channels in float32, left to right.
                    float s = 0;
                    for (int ch = 0; ch < c; ch++) s += g[(i * c + ch) * pixels + p];
                    maps[i * pixels + p] = s;
                }
        }
        var batch = EvalBatches.Make(c, 32, 32, new float[n * c * pixels], maps, new int[n]);
        foreach (var (key, metric, param) in new[] { ("sparseness", "sparseness", ""), ("complexity", "complexity", ""), ("effective_complexity", "effective_complexity", ""), ("effective_complexity_eps_0.01", "effective_complexity", "0.01") })
        {
            var m = MetricCatalogue.GetEvaluate(metric).Create(param.Length == 0 ? null : [new("eps", param)]);
            var output = new MetricOutput(n, [m.Name]);
            m.Evaluate(batch, output);
            var want = expected.GetProperty(key).EnumerateArray().Select(v => v.GetDouble()).ToArray();
            for (int i = 0; i < n; i++) Assert.True(Math.Abs(want[i] - output[i]) <= 1e-9 * Math.Max(1, Math.Abs(want[i])), $"{name} {key} sample {i}: {output[i]} vs {want[i]}");
        }
    }
}
