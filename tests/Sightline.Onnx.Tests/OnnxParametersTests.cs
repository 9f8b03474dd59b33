using Sightline.Models;
using Sightline.Onnx.Graph;
using Sightline.Onnx.Runtime;

namespace Sightline.Onnx.Tests;

/// <summary>Parameter layers, seeded re-initialisation and input-shift compensation on ONNX graphs (ONNX Runtime).</summary>
public sealed class OnnxParametersTests
{
    private static OnnxRuntimeModel Open(OnnxBuilder builder) => new(OnnxModelProto.Parse(builder.Build(), "test.onnx"), []);

    private static float[] Logits(IModel model, float[] x, int n)
    {
        var y = new float[n * model.OutputCount];
        model.Forward(x, n, y);
        return y;
    }

    private static double MaxAbs(float[] a, float[] b) => a.Zip(b, (p, q) => Math.Abs((double)p - q)).Max();

    [Fact]
    public void Parameter_layers_are_the_nodes_owning_float_initialisers_in_graph_order()
    {
        using var model = Open(TestModels.ConvNet());
        Assert.Equal(["conv", "fc"], model.ParameterLayers.Select(l => l.Name));
        Assert.Equal(["conv.w", "conv.b"], model.ParameterLayers[0].Parameters);
        Assert.Equal("Gemm", model.ParameterLayers[1].Operator);
    }

    [Fact]
    public void A_randomised_copy_differs_only_in_the_named_layers_and_repeats_with_the_seed()
    {
        var proto = OnnxModelProto.Parse(TestModels.ConvNet().Build(), "test.onnx");
        var edited = OnnxModelProto.Parse(OnnxParameters.Randomise(proto, ["fc"], 5), "copy");
        Assert.Equal(proto.Graph.Initializers["conv.w"].ToFloats(), edited.Graph.Initializers["conv.w"].ToFloats());
        Assert.Equal(proto.Graph.Initializers["conv.b"].ToFloats(), edited.Graph.Initializers["conv.b"].ToFloats());
        Assert.NotEqual(proto.Graph.Initializers["fc.w"].ToFloats(), edited.Graph.Initializers["fc.w"].ToFloats());
        Assert.Equal(OnnxParameters.Redraw(TestModels.HeadW, 5, "fc.w"), edited.Graph.Initializers["fc.w"].ToFloats());
        Assert.Equal(OnnxParameters.Redraw(TestModels.HeadB, 5, "fc.b"), edited.Graph.Initializers["fc.b"].ToFloats());
        Assert.Equal(proto.Graph.Nodes.Select(n => n.ToString()), edited.Graph.Nodes.Select(n => n.ToString()));
        Assert.Equal(OnnxParameters.Randomise(proto, ["fc"], 5), OnnxParameters.Randomise(proto, ["fc"], 5));
        Assert.NotEqual(OnnxParameters.Randomise(proto, ["fc"], 5), OnnxParameters.Randomise(proto, ["fc"], 6));
        // A tensor's draws do not depend on which other layers are randomised with it (cascades nest).
        var both = OnnxModelProto.Parse(OnnxParameters.Randomise(proto, ["conv", "fc"], 5), "copy");
        Assert.Equal(edited.Graph.Initializers["fc.w"].ToFloats(), both.Graph.Initializers["fc.w"].ToFloats());
        Assert.Throws<ArgumentException>(() => OnnxParameters.Randomise(proto, ["relu"], 5));
    }

    [Fact]
    public void Redraw_is_normal_with_the_tensors_spread()
    {
        var rng = new Random(1);
        var original = Enumerable.Range(0, 20000).Select(_ => (float)(rng.NextDouble() * 4 + 10)).ToArray(); // σ = 4/√12
        var drawn = OnnxParameters.Redraw(original, 42, "w");
        double mean = drawn.Average(v => (double)v), sd = Math.Sqrt(drawn.Average(v => (v - mean) * (v - mean)));
        Assert.InRange(mean, -0.03, 0.03);
        Assert.InRange(sd, 4 / Math.Sqrt(12) * 0.97, 4 / Math.Sqrt(12) * 1.03);
        float[] constant = [1, 1, 1];
        Assert.Same(constant, OnnxParameters.Redraw(constant, 42, "bn.scale"));
    }

