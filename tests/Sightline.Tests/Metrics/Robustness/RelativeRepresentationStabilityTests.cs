using Sightline.Evaluation;
using Sightline.Metrics.Robustness;
using Sightline.Tests.Evaluation;
using static Sightline.Tests.Metrics.Robustness.RelativeInputStabilityTests;

namespace Sightline.Tests.Metrics.Robustness;

public sealed class RelativeRepresentationStabilityTests
{
    private static float[] Hidden(float[] x) => [.. x.Select(HiddenAffineModel.Hidden)];

    private static double Rrs(float[] d) =>
        RelL2(Squared(X), Squared(Perturbed(d))) / Math.Max(RelL2(Hidden(X), Hidden(Perturbed(d))), 1e-6);

    [Fact]
    public void Default_layer_is_the_last_before_the_output()
    {
        var model = new HiddenAffineModel(Model());
        var batch = Robust.Batch(model, FuncReexplainer.Squared(), 1, 2, X, [0]);
        var m = new RelativeRepresentationStability(new() { NrSamples = 3 });
        var o = new MetricOutput(1, m.Columns(batch.Shape, batch.Model));
        m.Evaluate(batch, o, Robust.Fixed([Deltas]));
        Assert.Equal(Math.Max(Rrs(Deltas[0]), Rrs(Deltas[2])), o[0], 9);
        Assert.Equal(1, o.Values[1]);
        Assert.Equal(["hidden"], RelativeStability.Hidden.For(batch, "rrs", null).Layers);
    }

    [Fact]
    public void Named_layers_are_read()
    {
        var model = new HiddenAffineModel(Model());
        var batch = Robust.Batch(model, FuncReexplainer.Squared(), 1, 2, X, [0]);
        var m = new RelativeRepresentationStability(new() { NrSamples = 1, LayerNames = ["logits"] });
        var o = new MetricOutput(1, m.Columns(batch.Shape, batch.Model));
        m.Evaluate(batch, o, Robust.Fixed([[Deltas[0]]]));
        var h = new float[2];
        var hp = new float[2];
        Model().Forward(X, 1, h);
        Model().Forward(Perturbed(Deltas[0]), 1, hp);
        Assert.Equal(RelL2(Squared(X), Squared(Perturbed(Deltas[0]))) / RelL2(h, hp), o[0], 6);
    }

    [Fact]
    public void A_model_without_layers_or_an_unknown_name_is_an_input_error()
    {
        var plain = Robust.Batch(Model(), FuncReexplainer.Squared(), 1, 2, X, [0]);
        var e = Assert.Throws<InputDataException>(() => Robust.Run(new RelativeRepresentationStability(new() { NrSamples = 1 }), plain));
        Assert.Contains("layer_names", e.Message);
        var batch = Robust.Batch(new HiddenAffineModel(Model()), FuncReexplainer.Squared(), 1, 2, X, [0]);
        var u = Assert.Throws<InputDataException>(() => Robust.Run(new RelativeRepresentationStability(new() { NrSamples = 1, LayerNames = ["hiden"] }), batch));
        Assert.Contains("hidden", u.Message);
    }
}
