using CsCheck;
using Sightline.Evaluation;
using Sightline.Metrics;
using Sightline.Metrics.Complexity;
using Sightline.Tests.Evaluation;

namespace Sightline.Tests.Metrics.Complexity;

/// <summary>Sparseness, Complexity and EffectiveComplexity: known answers, Quantus's defect (batch-wide normalisation), bounds.</summary>
public sealed class ComplexityTests
{
    private static double[] Score(IEvaluationMetric metric, float[] maps, int h, int w, int channels = 1)
    {
        int n = maps.Length / (channels * h * w);
        var batch = EvalBatches.Make(channels, h, w, new float[n * channels * h * w], maps, new int[n]);
        var output = new MetricOutput(n, metric.Columns(batch.Shape, null));
        metric.Evaluate(batch, output);
        return [.. Enumerable.Range(0, n).Select(i => output[i])];
    }

    private static (double[] Values, string?[] Reasons) ScoreWithReasons(IEvaluationMetric metric, float[] maps, int h, int w)
    {
        int n = maps.Length / (h * w);
        var batch = EvalBatches.Make(1, h, w, new float[n * h * w], maps, new int[n]);
        var output = new MetricOutput(n, [metric.Name]);
        metric.Evaluate(batch, output);
        return ([.. Enumerable.Range(0, n).Select(i => output[i])], output.Reasons);
    }

    private static IEvaluationMetric Create(string name, params (string Key, string Value)[] p) =>
        MetricCatalogue.GetEvaluate(name).Create(p.Select(kv => new KeyValuePair<string, string>(kv.Key, kv.Value)));

    [Fact]
    public void Sparseness_is_the_gini_index_of_the_shifted_sorted_values()
    {
        // a = [0, 0, 0, 1] (normalised by max: unchanged): G = Σ(2i−n−1)(a_i+ε) / (n Σ(a_i+ε)) with n = 4.
        double eps = 1e-7;
        double[] v = [eps, eps, eps, 1 + eps];
        double expected = ((-3) * v[0] + (-1) * v[1] + 1 * v[2] + 3 * v[3]) / (4 * v.Sum());
        Assert.Equal(expected, Score(Create("sparseness"), [0, 1, 0, 0], 2, 2)[0], 12);
        // A uniform map is not sparse at all, a one-hot map of d values tends to (d − 1)/d.
        Assert.Equal(0, Score(Create("sparseness"), [2, 2, 2, 2], 2, 2)[0], 12);
        Assert.Equal(0.75, Score(Create("sparseness"), [0, 5, 0, 0], 2, 2)[0], 6);
        // |a| by default: a sign flip changes nothing.
        Assert.Equal(Score(Create("sparseness"), [0.1f, 0.7f, 0.2f, 0.4f], 2, 2)[0], Score(Create("sparseness"), [-0.1f, 0.7f, -0.2f, 0.4f], 2, 2)[0], 12);
    }

    [Fact]
    public void Complexity_is_the_entropy_of_the_normalised_mass()
    {
        // p = [0.5, 0.25, 0.25, 0]: H = −(0.5 ln 0.5 + 2·0.25 ln 0.25) = 1.5 ln 2.
        Assert.Equal(1.5 * Math.Log(2), Score(Create("complexity"), [2, 1, 1, 0], 2, 2)[0], 12);
        Assert.Equal(Math.Log(4), Score(Create("complexity"), [3, 3, 3, 3], 2, 2)[0], 12);
        Assert.Equal(0, Score(Create("complexity"), [0, 0, 7, 0], 2, 2)[0], 12);
        var (values, reasons) = ScoreWithReasons(Create("complexity"), [0, 0, 0, 0, 1, float.NaN, 0, 0], 2, 2);
        Assert.True(double.IsNaN(values[0]));
        Assert.Equal(Reasons.EmptySaliency, reasons[0]);
        Assert.True(double.IsNaN(values[1]));
        Assert.Equal(Reasons.NonFiniteMap, reasons[1]);
    }

