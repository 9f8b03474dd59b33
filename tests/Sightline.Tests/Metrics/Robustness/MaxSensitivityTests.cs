using Sightline.Evaluation;
using Sightline.Metrics.Robustness;
using Sightline.Tests.Evaluation;

namespace Sightline.Tests.Metrics.Robustness;

public sealed class MaxSensitivityTests
{
    [Fact]
    public void Largest_relative_change_with_fixed_noise()
    {
        float[] x = [1, 2, 3, 4];
        var model = AffineModel.TwoClass(1, 2, 2, [3, 3, 3, 3]);
        float[][] deltas = [[0.1f, 0, 0, 0], [0.2f, 0.2f, 0, 0]];
        var batch = Robust.Batch(model, FuncReexplainer.InputTimesGradient(), 2, 2, x, [0]);
        var o = new MetricOutput(1, ["max_sensitivity"]);
        new MaxSensitivity(new() { NrSamples = 2 }).Evaluate(batch, o, Robust.Fixed([deltas]));
        var (r0, r1) = AvgSensitivityTests.FixedRatios(x, deltas, 3);
        Assert.Equal(Math.Max(r0, r1), o[0], 12);
        Assert.Equal(Math.Sqrt(0.08) / Math.Sqrt(30), o[0], 6);
    }

    [Fact]
    public void Gradient_of_an_affine_model_gives_zero()
    {
        var model = AffineModel.Random(1, 2, 2, 3, seed: 3);
        var batch = Robust.Batch(model, FuncReexplainer.Gradient(), 2, 2, [1, 2, 3, 4], [1]);
        Assert.Equal(0, Robust.Run(new MaxSensitivity(new() { NrSamples = 5 }), batch)[0]);
    }

    [Fact]
    public void Max_is_at_least_avg_on_the_same_draws()
    {
        // The two metrics draw from generators seeded by their own names, so compare on the same fixed noise.
        var model = AffineModel.Random(1, 2, 2, 2, seed: 4);
        var batch = Robust.Batch(model, FuncReexplainer.Squared(), 2, 2, [1, -2, 0.5f, 4], [0]);
        var rng = new Random(1);
        float[][][] deltas = [[.. Enumerable.Range(0, 6).Select(_ => Enumerable.Range(0, 4).Select(_ => (float)(rng.NextDouble() * 0.4 - 0.2)).ToArray())]];
        var max = new MetricOutput(1, ["m"]);
        var avg = new MetricOutput(1, ["a"]);
        new MaxSensitivity(new() { NrSamples = 6 }).Evaluate(batch, max, Robust.Fixed(deltas));
        new AvgSensitivity(new() { NrSamples = 6 }).Evaluate(batch, avg, Robust.Fixed(deltas));
        Assert.True(max[0] > avg[0] && avg[0] > 0);
    }
}
