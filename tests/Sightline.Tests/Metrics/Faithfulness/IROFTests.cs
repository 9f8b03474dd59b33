using Sightline.Metrics;
using Sightline.Metrics.Faithfulness;
using Sightline.Tests.Evaluation;

namespace Sightline.Tests.Metrics.Faithfulness;

public sealed class IROFTests
{
    [Fact]
    public void Removes_segments_cumulatively_with_the_mean_of_the_current_image()
    {
        // 2×2 with n_segments 4: SLIC puts a centre on every pixel, so every pixel is a segment (labels 0..3 in raster
        // order). a = [4, 3, 2, 1] removes pixels 0, 1, 2, 3; each takes the mean of the image as it is then (Quantus
        // perturbs x_prev_perturbed): 2.5, 2.875, 3.09375, 3.1171875. f = x·[1, 2, 3, 4] (logits: softmax off):
        // f(x) = 30, then 31.5, 33.25, 33.53125, 30.
        var m = AffineModel.TwoClass(1, 2, 2, [1, 2, 3, 4]);
        var metric = new IROF(new() { NSegments = 4, Softmax = false });
        var batch = EvalBatches.Make(1, 2, 2, [1, 2, 3, 4], [4, 3, 2, 1], [0], m);
        var labels = new int[4];
        Assert.Equal(4, metric.Segments(batch, 0, labels));
        Assert.Equal([0, 1, 2, 3], labels);
        double[] r = [31.5 / 30, 33.25 / 30, 33.53125 / 30, 30.0 / 30];
        double trapz = (r[0] + r[1]) / 2 + (r[1] + r[2]) / 2 + (r[2] + r[3]) / 2;
        Assert.Equal(4 - trapz, FaithfulnessHarness.Scores(metric, batch)[0], 10);
        Assert.Equal(1 + 4, m.Rows);
    }

    [Fact]
    public void A_zero_prediction_is_undefined()
    {
        var m = AffineModel.TwoClass(1, 2, 2, [0, 0, 0, 0]);
        var o = FaithfulnessHarness.Run(new IROF(new() { NSegments = 4, Softmax = false }), EvalBatches.Make(1, 2, 2, [1, 2, 3, 4], [4, 3, 2, 1], [0], m));
        Assert.Equal(Reasons.ZeroPrediction, o.Reasons[0]);
    }

    [Fact]
    public void A_single_segment_is_undefined_not_an_error()
    {
        // n_segments 1 on 2×2: one grid centre, one segment (Quantus's assert_nr_segments raises for the whole batch).
        var m = AffineModel.TwoClass(1, 2, 2, [1, 2, 3, 4]);
        var o = FaithfulnessHarness.Run(new IROF(new() { NSegments = 1 }), EvalBatches.Make(1, 2, 2, [1, 2, 3, 4], [4, 3, 2, 1], [0], m));
        Assert.Equal(Reasons.SingleSegment, o.Reasons[0]);
        Assert.True(double.IsNaN(o[0]));
    }

    [Fact]
    public void Scores_do_not_depend_on_the_batch_split() =>
        FaithfulnessHarness.AssertBatchSizeInvariant(new IROF(new() { NSegments = 10 }),
            FaithfulnessHarness.RandomBatch(AffineModel.Random(3, 8, 8, 4, 2), 3, 1));
}
