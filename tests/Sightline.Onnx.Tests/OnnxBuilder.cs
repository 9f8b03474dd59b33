using Google.Protobuf;

namespace Sightline.Onnx.Tests;

/// <summary>Writes small ONNX models as protobuf bytes by hand (no generated code), for tests.</summary>
internal sealed class OnnxBuilder
{
    private readonly List<byte[]> _nodes = [];
    private readonly List<byte[]> _initializers = [];
    private readonly List<byte[]> _inputs = [];
    private readonly List<byte[]> _outputs = [];
    private readonly List<byte[]> _valueInfos = [];

    public long IrVersion { get; init; } = 8;
    public long Opset { get; init; } = 13;
    public string Producer { get; init; } = "sightline-tests";
    public string GraphName { get; init; } = "g";

    /// <summary>A dimension: a long for a fixed size, a string for a symbolic one.</summary>
    public OnnxBuilder Input(string name, params object[] dims) { _inputs.Add(ValueInfo(name, 1, dims)); return this; }

    public OnnxBuilder Output(string name, params object[] dims) { _outputs.Add(ValueInfo(name, 1, dims)); return this; }

    public OnnxBuilder ValueInfoEntry(string name, int elemType, params object[] dims) { _valueInfos.Add(ValueInfo(name, elemType, dims)); return this; }

    /// <summary>A float initializer, stored as raw_data or as float_data.</summary>
    public OnnxBuilder Floats(string name, long[] dims, float[] values, bool raw = true)
    {
        _initializers.Add(FloatTensor(name, dims, values, raw));
        return this;
    }

    public OnnxBuilder Int64s(string name, long[] dims, long[] values, bool raw = false)
    {
        _initializers.Add(Msg(o =>
        {
            foreach (var d in dims) { o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt64(d); }
            o.WriteTag(2, WireFormat.WireType.Varint); o.WriteInt32(7);
            if (raw)
            {
                var bytes = new byte[values.Length * 8];
                Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
                o.WriteTag(9, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(bytes));
            }
            else
            {
                // Packed int64_data.
                var packed = Msg(p => { foreach (var v in values) p.WriteInt64(v); });
                o.WriteTag(7, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(packed));
            }
            o.WriteTag(8, WireFormat.WireType.LengthDelimited); o.WriteString(name);
        }));
        return this;
    }

    /// <summary>Any initializer given as a complete TensorProto message.</summary>
    public OnnxBuilder RawInitializer(byte[] tensorProto) { _initializers.Add(tensorProto); return this; }

    public OnnxBuilder Node(string opType, string[] inputs, string[] outputs, string name = "", params byte[][] attributes)
    {
        _nodes.Add(Msg(o =>
        {
            foreach (var i in inputs) { o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(i); }
            foreach (var x in outputs) { o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteString(x); }
            if (name.Length > 0) { o.WriteTag(3, WireFormat.WireType.LengthDelimited); o.WriteString(name); }
            o.WriteTag(4, WireFormat.WireType.LengthDelimited); o.WriteString(opType);
            foreach (var a in attributes) { o.WriteTag(5, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(a)); }
        }));
        return this;
    }

    public static byte[] IntAttr(string name, long v) => Attr(name, 2, o => { o.WriteTag(3, WireFormat.WireType.Varint); o.WriteInt64(v); });

    public static byte[] FloatAttr(string name, float v) => Attr(name, 1, o => { o.WriteTag(2, WireFormat.WireType.Fixed32); o.WriteFloat(v); });

    public static byte[] StringAttr(string name, string v) => Attr(name, 3, o => { o.WriteTag(4, WireFormat.WireType.LengthDelimited); o.WriteString(v); });

    /// <summary>An ints attribute written unpacked (as PyTorch's exporter does).</summary>
    public static byte[] IntsAttr(string name, params long[] v) => Attr(name, 7, o =>
    {
        foreach (var x in v) { o.WriteTag(8, WireFormat.WireType.Varint); o.WriteInt64(x); }
    });

    public static byte[] FloatsAttr(string name, params float[] v) => Attr(name, 6, o =>
    {
        foreach (var x in v) { o.WriteTag(7, WireFormat.WireType.Fixed32); o.WriteFloat(x); }
    });

    public static byte[] TensorAttr(string name, byte[] tensor) => Attr(name, 4, o => { o.WriteTag(5, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(tensor)); });

