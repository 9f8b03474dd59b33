using Sightline.Evaluation;
using Sightline.Metrics;
using Sightline.Metrics.Robustness;
using Sightline.Tests.Evaluation;

namespace Sightline.Tests.Metrics.Robustness;

public sealed class ConsistencyTests
{
    [Fact]
    public void Discretisation_is_the_signed_top_n_by_magnitude()
    {
        Assert.Equal([3L, 4L], Consistency.Discretise([0.1f, -0.9f, 0.5f, 0f], 2)); // index 1 negative (2·1+1), index 2 positive (2·2)
        Assert.Equal([0L, 2L], Consistency.Discretise([0.5f, 0.5f, 0.5f], 2));     // ties by ascending index
        Assert.Equal(3, Consistency.Discretise([1f, 2f, 3f], 10).Length);         // n clamped to the map
    }

    [Fact]
    public void Same_top_n_places_share_a_label_quantus_hashes_the_first_five_values()
    {
        // d = 8; samples 0, 1 and 2 put their two strongest values at indices 6 and 7, sample 3 at 0 and 1. After |·| the
        // first five values of every map are positive, so Quantus's top_n_sign gives all four the same label (and sample 0
        // would score 1/3: of samples 1..3 only sample 1 shares its class). Predictions: Σx > 0 → class 0.
        float[] a =
        [
            .1f, .2f, .1f, .2f, .1f, .1f, .9f, .8f,
            .2f, .1f, .1f, .1f, .3f, .1f, .7f, -.9f,
            .1f, .1f, .1f, .1f, .1f, .1f, .9f, .9f,
            .9f, .8f, .1f, .1f, .1f, .1f, .1f, .1f,
        ];
        float[] x = [.. Enumerable.Repeat(1f, 8), .. Enumerable.Repeat(1f, 8), .. Enumerable.Repeat(-1f, 8), .. Enumerable.Repeat(1f, 8)];
        var model = AffineModel.TwoClass(1, 2, 4, [.. Enumerable.Repeat(1f, 8)]);
        var batch = EvalBatches.Make(1, 2, 4, x, a, [0, 0, 0, 0], model);
        var o = Robust.Run(new Consistency(new() { TopN = 2 }), batch);
        Assert.Equal(0.5, o[0]);  // peers 1 (class 0) and 2 (class 1)
        Assert.Equal(0.5, o[1]);
        Assert.Equal(0.0, o[2]);  // peers 0 and 1 are class 0, it is class 1
        Assert.Equal(Reasons.NoPeers, o.Reasons[3]);
        Assert.True(double.IsNaN(o[3]));
    }

    [Fact]
    public void Needs_the_model_and_the_whole_batch_but_no_reexplanation()
    {
        var m = new Consistency(new());
        Assert.True(m.Info.Needs.HasFlag(MetricNeeds.Model));
        Assert.True(m.Info.Needs.HasFlag(MetricNeeds.WholeBatch));
        Assert.False(m.Info.Needs.HasFlag(MetricNeeds.Reexplain));
        Assert.Equal(ScoreDirection.HigherIsBetter, m.Info.Direction);
    }

    [Fact]
    public void Signs_split_labels_when_abs_is_off()
    {
        float[] a = [.9f, .1f, .1f, .1f, -.9f, .1f, .1f, .1f];
        var model = AffineModel.TwoClass(1, 2, 2, [1, 1, 1, 1]);
        var batch = EvalBatches.Make(1, 2, 2, new float[8], a, [0, 0], model);
        Assert.Equal(1.0, Robust.Run(new Consistency(new() { TopN = 1 }), batch)[0]);            // |a|: same label, same class
        Assert.Equal(Reasons.NoPeers, Robust.Run(new Consistency(new() { TopN = 1, Abs = false }), batch).Reasons[0]);
    }
}
