using System.Text.Json;
using Sightline.Evaluation;
using Sightline.Explainers;
using Sightline.Metrics;
using Sightline.Metrics.Axiomatic;
using Sightline.Metrics.Randomisation;
using Sightline.Models;

using static Sightline.Tests.Metrics.Randomisation.RandomisationBatches;

namespace Sightline.Tests.Metrics.Randomisation;

public sealed class EfficientMPRTTests
{
    [Fact]
    public void Efficient_mprt_is_zero_for_a_model_independent_explanation_and_rises_for_the_gradient()
    {
        var (model, x, y) = Setup();
        float[] map = [.. Enumerable.Range(0, C * H * W).Select(i => (float)(i % 3))];
        var fixedBatch = RandomisationBatches.Make(model, x, y, new TestReexplainer("fixed", map));
        Assert.All(RandomisationBatches.Run(new EfficientMPRT(), fixedBatch).Values, v => Assert.Equal(0, v, 12));
        // Known answer: a constant original map has entropy 0 → undefined.
        var constant = RandomisationBatches.Make(model, x, y, new TestReexplainer("fixed", new float[C * H * W]));
        var undefined = RandomisationBatches.Run(new EfficientMPRT(), constant);
        Assert.All(undefined.Reasons, r => Assert.Equal(RandomisationReasons.ZeroEntropy, r));
        // The score is (H(random) − H(original)) / H(original) of the two explanations.
        var grad = RandomisationBatches.Make(model, x, y, new TestReexplainer("gradient"));
        var output = RandomisationBatches.Run(new EfficientMPRT(new EfficientMPRTOptions { NBins = 4 }), grad);
        using var copy = (IGradientModel)model.WithRandomisedLayers(["weight", "bias"], 42);
        int size = C * H * W;
        for (int i = 0; i < y.Length; i++)
        {
            var g0 = grad.Attribution(i).ToArray();
            var g1 = new float[size];
            copy.InputGradients(x.AsSpan(i * size, size), 1, [y[i]], g1, new float[K]);
            double h0 = RandomisationSupport.DiscreteEntropy(g0, 4), h1 = RandomisationSupport.DiscreteEntropy(g1, 4);
            Assert.Equal((h1 - h0) / h0, output[i], 12);
        }
    }
}
