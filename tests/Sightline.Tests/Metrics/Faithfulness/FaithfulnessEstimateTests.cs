using Sightline.Evaluation;
using Sightline.Metrics;
using Sightline.Metrics.Faithfulness;
using Sightline.Tests.Evaluation;

namespace Sightline.Tests.Metrics.Faithfulness;

public sealed class FaithfulnessEstimateTests
{
    // y = 1·x0 + 2·x1 + 3·x2 + 4·x3 on x = [1, 2, 3, 4]; black = min(x) = 1, so removing feature j alone drops y by
    // w_j (x_j − 1) = [0, 2, 6, 12].
    private static readonly float[] X = [1, 2, 3, 4];
    private static AffineModel Model() => AffineModel.TwoClass(1, 2, 2, [1, 2, 3, 4]);

    [Fact]
    public void Correlates_each_chunk_removed_alone_with_its_attribution()
    {
        var m = Model();
        var metric = new FaithfulnessEstimate(new());
        // a = [1, 2, 3, 4] → /max: [.25, .5, .75, 1]; order 3, 2, 1, 0; sums [1, .75, .5, .25], drops [12, 6, 2, 0].
        double want = Similarity.Pearson([1, .75, .5, .25], [12, 6, 2, 0]);
        Assert.Equal(5 / Math.Sqrt(26.25), want, 12);
        var got = FaithfulnessHarness.Scores(metric, EvalBatches.Make(1, 2, 2, X, [1, 2, 3, 4], [0], m));
        Assert.Equal(want, got[0], 12);
        got = FaithfulnessHarness.Scores(metric, EvalBatches.Make(1, 2, 2, X, [4, 3, 2, 1], [0], m));
        Assert.Equal(-5 / Math.Sqrt(26.25), got[0], 12);
    }

    [Fact]
    public void Chunks_of_two_sum_their_features()
    {
        var m = Model();
        // fis 2: chunks {3, 2} and {1, 0}: sums 1.75 and .75, drops 18 and 2 → two points, correlation 1.
        var got = FaithfulnessHarness.Scores(new FaithfulnessEstimate(new() { FeaturesInStep = 2 }), EvalBatches.Make(1, 2, 2, X, [1, 2, 3, 4], [0], m));
        Assert.Equal(1, got[0], 12);
    }

    [Fact]
    public void A_constant_map_is_undefined_with_a_reason()
    {
        var o = FaithfulnessHarness.Run(new FaithfulnessEstimate(new()), EvalBatches.Make(1, 2, 2, X, [1, 1, 1, 1], [0], Model()));
        Assert.True(double.IsNaN(o[0]));
        Assert.Equal(Reasons.UndefinedCorrelation, o.Reasons[0]);
    }

    [Fact]
    public void Features_in_step_must_divide_the_features()
    {
        var e = Assert.Throws<InputDataException>(() => FaithfulnessHarness.Run(new FaithfulnessEstimate(new() { FeaturesInStep = 3 }),
            EvalBatches.Make(1, 2, 2, X, [1, 2, 3, 4], [0], Model())));
        Assert.Contains("features_in_step", e.Message);
    }

    [Fact]
    public void Tied_attributions_are_removed_in_index_order()
    {
        // §8 row 8: a = [1, 1, 0, 0] with fis 1: the order is 0, 1, 2, 3 (value, then index), whatever the sort does.
        var m = Model();
        double want = Similarity.Pearson([1, 1, 0, 0], [0, 2, 6, 12]);
        var got = FaithfulnessHarness.Scores(new FaithfulnessEstimate(new()), EvalBatches.Make(1, 2, 2, X, [1, 1, 0, 0], [0], m));
        Assert.Equal(want, got[0], 12);
    }

    [Fact]
    public void Chunks_of_all_samples_share_model_calls()
    {
        var m = AffineModel.Random(3, 4, 4, 5, 1);
        var batch = FaithfulnessHarness.RandomBatch(m, 3, 1, batchSize: 64);
        FaithfulnessHarness.Run(new FaithfulnessEstimate(new()), batch);
        // 3 samples × 48 chunks (d = C·H·W = 3·4·4 after broadcasting the 1-channel map) = 144 rows: ⌈144/64⌉ = 3 calls
        // of the 64-row budget, shared by the samples, plus one for the unperturbed logits.
        Assert.Equal(1 + 3, m.Calls);
        Assert.Equal(3 + 144, m.Rows);
    }

    [Fact]
    public void Scores_do_not_depend_on_the_batch_split() =>
        FaithfulnessHarness.AssertBatchSizeInvariant(new FaithfulnessEstimate(new() { FeaturesInStep = 2 }),
            FaithfulnessHarness.RandomBatch(AffineModel.Random(3, 4, 4, 5, 2), 3, 3));
}