    public static byte[] FloatTensor(string name, long[] dims, float[] values, bool raw = true) => Msg(o =>
    {
        foreach (var d in dims) { o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt64(d); }
        o.WriteTag(2, WireFormat.WireType.Varint); o.WriteInt32(1);
        if (raw)
        {
            var bytes = new byte[values.Length * 4];
            Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
            o.WriteTag(9, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(bytes));
        }
        else
        {
            var packed = Msg(p => { foreach (var v in values) p.WriteFloat(v); });
            o.WriteTag(4, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(packed));
        }
        o.WriteTag(8, WireFormat.WireType.LengthDelimited); o.WriteString(name);
    });

    /// <summary>A tensor of any element type with the given raw little-endian bytes.</summary>
    public static byte[] RawTensor(string name, int dataType, long[] dims, byte[] raw) => Msg(o =>
    {
        foreach (var d in dims) { o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt64(d); }
        o.WriteTag(2, WireFormat.WireType.Varint); o.WriteInt32(dataType);
        o.WriteTag(9, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(raw));
        o.WriteTag(8, WireFormat.WireType.LengthDelimited); o.WriteString(name);
    });

    public byte[] Build() => Msg(o =>
    {
        o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt64(IrVersion);
        o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteString(Producer);
        o.WriteTag(3, WireFormat.WireType.LengthDelimited); o.WriteString("1.0");
        var graph = Msg(g =>
        {
            foreach (var n in _nodes) Field(g, 1, n);
            g.WriteTag(2, WireFormat.WireType.LengthDelimited); g.WriteString(GraphName);
            foreach (var t in _initializers) Field(g, 5, t);
            foreach (var i in _inputs) Field(g, 11, i);
            foreach (var x in _outputs) Field(g, 12, x);
            foreach (var v in _valueInfos) Field(g, 13, v);
        });
        Field(o, 7, graph);
        var opset = Msg(s => { s.WriteTag(1, WireFormat.WireType.LengthDelimited); s.WriteString(""); s.WriteTag(2, WireFormat.WireType.Varint); s.WriteInt64(Opset); });
        Field(o, 8, opset);
    });

    public string Save(string directory, string fileName = "model.onnx")
    {
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, fileName);
        File.WriteAllBytes(path, Build());
        return path;
    }

    private static void Field(CodedOutputStream o, int field, byte[] message)
    {
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(ByteString.CopyFrom(message));
    }

    private static byte[] Attr(string name, int type, Action<CodedOutputStream> value) => Msg(o =>
    {
        o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(name);
        value(o);
        o.WriteTag(20, WireFormat.WireType.Varint); o.WriteInt32(type);
    });

    private static byte[] ValueInfo(string name, int elemType, object[] dims) => Msg(o =>
    {
        o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(name);
        var shape = Msg(s =>
        {
            foreach (var d in dims)
            {
                var dim = Msg(x =>
                {
                    if (d is string p) { x.WriteTag(2, WireFormat.WireType.LengthDelimited); x.WriteString(p); }
                    else { x.WriteTag(1, WireFormat.WireType.Varint); x.WriteInt64(Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture)); }
                });
                Field(s, 1, dim);
            }
        });
        var tensor = Msg(t => { t.WriteTag(1, WireFormat.WireType.Varint); t.WriteInt32(elemType); Field(t, 2, shape); });
        var type = Msg(t => Field(t, 1, tensor));
        Field(o, 2, type);
    });

    internal static byte[] Msg(Action<CodedOutputStream> write)
    {
        using var ms = new MemoryStream();
        using (var o = new CodedOutputStream(ms, leaveOpen: true)) write(o);
        return ms.ToArray();
    }
}

/// <summary>The tiny models the tests use, with reference implementations to compare against.</summary>
internal static class TestModels
{
    /// <summary>W (3×4) and b (3) of the Flatten → Gemm model.</summary>
    public static readonly float[] GemmW = [1, 0, 0, 0, 0, 1, 1, 0, 0.5f, -1, 0, 2];
    public static readonly float[] GemmB = [0.5f, 0, -1];

