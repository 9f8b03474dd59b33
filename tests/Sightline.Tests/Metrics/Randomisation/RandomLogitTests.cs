using System.Text.Json;
using Sightline.Evaluation;
using Sightline.Explainers;
using Sightline.Metrics;
using Sightline.Metrics.Axiomatic;
using Sightline.Metrics.Randomisation;
using Sightline.Models;

using static Sightline.Tests.Metrics.Randomisation.RandomisationBatches;

namespace Sightline.Tests.Metrics.Randomisation;

public sealed class RandomLogitTests
{
    [Fact]
    public void Random_logit_draws_another_class_per_sample()
    {
        var counts = new int[K];
        for (int s = 0; s < 2000; s++)
        {
            int y = RandomLogit.OffTarget(new Random(s), 2, K);
            Assert.NotEqual(2, y);
            counts[y]++;
        }
        Assert.Equal(0, counts[2]);
        Assert.All(counts.Where((_, k) => k != 2), c => Assert.InRange(c, 400, 600));
        // Quantus reseeds with 42 per sample: every sample of a class gets the same y'. Ours differ across samples.
        var (model, x, y2) = Setup(40);
        var batch = RandomisationBatches.Make(model, x, [.. Enumerable.Repeat(1, 40)], new TestReexplainer("gradient"));
        var offs = Enumerable.Range(0, 40).Select(i => RandomLogit.OffTarget(batch.RandomFor(i, "random_logit"), 1, K)).Distinct().Count();
        Assert.True(offs > 1);
    }

    [Fact]
    public void Random_logit_of_a_class_independent_map_is_one_and_of_the_gradient_is_its_ssim()
    {
        var (model, x, y) = Setup();
        float[] map = [.. Enumerable.Range(0, C * H * W).Select(i => (float)Math.Cos(i))];
        var fixedBatch = RandomisationBatches.Make(model, x, y, new TestReexplainer("fixed", map));
        Assert.All(RandomisationBatches.Run(new RandomLogit(), fixedBatch).Values, v => Assert.Equal(1.0, v, 12));
        var batch = RandomisationBatches.Make(model, x, y, new TestReexplainer("gradient"));
        var output = RandomisationBatches.Run(new RandomLogit(), batch);
        int size = C * H * W;
        for (int i = 0; i < y.Length; i++)
        {
            int off = RandomLogit.OffTarget(batch.RandomFor(i, "random_logit"), y[i], K);
            var a = batch.Attribution(i).ToArray();
            var b = new float[size];
            for (int j = 0; j < size; j++) b[j] = model.Weights[off * size + j];
            AttributionPreprocessing.Normalize(a, Normalisation.ByMax);
            AttributionPreprocessing.Normalize(b, Normalisation.ByMax);
            Assert.Equal(RandomisationSupport.Ssim(a, b).Value, output[i], 12);
        }
        Assert.Throws<InputDataException>(() => RandomisationBatches.Run(new RandomLogit(new RandomLogitOptions { NumClasses = 1000 }), batch));
    }
}
