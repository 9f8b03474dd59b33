using Sightline.Torch.Lowering;
using TorchSharp;
using static TorchSharp.torch;

namespace Sightline.Torch.Tests.Lowering;

/// <summary>Operator semantics that differ between ONNX and torch or between opsets, checked on single-node graphs.</summary>
public sealed class OnnxOperatorsTests
{
    public OnnxOperatorsTests() => TorchRuntime.EnsureInitialized();

    /// <summary>Builds a graph with input "x" of <paramref name="dims"/>, lets <paramref name="body"/> add nodes and returns the output for <paramref name="x"/>.</summary>
    static Tensor Run(long opset, Tensor x, Func<OnnxGraphBuilder, string> body)
    {
        var b = new OnnxGraphBuilder(opset);
        b.Input("x", x.shape);
        var y = body(b);
        b.Output(y);
        using var executor = new GraphExecutor(b.ToGraph());
        return executor.Run(x).Output.detach().clone();
    }

    static float[] F(Tensor t) => t.to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
    static long[] L(Tensor t) => t.to_type(ScalarType.Int64).contiguous().data<long>().ToArray();
    static Tensor Arange(params long[] dims) => arange(dims.Aggregate(1L, (a, b) => a * b), dtype: ScalarType.Float32).reshape(dims);