    /// <summary>x: N×1×2×2 → Flatten → Gemm(W, b, transB=1) → logits N×3. W stored as raw_data, b as float_data.</summary>
    public static OnnxBuilder FlattenGemm(object batch) => new OnnxBuilder()
        .Input("x", batch, 1L, 2L, 2L)
        .Output("logits", batch, 3L)
        .Floats("W", [3, 4], GemmW, raw: true)
        .Floats("b", [3], GemmB, raw: false)
        .Node("Flatten", ["x"], ["flat"], "flatten", OnnxBuilder.IntAttr("axis", 1))
        .Node("Gemm", ["flat", "W", "b"], ["logits"], "fc", OnnxBuilder.IntAttr("transB", 1), OnnxBuilder.FloatAttr("alpha", 1f));

    public static float[] FlattenGemmReference(ReadOnlySpan<float> x, int batch)
    {
        var y = new float[batch * 3];
        for (int n = 0; n < batch; n++)
            for (int k = 0; k < 3; k++)
            {
                float s = GemmB[k];
                for (int j = 0; j < 4; j++) s += GemmW[k * 4 + j] * x[n * 4 + j];
                y[n * 3 + k] = s;
            }
        return y;
    }

    public static readonly float[] ConvW = [1, -1, 0, 2, /* second filter */ -1, 0.5f, 1, 0];
    public static readonly float[] ConvB = [0.25f, -0.5f];
    public static readonly float[] HeadW = [1, 2, -1, 0.5f, 0, 3];
    public static readonly float[] HeadB = [0, 1, -2];

    /// <summary>
    /// x: N×1×3×3 → Conv(2 filters 2×2, bias) → Relu → GlobalAveragePool → Flatten → Gemm(HeadW 3×2, transB) → N×3.
    /// The batch axis is dynamic ("N"); <paramref name="height"/> and <paramref name="width"/> default to 3 and may be
    /// symbolic names (e.g. "H") for a model whose image size the graph leaves open.
    /// </summary>
    public static OnnxBuilder ConvNet(object? height = null, object? width = null) => new OnnxBuilder()
        .Input("x", "N", 1L, height ?? 3L, width ?? 3L)
        .Output("logits", "N", 3L)
        .Floats("conv.w", [2, 1, 2, 2], ConvW)
        .Floats("conv.b", [2], ConvB)
        .Floats("fc.w", [3, 2], HeadW, raw: false)
        .Floats("fc.b", [3], HeadB)
        .Node("Conv", ["x", "conv.w", "conv.b"], ["conv_out"], "conv", OnnxBuilder.IntsAttr("kernel_shape", 2, 2), OnnxBuilder.IntsAttr("strides", 1, 1))
        .Node("Relu", ["conv_out"], ["relu_out"], "relu")
        .Node("GlobalAveragePool", ["relu_out"], ["pool_out"], "pool")
        .Node("Flatten", ["pool_out"], ["flat"], "flatten")
        .Node("Gemm", ["flat", "fc.w", "fc.b"], ["logits"], "fc", OnnxBuilder.IntAttr("transB", 1));

    /// <summary>Reference Relu output (N×2×2×2) and logits (N×3) of <see cref="ConvNet"/>.</summary>
    public static (float[] Relu, float[] Logits) ConvNetReference(ReadOnlySpan<float> x, int batch)
    {
        var relu = new float[batch * 8];
        var logits = new float[batch * 3];
        for (int n = 0; n < batch; n++)
        {
            var pooled = new float[2];
            for (int c = 0; c < 2; c++)
                for (int i = 0; i < 2; i++)
                    for (int j = 0; j < 2; j++)
                    {
                        float s = ConvB[c];
                        for (int ki = 0; ki < 2; ki++)
                            for (int kj = 0; kj < 2; kj++)
                                s += ConvW[c * 4 + ki * 2 + kj] * x[n * 9 + (i + ki) * 3 + (j + kj)];
                        float r = Math.Max(0, s);
                        relu[n * 8 + c * 4 + i * 2 + j] = r;
                        pooled[c] += r / 4;
                    }
            for (int k = 0; k < 3; k++)
                logits[n * 3 + k] = HeadB[k] + HeadW[k * 2] * pooled[0] + HeadW[k * 2 + 1] * pooled[1];
        }
        return (relu, logits);
    }

    /// <summary>Deterministic inputs with a few exact binary fractions.</summary>
    public static float[] Inputs(int count, int seed = 1)
    {
        var rng = new Random(seed);
        var x = new float[count];
        for (int i = 0; i < count; i++) x[i] = rng.Next(-16, 17) / 8f;
        return x;
    }
}
