using Sightline.Onnx.Graph;
using Sightline.Torch.Onnx;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Sightline.Torch.Lowering;

/// <summary>What an operator implementation sees: the node, the model's opset, its inputs (null where omitted).</summary>
internal sealed class OpContext(GraphNode node, long opset, string path, Tensor?[] inputs)
{
    public GraphNode Node { get; } = node;
    public long Opset { get; } = opset;
    public string Path { get; } = path;
    public Tensor?[] Inputs { get; } = inputs;

    /// <summary>Input <paramref name="i"/>, which must be present.</summary>
    public Tensor In(int i) => i < Inputs.Length && Inputs[i] is { } t ? t : throw Error($"needs input {i}");
    public Tensor? Optional(int i) => i < Inputs.Length ? Inputs[i] : null;
    public int OutputCount => Node.Outputs.Count;

    public InputDataException Error(string what) => new($"Node {Node.Describe()} of '{Path}': {what}.");
}

/// <summary>
/// ONNX operators (default domain) lowered onto TorchSharp operations, so that autograd differentiates through them.
/// Floating tensors are float32; integer tensors (shape arithmetic) stay int64. Semantics follow the ONNX operator
/// specification for opsets 7–18 where they differ by version (Softmax axis, Split/Squeeze/Unsqueeze/Reduce axes as
/// inputs, Clip bounds as inputs, Pad pads as input).
/// </summary>
internal static class OnnxOperators
{
    delegate Tensor[] Op(OpContext c);

    static readonly Dictionary<string, Op> Table = Build();

    /// <summary>True when <paramref name="node"/> has an implementation.</summary>
    public static bool IsSupported(GraphNode node) => node.Domain is "" or "ai.onnx" && Table.ContainsKey(node.OpType);

    /// <summary>Runs one node.</summary>
    public static Tensor[] Run(OpContext c) => Table[c.Node.OpType](c);

    static Tensor[] One(Tensor t) => [t];