    [Fact]
    public void Onnx_runtime_copies_run_the_edited_weights()
    {
        using var model = Open(TestModels.ConvNet());
        var x = TestModels.Inputs(3 * 9, seed: 2);
        using var copy = model.WithRandomisedLayers(["conv", "fc"], 42);
        using var same = model.WithRandomisedLayers(["conv", "fc"], 42);
        Assert.Equal(Logits(copy, x, 3), Logits(same, x, 3));
        Assert.True(MaxAbs(Logits(copy, x, 3), Logits(model, x, 3)) > 1e-3);
        Assert.IsAssignableFrom<IRandomisableModel>(copy);
    }

    [Fact]
    public void Input_shift_is_absorbed_by_an_unpadded_first_conv()
    {
        using var model = Open(TestModels.ConvNet());
        var x = TestModels.Inputs(4 * 9, seed: 3);
        using var shifted = model.WithInputShift(-1);
        var xs = x.Select(v => v - 1).ToArray();
        Assert.True(MaxAbs(Logits(shifted, xs, 4), Logits(model, x, 4)) < 1e-5);
        Assert.True(MaxAbs(Logits(model, xs, 4), Logits(model, x, 4)) > 1e-2);
    }

    [Fact]
    public void Input_shift_is_absorbed_by_a_gemm_after_flatten()
    {
        using var model = Open(TestModels.FlattenGemm("N"));
        var x = TestModels.Inputs(2 * 4, seed: 4);
        using var shifted = model.WithInputShift(0.75f);
        var xs = x.Select(v => v + 0.75f).ToArray();
        Assert.True(MaxAbs(Logits(shifted, xs, 2), TestModels.FlattenGemmReference(x, 2)) < 1e-5);
    }

    [Fact]
    public void A_conv_without_bias_gets_one_and_matmul_add_is_one_layer()
    {
        var noBias = new OnnxBuilder()
            .Input("x", "N", 1L, 3L, 3L).Output("logits", "N", 2L)
            .Floats("w", [2, 1, 2, 2], TestModels.ConvW)
            .Floats("fc.w", [8, 2], [.. Enumerable.Range(0, 16).Select(i => (i % 5 - 2) / 4f)])
            .Floats("fc.b", [2], [0.5f, -0.5f])
            .Node("Conv", ["x", "w"], ["c"], "conv", OnnxBuilder.IntsAttr("kernel_shape", 2, 2))
            .Node("Flatten", ["c"], ["f"], "flatten")
            .Node("MatMul", ["f", "fc.w"], ["m"], "fc")
            .Node("Add", ["m", "fc.b"], ["logits"], "fc_bias");
        using var model = Open(noBias);
        Assert.Equal(["conv", "fc"], model.ParameterLayers.Select(l => l.Name));
        Assert.Equal(["fc.w", "fc.b"], model.ParameterLayers[1].Parameters);
        var x = TestModels.Inputs(3 * 9, seed: 5);
        using var shifted = model.WithInputShift(2);
        Assert.True(MaxAbs(Logits(shifted, x.Select(v => v + 2).ToArray(), 3), Logits(model, x, 3)) < 1e-4);
    }

    [Fact]
    public void A_first_layer_that_does_not_read_the_input_cannot_absorb_a_shift()
    {
        var scaled = new OnnxBuilder()
            .Input("x", "N", 1L, 2L, 2L).Output("logits", "N", 3L)
            .Floats("W", [3, 4], TestModels.GemmW).Floats("b", [3], TestModels.GemmB).Floats("two", [], [2f])
            .Node("Mul", ["x", "two"], ["x2"], "scale")
            .Node("Flatten", ["x2"], ["flat"], "flatten", OnnxBuilder.IntAttr("axis", 1))
            .Node("Gemm", ["flat", "W", "b"], ["logits"], "fc", OnnxBuilder.IntAttr("transB", 1));
        using var model = Open(scaled);
        Assert.Throws<InputDataException>(() => model.WithInputShift(-1));
    }

