using Sightline.Evaluation;
using Sightline.Metrics;
using Sightline.Metrics.Faithfulness;
using Sightline.Tests.Evaluation;

namespace Sightline.Tests.Metrics.Faithfulness;

public sealed class SensitivityNTests
{
    private static readonly float[] X = [1, 2, 3, 4];
    private static AffineModel Model() => AffineModel.TwoClass(1, 2, 2, [1, 2, 3, 4]);

    [Fact]
    public void Correlates_the_removed_attribution_mass_with_the_output_drop_per_sample()
    {
        // a = [.25, .5, .75, 1] after /max, order 3, 2, 1, 0; removal is cumulative: Σ removed a = [1, 1.75, 2.25, 2.5],
        // drops (logits: softmax off) = [12, 18, 20, 20].
        var metric = new SensitivityN(new() { NMaxPercentage = 1, Softmax = false });
        double want = Similarity.Pearson([1, 1.75, 2.25, 2.5], [12, 18, 20, 20]);
        var got = FaithfulnessHarness.Scores(metric, EvalBatches.Make(1, 2, 2, X, [1, 2, 3, 4], [0], Model()));
        Assert.Equal(want, got[0], 12);
    }

    [Fact]
    public void Steps_stop_at_n_max_of_the_features()
    {
        // Default n_max 0.8 on d = 4: ⌊3.2⌋ = 3 steps: [1, 1.75, 2.25] against [12, 18, 20].
        var m = Model();
        var got = FaithfulnessHarness.Scores(new SensitivityN(new() { Softmax = false }), EvalBatches.Make(1, 2, 2, X, [1, 2, 3, 4], [0], m));
        Assert.Equal(Similarity.Pearson([1, 1.75, 2.25], [12, 18, 20]), got[0], 12);
        Assert.Equal(1 + 3, m.Rows);
    }

    [Fact]
    public void One_sample_has_its_own_correlation_whatever_its_batch_mates()
    {
        // §8 row 5: Quantus correlates across the samples of a batch for each n (one value per n, shared by every sample;
        // with batch size 1 it fails, issue #354). Here a sample alone has a defined score, and adding a sample whose
        // map is reversed leaves it unchanged while the second sample gets its own (different) score.
        var m = Model();
        var metric = new SensitivityN(new() { NMaxPercentage = 1, Softmax = false });
        var alone = FaithfulnessHarness.Scores(metric, EvalBatches.Make(1, 2, 2, X, [1, 2, 3, 4], [0], m));
        Assert.True(double.IsFinite(alone[0]));
        var pair = FaithfulnessHarness.Scores(metric, EvalBatches.Make(1, 2, 2, [.. X, .. X], [1, 2, 3, 4, 4, 3, 2, 1], [0, 0], m));
        Assert.Equal(alone[0], pair[0]);
        Assert.Equal(Similarity.Pearson([1, 1.75, 2.25, 2.5], [0, 2, 8, 20]), pair[1], 12);
        Assert.NotEqual(pair[0], pair[1]);
    }

    [Fact]
    public void Random_subsets_are_seeded_per_sample()
    {
        var m = AffineModel.Random(1, 4, 4, 3, 5);
        var metric = new SensitivityN(new() { RandomSubsets = true });
        var batch = FaithfulnessHarness.RandomBatch(m, 3, 1, runSeed: 11);
        Assert.Equal(FaithfulnessHarness.Scores(metric, batch), FaithfulnessHarness.Scores(metric, batch));
        var other = FaithfulnessHarness.RandomBatch(m, 3, 1, runSeed: 12);
        Assert.NotEqual(FaithfulnessHarness.Scores(metric, batch), FaithfulnessHarness.Scores(metric, other));
        FaithfulnessHarness.AssertBatchSizeInvariant(metric, batch);
    }

    [Fact]
    public void Scores_do_not_depend_on_the_batch_split() =>
        FaithfulnessHarness.AssertBatchSizeInvariant(new SensitivityN(new()), FaithfulnessHarness.RandomBatch(AffineModel.Random(3, 4, 4, 5, 3), 3, 1));
}
