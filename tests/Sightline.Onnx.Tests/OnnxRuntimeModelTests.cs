using Sightline.Models;
using Sightline.Onnx.Graph;
using Sightline.Onnx.Runtime;

namespace Sightline.Onnx.Tests;

public sealed class OnnxRuntimeModelTests
{
    private static readonly OnnxRuntimeOptions Options = new() { IntraOpThreads = 1 };

    private static OnnxRuntimeModel Load(OnnxBuilder builder, OnnxRuntimeOptions? options = null, params string[] extraOutputs) =>
        new(OnnxModelProto.Parse(builder.Build(), "test.onnx"), extraOutputs, options ?? Options);

    [Fact]
    public void A_segmentation_output_is_refused_unless_any_output_shape_is_asked_for()
    {
        // x: N×1×2×2 → Conv(4 filters 1×1) → N×4×2×2: not N×K logits.
        var seg = new OnnxBuilder().Input("x", "N", 1L, 2L, 2L).Output("seg", "N", 4L, 2L, 2L).Floats("w", [4, 1, 1, 1], [1, -1, 0.5f, 2])
            .Node("Conv", ["x", "w"], ["seg"], "conv", OnnxBuilder.IntsAttr("kernel_shape", 1, 1));
        var e = Assert.Throws<InputDataException>(() => Load(seg));
        Assert.Contains("test.onnx", e.Message);
        Assert.Contains("N×4×2×2", e.Message);
        using var model = Load(seg, Options with { AnyOutputShape = true });
        Assert.Equal(16, model.OutputCount);
        var act = new float[16];
        model.LayerActivations("seg", [1, 2, 3, 4], 1, act, new float[16]);
        Assert.Equal([1, 2, 3, 4, -1, -2, -3, -4, 0.5f, 1, 1.5f, 2, 2, 4, 6, 8], act);
    }

    [Theory]
    [InlineData(3L, 1L, 1L, 3)]   // a convolutional head without Flatten
    [InlineData(1L, 1L, 1L, 1)]
    public void Outputs_with_trailing_axes_of_size_one_are_classifiers(long k, long h, long w, int classes)
    {
        var head = new OnnxBuilder().Input("x", "N", 1L, 2L, 2L).Output("y", "N", k, h, w).Floats("w", [k, 1, 2, 2], [.. Enumerable.Range(0, (int)k * 4).Select(i => (float)i)])
            .Node("Conv", ["x", "w"], ["y"], "conv", OnnxBuilder.IntsAttr("kernel_shape", 2, 2));
        using var model = Load(head);
        Assert.Equal(classes, model.OutputCount);
    }

    [Fact]
    public void Forward_equals_hand_computed_logits()
    {
        using var model = Load(TestModels.FlattenGemm("N"));
        float[] x = [1, 2, 3, 4, /* second sample */ -1, 0.5f, 0, 2];
        var logits = new float[6];

        model.Forward(x, 2, logits);

        // W·x + b with W = [[1,0,0,0],[0,1,1,0],[0.5,-1,0,2]], b = [0.5, 0, -1].
        Assert.Equal([1.5f, 5f, 5.5f, -0.5f, 0.5f, 2f], logits);
        Assert.Equal("test.onnx", model.Name);
        Assert.Equal([1, 2, 2], model.InputShape);
        Assert.Equal(3, model.OutputCount);
        Assert.Equal(0, model.FixedBatch);
    }

