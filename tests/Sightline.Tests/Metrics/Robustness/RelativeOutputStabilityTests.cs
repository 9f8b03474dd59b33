using Sightline.Evaluation;
using Sightline.Metrics.Robustness;
using Sightline.Tests.Evaluation;
using static Sightline.Tests.Metrics.Robustness.RelativeInputStabilityTests;

namespace Sightline.Tests.Metrics.Robustness;

public sealed class RelativeOutputStabilityTests
{
    private static float[] Logits(float[] x)
    {
        var y = new float[2];
        Model().Forward(x, 1, y);
        return y;
    }

    private static double[] Softmax(float[] z)
    {
        double m = z.Max(), s = z.Sum(v => Math.Exp(v - m));
        return [.. z.Select(v => Math.Exp(v - m) / s)];
    }

    [Fact]
    public void Divides_by_the_change_of_the_logits_and_leaves_flips_out()
    {
        var batch = Robust.Batch(Model(), FuncReexplainer.Squared(), 1, 2, X, [0]);
        var m = new RelativeOutputStability(new() { NrSamples = 3 });
        var o = new MetricOutput(1, m.Columns(batch.Shape, batch.Model));
        m.Evaluate(batch, o, Robust.Fixed([Deltas]));
        double Ros(float[] d)
        {
            var h = Logits(X);
            var hp = Logits(Perturbed(d));
            return RelL2(Squared(X), Squared(Perturbed(d))) / Math.Max(Robust.Norm(h.Zip(hp, (p, q) => (double)p - q)), 1e-6);
        }
        Assert.Equal(Math.Max(Ros(Deltas[0]), Ros(Deltas[2])), o[0], 9);
        Assert.Equal(1, o.Values[1]);
    }

    [Fact]
    public void Softmax_compares_probabilities()
    {
        var batch = Robust.Batch(Model(), FuncReexplainer.Squared(), 1, 2, X, [0]);
        var m = new RelativeOutputStability(new() { NrSamples = 1, Softmax = true });
        var o = new MetricOutput(1, m.Columns(batch.Shape, batch.Model));
        m.Evaluate(batch, o, Robust.Fixed([[Deltas[0]]]));
        var p = Softmax(Logits(X));
        var pp = Softmax(Logits(Perturbed(Deltas[0])));
        double expected = RelL2(Squared(X), Squared(Perturbed(Deltas[0]))) / Robust.Norm(p.Zip(pp, (a, b) => a - b));
        Assert.Equal(expected, o[0], 4);
    }
}