    public static TheoryData<string> Fixtures() => ["resnet_tiny", "vgg_tiny", "mobilenet_tiny", "densenet_tiny", "efficientnet_tiny", "vit_tiny"];

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Fixture_models_randomise_every_layer(string name)
    {
        using var model = OnnxRuntimeModel.Open(Path.Combine(FixtureFolder(), name + ".onnx"));
        var layers = model.ParameterLayers;
        Assert.NotEmpty(layers);
        Assert.Equal(layers.Count, layers.Select(l => l.Name).Distinct().Count());
        var x = TestModels.Inputs(2 * 3 * 32 * 32, seed: 6).Select(v => v / 2).ToArray();
        using var first = model.WithRandomisedLayers([layers[^1].Name], 42);
        using var all = model.WithRandomisedLayers([.. layers.Select(l => l.Name)], 42);
        var y0 = Logits(model, x, 2);
        var y1 = Logits(first, x, 2);
        var y2 = Logits(all, x, 2);
        Assert.All(y2, v => Assert.True(float.IsFinite(v)));
        Assert.True(MaxAbs(y0, y1) > 1e-4);
        Assert.True(MaxAbs(y0, y2) > 1e-4);
    }

    internal static string FixtureFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures", "models");
            if (File.Exists(Path.Combine(candidate, "manifest.json"))) return candidate;
        }
        throw new DirectoryNotFoundException("tests/fixtures/models not found");
    }
}

/// <summary>Randomisation through the channels-last wrapper.</summary>
public sealed class NhwcRandomisationTests
{
    [Fact]
    public void A_channels_last_model_randomises_and_shifts_through_its_wrapper()
    {
        var nhwc = new OnnxBuilder()
            .Input("x", "N", 4L, 4L, 1L).Output("logits", "N", 3L)
            .Floats("conv.w", [2, 1, 2, 2], TestModels.ConvW).Floats("conv.b", [2], TestModels.ConvB)
            .Floats("fc.w", [3, 2], TestModels.HeadW).Floats("fc.b", [3], TestModels.HeadB)
            .Node("Transpose", ["x"], ["xt"], "to_nchw", OnnxBuilder.IntsAttr("perm", 0, 3, 1, 2))
            .Node("Conv", ["xt", "conv.w", "conv.b"], ["c"], "conv", OnnxBuilder.IntsAttr("kernel_shape", 2, 2))
            .Node("Relu", ["c"], ["r"], "relu")
            .Node("GlobalAveragePool", ["r"], ["p"], "pool")
            .Node("Flatten", ["p"], ["f"], "flatten")
            .Node("Gemm", ["f", "fc.w", "fc.b"], ["logits"], "fc", OnnxBuilder.IntAttr("transB", 1));
        using var ort = new OnnxRuntimeModel(OnnxModelProto.Parse(nhwc.Build(), "nhwc.onnx"), []);
        Assert.Equal(InputLayout.Nhwc, NhwcModel.Detect(ort.InputShape));
        using var model = NhwcModel.Wrap(ort, InputLayout.Nhwc);
        var r = Assert.IsAssignableFrom<IRandomisableModel>(model);
        Assert.Equal(["conv", "fc"], r.ParameterLayers.Select(l => l.Name));
        using var copy = r.WithRandomisedLayers(["fc"], 3);
        Assert.IsAssignableFrom<IRandomisableModel>(copy);
        Assert.Equal(model.InputShape, copy.InputShape);
        var x = TestModels.Inputs(2 * 16, seed: 1);
        var y = new float[6];
        var ys = new float[6];
        model.Forward(x, 2, y);
        using var shifted = r.WithInputShift(-1);
        shifted.Forward(x.Select(v => v - 1).ToArray(), 2, ys);
        Assert.True(y.Zip(ys).Max(p => Math.Abs(p.First - p.Second)) < 1e-5);
    }
}
