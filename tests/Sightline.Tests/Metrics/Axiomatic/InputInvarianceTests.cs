using System.Text.Json;
using Sightline.Evaluation;
using Sightline.Explainers;
using Sightline.Metrics;
using Sightline.Metrics.Axiomatic;
using Sightline.Metrics.Randomisation;
using Sightline.Models;

using static Sightline.Tests.Metrics.Randomisation.RandomisationBatches;

using Sightline.Tests.Metrics.Randomisation;

namespace Sightline.Tests.Metrics.Axiomatic;

public sealed class InputInvarianceTests
{
    [Fact]
    public void Input_invariance_holds_for_the_gradient_and_fails_for_input_x_gradient()
    {
        var (model, x, y) = Setup();
        var grad = RandomisationBatches.Run(new InputInvariance(), RandomisationBatches.Make(model, x, y, new TestReexplainer("gradient")));
        Assert.All(grad.Values, v => Assert.Equal(1, v));
        var ixg = RandomisationBatches.Run(new InputInvariance(), RandomisationBatches.Make(model, x, y, new TestReexplainer("input_x_gradient")));
        Assert.All(ixg.Values, v => Assert.Equal(0, v));
        // The real explainers agree (Kindermans et al. 2019).
        var settings = new ExplainSettings();
        var saliency = new ExplainerReexplainer(new Saliency(absolute: false), settings);
        Assert.All(RandomisationBatches.Run(new InputInvariance(), Given(model, x, y, saliency)).Values, v => Assert.Equal(1, v));
        var inputXGrad = new ExplainerReexplainer(new InputXGradient(), settings);
        Assert.All(RandomisationBatches.Run(new InputInvariance(), Given(model, x, y, inputXGrad)).Values, v => Assert.Equal(0, v));
    }

    private static EvaluationBatch Given(RandomisableAffine model, float[] x, int[] y, IReexplainer explainer)
    {
        int size = C * H * W;
        var probe = new float[y.Length * size];
        explainer.Explain(model, x, y.Length, y, probe, 0);
        int channels = probe.Length / (y.Length * H * W);
        return new EvaluationBatch(new EvaluationShape(C, H, W, channels, K), y.Length, x, probe, y, model: model, explainer: explainer);
    }
}
