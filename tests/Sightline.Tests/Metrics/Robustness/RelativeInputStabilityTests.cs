using Sightline.Evaluation;
using Sightline.Metrics;
using Sightline.Metrics.Robustness;
using Sightline.Tests.Evaluation;

namespace Sightline.Tests.Metrics.Robustness;

public sealed class RelativeInputStabilityTests
{
    // logit_0 = −Σx, logit_1 = 0; x = (1, −1.05): Σx = −0.05, class 0. a = W[0]·x² = −x² (a nonlinear method, so the
    // relative changes of a and x differ: per value (x'² − x²)/x² ÷ (x' − x)/x = 2 + δ/x).
    // Draws: δ0 = (0.02, 0.02) keeps class 0; δ1 = (0.3, 0) makes Σx' = 0.25: class 1; δ2 = (0.02, 0) keeps class 0.
    internal static readonly float[] X = [1, -1.05f];
    internal static readonly float[][] Deltas = [[0.02f, 0.02f], [0.3f, 0], [0.02f, 0]];
    internal static AffineModel Model() => AffineModel.TwoClass(1, 1, 2, [-1, -1]);

    internal static double RelL2(float[] a, float[] b) =>
        Robust.Norm(a.Zip(b, (p, q) => ((double)p - q) / (p == 0 ? 1e-6 : p)));

    internal static float[] Perturbed(float[] d) => [X[0] + d[0], X[1] + d[1]];
    internal static float[] Squared(float[] x) => [.. x.Select(v => -1f * v * v)];

    private static double Ris(float[] d) => RelL2(Squared(X), Squared(Perturbed(d))) / Math.Max(RelL2(X, Perturbed(d)), 1e-6);

    [Fact]
    public void A_flipped_draw_is_left_out_and_counted_quantus_returns_nan()
    {
        var batch = Robust.Batch(Model(), FuncReexplainer.Squared(), 1, 2, X, [0]);
        var m = new RelativeInputStability(new() { NrSamples = 3 });
        var o = new MetricOutput(1, m.Columns(batch.Shape, batch.Model));
        m.Evaluate(batch, o, Robust.Fixed([Deltas]));
        Assert.Equal(["relative_input_stability", "relative_input_stability_flips"], o.Columns);
        Assert.True(Ris(Deltas[1]) > Math.Max(Ris(Deltas[0]), Ris(Deltas[2]))); // the flipped draw would be the maximum
        Assert.Equal(Math.Max(Ris(Deltas[0]), Ris(Deltas[2])), o[0], 9);
        Assert.Equal(1, o.Values[1]);
        Assert.Null(o.Reasons[0]);

        var all = new RelativeInputStability(new() { NrSamples = 3, ReturnNanWhenPredictionChanges = false });
        var p = new MetricOutput(1, all.Columns(batch.Shape, batch.Model));
        all.Evaluate(batch, p, Robust.Fixed([Deltas]));
        Assert.Equal(Ris(Deltas[1]), p[0], 9);
        Assert.Equal(1, p.Values[1]); // flips are counted either way
    }

    [Fact]
    public void Every_draw_flipped_is_nan_with_the_count()
    {
        var batch = Robust.Batch(Model(), FuncReexplainer.Squared(), 1, 2, X, [0]);
        var m = new RelativeInputStability(new() { NrSamples = 2 });
        var o = new MetricOutput(1, m.Columns(batch.Shape, batch.Model));
        m.Evaluate(batch, o, Robust.Fixed([[Deltas[1], Deltas[1]]]));
        Assert.True(double.IsNaN(o[0]));
        Assert.Equal(Reasons.AllDrawsFlipped, o.Reasons[0]);
        Assert.Equal(2, o.Values[1]);
    }

    [Fact]
    public void Input_times_gradient_of_an_affine_model_is_exactly_as_stable_as_its_input()
    {
        // a = w ⊙ x: (a − a')/a = (x − x')/x per value, so every draw gives 1.
        var model = AffineModel.TwoClass(1, 2, 2, [2, -1, 0.5f, 3]);
        var batch = Robust.Batch(model, FuncReexplainer.InputTimesGradient(), 2, 2, [1, -2, 3, 4], [0], seed: 9);
        var o = Robust.Run(new RelativeInputStability(new() { NrSamples = 10 }), batch);
        Assert.Equal(1, o[0], 4);
        Assert.Equal(0, o.Values[1]);
    }

    [Fact]
    public void Input_times_gradient_of_any_affine_model_scores_one()
    {
        // Property: for a = w ⊙ x every draw's relative changes of a and x coincide, whatever the weights and the input
        // (values kept away from 0, where the ε guard would differ between a and x).
        (from seed in Gen.Int[0, 1000]
         from x in Gen.Float[0.5f, 3f].Array[4]
         from signs in Gen.Bool.Array[4]
         select (seed, x: x.Select((v, j) => signs[j] ? -v : v).ToArray()))
            .Sample(c =>
            {
                var model = AffineModel.Random(1, 2, 2, 2, c.seed);
                var batch = Robust.Batch(model, FuncReexplainer.InputTimesGradient(), 2, 2, c.x, [0], seed: c.seed);
                var o = Robust.Run(new RelativeInputStability(new() { NrSamples = 4, ReturnNanWhenPredictionChanges = false }), batch);
                Assert.Equal(1, o[0], 3);
            }, iter: 50);
    }

    [Fact]
    public void Noise_is_positive_between_the_bounds()
    {
        var draw = Reexplanation.Uniform(0.02, 0.2);
        var rng = new Random(1);
        var v = Enumerable.Range(0, 10000).Select(_ => draw(rng)).ToArray();
        Assert.True(v.Min() >= 0.02 && v.Max() < 0.2);
        Assert.InRange(v.Average(), 0.105, 0.115);
    }
}
