using Sightline.Evaluation;
using Sightline.Metrics;
using Sightline.Metrics.Faithfulness;
using Sightline.Tests.Evaluation;

namespace Sightline.Tests.Metrics.Faithfulness;

public sealed class SufficiencyTests
{
    // Logits = the two input values: samples predict 0, 0, 1, 0.
    private static readonly float[] X = [1, 0, 2, 0, 0, 1, 1, 0];
    private static AffineModel Model() => new(1, 1, 2, [1, 0, 0, 1]);

    [Fact]
    public void Is_the_share_of_similar_neighbours_with_the_same_prediction()
    {
        // Maps [1,0], [1,0], [0,1], [0,1]: V_f = 2·1/7 per feature, D = 0 within a pair and √7 across, /max → 0 or 1.
        // Neighbours within 0.6: 0↔1 (both class 0 → 1), 2↔3 (classes 1 and 0 → 0).
        var got = FaithfulnessHarness.Scores(new Sufficiency(new()), EvalBatches.Make(1, 1, 2, X, [1, 0, 1, 0, 0, 1, 0, 1], [0, 0, 0, 0], Model()));
        Assert.Equal([1.0, 1.0, 0.0, 0.0], got);
    }

    [Fact]
    public void A_feature_constant_over_the_batch_is_skipped()
    {
        // SciPy's seuclidean divides 0 by 0 there and makes every distance NaN (every score 0); here it adds nothing.
        var m = new AffineModel(1, 1, 3, [1, 0, 0, 0, 1, 0]);
        float[] x = [1, 0, 0, 2, 0, 0, 0, 1, 0, 1, 0, 0];
        var got = FaithfulnessHarness.Scores(new Sufficiency(new()), EvalBatches.Make(1, 1, 3, x, [1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0], [0, 0, 0, 0], m));
        Assert.Equal([1.0, 1.0, 0.0, 0.0], got);
    }

    [Fact]
    public void A_sample_scored_alone_has_no_neighbour_and_scores_zero_with_a_flag()
    {
        // The comparison set is the batch: the same sample scores 1 with its batch-mates and 0 alone.
        var o = FaithfulnessHarness.Run(new Sufficiency(new()), EvalBatches.Make(1, 1, 2, X[..2], [1, 0], [0], Model()));
        Assert.Equal(0, o[0]);
        Assert.Equal(Reasons.NoSimilarAttribution, o.Reasons[0]);
    }

    [Fact]
    public void Declares_that_it_needs_the_whole_batch()
    {
        var info = new Sufficiency(new()).Info;
        Assert.True(info.Needs.HasFlag(MetricNeeds.WholeBatch));
        Assert.True(((IEvaluationMetric)new Sufficiency(new())).UsesAbsolute);
    }
}
