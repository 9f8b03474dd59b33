using Sightline.Evaluation;
using Sightline.Metrics;
using Sightline.Metrics.Faithfulness;
using Sightline.Tests.Evaluation;

namespace Sightline.Tests.Metrics.Faithfulness;

public sealed class FaithfulnessCorrelationTests
{
    /// <summary>For a linear model, a_cp = w_cp (x_cp − min x) makes Σ_S a equal the drop of every subset S of channel-pixels
    /// exactly (features are channel-pixels of the map broadcast to C×H×W, so the exact map has C channels).</summary>
    private static (AffineModel Model, EvaluationBatch Batch) Exact(int channels, float sign, int seed = 0)
    {
        var m = AffineModel.Random(channels, 3, 3, 2, 3);
        var rng = new Random(4);
        var x = Enumerable.Range(0, channels * 9).Select(_ => (float)rng.NextDouble()).ToArray();
        float min = x.Min();
        var a = new float[channels * 9];
        for (int c = 0; c < channels; c++)
            for (int p = 0; p < 9; p++) a[c * 9 + p] = sign * m.Weight(0, c * 9 + p) * (x[c * 9 + p] - min);
        return (m, EvalBatches.Make(channels, 3, 3, x, a, [0], m, seed: seed));
    }

    [Theory]
    [InlineData(1, 1f)]
    [InlineData(3, 1f)]
    [InlineData(3, -1f)]
    public void The_exact_linear_attribution_correlates_perfectly(int channels, float sign)
    {
        var (_, batch) = Exact(channels, sign);
        var got = FaithfulnessHarness.Scores(new FaithfulnessCorrelation(new() { NrRuns = 20, SubsetSize = 3 }), batch);
        Assert.Equal(sign, got[0], 5);
    }

    [Fact]
    public void Runs_of_all_samples_share_calls()
    {
        var m = AffineModel.Random(3, 4, 4, 5, 1);
        var batch = FaithfulnessHarness.RandomBatch(m, 3, 1, batchSize: 64);
        FaithfulnessHarness.Run(new FaithfulnessCorrelation(new() { NrRuns = 20, SubsetSize = 4 }), batch);
        Assert.Equal(1 + 1, m.Calls); // 60 rows in one call, plus the unperturbed logits
        Assert.Equal(3 + 60, m.Rows);
    }

    [Fact]
    public void Subsets_are_seeded_per_sample_and_metric()
    {
        var m = AffineModel.Random(1, 4, 4, 3, 5);
        var metric = new FaithfulnessCorrelation(new() { NrRuns = 10, SubsetSize = 4 });
        var a = FaithfulnessHarness.Scores(metric, FaithfulnessHarness.RandomBatch(m, 3, 1, runSeed: 1));
        Assert.Equal(a, FaithfulnessHarness.Scores(metric, FaithfulnessHarness.RandomBatch(m, 3, 1, runSeed: 1)));
        Assert.NotEqual(a, FaithfulnessHarness.Scores(metric, FaithfulnessHarness.RandomBatch(m, 3, 1, runSeed: 2)));
    }

    [Fact]
    public void Subset_size_beyond_the_features_is_refused()
    {
        var (_, batch) = Exact(1, 1);
        var e = Assert.Throws<InputDataException>(() => FaithfulnessHarness.Run(new FaithfulnessCorrelation(new()), batch));
        Assert.Contains("subset_size", e.Message); // the default 224 on a 3×3 map
    }

    [Fact]
    public void A_constant_map_is_undefined()
    {
        var m = AffineModel.Random(1, 3, 3, 2, 3);
        var o = FaithfulnessHarness.Run(new FaithfulnessCorrelation(new() { NrRuns = 5, SubsetSize = 2 }),
            EvalBatches.Make(1, 3, 3, new float[9].Select((_, i) => (float)i).ToArray(), Enumerable.Repeat(1f, 9).ToArray(), [0], m));
        Assert.Equal(Reasons.UndefinedCorrelation, o.Reasons[0]);
    }

    [Fact]
    public void Scores_do_not_depend_on_the_batch_split() =>
        FaithfulnessHarness.AssertBatchSizeInvariant(new FaithfulnessCorrelation(new() { NrRuns = 12, SubsetSize = 5 }),
            FaithfulnessHarness.RandomBatch(AffineModel.Random(3, 4, 4, 5, 2), 3, 1, runSeed: 9));
}