    static Dictionary<string, Op> Build()
    {
        var t = new Dictionary<string, Op>(StringComparer.Ordinal)
        {
            // Element-wise, unary.
            ["Relu"] = c => One(c.In(0).relu()),
            ["Sigmoid"] = c => One(c.In(0).sigmoid()),
            ["Tanh"] = c => One(c.In(0).tanh()),
            ["Erf"] = c => One(c.In(0).erf()),
            ["Exp"] = c => One(c.In(0).exp()),
            ["Log"] = c => One(c.In(0).log()),
            ["Sqrt"] = c => One(c.In(0).sqrt()),
            ["Abs"] = c => One(c.In(0).abs()),
            ["Neg"] = c => One(c.In(0).neg()),
            ["Reciprocal"] = c => One(c.In(0).reciprocal()),
            ["Floor"] = c => One(c.In(0).floor()),
            ["Ceil"] = c => One(c.In(0).ceil()),
            ["Sin"] = c => One(c.In(0).sin()),
            ["Cos"] = c => One(c.In(0).cos()),
            ["Not"] = c => One(c.In(0).logical_not()),
            ["Softplus"] = c => One(c.In(0).softplus()),
            ["Identity"] = c => One(c.In(0).alias()),
            ["LeakyRelu"] = c => One(F.leaky_relu(c.In(0), c.Node.GetFloat("alpha", 0.01f))),
            ["Elu"] = c => One(F.elu(c.In(0), c.Node.GetFloat("alpha", 1f))),
            ["HardSigmoid"] = c => One((c.In(0) * c.Node.GetFloat("alpha", 0.2f) + c.Node.GetFloat("beta", 0.5f)).clamp(0, 1)),
            ["HardSwish"] = c => One(F.hardswish(c.In(0))),
            ["Gelu"] = c => One(c.Node.GetString("approximate", "none") == "tanh" ? GeluTanh(c.In(0)) : c.In(0).gelu()),
            ["Clip"] = Clip,

            // Element-wise, binary and variadic (numpy broadcasting is torch's).
            ["Add"] = c => One(c.In(0) + c.In(1)),
            ["Sub"] = c => One(c.In(0) - c.In(1)),
            ["Mul"] = c => One(c.In(0) * c.In(1)),
            ["Div"] = c => One(IsFloating(c.In(0)) ? c.In(0) / c.In(1) : c.In(0).div(c.In(1), RoundingMode.trunc)),
            ["Pow"] = c => One(c.In(0).pow(c.In(1))),
            ["Equal"] = c => One(c.In(0).eq(c.In(1))),
            ["Less"] = c => One(c.In(0).lt(c.In(1))),
            ["LessOrEqual"] = c => One(c.In(0).le(c.In(1))),
            ["Greater"] = c => One(c.In(0).gt(c.In(1))),
            ["GreaterOrEqual"] = c => One(c.In(0).ge(c.In(1))),
            ["And"] = c => One(c.In(0).logical_and(c.In(1))),
            ["Or"] = c => One(c.In(0).logical_or(c.In(1))),
            ["Where"] = c => One(where(c.In(0).to_type(ScalarType.Bool), c.In(1), c.In(2))),
            ["Sum"] = c => One(Fold(c, (a, b) => a + b)),
            ["Max"] = c => One(Fold(c, (a, b) => a.maximum(b))),
            ["Min"] = c => One(Fold(c, (a, b) => a.minimum(b))),
            ["Mean"] = c => One(Fold(c, (a, b) => a + b) / c.Inputs.Count(i => i is not null)),

            // Linear algebra.
            ["MatMul"] = c => One(c.In(0).matmul(c.In(1))),
            ["Gemm"] = Gemm,
            ["Einsum"] = c => One(einsum(c.Node.GetString("equation", ""), [.. c.Inputs.Where(i => i is not null).Select(i => i!)])),

            // Convolution, pooling, normalisation.
            ["Conv"] = Conv,
            ["ConvTranspose"] = ConvTranspose,
            ["MaxPool"] = c => Pool(c, max: true),
            ["AveragePool"] = c => Pool(c, max: false),
            ["GlobalAveragePool"] = c => One(c.In(0).mean(SpatialDims(c.In(0)), keepdim: true)),
            ["GlobalMaxPool"] = c => One(c.In(0).amax(SpatialDims(c.In(0)), keepdim: true)),
            ["BatchNormalization"] = c => One(F.batch_norm(c.In(0), c.In(3), c.In(4), c.In(1), c.In(2), training: false, eps: c.Node.GetFloat("epsilon", 1e-5f))),
            ["LayerNormalization"] = LayerNorm,
            ["Softmax"] = c => One(SoftmaxLike(c, x => x.softmax(-1), (x, axis) => x.softmax(axis))),
            ["LogSoftmax"] = c => One(SoftmaxLike(c, x => x.log_softmax(-1), (x, axis) => x.log_softmax(axis))),
            ["Dropout"] = Dropout,

            // Shape and data movement.
            ["Reshape"] = Reshape,
            ["Flatten"] = Flatten,
            ["Transpose"] = Transpose,
            ["Concat"] = c => One(cat([.. c.Inputs.Where(i => i is not null).Select(i => i!)], c.Node.GetInt("axis", 0))),
            ["Split"] = Split,
            ["Slice"] = Slice,
            ["Gather"] = Gather,
            ["Squeeze"] = Squeeze,
            ["Unsqueeze"] = Unsqueeze,
            ["Expand"] = Expand,
            ["Tile"] = c => One(c.In(0).tile(Longs(c.In(1)))),
            ["Pad"] = Pad,
            ["Shape"] = ShapeOp,
            ["Size"] = c => One(tensor(c.In(0).numel(), ScalarType.Int64)),
            ["Cast"] = c => One(c.In(0).to_type(TorchType((OnnxDataType)c.Node.GetInt("to", 1)))),
            ["CastLike"] = c => One(c.In(0).to_type(c.In(1).dtype)),
            ["Constant"] = c => One(Constant(c)),
            ["ConstantOfShape"] = ConstantOfShape,
            ["Range"] = Range,
            ["ReduceMean"] = c => Reduce(c, (x, axes, keep) => x.mean(axes, keep)),
            ["ReduceSum"] = c => Reduce(c, (x, axes, keep) => x.sum(axes, keep)),
            ["ReduceMax"] = c => Reduce(c, (x, axes, keep) => x.amax(axes, keep)),
            ["ReduceMin"] = c => Reduce(c, (x, axes, keep) => x.amin(axes, keep)),
            ["ReduceProd"] = c => Reduce(c, (x, axes, keep) => { foreach (var a in axes.OrderDescending()) x = x.prod(a, keep); return x; }),
            ["ReduceSumSquare"] = c => Reduce(c, (x, axes, keep) => (x * x).sum(axes, keep)),
            ["ReduceL2"] = c => Reduce(c, (x, axes, keep) => (x * x).sum(axes, keep).sqrt()),
            ["ArgMax"] = c => One(c.In(0).argmax(c.Node.GetInt("axis", 0), c.Node.GetInt("keepdims", 1) != 0)),
            ["Resize"] = Resize,
            ["Upsample"] = Resize,
        };
        return t;
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    /// <summary>The values of an integer (or any) tensor as int64.</summary>
    internal static long[] Longs(Tensor t) => t.to_type(ScalarType.Int64).contiguous().data<long>().ToArray();

    static double ScalarValue(Tensor t) => t.to_type(ScalarType.Float64).contiguous().data<double>().ToArray()[0];

    internal static bool IsFloating(Tensor t) => t.dtype is ScalarType.Float32 or ScalarType.Float64 or ScalarType.Float16 or ScalarType.BFloat16;

    static Tensor Fold(OpContext c, Func<Tensor, Tensor, Tensor> f)
    {
        var items = c.Inputs.Where(i => i is not null).Select(i => i!).ToList();
        var acc = items[0];
        for (int i = 1; i < items.Count; i++) acc = f(acc, items[i]);
        return items.Count == 1 ? acc.alias() : acc;
    }

    static long[] SpatialDims(Tensor x) => [.. Enumerable.Range(2, (int)x.dim() - 2).Select(i => (long)i)];

    static long Norm(long axis, long rank) => axis < 0 ? axis + rank : axis;

    /// <summary>ONNX element type → torch dtype; every floating type computes in float32.</summary>
    internal static ScalarType TorchType(OnnxDataType type) => type switch
    {
        OnnxDataType.Float or OnnxDataType.Double or OnnxDataType.Float16 or OnnxDataType.BFloat16 => ScalarType.Float32,
        OnnxDataType.Bool => ScalarType.Bool,
        OnnxDataType.UInt8 => ScalarType.Byte,
        OnnxDataType.Int8 => ScalarType.Int8,
        OnnxDataType.Int16 => ScalarType.Int16,
        OnnxDataType.Int32 => ScalarType.Int32,
        _ => ScalarType.Int64,
    };

    /// <summary>A graph constant as a tensor (not registered in any dispose scope when none is active).</summary>
    internal static Tensor FromGraphTensor(GraphTensor g)
    {
        var dims = g.Dims;
        if (g.Floats is { } f) return tensor(f, dims, ScalarType.Float32);
        var longs = g.Longs ?? [];
        var t = tensor(longs, dims, ScalarType.Int64);
        var target = TorchType(g.DataType);
        return target == ScalarType.Int64 ? t : t.to_type(target);
    }

    /// <summary>Broadcast shape of two shapes (numpy rules).</summary>
    static long[] Broadcast(long[] a, long[] b)
    {
        int n = Math.Max(a.Length, b.Length);
        var r = new long[n];
        for (int i = 0; i < n; i++)
        {
            long x = i - (n - a.Length) >= 0 ? a[i - (n - a.Length)] : 1;
            long y = i - (n - b.Length) >= 0 ? b[i - (n - b.Length)] : 1;
            r[i] = x == 1 ? y : x;
        }
        return r;
    }

    /// <summary>Axes from the attribute (older opsets) or from input <paramref name="inputIndex"/>.</summary>
    static long[]? Axes(OpContext c, int inputIndex) =>
        c.Node.GetInts("axes") ?? (c.Optional(inputIndex) is { } a ? Longs(a) : null);

    // ---- element-wise ---------------------------------------------------------------------------------------

    static Tensor[] Clip(OpContext c)
    {
        var x = c.In(0);
        if (c.Opset < 11 || c.Node.Has("min") || c.Node.Has("max"))
            return One(x.clamp(c.Node.GetFloat("min", float.NegativeInfinity), c.Node.GetFloat("max", float.PositiveInfinity)));
        var min = c.Optional(1);
        var max = c.Optional(2);
        if (min is null && max is null) return One(x.alias());
        if (IsFloating(x))
            return One(x.clamp(min is null ? double.NegativeInfinity : ScalarValue(min), max is null ? double.PositiveInfinity : ScalarValue(max)));
        return One(x.clamp(min is null ? long.MinValue : Longs(min)[0], max is null ? long.MaxValue : Longs(max)[0]));
    }

    static Tensor GeluTanh(Tensor x) => 0.5 * x * (1 + (Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x.pow(3))).tanh());