    static void Close(float[] expected, float[] actual, double tolerance = 1e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"element {i}: expected {expected[i]}, got {actual[i]}");
    }

    [Fact]
    public void Reshape_copies_zero_dims_and_infers_minus_one()
    {
        using var scope = NewDisposeScope();
        var y = Run(13, Arange(2, 3, 4), b => b.Node("Reshape", ["x", b.InitLongs("s", [0, -1], 2)]));
        Assert.Equal([2L, 12L], y.shape);
        var z = Run(14, zeros(0, 3), b => b.Node("Reshape", ["x", b.InitLongs("s", [3, 0], 2)], ("allowzero", 1L)));
        Assert.Equal([3L, 0L], z.shape);
    }

    [Fact]
    public void Dynamic_flatten_through_shape_arithmetic_keeps_int64_and_the_batch()
    {
        // Shape → Gather(0) → Unsqueeze → Concat([-1]) → Reshape, as torch.onnx exports x.view(x.size(0), -1).
        using var scope = NewDisposeScope();
        foreach (long batch in new long[] { 1, 3 })
        {
            var y = Run(13, Arange(batch, 2, 4, 4), b =>
            {
                var shape = b.Node("Shape", ["x"]);
                var n = b.Node("Gather", [shape, b.InitLongs("zero", [0], [])], ("axis", 0L));
                var n1 = b.Node("Unsqueeze", [n, b.InitLongs("ax", [0], 1)]);
                var target = b.Node("Concat", [n1, b.InitLongs("minus1", [-1], 1)], ("axis", 0L));
                return b.Node("Reshape", ["x", target]);
            });
            Assert.Equal([batch, 32L], y.shape);
        }
        var s = Run(15, Arange(2, 3, 4, 5), b => b.Node("Shape", ["x"], ("start", 1L), ("end", -1L)));
        Assert.Equal(ScalarType.Int64, s.dtype);
        Assert.Equal([3L, 4L], L(s));
    }

    [Fact]
    public void Slice_clamps_bounds_and_supports_negative_steps()
    {
        using var scope = NewDisposeScope();
        var x = arange(10, dtype: ScalarType.Float32);
        var reversed = Run(13, x, b => b.Node("Slice", ["x", b.InitLongs("st", [-1], 1), b.InitLongs("en", [long.MinValue], 1), b.InitLongs("ax", [0], 1), b.InitLongs("sp", [-2], 1)]));
        Assert.Equal([9f, 7f, 5f, 3f, 1f], F(reversed));
        var tail = Run(13, x, b => b.Node("Slice", ["x", b.InitLongs("st", [2], 1), b.InitLongs("en", [long.MaxValue], 1)]));
        Assert.Equal([2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f], F(tail));
        var empty = Run(13, x, b => b.Node("Slice", ["x", b.InitLongs("st", [5], 1), b.InitLongs("en", [2], 1)]));
        Assert.Equal(0, empty.numel());
        var old = Run(9, Arange(3, 4), b => b.Node("Slice", ["x"], ("starts", new long[] { 1 }), ("ends", new long[] { -1 }), ("axes", new long[] { 1 })));
        Assert.Equal([1f, 2f, 5f, 6f, 9f, 10f], F(old));
    }

    [Fact]
    public void Gather_handles_negative_scalar_and_matrix_indices()
    {
        using var scope = NewDisposeScope();
        var x = Arange(3, 4);
        var last = Run(13, x, b => b.Node("Gather", ["x", b.InitLongs("i", [-1], [])], ("axis", 1L)));
        Assert.Equal([3L], last.shape);
        Assert.Equal([3f, 7f, 11f], F(last));
        var rows = Run(13, x, b => b.Node("Gather", ["x", b.InitLongs("i", [2, -3, 0, 1], 2, 2)], ("axis", 0L)));
        Assert.Equal([2L, 2L, 4L], rows.shape);
        Assert.Equal([8f, 9f, 10f, 11f, 0f, 1f, 2f, 3f], F(rows)[..8]);
    }

    [Fact]
    public void Split_by_attribute_input_or_equal_parts()
    {
        using var scope = NewDisposeScope();
        var x = arange(7, dtype: ScalarType.Float32);
        foreach (var (opset, useInput) in new[] { (11L, false), (13L, true) })
        {
            var b = new OnnxGraphBuilder(opset);
            b.Input("x", 7);
            var outs = useInput
                ? b.NodeMulti("Split", ["x", b.InitLongs("sp", [2, 5], 2)], 2)
                : b.NodeMulti("Split", ["x"], 2, ("split", new long[] { 2, 5 }));
            b.Output(outs[1]);
            using var ex = new GraphExecutor(b.ToGraph());
            Assert.Equal([2f, 3f, 4f, 5f, 6f], F(ex.Run(x).Output));
        }
        var e = new OnnxGraphBuilder(13);
        e.Input("x", 7);
        var parts = e.NodeMulti("Split", ["x"], 3);
        e.Output(parts[2]);
        using var equal = new GraphExecutor(e.ToGraph());
        Assert.Equal([6f], F(equal.Run(x).Output));
    }

    [Fact]
    public void Softmax_before_opset_13_normalises_the_flattened_tail()
    {
        using var scope = NewDisposeScope();
        var x = randn(2, 3, 4);
        var old = Run(11, x, b => b.Node("Softmax", ["x"], ("axis", 1L)));
        Close(F(x.reshape(2, 12).softmax(1)), F(old));
        var current = Run(13, x, b => b.Node("Softmax", ["x"], ("axis", 1L)));
        Close(F(x.softmax(1)), F(current));
        var log = Run(13, x, b => b.Node("LogSoftmax", ["x"]));
        Close(F(x.log_softmax(-1)), F(log));
    }

    [Fact]
    public void Squeeze_and_unsqueeze_take_axes_from_attributes_or_inputs()
    {
        using var scope = NewDisposeScope();
        var x = Arange(1, 3, 1);
        Assert.Equal([3L], Run(11, x, b => b.Node("Squeeze", ["x"], ("axes", new long[] { 0, -1 }))).shape);
        Assert.Equal([3L, 1L], Run(13, x, b => b.Node("Squeeze", ["x", b.InitLongs("a", [0], 1)])).shape);
        Assert.Equal([3L], Run(13, x, b => b.Node("Squeeze", ["x"])).shape);
        Assert.Equal([1L, 1L, 3L, 1L, 1L], Run(11, x, b => b.Node("Unsqueeze", ["x"], ("axes", new long[] { 0, -1 }))).shape);
        Assert.Equal([1L, 3L, 1L, 1L], Run(13, x, b => b.Node("Unsqueeze", ["x", b.InitLongs("a", [2], 1)])).shape);
    }

    [Fact]
    public void Clip_bounds_come_from_inputs_or_attributes()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { -3f, -0.5f, 0.5f, 8f });
        Assert.Equal([0f, 0f, 0.5f, 6f], F(Run(13, x, b => b.Node("Clip", ["x", b.Init("lo", [0f], []), b.Init("hi", [6f], [])]))));
        Assert.Equal([-3f, -0.5f, 0.5f, 1f], F(Run(13, x, b => b.Node("Clip", ["x", "", b.Init("hi", [1f], [])]))));
        Assert.Equal([-1f, -0.5f, 0.5f, 1f], F(Run(6, x, b => b.Node("Clip", ["x"], ("min", -1f), ("max", 1f)))));
    }

    [Fact]
    public void Expand_broadcasts_both_ways_and_where_selects()
    {
        using var scope = NewDisposeScope();
        var x = Arange(3, 1);
        var y = Run(13, x, b => b.Node("Expand", ["x", b.InitLongs("s", [2, 1, 4], 3)]));
        Assert.Equal([2L, 3L, 4L], y.shape);
        var w = Run(13, tensor(new[] { 1f, 2f, 3f }), b => b.Node("Where", [b.Node("Equal", ["x", b.Init("two", [2f], [])]), b.Init("z", [0f], []), "x"]));
        Assert.Equal([1f, 0f, 3f], F(w));
    }

    [Fact]
    public void Constant_of_shape_range_and_cast_keep_their_types()
    {
        using var scope = NewDisposeScope();
        var x = Arange(2, 3);
        var c = Run(13, x, b => b.Node("ConstantOfShape", [b.Node("Shape", ["x"])], ("value", (new long[] { 7 }, new long[] { 1 }))));
        Assert.Equal(ScalarType.Int64, c.dtype);
        Assert.Equal([7L, 7L, 7L, 7L, 7L, 7L], L(c));
        var r = Run(13, x, b => b.Node("Range", [b.InitLongs("a", [1], []), b.InitLongs("z", [10], []), b.InitLongs("d", [3], [])]));
        Assert.Equal(ScalarType.Int64, r.dtype);
        Assert.Equal([1L, 4L, 7L], L(r));
        var k = Run(13, x, b => b.Node("Cast", ["x"], ("to", 7L)));
        Assert.Equal(ScalarType.Int64, k.dtype);
        var d = Run(13, tensor(new long[] { -7, 7 }), b => b.Node("Div", ["x", b.InitLongs("two", [2], [])]));
        Assert.Equal([-3L, 3L], L(d));
        var cf = Run(13, x, b => b.Node("Add", ["x", b.Node("Constant", [], ("value_float", 0.5f))]));
        Assert.Equal(0.5f, F(cf)[0]);
    }

    [Fact]
    public void Reductions_take_axes_from_attribute_or_input_and_respect_keepdims()
    {
        using var scope = NewDisposeScope();
        var x = Arange(2, 3, 4);
        var mean = Run(13, x, b => b.Node("ReduceMean", ["x"], ("axes", new long[] { -1 }), ("keepdims", 0L)));
        Assert.Equal([2L, 3L], mean.shape);
        Close(F(x.mean([-1L])), F(mean));
        var sum = Run(13, x, b => b.Node("ReduceSum", ["x", b.InitLongs("a", [0, 2], 2)]));
        Assert.Equal([1L, 3L, 1L], sum.shape);
        var max = Run(13, x, b => b.Node("ReduceMax", ["x"], ("keepdims", 0L)));
        Assert.Equal(23f, max.item<float>());
    }

    [Fact]
    public void Gemm_applies_alpha_beta_and_transposes()
    {
        using var scope = NewDisposeScope();
        var a = randn(4, 3);
        var bm = randn(5, 4);
        var c = randn(5);
        var y = Run(13, a, b => b.Node("Gemm", ["x", b.Init("b", F(bm), 5, 4), b.Init("c", F(c), 5)], ("transA", 1L), ("transB", 1L), ("alpha", 0.5f), ("beta", 2f)));
        Close(F(a.t().matmul(bm.t()) * 0.5 + c * 2), F(y));
    }

    [Fact]
    public void Pad_supports_constant_reflect_and_edge()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 1f, 2f, 3f }).reshape(1, 1, 3);
        Assert.Equal([9f, 1f, 2f, 3f, 9f, 9f], F(Run(13, x, b => b.Node("Pad", ["x", b.InitLongs("p", [0, 0, 1, 0, 0, 2], 6), b.Init("v", [9f], [])]))));
        Assert.Equal([3f, 2f, 1f, 2f, 3f, 2f], F(Run(13, x, b => b.Node("Pad", ["x", b.InitLongs("p", [0, 0, 2, 0, 0, 1], 6)], ("mode", "reflect")))));
        Assert.Equal([1f, 1f, 2f, 3f, 3f], F(Run(13, x, b => b.Node("Pad", ["x", b.InitLongs("p", [0, 0, 1, 0, 0, 1], 6)], ("mode", "edge")))));
        Assert.Equal([0f, 1f, 2f, 3f], F(Run(2, x, b => b.Node("Pad", ["x"], ("pads", new long[] { 0, 0, 1, 0, 0, 0 })))));
    }

    // Naive references for convolution and pooling with ONNX padding semantics, independent of torch.
    static float[] NaiveConv(float[] x, int c, int h, int w, float[] k, int m, int kh, int kw, int groups, int[] stride, int[] dil, int[] pads, out int oh, out int ow)
    {
        oh = (h + pads[0] + pads[2] - dil[0] * (kh - 1) - 1) / stride[0] + 1;
        ow = (w + pads[1] + pads[3] - dil[1] * (kw - 1) - 1) / stride[1] + 1;
        var y = new float[m * oh * ow];
        int cg = c / groups, mg = m / groups;
        for (int o = 0; o < m; o++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    double s = 0;
                    int g = o / mg;
                    for (int ci = 0; ci < cg; ci++)
                        for (int a = 0; a < kh; a++)
                            for (int bb = 0; bb < kw; bb++)
                            {
                                int yy = i * stride[0] - pads[0] + a * dil[0], xx = j * stride[1] - pads[1] + bb * dil[1];
                                if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
                                s += x[((g * cg + ci) * h + yy) * w + xx] * k[((o * cg + ci) * kh + a) * kw + bb];
                            }
                    y[(o * oh + i) * ow + j] = (float)s;
                }
        return y;
    }

    [Fact]
    public void Conv_with_asymmetric_pads_groups_dilation_and_same_padding_matches_a_naive_reference()
    {
        using var scope = NewDisposeScope();
        var x = randn(1, 4, 7, 6);
        var k = randn(6, 2, 3, 2);
        var xs = F(x);
        var ks = F(k);
        var y = Run(13, x, b => b.Node("Conv", ["x", b.Init("k", ks, 6, 2, 3, 2)], ("group", 2L), ("pads", new long[] { 0, 1, 2, 0 }), ("strides", new long[] { 2, 1 }), ("dilations", new long[] { 2, 1 })));
        var expected = NaiveConv(xs, 4, 7, 6, ks, 6, 3, 2, 2, [2, 1], [2, 1], [0, 1, 2, 0], out int oh, out int ow);
        Assert.Equal([1L, 6L, oh, ow], y.shape);
        Close(expected, F(y), 1e-4);

        // SAME_UPPER with stride 2 on 7×6: output 4×3, total padding (4-1)·2+3-7 = 2 rows, (3-1)·2+2-6 = 0 columns.
        var same = Run(13, x, b => b.Node("Conv", ["x", b.Init("k", ks, 6, 2, 3, 2)], ("group", 2L), ("auto_pad", "SAME_UPPER"), ("strides", new long[] { 2, 2 })));
        var expectedSame = NaiveConv(xs, 4, 7, 6, ks, 6, 3, 2, 2, [2, 2], [1, 1], [1, 0, 1, 0], out oh, out ow);
        Assert.Equal([1L, 6L, 4L, 3L], same.shape);
        Close(expectedSame, F(same), 1e-4);

        // 1-D convolution.
        var x1 = randn(2, 3, 9);
        var k1 = randn(4, 3, 3);
        var y1 = Run(13, x1, b => b.Node("Conv", ["x", b.Init("k", F(k1), 4, 3, 3)], ("pads", new long[] { 1, 1 })));
        Close(F(nn.functional.conv1d(x1, k1, padding: 1)), F(y1), 1e-4);
    }

    static float[] NaivePool(float[] x, int h, int w, int k, int s, int[] pads, bool max, bool includePad, bool ceil, out int oh, out int ow)
    {
        int Out(int size, int p0, int p1) => (int)((ceil ? Math.Ceiling((size + p0 + p1 - k) / (double)s) : Math.Floor((size + p0 + p1 - k) / (double)s)) + 1);
        oh = Out(h, pads[0], pads[2]);
        ow = Out(w, pads[1], pads[3]);
        var y = new float[oh * ow];
        for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++)
            {
                double acc = max ? double.NegativeInfinity : 0;
                int count = 0, padded = 0;
                for (int a = 0; a < k; a++)
                    for (int b = 0; b < k; b++)
                    {
                        int yy = i * s - pads[0] + a, xx = j * s - pads[1] + b;
                        bool inPadded = yy < h + pads[2] && xx < w + pads[3];
                        if (yy < 0 || yy >= h || xx < 0 || xx >= w) { if (inPadded) padded++; continue; }
                        count++;
                        padded++;
                        acc = max ? Math.Max(acc, x[yy * w + xx]) : acc + x[yy * w + xx];
                    }
                y[i * ow + j] = (float)(max ? acc : acc / (includePad ? padded : count));
            }
        return y;
    }

    [Theory]
    [InlineData(true, false, false)]
    [InlineData(true, false, true)]
    [InlineData(false, false, false)]
    [InlineData(false, true, false)]
    public void Pooling_with_asymmetric_pads_matches_a_naive_reference(bool max, bool includePad, bool ceil)
    {
        using var scope = NewDisposeScope();
        var x = randn(1, 1, 7, 6);
        int[] pads = [1, 0, 0, 1];
        var y = Run(13, x, b => b.Node(max ? "MaxPool" : "AveragePool", ["x"], ("kernel_shape", new long[] { 3, 3 }), ("strides", new long[] { 2, 2 }),
            ("pads", pads.Select(p => (long)p).ToArray()), ("count_include_pad", includePad ? 1L : 0L), ("ceil_mode", ceil ? 1L : 0L)));
        var expected = NaivePool(F(x), 7, 6, 3, 2, pads, max, includePad, ceil, out int oh, out int ow);
        Assert.Equal([1L, 1L, oh, ow], y.shape);
        Close(expected, F(y));
    }

    [Fact]
    public void Global_pools_layer_norm_and_resize()
    {
        using var scope = NewDisposeScope();
        var x = randn(2, 3, 4, 4);
        Close(F(x.mean([2L, 3L], keepdim: true)), F(Run(13, x, b => b.Node("GlobalAveragePool", ["x"]))));
        Close(F(x.amax([2L, 3L], keepdim: true)), F(Run(13, x, b => b.Node("GlobalMaxPool", ["x"]))));
        var up = Run(13, x, b => b.Node("Resize", ["x", "", b.Init("sc", [1f, 1f, 2f, 2f], 4)], ("mode", "nearest"), ("coordinate_transformation_mode", "asymmetric"), ("nearest_mode", "floor")));
        Assert.Equal([2L, 3L, 8L, 8L], up.shape);
        Assert.Equal(F(x)[0], F(up)[1]);
        var bil = Run(13, x, b => b.Node("Resize", ["x", "", "", b.InitLongs("sz", [2, 3, 6, 6], 4)], ("mode", "linear")));
        Close(F(nn.functional.interpolate(x, [6L, 6L], mode: InterpolationMode.Bilinear, align_corners: false)), F(bil));
        var ln = Run(17, x, b => b.Node("LayerNormalization", ["x", b.Init("s", [1f, 2f, 3f, 4f], 4), b.Init("b", [0f, 0f, 1f, 0f], 4)]));
        Close(F(nn.functional.layer_norm(x, [4L], tensor(new[] { 1f, 2f, 3f, 4f }), tensor(new[] { 0f, 0f, 1f, 0f }))), F(ln));
    }

    [Fact]
    public void Hard_activations_and_einsum()
    {
        using var scope = NewDisposeScope();
        var x = randn(3, 5) * 4;
        Close(F((x / 6 + 0.5).clamp(0, 1) * x), F(Run(14, x, b => b.Node("HardSwish", ["x"]))));
        Close(F((x * 0.2 + 0.5).clamp(0, 1)), F(Run(13, x, b => b.Node("HardSigmoid", ["x"]))));
        Close(F(nn.functional.leaky_relu(x, 0.1)), F(Run(13, x, b => b.Node("LeakyRelu", ["x"], ("alpha", 0.1f)))));
        var w = randn(5, 2);
        Close(F(x.matmul(w)), F(Run(13, x, b => b.Node("Einsum", ["x", b.Init("w", F(w), 5, 2)], ("equation", "ij,jk->ik")))), 1e-4);
    }
}

