using Sightline.Evaluation;
using Sightline.Metrics.Faithfulness;
using Sightline.Tests.Evaluation;
using static Sightline.Tests.Metrics.Faithfulness.MetricRuns;

namespace Sightline.Tests.Metrics.Faithfulness;

public sealed class SelectivityTests
{
    [Fact]
    public void Grid_patches_are_removed_by_descending_sum()
    {
        // x[r,c] = 4r + c, a = x: grid patch sums 10, 18, 42, 50 → order (2,2), (2,0), (0,2), (0,0); Σx 120 → 70 → 28 → 10 → 0.
        var b = EvalBatches.Make(1, 4, 4, Seq(16), Seq(16), [0], AffineModel.TwoClass(1, 4, 4, Ones(16)));
        var m = new Selectivity(new SelectivityOptions { PatchSize = 2, Softmax = false });
        Assert.Equal(4, m.CurveLength(b.Shape));
        var o = Run(m, b);
        Assert.Equal([70f, 28, 10, 0], o.Curve(0).ToArray());
        Assert.Equal(27, o[0], 12);
    }

    [Fact]
    public void Tied_patches_go_in_raster_order()
    {
        var b = EvalBatches.Make(1, 4, 4, Seq(16), Ones(16), [0], AffineModel.TwoClass(1, 4, 4, Ones(16)));
        var o = Run(new Selectivity(new SelectivityOptions { PatchSize = 2, Softmax = false }), b);
        Assert.Equal([110f, 92, 50, 0], o.Curve(0).ToArray());
    }

    [Fact]
    public void A_patch_side_that_does_not_divide_the_image_clips_the_last_patches()
    {
        // Patch 3 on 4×4: corners (0,0), (0,3), (3,0), (3,3) with 9, 3, 3, 1 pixels. a = x: sums 45 (0..2 × 0..2 → 0+1+2+4+5+6+8+9+10),
        // 3+7+11 = 21, 12+13+14 = 39, 15 → order (0,0), (3,0), (0,3), (3,3): Σx 120 → 75 → 36 → 15 → 0.
        var b = EvalBatches.Make(1, 4, 4, Seq(16), Seq(16), [0], AffineModel.TwoClass(1, 4, 4, Ones(16)));
        var m = new Selectivity(new SelectivityOptions { PatchSize = 3, Softmax = false });
        Assert.Equal(4, m.CurveLength(b.Shape));
        Assert.Equal([75f, 36, 15, 0], Run(m, b).Curve(0).ToArray());
    }

    [Fact]
    public void Batch_size_invariant_bounded_and_shares_calls()
    {
        var m = new Selectivity(new SelectivityOptions { PatchSize = 2 });
        AssertBounds(m, AssertBatchInvariant(m, 3, 4, 4, 1));
        AssertBatchInvariant(m, 3, 4, 4, 3);
        var (model, x, a, t) = Random(3, 1, 4, 4, 1, 5);
        Run(m, EvalBatches.Make(1, 4, 4, x, a, t, model, batchSize: 64));
        Assert.Equal(1, model.Calls);
        Assert.Equal(12, model.Rows);
        Assert.Throws<InputDataException>(() => Run(new Selectivity(new SelectivityOptions { PatchSize = 0 }), EvalBatches.Make(1, 4, 4, x, a, t, model)));
    }
}