    [Fact]
    public void Effective_complexity_counts_values_above_eps_after_per_sample_normalisation()
    {
        Assert.Equal(2, Score(Create("effective_complexity"), [1, 1.5e-5f, 0, 0], 2, 2)[0]);
        Assert.Equal(1, Score(Create("effective_complexity", ("eps", "2e-5")), [1, 1.5e-5f, 0, 0], 2, 2)[0]);
        Assert.Equal(4, Score(Create("effective_complexity"), [-1, 0.5f, -0.25f, 1], 2, 2)[0]);
        Assert.Equal(2, Score(Create("effective_complexity", ("abs", "false")), [-1, 0.5f, -0.25f, 1], 2, 2)[0]);
    }

    [Fact]
    public void Effective_complexity_does_not_depend_on_the_batch_mates_unlike_quantus()
    {
        // Spec §8 row 4: Quantus divides by the batch's max, so A = [1, 1.5e-5] next to B (max 10) becomes [0.1, 1.5e-6]
        // and counts 1; alone it counts 2. Per-sample normalisation gives 2 both ways.
        float[] a = [1, 1.5e-5f, 0, 0], b = [10, 0, 0, 0];
        var metric = Create("effective_complexity");
        Assert.Equal(2, Score(metric, a, 2, 2)[0]);
        var both = Score(metric, [.. a, .. b], 2, 2);
        Assert.Equal(2, both[0]);
        Assert.Equal(1, both[1]);
        // What Quantus computes: batch-wide max 10.
        Assert.Equal(1, EffectiveComplexity.Count([.. a.Select(v => v / 10f)], 1e-5));
    }

    [Fact]
    public void Multi_channel_attributions_use_every_value()
    {
        // 2 channels × 2 pixels: d = 4 values.
        Assert.Equal(Math.Log(4), Score(Create("complexity"), [1, 1, 1, 1], 1, 2, channels: 2)[0], 12);
        Assert.Equal(3, Score(Create("effective_complexity"), [1, 0, 1, 1], 1, 2, channels: 2)[0]);
    }

    [Fact]
    public void Scores_lie_within_the_catalogue_bounds_and_do_not_depend_on_batching()
    {
        var metrics = MetricCatalogue.Evaluate.Where(e => e.Family == MetricFamily.Complexity).Select(e => e.Create()).ToArray();
        Assert.Equal(["sparseness", "complexity", "effective_complexity"], metrics.Select(m => m.Name));
        Gen.Float[-5f, 5f].Array[2 * 12].Sample(maps =>
        {
            foreach (var m in metrics)
            {
                var together = Score(m, maps, 3, 4);
                for (int i = 0; i < 2; i++)
                {
                    double v = together[i];
                    if (double.IsNaN(v)) continue;
                    Assert.InRange(v, m.Info.Minimum, m.Info.Maximum);
                    if (m.Name == "complexity") Assert.InRange(v, 0, Math.Log(12) + 1e-9);
                    if (m.Name == "effective_complexity") Assert.InRange(v, 0, 12);
                    Assert.Equal(v, Score(m, maps[(i * 12)..((i + 1) * 12)], 3, 4)[0]);
                }
            }
        });
    }

    [Fact]
    public void Large_batches_scored_in_parallel_equal_sample_by_sample_scores()
    {
        var rng = new Random(3);
        int n = 40, d = 64 * 64;
        var maps = new float[n * d];
        for (int i = 0; i < maps.Length; i++) maps[i] = (float)(rng.NextDouble() - 0.3);
        foreach (var e in MetricCatalogue.Evaluate.Where(e => e.Family == MetricFamily.Complexity))
        {
            var m = e.Create();
            var all = Score(m, maps, 64, 64);
            for (int i = 0; i < n; i += 13) Assert.Equal(all[i], Score(m, maps[(i * d)..((i + 1) * d)], 64, 64)[0]);
        }
    }
}
