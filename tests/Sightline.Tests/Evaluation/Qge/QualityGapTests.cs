using Sightline.Evaluation;
using Sightline.Evaluation.Qge;

namespace Sightline.Tests.Evaluation.Qge;

public sealed class QualityGapTests
{
    // Spec §3 oracle: x 1×2×2, s = [[1,0],[0,1]], e = [[.9,.1],[.2,.8]].
    private static EvaluationBatch Oracle() => EvalBatches.Make(1, 2, 2, [0, 0, 0, 0], [.9f, .1f, .2f, .8f], [0], masks: [1, 0, 0, 1]);

    private static MetricOutput Run(string metric, QgeOptions options, EvaluationBatch? batch = null, params KeyValuePair<string, string>[] p)
    {
        var q = new QualityGap(MetricCatalogue.GetEvaluate(metric).Create(p), options);
        return q.Evaluate(batch ?? Oracle());
    }

    [Fact]
    public void Value_swap_reverses_the_order_and_keeps_the_values()
    {
        var inv = new float[3];
        Inversion.ValueSwap([.1f, .5f, .3f], inv);
        Assert.Equal([.5f, .1f, .3f], inv);
        var e = new float[] { .9f, .1f, .2f, .8f };
        Inversion.ValueSwap(e, e);
        Assert.Equal([.1f, .9f, .8f, .2f], e);
    }

    [Fact]
    public void Value_swap_of_a_ranking_is_one_minus_the_ranking()
    {
        var r = new float[] { 0, 3, 1, 2 }.Select(v => v / 3f).ToArray();
        var inv = new float[4];
        Inversion.ValueSwap(r, inv);
        Assert.Equal(r.Select(v => 1 - v), inv, (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [Fact]
    public void Relevance_mass_accuracy_oracle_value_swap_and_sign_flip()
    {
        var swap = Run("relevance_mass_accuracy", new QgeOptions());
        Assert.Equal(["relevance_mass_accuracy", "relevance_mass_accuracy_inverse", "relevance_mass_accuracy_qge"], swap.Columns);
        Assert.Equal(.85, swap.Values[0], 6);
        Assert.Equal(.15, swap.Values[1], 6);
        Assert.Equal(.70, swap.Values[2], 6);
        var flip = Run("relevance_mass_accuracy", new QgeOptions { Method = InverseMethod.SignFlip });
        Assert.Equal(.85, flip.Values[1], 6);
        Assert.Equal(0, flip.Values[2], 6);
    }

    [Theory]
    [InlineData(InverseMethod.ValueSwap)]
    [InlineData(InverseMethod.SignFlip)]
    public void Top_k_intersection_oracle_is_one_for_both_inverses(InverseMethod method)
    {
        var o = Run("top_k_intersection", new QgeOptions { Method = method }, null, new KeyValuePair<string, string>("k", "2"));
        Assert.Equal(1.0, o.Values[0], 12);
        Assert.Equal(0.0, o.Values[1], 12);
        Assert.Equal(1.0, o.Values[2], 12);
    }

    [Fact]
    public void Sign_flip_is_refused_for_a_metric_that_takes_abs()
    {
        var m = MetricCatalogue.GetEvaluate("attribution_localisation").Create([new("abs", "true")]);
        Assert.True(m.UsesAbsolute);
        var e = Assert.Throws<InputDataException>(() => new QualityGap(m, new QgeOptions { Method = InverseMethod.SignFlip }));
        Assert.Contains("attribution_localisation", e.Message);
        Assert.Contains("value_swap", e.Message);
    }

    [Fact]
    public void Normalised_sign_makes_a_lower_is_better_gap_positive()
    {
        // sss is lower-is-better: the share of saliency outside the mask. e is inside, its inverse outside.
        var batch = EvalBatches.Make(1, 2, 2, [0, 0, 0, 0], [.9f, .1f, .2f, .8f], [0], masks: [1, 0, 0, 1]);
        var raw = Run("sss", new QgeOptions(), batch, new KeyValuePair<string, string>("sss_threshold", "none"));
        var norm = Run("sss", new QgeOptions { NormaliseSign = true }, batch, new KeyValuePair<string, string>("sss_threshold", "none"));
        Assert.True(raw.Values[2] < 0);
        Assert.Equal(-raw.Values[2], norm.Values[2], 12);
    }

    [Fact]
    public void Random_baseline_and_pool_are_seeded_and_consistent()
    {
        var rng = new Random(3);
        int n = 5;
        var attributions = Enumerable.Range(0, n * 16).Select(_ => (float)rng.NextDouble()).ToArray();
        var masks = Enumerable.Range(0, n * 16).Select(i => (byte)(i % 16 < 6 ? 1 : 0)).ToArray();
        var batch = EvalBatches.Make(1, 4, 4, new float[n * 16], attributions, new int[n], masks: masks, seed: 11);
        var options = new QgeOptions { RandomBaseline = 3, Pool = 200 };
        var a = Run("relevance_mass_accuracy", options, batch);
        var b = Run("relevance_mass_accuracy", options, batch);
        Assert.Equal(a.Values, b.Values);
        int cols = a.Columns.Count;
        Assert.Equal(["relevance_mass_accuracy_qbas", "relevance_mass_accuracy_z", "relevance_mass_accuracy_pool_mean", "relevance_mass_accuracy_pool_std"], a.Columns.Skip(3));
        for (int i = 0; i < n; i++)
        {
            double psi = a.Values[i * cols], z = a.Values[i * cols + 4], mean = a.Values[i * cols + 5], sd = a.Values[i * cols + 6];
            Assert.Equal((psi - mean) / sd, z, 12);
            // A random ranking's mass inside 6 of 16 pixels averages 6/16 of the total mass (values i/15 sum to 8).
            Assert.InRange(mean, 0.30, 0.45);
        }
        // Per-sample streams: the same sample alone gets the same pool.
        var alone = Run("relevance_mass_accuracy", options, batch.Slice(2, 1));
        Assert.Equal(a.Values.AsSpan(2 * cols, cols).ToArray(), alone.Values);
    }

    [Fact]
    public void Chunky_rankings_are_constant_on_cells_and_span_zero_to_one()
    {
        var shape = new EvaluationShape(3, 6, 6, 3, 0);
        var map = new float[3 * 36];
        RandomRankings.Draw(RankingKind.Chunky, 3, shape, new Random(1), map);
        Assert.Equal(map[0], map[1 * 6 + 2]);
        Assert.Equal(map.AsSpan(0, 36).ToArray(), map.AsSpan(36, 36).ToArray());
        Assert.Equal(new[] { 0f, 1 / 3f, 2 / 3f, 1f }, map.Take(36).Distinct().Order().ToArray(), (x, y) => Math.Abs(x - y) < 1e-6);
        var r = new float[36];
        RandomRankings.Draw(RankingKind.Random, 0, shape with { AttributionChannels = 1 }, new Random(1), r);
        Assert.Equal(Enumerable.Range(0, 36).Select(i => i / 35f), r.Order(), (x, y) => Math.Abs(x - y) < 1e-6);
    }
}
