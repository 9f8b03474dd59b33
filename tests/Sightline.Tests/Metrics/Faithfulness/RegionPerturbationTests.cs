using Sightline.Evaluation;
using Sightline.Metrics.Faithfulness;
using Sightline.Tests.Evaluation;
using static Sightline.Tests.Metrics.Faithfulness.MetricRuns;

namespace Sightline.Tests.Metrics.Faithfulness;

public sealed class RegionPerturbationTests
{
    // 1×4×4 input x[r,c] = 4r + c (black = 0), logit 0 = Σx = 120.
    private static EvaluationBatch Grid(float[] a, int batchSize = 0) =>
        EvalBatches.Make(1, 4, 4, Seq(16), a, [0], AffineModel.TwoClass(1, 4, 4, Ones(16)), batchSize: batchSize);

    [Fact]
    public void Morf_takes_the_most_relevant_patch_then_non_overlapping_ones_in_order()
    {
        // a = 1 at (3,3): the patches with corners (2,2), (2,3), (3,2), (3,3) sum to 1, the first is taken; then the
        // zero-sum corners in raster order, skipping overlaps: (0,0), (0,2), (2,0). Quantus's argsort(sums)[::-1] puts the
        // tied patches in reverse order and starts with the clipped 1-pixel patch (3,3) instead (spec §8 row 8).
        var a = new float[16];
        a[15] = 1;
        var o = Run(new RegionPerturbation(new RegionPerturbationOptions { PatchSize = 2, Softmax = false }), Grid(a));
        Assert.Equal([50f, 60, 78, 120], o.Curve(0).ToArray());
        Assert.Equal(77, o[0], 12);
    }

    [Fact]
    public void Lerf_clips_patches_at_the_edges_and_stops_at_regions_evaluation()
    {
        // Uniform a: clipped corner patch (3,3) sums to 1, edge patches to 2, interior to 4. Ascending: (3,3); then
        // (0,3) [rows 0-1, col 3] and (3,0) [row 3, cols 0-1]; then (0,0); every other candidate overlaps.
        var m = new RegionPerturbation(new RegionPerturbationOptions { PatchSize = 2, Order = RegionOrder.Lerf, Softmax = false });
        var o = Run(m, Grid(Ones(16)));
        Assert.Equal([15f, 25, 50, 60], o.Curve(0).ToArray());
        Assert.Equal(37.5, o[0], 12);

        var two = new RegionPerturbation(new RegionPerturbationOptions { PatchSize = 2, Order = RegionOrder.Lerf, RegionsEvaluation = 2, Softmax = false });
        Assert.Equal(2, two.CurveLength(Grid(Ones(16)).Shape));
        var o2 = Run(two, Grid(Ones(16)));
        Assert.Equal([15f, 25], o2.Curve(0).ToArray());
        Assert.Equal(20, o2[0], 12);
    }

    [Fact]
    public void Shorter_curves_are_nan_padded_and_the_mean_uses_the_defined_points()
    {
        // 1×4×4 with patch 4: at most one patch, but regions_evaluation 100 → curve length 1.
        var m = new RegionPerturbation(new RegionPerturbationOptions { PatchSize = 4, Softmax = false });
        Assert.Equal(1, m.CurveLength(Grid(Ones(16)).Shape));
        var o = Run(m, Grid(Ones(16)));
        Assert.Equal([120f], o.Curve(0).ToArray());
    }

    [Fact]
    public void Random_order_is_seeded_per_sample_and_batch_size_invariant()
    {
        var m = new RegionPerturbation(new RegionPerturbationOptions { PatchSize = 2, Order = RegionOrder.Random });
        var o = AssertBatchInvariant(m, 2, 4, 4, 1);
        var (model, x, a, t) = Random(4, 2, 4, 4, 1, 7);
        var again = Run(m, EvalBatches.Make(2, 4, 4, x, a, t, model, seed: 3));
        Assert.Equal(o.Values, again.Values);
        var other = Run(m, EvalBatches.Make(2, 4, 4, x, a, t, model, seed: 4));
        Assert.NotEqual(o.Values, other.Values);
        AssertBounds(m, o);
    }

    [Theory]
    [InlineData(RegionOrder.Morf)]
    [InlineData(RegionOrder.Lerf)]
    public void Batch_size_invariant(RegionOrder order)
    {
        var m = new RegionPerturbation(new RegionPerturbationOptions { PatchSize = 2, Order = order });
        AssertBounds(m, AssertBatchInvariant(m, 3, 4, 4, 1));
        AssertBatchInvariant(m, 3, 4, 4, 3);
    }

    [Fact]
    public void All_samples_share_calls_and_patch_size_must_be_positive()
    {
        var (model, x, a, t) = Random(3, 1, 4, 4, 1, 5);
        var b = EvalBatches.Make(1, 4, 4, x, a, t, model, batchSize: 64);
        Run(new RegionPerturbation(new RegionPerturbationOptions { PatchSize = 2 }), b);
        Assert.Equal(2, model.Calls); // the shared unperturbed logits, then 3 × 4 patches in one call
        Assert.Equal(3 + 12, model.Rows);
        var e = Assert.Throws<InputDataException>(() => Run(new RegionPerturbation(new RegionPerturbationOptions { PatchSize = 0 }), b));
        Assert.Contains("--param region_perturbation.patch_size", e.Message);
    }
}