    [Fact]
    public void Conv_net_forward_matches_reference()
    {
        using var model = Load(TestModels.ConvNet());
        var x = TestModels.Inputs(7 * 9);
        var logits = new float[7 * 3];

        model.Forward(x, 7, logits);

        var (_, expected) = TestModels.ConvNetReference(x, 7);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], logits[i], 5);
    }

    [Fact]
    public void Batching_does_not_change_logits()
    {
        using var small = Load(TestModels.ConvNet(), Options with { MaxBatch = 5 });
        using var large = Load(TestModels.ConvNet(), Options with { MaxBatch = 64 });
        using var single = Load(TestModels.ConvNet(), Options with { MaxBatch = 1 });
        const int n = 70;
        var x = TestModels.Inputs(n * 9, seed: 3);
        var a = new float[n * 3];
        var b = new float[n * 3];
        var c = new float[n * 3];

        small.Forward(x, n, a);
        large.Forward(x, n, b);
        single.Forward(x, n, c);

        Assert.Equal(c, a);
        Assert.Equal(c, b);
        var one = new float[3];
        small.Forward(x.AsSpan(13 * 9, 9), 1, one);
        Assert.Equal(c.AsSpan(13 * 3, 3).ToArray(), one);
    }

    [Fact]
    public void Model_with_batch_fixed_at_one_runs_one_sample_at_a_time()
    {
        using var model = Load(TestModels.FlattenGemm(1L));
        var x = TestModels.Inputs(9 * 4);
        var logits = new float[9 * 3];

        model.Forward(x, 9, logits);

        Assert.Equal(1, model.FixedBatch);
        Assert.Equal(1, model.RunBatch);
        Assert.Equal(TestModels.FlattenGemmReference(x, 9), logits);
    }

    [Fact]
    public void Model_with_batch_fixed_at_four_pads_the_last_run()
    {
        using var model = Load(TestModels.FlattenGemm(4L));
        var x = TestModels.Inputs(6 * 4);
        var logits = new float[6 * 3];

        model.Forward(x, 6, logits);

        Assert.Equal(TestModels.FlattenGemmReference(x, 6), logits);
        var flat = model.Activations("flat", x, 6, out var shape);
        Assert.Equal([4], shape);
        Assert.Equal(x, flat);
    }

    [Fact]
    public void Concurrent_forwards_give_the_same_logits()
    {
        using var model = Load(TestModels.ConvNet(), Options with { MaxBatch = 3 });
        var x = TestModels.Inputs(20 * 9, seed: 5);
        var expected = new float[20 * 3];
        model.Forward(x, 20, expected);

        Parallel.For(0, 16, _ =>
        {
            var logits = new float[20 * 3];
            model.Forward(x, 20, logits);
            Assert.Equal(expected, logits);
        });
    }

    [Fact]
    public void Intermediate_relu_output_is_correct()
    {
        using var model = Load(TestModels.ConvNet(), Options with { MaxBatch = 2 }, "relu_out");
        const int n = 5;
        var x = TestModels.Inputs(n * 9, seed: 7);
        var relu = new float[n * 8];
        var logits = new float[n * 3];

        model.Run(x, n, ["relu_out", "logits"], [relu, logits]);

        var (expectedRelu, expectedLogits) = TestModels.ConvNetReference(x, n);
        for (int i = 0; i < relu.Length; i++) Assert.Equal(expectedRelu[i], relu[i], 5);
        for (int i = 0; i < logits.Length; i++) Assert.Equal(expectedLogits[i], logits[i], 5);
        Assert.Contains(relu, v => v == 0);
    }

    [Fact]
    public void Activations_of_any_layer_come_from_the_probe_session()
    {
        using var model = Load(TestModels.ConvNet(), Options with { MaxBatch = 4 });
        const int n = 6;
        var x = TestModels.Inputs(n * 9, seed: 11);

        var relu = model.Activations("relu_out", x, n, out var shape);
        var pooled = model.Activations("pool_out", x, n, out var poolShape);

        Assert.Equal([2, 2, 2], shape);
        Assert.Equal([2, 1, 1], poolShape);
        var (expectedRelu, _) = TestModels.ConvNetReference(x, n);
        for (int i = 0; i < relu.Length; i++) Assert.Equal(expectedRelu[i], relu[i], 5);
        for (int s = 0; s < n; s++)
            for (int c = 0; c < 2; c++)
                Assert.Equal(relu.AsSpan(s * 8 + c * 4, 4).ToArray().Average(), pooled[s * 2 + c], 5);
        Assert.Throws<ArgumentException>(() => model.Activations("conv.w", x, n, out _));
    }

    [Fact]
    public void Layers_list_float_node_outputs_with_per_sample_shapes()
    {
        using var model = Load(TestModels.ConvNet());

        var layers = model.Layers;

        Assert.Equal(["conv_out", "relu_out", "pool_out", "flat", "logits"], layers.Select(l => l.Name));
        Assert.Equal(["Conv", "Relu", "GlobalAveragePool", "Flatten", "Gemm"], layers.Select(l => l.Operator));
        Assert.Equal([2, 2, 2], layers[0].Shape);
        Assert.Equal([2, 1, 1], layers[2].Shape);
        Assert.Equal([2], layers[3].Shape);
        Assert.Equal([3], model.LayerShape("logits"));
        Assert.Same(layers, model.Layers);
    }

    [Fact]
    public void Graph_optimisation_can_be_disabled_without_changing_results()
    {
        using var optimised = Load(TestModels.ConvNet());
        using var plain = Load(TestModels.ConvNet(), Options with { OptimizeGraph = false });
        var x = TestModels.Inputs(4 * 9);
        var a = new float[12];
        var b = new float[12];

        optimised.Forward(x, 4, a);
        plain.Forward(x, 4, b);

        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 5);
    }

    [Fact]
    public void Wrong_lengths_throw_argument_exceptions()
    {
        using var model = Load(TestModels.FlattenGemm("N"));

        Assert.Throws<ArgumentException>(() => model.Forward(new float[7], 2, new float[6]));
        Assert.Throws<ArgumentException>(() => model.Forward(new float[8], 2, new float[5]));
        Assert.Throws<ArgumentException>(() => model.Run(new float[8], 2, ["logits"], [new float[5]]));
        model.Forward([], 0, []);
    }

    [Fact]
    public void Loads_from_file_and_opens_with_extra_outputs()
    {
        string dir = Directory.CreateTempSubdirectory("sightline-onnx").FullName;
        try
        {
            string path = TestModels.ConvNet().Save(dir, "conv.onnx");
            using var plain = new OnnxRuntimeModel(path, Options);
            using var open = OnnxRuntimeModel.Open(path, ["pool_out"], Options);
            var x = TestModels.Inputs(9);
            var pool = new float[2];
            var a = new float[3];
            var b = new float[3];

            open.Run(x, 1, ["pool_out"], [pool]);
            plain.Forward(x, 1, a);
            open.Forward(x, 1, b);

            Assert.Equal("conv.onnx", plain.Name);
            Assert.Equal(a, b);
            Assert.Equal(TestModels.ConvNetReference(x, 1).Relu.Chunk(4).Select(c => c.Average()).ToArray(), pool);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Dynamic_spatial_input_uses_the_configured_size()
    {
        string dir = Directory.CreateTempSubdirectory("sightline-onnx").FullName;
        try
        {
            var builder = new OnnxBuilder()
                .Input("x", "N", 1L, "H", "W")
                .Output("y", "N", 1L)
                .Node("GlobalAveragePool", ["x"], ["p"])
                .Node("Flatten", ["p"], ["y"]);
            string path = builder.Save(dir, "gap.onnx");
            Assert.Throws<InputDataException>(() => new OnnxRuntimeModel(path, Options));

            File.WriteAllText(Path.Combine(dir, "gap.json"), """{ "input_size": [2, 3] }""");
            using var model = new OnnxRuntimeModel(path, Options);
            var y = new float[1];
            model.Forward([1, 2, 3, 4, 5, 6], 1, y);

            Assert.Equal([1, 2, 3], model.InputShape);
            Assert.Equal(3.5f, y[0]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Non_image_input_is_rejected_naming_the_file()
    {
        var builder = new OnnxBuilder().Input("x", "N", 4L).Output("y", "N", 4L).Node("Relu", ["x"], ["y"]);

        var e = Assert.Throws<InputDataException>(() => Load(builder));
        Assert.Contains("test.onnx", e.Message);
    }

    [Fact]
    public void Model_that_onnx_runtime_rejects_throws_input_data_exception()
    {
        var builder = new OnnxBuilder().Input("x", "N", 1L, 2L, 2L).Output("y", "N", 4L).Node("NoSuchOp", ["x"], ["y"]);

        var e = Assert.Throws<InputDataException>(() => Load(builder));
        Assert.Contains("test.onnx", e.Message);
    }
}

public sealed class OnnxRuntimeModelHeadTests
{
    private static readonly OnnxRuntimeOptions Options = new() { IntraOpThreads = 1 };
    private static readonly float[] X = [1, 2, 3, 4, /* second sample */ -1, 0.5f, 0, 2];

    private static OnnxBuilder WithHead(string op, long opset = 13) => new OnnxBuilder { Opset = opset }
        .Input("x", "N", 1L, 2L, 2L)
        .Output("probs", "N", 3L)
        .Floats("W", [3, 4], TestModels.GemmW)
        .Floats("b", [3], TestModels.GemmB)
        .Node("Flatten", ["x"], ["flat"], "flatten", OnnxBuilder.IntAttr("axis", 1))
        .Node("Gemm", ["flat", "W", "b"], ["logits"], "fc", OnnxBuilder.IntAttr("transB", 1))
        .Node(op, ["logits"], ["probs"], "head", OnnxBuilder.IntAttr("axis", op == "Softmax" && opset >= 13 ? -1 : 1));

    [Theory]
    [InlineData("Softmax", 13, ModelOutputKind.Softmax)]
    [InlineData("LogSoftmax", 13, ModelOutputKind.LogSoftmax)]
    [InlineData("Softmax", 11, ModelOutputKind.Softmax)]
    public void A_final_softmax_is_stripped_so_forward_gives_logits(string op, long opset, ModelOutputKind kind)
    {
        using var model = new OnnxRuntimeModel(OnnxModelProto.Parse(WithHead(op, opset).Build(), "head.onnx"), [], Options);
        Assert.Equal(kind, model.OutputKind);
        Assert.Equal("logits", model.LogitsName);
        var logits = new float[6];
        model.Forward(X, 2, logits);
        Assert.Equal(TestModels.FlattenGemmReference(X, 2), logits);
    }

    [Fact]
    public void Keep_final_softmax_serves_the_files_probabilities()
    {
        using var model = new OnnxRuntimeModel(OnnxModelProto.Parse(WithHead("Softmax").Build(), "head.onnx"), [], Options with { KeepFinalSoftmax = true });
        Assert.Equal(ModelOutputKind.Logits, model.OutputKind);
        var p = new float[3];
        model.Forward(X.AsSpan(0, 4), 1, p);
        var z = TestModels.FlattenGemmReference(X, 1);
        double sum = z.Sum(v => Math.Exp(v));
        for (int k = 0; k < 3; k++) Assert.Equal(Math.Exp(z[k]) / sum, p[k], 1e-6);
    }

    [Fact]
    public void Layer_activations_come_with_the_logits_of_the_same_run()
    {
        using var model = new OnnxRuntimeModel(OnnxModelProto.Parse(WithHead("Softmax").Build(), "head.onnx"), [], Options);
        IActivationModel am = model;
        Assert.Equal([4], am.LayerShape("flat"));
        var act = new float[8];
        var logits = new float[6];
        am.LayerActivations("flat", X, 2, act, logits);
        Assert.Equal(X, act);
        Assert.Equal(TestModels.FlattenGemmReference(X, 2), logits);
    }
}
