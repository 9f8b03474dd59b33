using Sightline.Evaluation;
using Sightline.Metrics;
using Sightline.Metrics.Faithfulness;
using Sightline.Tests.Evaluation;
using static Sightline.Tests.Metrics.Faithfulness.MetricRuns;

namespace Sightline.Tests.Metrics.Faithfulness;

public sealed class PixelFlippingTests
{
    // x = [1,2,3,4] (black = min = 1), logit 0 = Σx, a / max|a| = [.25, 1, .75, .5] → removal order 1, 2, 3, 0:
    // Σ = 10 → 9 → 7 → 4 → 4.
    private static EvaluationBatch Toy(int batchSize = 0) =>
        EvalBatches.Make(1, 2, 2, [1, 2, 3, 4], [0.1f, 0.4f, 0.3f, 0.2f], [0], AffineModel.TwoClass(1, 2, 2, Ones(4)), batchSize: batchSize);

    [Fact]
    public void Curve_removes_features_cumulatively_in_descending_order()
    {
        var m = new PixelFlipping(new PixelFlippingOptions { Softmax = false });
        var o = Run(m, Toy());
        Assert.Equal([9f, 7, 4, 4], o.Curve(0).ToArray());
        Assert.Equal(6, o[0], 12);
    }

    [Fact]
    public void Auc_per_sample_is_the_unit_trapezoid()
    {
        var o = Run(new PixelFlipping(new PixelFlippingOptions { Softmax = false, ReturnAucPerSample = true }), Toy());
        Assert.Equal(8 + 5.5 + 4, o[0], 12);
    }

    [Fact]
    public void Softmax_reads_the_target_probability()
    {
        var o = Run(new PixelFlipping(), Toy());
        double[] p = [.. new[] { 9.0, 7, 4, 4 }.Select(z => 1 / (1 + Math.Exp(-z)))];
        Assert.Equal(p.Average(), o[0], 6);
        Assert.Equal(MetricFamily.Faithfulness, new PixelFlipping().Info.Family);
        Assert.True(new PixelFlipping().Info.Curve);
        Assert.Equal(4, new PixelFlipping().CurveLength(Toy().Shape));
    }

    [Fact]
    public void One_channel_map_is_broadcast_to_every_channel_and_d_counts_channel_pixels()
    {
        // C = 2, 1×2 pixels: x = [c0: 1, 2 | c1: 3, 4], a = [.5, 1] per pixel → features [.5, 1, .5, 1]; stable order 1, 3, 0, 2.
        var model = AffineModel.TwoClass(2, 1, 2, [1, 10, 100, 1000]);
        var b = EvalBatches.Make(2, 1, 2, [1, 2, 3, 4], [0.5f, 1], [0], model);
        var m = new PixelFlipping(new PixelFlippingOptions { Softmax = false });
        Assert.Equal(4, m.CurveLength(b.Shape));
        var o = Run(m, b);
        // Σ w·x = 1 + 20 + 300 + 4000 = 4321; min 1. Remove 1: −10 → 4311; 3: −3000 → 1311; 0: 0 → 1311; 2: −200 → 1111.
        Assert.Equal([4311f, 1311, 1311, 1111], o.Curve(0).ToArray());
    }

    [Fact]
    public void Ties_are_removed_in_ascending_index_order()
    {
        var model = AffineModel.TwoClass(1, 1, 3, [1, 10, 100]);
        var b = EvalBatches.Make(1, 1, 3, [2, 2, 2], [1, 1, 1], [0], model);
        var o = Run(new PixelFlipping(new PixelFlippingOptions { Softmax = false, PerturbBaseline = PerturbBaseline.Zero }), b);
        Assert.Equal([220f, 200, 0], o.Curve(0).ToArray());
    }

    [Fact]
    public void Features_in_step_must_divide_d()
    {
        var e = Assert.Throws<InputDataException>(() => Run(new PixelFlipping(new PixelFlippingOptions { FeaturesInStep = 3 }), Toy()));
        Assert.Contains("--param pixel_flipping.features_in_step", e.Message);
        var o = Run(new PixelFlipping(new PixelFlippingOptions { FeaturesInStep = 2, Softmax = false }), Toy());
        Assert.Equal([7f, 4], o.Curve(0).ToArray());
    }

    [Fact]
    public void Steps_of_all_samples_share_model_calls()
    {
        var (model, x, a, t) = Random(5, 2, 3, 4, 1, 11);
        var b = EvalBatches.Make(2, 3, 4, x, a, t, model, batchSize: 64);
        var o = Run(new PixelFlipping(new PixelFlippingOptions { FeaturesInStep = 4 }), b);
        Assert.Equal(1, model.Calls); // 5 samples × 24/4 steps = 30 rows, one call
        Assert.Equal(30, model.Rows);
        AssertBounds(new PixelFlipping(), o);
    }

    [Fact]
    public void Non_finite_map_is_nan_with_reason()
    {
        var model = AffineModel.TwoClass(1, 2, 2, Ones(4));
        var b = EvalBatches.Make(1, 2, 2, [1, 2, 3, 4, 1, 2, 3, 4], [0.1f, float.NaN, 0.3f, 0.2f, 1, 2, 3, 4], [0, 0], model);
        var o = Run(new PixelFlipping(), b);
        Assert.True(double.IsNaN(o[0]));
        Assert.Equal(Reasons.NonFiniteMap, o.Reasons[0]);
        Assert.False(double.IsNaN(o[1]));
        Assert.Equal(4, model.Rows); // the bad sample costs no rows
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Batch_size_invariant(int attributionChannels)
    {
        AssertBatchInvariant(new PixelFlipping(new PixelFlippingOptions { FeaturesInStep = 3 }), 3, 2, 4, attributionChannels);
        AssertBatchInvariant(new PixelFlipping(new PixelFlippingOptions { FeaturesInStep = 2, PerturbBaseline = PerturbBaseline.Uniform }), 3, 2, 4, attributionChannels);
    }

    [Fact]
    public void Catalogue_builds_it_from_param()
    {
        var entry = MetricCatalogue.All.Single(e => e.Name == "pixel_flipping");
        var m = (PixelFlipping)entry.Create([new("features_in_step", "4"), new("return_auc_per_sample", "true")]);
        Assert.Equal(4, m.Settings.FeaturesInStep);
        Assert.True(m.Settings.ReturnAucPerSample);
        Assert.Equal(7, entry.Info.Order);
    }
}