    static Tensor[] Gemm(OpContext c)
    {
        var a = c.Node.GetInt("transA", 0) != 0 ? c.In(0).t() : c.In(0);
        var b = c.Node.GetInt("transB", 0) != 0 ? c.In(1).t() : c.In(1);
        float alpha = c.Node.GetFloat("alpha", 1f), beta = c.Node.GetFloat("beta", 1f);
        var y = a.matmul(b);
        if (alpha != 1f) y = y * alpha;
        if (c.Optional(2) is { } bias && beta != 0f) y = y + (beta == 1f ? bias : bias * beta);
        return One(y);
    }

    static Tensor SoftmaxLike(OpContext c, Func<Tensor, Tensor> lastAxis, Func<Tensor, long, Tensor> singleAxis)
    {
        var x = c.In(0);
        long rank = x.dim();
        if (c.Opset >= 13) return singleAxis(x, c.Node.GetInt("axis", -1));
        // Opset < 13: coerce to 2-D at axis (default 1), normalise over the flattened tail.
        long axis = Norm(c.Node.GetInt("axis", 1), rank);
        if (axis == rank - 1) return singleAxis(x, -1);
        var shape = x.shape;
        long head = shape.Take((int)axis).Aggregate(1L, (p, d) => p * d);
        return lastAxis(x.reshape(head, -1)).reshape(shape);
    }