public sealed class OnnxOperatorsMoreTests
{
    public OnnxOperatorsMoreTests() => TorchRuntime.EnsureInitialized();

    static float[] F(Tensor t) => t.to_type(ScalarType.Float32).contiguous().data<float>().ToArray();

    static Tensor Run(long opset, Tensor x, Func<OnnxGraphBuilder, string> body)
    {
        var b = new OnnxGraphBuilder(opset);
        b.Input("x", x.shape);
        var y = body(b);
        b.Output(y);
        using var executor = new GraphExecutor(b.ToGraph());
        return executor.Run(x).Output.detach().clone();
    }

    [Fact]
    public void ConvTranspose_with_output_padding_and_asymmetric_pads_crops_the_full_result()
    {
        using var scope = NewDisposeScope();
        var x = randn(1, 4, 5, 5);
        var w = randn(4, 3, 3, 3);
        var full = nn.functional.conv_transpose2d(x, w, strides: [2L, 2L], output_padding: [1L, 1L]);
        var sym = Run(13, x, b => b.Node("ConvTranspose", ["x", b.Init("w", F(w), 4, 3, 3, 3)], ("strides", new long[] { 2, 2 }), ("pads", new long[] { 1, 1, 1, 1 }), ("output_padding", new long[] { 1, 1 })));
        var expected = full.slice(2, 1, full.shape[2] - 1, 1).slice(3, 1, full.shape[3] - 1, 1);
        Assert.Equal(expected.shape, sym.shape);
        Assert.True((expected - sym).abs().max().item<float>() < 1e-4);
        var asym = Run(13, x, b => b.Node("ConvTranspose", ["x", b.Init("w", F(w), 4, 3, 3, 3)], ("strides", new long[] { 2, 2 }), ("pads", new long[] { 0, 1, 2, 0 }), ("output_padding", new long[] { 1, 1 })));
        var expectedAsym = full.slice(2, 0, full.shape[2] - 2, 1).slice(3, 1, full.shape[3], 1);
        Assert.Equal(expectedAsym.shape, asym.shape);
        Assert.True((expectedAsym - asym).abs().max().item<float>() < 1e-4);
    }

