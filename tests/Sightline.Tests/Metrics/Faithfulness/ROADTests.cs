using Sightline.Metrics.Faithfulness;
using Sightline.Numerics;
using Sightline.Tests.Evaluation;

namespace Sightline.Tests.Metrics.Faithfulness;

public sealed class ROADTests
{
    [Fact]
    public void Imputation_is_the_weighted_mean_of_the_neighbours()
    {
        // Centre of [[1,2,3],[4,5,6],[7,8,9]]: (2+4+6+8)/6 + (1+3+7+9)/12 = 5.
        float[] img = [1, 2, 3, 4, 0, 6, 7, 8, 9];
        NoisyLinearImputation.Impute(img, 1, 3, 3, [4], 0, null);
        Assert.Equal(5f, img[4], 6);
    }

    [Fact]
    public void Imputation_reproduces_a_linear_ramp_inside_the_image()
    {
        // A linear image is its own symmetric weighted neighbour mean, so a removed interior block (a 16-unknown system
        // whose pixels mostly have removed neighbours) comes back exactly.
        int h = 6, w = 6;
        var want = new float[2 * h * w];
        for (int c = 0; c < 2; c++) for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) want[c * h * w + y * w + x] = y + 2 * x - 3 * c;
        var img = (float[])want.Clone();
        var removed = new List<int>();
        for (int y = 1; y < 5; y++) for (int x = 1; x < 5; x++) { removed.Add(y * w + x); img[y * w + x] = 100; img[h * w + y * w + x] = -100; }
        NoisyLinearImputation.Impute(img, 2, h, w, removed.ToArray(), 0, null);
        for (int i = 0; i < img.Length; i++) Assert.Equal(want[i], img[i], 4);
    }

    [Fact]
    public void The_curve_is_per_sample_accuracy_after_removal_and_the_score_its_mean()
    {
        // Class 0's logit is the centre pixel, class 1's a constant 0.5. Removing the centre (⌊9·12/100⌋ = 1 pixel)
        // imputes the neighbours' mean: 1 for an image of ones (still class 0), 0 for an image with zero neighbours.
        var wts = new float[18];
        wts[4] = 1;
        var m = new AffineModel(1, 3, 3, wts, [0, 0.5f]);
        var ones = Enumerable.Repeat(1f, 9).ToArray();
        var centreOnly = new float[9];
        centreOnly[4] = 1;
        var a = new float[9];
        a[4] = 1;
        var metric = new ROAD(new() { Percentages = [0, 12], Noise = 0 });
        var o = FaithfulnessHarness.Run(metric, EvalBatches.Make(1, 3, 3, [.. ones, .. centreOnly], [.. a, .. a], [0, 0], m));
        Assert.Equal([1f, 1f], o.Curve(0).ToArray());
        Assert.Equal([1f, 0f], o.Curve(1).ToArray());
        Assert.Equal(1.0, o[0]);
        Assert.Equal(0.5, o[1]);
    }

    [Fact]
    public void Every_sample_of_every_batch_gets_its_curve()
    {
        // §8 row 6: Quantus's {p: mean} keeps only the first batch; here each sample's curve is kept and split-invariant.
        var m = AffineModel.Random(3, 6, 6, 3, 1);
        var metric = new ROAD(new() { Percentages = [10, 30, 50, 70, 90] });
        var batch = FaithfulnessHarness.RandomBatch(m, 4, 1, runSeed: 3);
        var o = FaithfulnessHarness.Run(metric, batch);
        Assert.All(Enumerable.Range(0, 4), i => Assert.DoesNotContain(o.Curve(i).ToArray(), float.IsNaN));
        Assert.Equal(4 * 5, m.Rows); // ROAD reads only perturbed predictions
        FaithfulnessHarness.AssertBatchSizeInvariant(metric, batch);
    }

    [Fact]
    public void Noise_is_seeded_per_sample()
    {
        var m = AffineModel.Random(1, 6, 6, 3, 1);
        var metric = new ROAD(new() { Noise = 5 });
        var batch = FaithfulnessHarness.RandomBatch(m, 3, 1, runSeed: 3);
        var first = FaithfulnessHarness.Run(metric, batch);
        var again = FaithfulnessHarness.Run(metric, batch);
        Assert.Equal(first.Curves, again.Curves);
        Assert.Equal(50, first.CurveLength);
    }
}