    static Tensor[] LayerNorm(OpContext c)
    {
        var x = c.In(0);
        long axis = Norm(c.Node.GetInt("axis", -1), x.dim());
        var normalized = x.shape.Skip((int)axis).ToArray();
        float eps = c.Node.GetFloat("epsilon", 1e-5f);
        var scale = c.In(1);
        var bias = c.Optional(2);
        if (scale.shape.SequenceEqual(normalized) && (bias is null || bias.shape.SequenceEqual(normalized)))
            return One(F.layer_norm(x, normalized, scale, bias, eps));
        var y = F.layer_norm(x, normalized, null, null, eps) * scale;
        return One(bias is null ? y : y + bias);
    }

    static Tensor[] Dropout(OpContext c)
    {
        var x = c.In(0);
        if (c.OutputCount > 1 && c.Node.Outputs[1].Length > 0) return [x.alias(), ones_like(x, ScalarType.Bool)];
        return One(x.alias());
    }

    // ---- convolution and pooling ------------------------------------------------------------------------------

    /// <summary>Begin and end padding per spatial axis, from pads or auto_pad.</summary>
    static (long[] Begin, long[] End) Padding(OpContext c, long[] input, long[] kernel, long[] strides, long[] dilations)
    {
        int n = kernel.Length;
        var begin = new long[n];
        var end = new long[n];
        var autoPad = c.Node.GetString("auto_pad", "NOTSET");
        if (autoPad is "SAME_UPPER" or "SAME_LOWER")
        {
            for (int i = 0; i < n; i++)
            {
                long output = (input[i] + strides[i] - 1) / strides[i];
                long total = Math.Max(0, (output - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - input[i]);
                begin[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
                end[i] = total - begin[i];
            }
        }
        else if (autoPad is "NOTSET" && c.Node.GetInts("pads") is { } pads)
        {
            if (pads.Length != 2 * n) throw c.Error($"pads has {pads.Length} values for {n} spatial axes");
            for (int i = 0; i < n; i++) { begin[i] = pads[i]; end[i] = pads[n + i]; }
        }
        return (begin, end);
    }

    /// <summary>torch's F.pad list (last axis first) for begin/end padding of the trailing spatial axes.</summary>
    static long[] TorchPad(long[] begin, long[] end)
    {
        var p = new long[2 * begin.Length];
        for (int i = 0; i < begin.Length; i++)
        {
            int axis = begin.Length - 1 - i;
            p[2 * i] = begin[axis];
            p[2 * i + 1] = end[axis];
        }
        return p;
    }

    static long[] Ones(int n) => [.. Enumerable.Repeat(1L, n)];

    static Tensor[] Conv(OpContext c)
    {
        var x = c.In(0);
        var w = c.In(1);
        var b = c.Optional(2);
        int n = (int)w.dim() - 2;
        if (n is not (1 or 2)) throw c.Error($"{n}-D convolution is not supported (1-D and 2-D are)");
        var kernel = c.Node.GetInts("kernel_shape") ?? w.shape[2..];
        var strides = c.Node.GetInts("strides") ?? Ones(n);
        var dilations = c.Node.GetInts("dilations") ?? Ones(n);
        long groups = c.Node.GetInt("group", 1);
        var (begin, end) = Padding(c, x.shape[2..], kernel, strides, dilations);
        if (n == 1)
        {
            x = x.unsqueeze(2);
            w = w.unsqueeze(2);
            strides = [1, strides[0]];
            dilations = [1, dilations[0]];
            begin = [0, begin[0]];
            end = [0, end[0]];
        }
        long[] padding;
        if (begin.SequenceEqual(end)) padding = begin;
        else
        {
            x = F.pad(x, TorchPad(begin, end));
            padding = [0, 0];
        }
        var y = F.conv2d(x, w, b, strides, padding, dilations, groups);
        return One(n == 1 ? y.squeeze(2) : y);
    }

    static Tensor[] ConvTranspose(OpContext c)
    {
        var x = c.In(0);
        var w = c.In(1);
        var b = c.Optional(2);
        int n = (int)w.dim() - 2;
        if (n is not (1 or 2)) throw c.Error($"{n}-D transposed convolution is not supported (1-D and 2-D are)");
        if (c.Node.Has("output_shape")) throw c.Error("the output_shape attribute is not supported; export with explicit pads");
        var kernel = c.Node.GetInts("kernel_shape") ?? w.shape[2..];
        var strides = c.Node.GetInts("strides") ?? Ones(n);
        var dilations = c.Node.GetInts("dilations") ?? Ones(n);
        var outputPadding = c.Node.GetInts("output_padding") ?? new long[n];
        long groups = c.Node.GetInt("group", 1);
        var begin = new long[n];
        var end = new long[n];
        var autoPad = c.Node.GetString("auto_pad", "NOTSET");
        var input = x.shape[2..];
        if (autoPad is "SAME_UPPER" or "SAME_LOWER")
        {
            for (int i = 0; i < n; i++)
            {
                long total = Math.Max(0, strides[i] * (input[i] - 1) + outputPadding[i] + (kernel[i] - 1) * dilations[i] + 1 - input[i] * strides[i]);
                begin[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
                end[i] = total - begin[i];
            }
        }
        else if (autoPad == "NOTSET" && c.Node.GetInts("pads") is { } pads)
            for (int i = 0; i < n; i++) { begin[i] = pads[i]; end[i] = pads[n + i]; }
        if (n == 1)
        {
            x = x.unsqueeze(2);
            w = w.unsqueeze(2);
            strides = [1, strides[0]];
            dilations = [1, dilations[0]];
            outputPadding = [0, outputPadding[0]];
            begin = [0, begin[0]];
            end = [0, end[0]];
        }
        Tensor y;
        if (begin.SequenceEqual(end)) y = F.conv_transpose2d(x, w, b, strides, begin, outputPadding, dilations, groups);
        else
        {
            y = F.conv_transpose2d(x, w, b, strides, [0, 0], outputPadding, dilations, groups);
            for (int i = 0; i < 2; i++)
                y = y.slice(2 + i, begin[i], y.shape[2 + i] - end[i], 1);
        }
        return One(n == 1 ? y.squeeze(2) : y);
    }

    static Tensor[] Pool(OpContext c, bool max)
    {
        var x = c.In(0);
        if (c.OutputCount > 1 && c.Node.Outputs[1].Length > 0) throw c.Error("the Indices output of MaxPool is not supported");
        var kernel = c.Node.GetInts("kernel_shape") ?? throw c.Error("kernel_shape is missing");
        int n = kernel.Length;
        if (n is not (1 or 2)) throw c.Error($"{n}-D pooling is not supported (1-D and 2-D are)");
        var strides = c.Node.GetInts("strides") ?? Ones(n);
        var dilations = c.Node.GetInts("dilations") ?? Ones(n);
        if (!max && dilations.Any(d => d != 1)) throw c.Error("dilated average pooling is not supported");
        bool ceil = c.Node.GetInt("ceil_mode", 0) != 0;
        bool includePad = c.Node.GetInt("count_include_pad", 0) != 0;
        var (begin, end) = Padding(c, x.shape[2..], kernel, strides, dilations);
        if (n == 1)
        {
            x = x.unsqueeze(2);
            kernel = [1, kernel[0]];
            strides = [1, strides[0]];
            dilations = [1, dilations[0]];
            begin = [0, begin[0]];
            end = [0, end[0]];
        }
        // torch pools accept only symmetric padding of at most half the kernel; anything else is padded explicitly.
        bool native = begin.SequenceEqual(end) && begin.Zip(kernel).All(p => p.First <= p.Second / 2);
        Tensor y;
        if (max)
        {
            if (native) y = F.max_pool2d(x, kernel, strides, begin, dilations, ceil);
            else y = F.max_pool2d(F.pad(x, TorchPad(begin, end), value: double.NegativeInfinity), kernel, strides, [0, 0], dilations, ceil);
        }
        else if (native) y = F.avg_pool2d(x, kernel, strides, begin, ceil, includePad);
        else if (includePad) y = F.avg_pool2d(F.pad(x, TorchPad(begin, end)), kernel, strides, [0, 0], ceil, true);
        else
        {
            var pad = TorchPad(begin, end);
            var mask = F.pad(ones(1, 1, x.shape[2], x.shape[3], dtype: x.dtype), pad);
            y = F.avg_pool2d(F.pad(x, pad), kernel, strides, [0, 0], ceil, true) / F.avg_pool2d(mask, kernel, strides, [0, 0], ceil, true);
        }
        return One(n == 1 ? y.squeeze(2) : y);
    }

    // ---- shapes ---------------------------------------------------------------------------------------------

    static Tensor[] Reshape(OpContext c)
    {
        var x = c.In(0);
        var shape = c.Optional(1) is { } s ? Longs(s) : c.Node.GetInts("shape") ?? throw c.Error("shape is missing");
        bool allowZero = c.Node.GetInt("allowzero", 0) != 0;
        var target = (long[])shape.Clone();
        if (!allowZero)
            for (int i = 0; i < target.Length; i++)
                if (target[i] == 0) target[i] = x.shape[i];
        return One(x.reshape(target));
    }

    static Tensor[] Flatten(OpContext c)
    {
        var x = c.In(0);
        long axis = Norm(c.Node.GetInt("axis", 1), x.dim());
        long head = x.shape.Take((int)axis).Aggregate(1L, (p, d) => p * d);
        long tail = x.shape.Skip((int)axis).Aggregate(1L, (p, d) => p * d);
        return One(x.reshape(head, tail));
    }

    static Tensor[] Transpose(OpContext c)
    {
        var x = c.In(0);
        var perm = c.Node.GetInts("perm") ?? [.. Enumerable.Range(0, (int)x.dim()).Reverse().Select(i => (long)i)];
        return One(x.permute(perm));
    }

    static Tensor[] Split(OpContext c)
    {
        var x = c.In(0);
        long axis = Norm(c.Node.GetInt("axis", 0), x.dim());
        long dim = x.shape[axis];
        var sizes = c.Node.GetInts("split") ?? (c.Optional(1) is { } s ? Longs(s) : null);
        if (sizes is null)
        {
            long parts = c.Node.GetInt("num_outputs", c.OutputCount);
            long chunk = (dim + parts - 1) / parts;
            sizes = [.. Enumerable.Range(0, (int)parts).Select(i => Math.Max(0, Math.Min(chunk, dim - i * chunk)))];
        }
        return x.split(sizes, axis);
    }

    static Tensor[] Slice(OpContext c)
    {
        var x = c.In(0);
        long[] starts, ends;
        long[]? axes, steps;
        if (c.Opset < 10 && c.Node.Has("starts"))
        {
            starts = c.Node.GetInts("starts")!;
            ends = c.Node.GetInts("ends")!;
            axes = c.Node.GetInts("axes");
            steps = null;
        }
        else
        {
            starts = Longs(c.In(1));
            ends = Longs(c.In(2));
            axes = c.Optional(3) is { } a ? Longs(a) : null;
            steps = c.Optional(4) is { } s ? Longs(s) : null;
        }
        long rank = x.dim();
        axes ??= [.. Enumerable.Range(0, starts.Length).Select(i => (long)i)];
        var y = x;
        for (int i = 0; i < starts.Length; i++)
        {
            long axis = Norm(axes[i], rank);
            long d = y.shape[axis];
            long step = steps?[i] ?? 1;
            if (step == 0) throw c.Error("a slice step is 0");
            long start = starts[i], finish = ends[i];
            if (start < 0) start += d;
            if (finish < 0) finish = finish <= long.MinValue + d ? -1 : finish + d;
            if (step > 0)
            {
                start = Math.Clamp(start, 0, d);
                finish = Math.Clamp(finish, 0, d);
                if (start == 0 && finish == d && step == 1) continue;
                y = y.slice(axis, start, Math.Max(start, finish), step);
            }
            else
            {
                start = Math.Clamp(start, 0, d - 1);
                finish = Math.Clamp(finish, -1, d - 1);
                var index = start > finish ? arange(start, finish, step, ScalarType.Int64) : zeros(0, ScalarType.Int64);
                y = y.index_select(axis, index);
            }
        }
        return One(ReferenceEquals(y, x) ? x.alias() : y);
    }

    static Tensor[] Gather(OpContext c)
    {
        var x = c.In(0);
        var indices = c.In(1).to_type(ScalarType.Int64);
        long axis = Norm(c.Node.GetInt("axis", 0), x.dim());
        long d = x.shape[axis];
        indices = where(indices.lt(0), indices + d, indices);
        var shape = x.shape.Take((int)axis).Concat(indices.shape).Concat(x.shape.Skip((int)axis + 1)).ToArray();
        return One(x.index_select(axis, indices.flatten()).reshape(shape));
    }

    static Tensor[] Squeeze(OpContext c)
    {
        var x = c.In(0);
        var axes = Axes(c, 1);
        if (axes is null || axes.Length == 0)
            return One(x.reshape([.. x.shape.Where(d => d != 1)]));
        var set = axes.Select(a => Norm(a, x.dim())).ToHashSet();
        foreach (var a in set)
            if (x.shape[a] != 1) throw c.Error($"cannot squeeze axis {a} of size {x.shape[a]}");
        return One(x.reshape([.. x.shape.Where((_, i) => !set.Contains(i))]));
    }

    static Tensor[] Unsqueeze(OpContext c)
    {
        var x = c.In(0);
        var axes = Axes(c, 1) ?? throw c.Error("axes are missing");
        long rank = x.dim() + axes.Length;
        var y = x;
        foreach (var a in axes.Select(a => Norm(a, rank)).Order()) y = y.unsqueeze(a);
        return One(ReferenceEquals(y, x) ? x.alias() : y);
    }

    static Tensor[] Expand(OpContext c)
    {
        var x = c.In(0);
        var target = Broadcast(x.shape, Longs(c.In(1)));
        var y = x;
        while (y.dim() < target.Length) y = y.unsqueeze(0);
        return One(y.expand(target));
    }

    static Tensor[] Pad(OpContext c)
    {
        var x = c.In(0);
        long rank = x.dim();
        long[] pads;
        double value = 0;
        if (c.Opset < 11)
        {
            pads = c.Node.GetInts("pads") ?? throw c.Error("pads are missing");
            value = c.Node.GetFloat("value", 0f);
        }
        else
        {
            pads = Longs(c.In(1));
            if (c.Optional(2) is { } v && v.numel() > 0) value = ScalarValue(v);
        }
        var axes = c.Optional(3) is { } ax ? Longs(ax).Select(a => Norm(a, rank)).ToArray() : [.. Enumerable.Range(0, (int)rank).Select(i => (long)i)];
        var begin = new long[rank];
        var end = new long[rank];
        for (int i = 0; i < axes.Length; i++) { begin[axes[i]] = pads[i]; end[axes[i]] = pads[axes.Length + i]; }
        int first = 0;
        while (first < rank && begin[first] == 0 && end[first] == 0) first++;
        if (first == rank) return One(x.alias());
        var torchPad = TorchPad(begin[first..], end[first..]);
        var mode = c.Node.GetString("mode", "constant") switch
        {
            "constant" => PaddingModes.Constant,
            "reflect" => PaddingModes.Reflect,
            "edge" => PaddingModes.Replicate,
            "wrap" => PaddingModes.Circular,
            var m => throw c.Error($"pad mode '{m}' is not supported"),
        };
        return One(F.pad(x, torchPad, mode, value));
    }

    static Tensor[] ShapeOp(OpContext c)
    {
        var shape = c.In(0).shape;
        long rank = shape.Length;
        long start = Math.Clamp(Norm(c.Node.GetInt("start", 0), rank), 0, rank);
        long end = Math.Clamp(Norm(c.Node.GetInt("end", rank), rank), 0, rank);
        return One(tensor(shape[(int)start..(int)Math.Max(start, end)], ScalarType.Int64));
    }

    internal static Tensor Constant(OpContext c)
    {
        var n = c.Node;
        if (n.GetTensor("value") is { } t) return FromGraphTensor(t);
        if (n.Attributes.TryGetValue("value_float", out var vf) && vf.Float is { } f) return tensor(f);
        if (n.GetFloats("value_floats") is { } fs) return tensor(fs, ScalarType.Float32);
        if (n.Attributes.TryGetValue("value_int", out var vi) && vi.Int is { } i) return tensor(i, ScalarType.Int64);
        if (n.GetInts("value_ints") is { } longs) return tensor(longs, ScalarType.Int64);
        throw c.Error("has no supported value attribute (value, value_float(s), value_int(s))");
    }

    static Tensor[] ConstantOfShape(OpContext c)
    {
        var shape = Longs(c.In(0));
        var value = c.Node.GetTensor("value");
        if (value is null) return One(zeros(shape, ScalarType.Float32));
        var dtype = TorchType(value.DataType);
        return One(value.Floats is { } f ? full(shape, f[0], dtype) : full(shape, (value.Longs ?? [0])[0], dtype));
    }

    static Tensor[] Range(OpContext c)
    {
        var start = c.In(0);
        if (IsFloating(start))
            return One(arange(ScalarValue(start), ScalarValue(c.In(1)), ScalarValue(c.In(2)), start.dtype));
        return One(arange(Longs(start)[0], Longs(c.In(1))[0], Longs(c.In(2))[0], start.dtype));
    }

    static Tensor[] Reduce(OpContext c, Func<Tensor, long[], bool, Tensor> reduce)
    {
        var x = c.In(0);
        bool keep = c.Node.GetInt("keepdims", 1) != 0;
        var axes = Axes(c, 1);
        if (axes is null || axes.Length == 0)
        {
            if (c.Node.GetInt("noop_with_empty_axes", 0) != 0) return One(x.alias());
            axes = [.. Enumerable.Range(0, (int)x.dim()).Select(i => (long)i)];
        }
        if (axes.Length == 0) return One(x.alias());
        return One(reduce(x, [.. axes.Select(a => Norm(a, x.dim()))], keep));
    }

    static Tensor[] Resize(OpContext c)
    {
        var x = c.In(0);
        string mode = c.Node.GetString("mode", "nearest");
        bool upsample = c.Node.OpType == "Upsample";
        string transform = upsample ? "asymmetric" : c.Node.GetString("coordinate_transformation_mode", c.Opset < 11 ? "asymmetric" : "half_pixel");
        string nearest = c.Node.GetString("nearest_mode", "round_prefer_floor");
        long[]? sizes = null;
        double[]? scales = null;
        if (upsample)
            scales = c.Node.GetFloats("scales")?.Select(s => (double)s).ToArray() ?? (c.Optional(1) is { } s ? s.to_type(ScalarType.Float64).data<double>().ToArray() : null);
        else if (c.Opset < 11)
            scales = c.Optional(1)?.to_type(ScalarType.Float64).data<double>().ToArray();
        else
        {
            if (c.Optional(3) is { } sz && sz.numel() > 0) sizes = Longs(sz);
            else if (c.Optional(2) is { } sc && sc.numel() > 0) scales = sc.to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
        }
        if (sizes is null && scales is null) throw c.Error("neither scales nor sizes are given");
        int spatial = (int)x.dim() - 2;
        if ((sizes ?? [])?.Take(2).Where((v, i) => v != x.shape[i]).Any() == true || scales?.Take(2).Any(s => s != 1) == true)
            throw c.Error("resizing the batch or channel axes is not supported");
        InterpolationMode torchMode;
        bool? alignCorners = null;
        if (mode == "nearest")
        {
            if (transform == "asymmetric" && (nearest == "floor" || upsample)) torchMode = InterpolationMode.Nearest;
            else if (transform is "half_pixel" or "pytorch_half_pixel" && nearest == "round_prefer_ceil") torchMode = InterpolationMode.NearestExact;
            else if (transform == "asymmetric" && scales is not null && scales.Skip(2).All(s => s == Math.Floor(s))) torchMode = InterpolationMode.Nearest; // integer upscaling: floor and rounding agree
            else throw c.Error($"nearest resizing with coordinate_transformation_mode '{transform}' and nearest_mode '{nearest}' is not supported");
        }
        else if (mode == "linear" && spatial is 1 or 2)
        {
            torchMode = spatial == 1 ? InterpolationMode.Linear : InterpolationMode.Bilinear;
            if (transform is "half_pixel" or "pytorch_half_pixel") alignCorners = false;
            else if (transform == "align_corners") alignCorners = true;
            else throw c.Error($"linear resizing with coordinate_transformation_mode '{transform}' is not supported");
        }
        else throw c.Error($"resize mode '{mode}' on {spatial} spatial axes is not supported");
        return One(sizes is not null
            ? F.interpolate(x, size: sizes[2..], mode: torchMode, align_corners: alignCorners)
            : F.interpolate(x, scale_factor: scales![2..], mode: torchMode, align_corners: alignCorners));
    }
}
