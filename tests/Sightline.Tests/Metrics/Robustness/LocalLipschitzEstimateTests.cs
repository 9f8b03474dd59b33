using Sightline.Evaluation;
using Sightline.Metrics;
using Sightline.Metrics.Robustness;
using Sightline.Tests.Evaluation;

namespace Sightline.Tests.Metrics.Robustness;

public sealed class LocalLipschitzEstimateTests
{
    [Fact]
    public void Largest_explanation_change_per_input_change_with_fixed_noise()
    {
        // a = w ⊙ x with w = (1, 2, 3, 4): moving only x_j by δ gives ‖a − a'‖ / ‖x − x'‖ = w_j.
        var model = AffineModel.TwoClass(1, 2, 2, [1, 2, 3, 4]);
        var batch = Robust.Batch(model, FuncReexplainer.InputTimesGradient(), 2, 2, [1, 1, 1, 1], [0]);
        float[][] deltas = [[0.1f, 0, 0, 0], [0, 0, 0, 0.1f], [0, 0.05f, 0, 0]];
        var o = new MetricOutput(1, ["local_lipschitz_estimate"]);
        new LocalLipschitzEstimate(new() { NrSamples = 3, Normalise = false }).Evaluate(batch, o, Robust.Fixed([deltas]));
        Assert.Equal(4, o[0], 6);
    }

    [Fact]
    public void Default_normalises_both_maps_by_their_max()
    {
        var model = AffineModel.TwoClass(1, 2, 2, [1, 2, 3, 4]);
        float[] x = [1, 1, 1, 1];
        var batch = Robust.Batch(model, FuncReexplainer.InputTimesGradient(), 2, 2, x, [0]);
        float[] d = [0, 0, 0, 0.5f];
        var o = new MetricOutput(1, ["local_lipschitz_estimate"]);
        new LocalLipschitzEstimate(new() { NrSamples = 1 }).Evaluate(batch, o, Robust.Fixed([[d]]));
        // a = (1,2,3,4)/4, a' = (1,2,3,6)/6: ‖a − a'‖ / 0.5.
        double[] a = [0.25, 0.5, 0.75, 1], ap = [1 / 6.0, 2 / 6.0, 3 / 6.0, 1];
        Assert.Equal(Robust.Norm(a.Zip(ap, (p, q) => p - q)) / (0.5 + 1e-10), o[0], 6);
    }

    [Fact]
    public void Gradient_of_an_affine_model_gives_zero()
    {
        var model = AffineModel.Random(1, 2, 2, 3, seed: 5);
        var batch = Robust.Batch(model, FuncReexplainer.Gradient(), 2, 2, [1, 2, 3, 4, 0, 0, 1, 1], [1, 2]);
        var o = Robust.Run(new LocalLipschitzEstimate(new() { NrSamples = 5 }), batch);
        Assert.Equal(0, o[0]);
        Assert.Equal(0, o[1]);
    }

    [Fact]
    public void Gaussian_noise_has_the_asked_mean_and_deviation()
    {
        var draw = Reexplanation.Gaussian(0.05, 0.1);
        var rng = new Random(3);
        var v = Enumerable.Range(0, 40000).Select(_ => draw(rng)).ToArray();
        double mean = v.Average(), sd = Math.Sqrt(v.Select(t => (t - mean) * (t - mean)).Average());
        Assert.InRange(mean, 0.048, 0.052);
        Assert.InRange(sd, 0.098, 0.102);
    }

    [Fact]
    public void Prediction_change_gives_nan_when_asked()
    {
        var model = AffineModel.TwoClass(1, 2, 2, [1, 1, 1, 1]);
        var batch = Robust.Batch(model, FuncReexplainer.InputTimesGradient(), 2, 2, [0.5f, -0.5f, 0.5f, -0.49f], [0]);
        var o = Robust.Run(new LocalLipschitzEstimate(new() { NrSamples = 30, ReturnNanWhenPredictionChanges = true }), batch);
        Assert.Equal(Reasons.PredictionChanged, o.Reasons[0]);
    }
}