    [Fact]
    public void Concurrent_calls_are_serialised_and_agree()
    {
        var dir = Directory.CreateTempSubdirectory("sightline-lower-").FullName;
        try
        {
            using var model = new OnnxTorchModel(TinyNets.SmoothNet(seed: 2).Save(Path.Combine(dir, "smooth.onnx")));
            var x = TinyNets.RandomInputs(2, seed: 4);
            var expected = new float[10];
            model.Forward(x, 2, expected);
            var results = new float[8][];
            Parallel.For(0, 8, i =>
            {
                var l = new float[10];
                if (i % 2 == 0) model.Forward(x, 2, l);
                else model.InputGradients(x, 2, [0, 1], new float[x.Length], l);
                results[i] = l;
            });
            foreach (var r in results) Assert.Equal(expected, r);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Upsample_and_opset_10_resize_take_scales()
    {
        using var scope = NewDisposeScope();
        var x = randn(1, 2, 3, 3);
        var expected = F(nn.functional.interpolate(x, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest));
        Assert.Equal(expected, F(Run(9, x, b => b.Node("Upsample", ["x", b.Init("s", [1f, 1f, 2f, 2f], 4)], ("mode", "nearest")))));
        Assert.Equal(expected, F(Run(10, x, b => b.Node("Resize", ["x", b.Init("s", [1f, 1f, 2f, 2f], 4)], ("mode", "nearest")))));
    }

    [Fact]
    public void A_symbolic_image_size_needs_an_explicit_input_shape()
    {
        var dir = Directory.CreateTempSubdirectory("sightline-lower-").FullName;
        try
        {
            var b = new OnnxGraphBuilder(13);
            b.Input("x", -1, 3, -1, -1);
            var y = b.Node("Flatten", [b.Node("GlobalAveragePool", ["x"])]);
            b.Output(y, -1, 3);
            var path = b.Save(Path.Combine(dir, "symbolic.onnx"));
            var e = Assert.Throws<InputDataException>(() => new OnnxTorchModel(path));
            Assert.Contains("(?, 3, ?, ?)", e.Message);
            using var model = new OnnxTorchModel(path, [3, 5, 4]);
            Assert.Equal(3, model.OutputCount);
            var logits = new float[3];
            model.Forward(Enumerable.Repeat(2f, 60).ToArray(), 1, logits);
            Assert.Equal([2f, 2f, 2f], logits);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
