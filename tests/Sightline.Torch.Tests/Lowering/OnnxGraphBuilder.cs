using System.Buffers.Binary;
using System.Text;
using Sightline.Torch.Onnx;

namespace Sightline.Torch.Tests.Lowering;

/// <summary>Writes small ONNX models (protobuf wire format) for tests: inputs, initializers, nodes with attributes.</summary>
internal sealed class OnnxGraphBuilder(long opset = 13)
{
    readonly List<byte[]> nodes = [];
    readonly List<byte[]> initializers = [];
    readonly List<byte[]> inputs = [];
    readonly List<byte[]> outputs = [];
    int counter;

    public long Opset { get; } = opset;

    /// <summary>Declares a float input; a negative dim becomes the symbolic "N".</summary>
    public string Input(string name, params long[] dims)
    {
        inputs.Add(ValueInfo(name, 1, dims));
        return name;
    }

    public void Output(string name, params long[] dims) => outputs.Add(ValueInfo(name, 1, dims));

    public string Init(string name, float[] data, params long[] dims)
    {
        initializers.Add(Tensor(name, 1, dims, data.SelectMany(v => BitConverter.GetBytes(v)).ToArray()));
        return name;
    }

    public string InitLongs(string name, long[] data, params long[] dims)
    {
        initializers.Add(Tensor(name, 7, dims, data.SelectMany(v => BitConverter.GetBytes(v)).ToArray()));
        return name;
    }

    /// <summary>Adds a node with one output named after it (returned); attributes as (name, value) pairs.</summary>
    public string Node(string op, string[] nodeInputs, params (string Name, object Value)[] attributes) =>
        NodeMulti(op, nodeInputs, 1, attributes)[0];

    public string[] NodeMulti(string op, string[] nodeInputs, int outputCount, params (string Name, object Value)[] attributes)
    {
        var name = $"{op.ToLowerInvariant()}_{counter++}";
        var outs = Enumerable.Range(0, outputCount).Select(i => outputCount == 1 ? name : $"{name}:{i}").ToArray();
        NodeNamed(name, op, nodeInputs, outs, attributes);
        return outs;
    }

    public void NodeNamed(string name, string op, string[] nodeInputs, string[] nodeOutputs, params (string Name, object Value)[] attributes)
    {
        var w = new Writer();
        foreach (var i in nodeInputs) w.String(1, i);
        foreach (var o in nodeOutputs) w.String(2, o);
        w.String(3, name);
        w.String(4, op);
        foreach (var (an, av) in attributes) w.Message(5, Attribute(an, av));
        nodes.Add(w.ToArray());
    }

    public byte[] ToBytes()
    {
        var graph = new Writer();
        foreach (var n in nodes) graph.Message(1, n);
        graph.String(2, "test");
        foreach (var t in initializers) graph.Message(5, t);
        foreach (var i in inputs) graph.Message(11, i);
        foreach (var o in outputs) graph.Message(12, o);
        var opsetId = new Writer();
        opsetId.String(1, "");
        opsetId.Varint(2, (ulong)Opset);
        var model = new Writer();
        model.Varint(1, 8);
        model.String(2, "sightline-tests");
        model.Message(7, graph.ToArray());
        model.Message(8, opsetId.ToArray());
        return model.ToArray();
    }

    public string Save(string path)
    {
        File.WriteAllBytes(path, ToBytes());
        return path;
    }

    internal GraphData ToGraph(string path = "test.onnx") => OnnxGraphAdapter.Parse(ToBytes(), path);

    static byte[] ValueInfo(string name, int elemType, long[] dims)
    {
        var shape = new Writer();
        foreach (var d in dims)
        {
            var dim = new Writer();
            if (d >= 0) dim.Varint(1, (ulong)d);
            else dim.String(2, "N");
            shape.Message(1, dim.ToArray());
        }
        var tensorType = new Writer();
        tensorType.Varint(1, (ulong)elemType);
        tensorType.Message(2, shape.ToArray());
        var type = new Writer();
        type.Message(1, tensorType.ToArray());
        var vi = new Writer();
        vi.String(1, name);
        vi.Message(2, type.ToArray());
        return vi.ToArray();
    }

    static byte[] Tensor(string name, int dataType, long[] dims, byte[] raw)
    {
        var w = new Writer();
        w.PackedVarints(1, dims);
        w.Varint(2, (ulong)dataType);
        w.String(8, name);
        w.Bytes(9, raw);
        return w.ToArray();
    }

    static byte[] Attribute(string name, object value)
    {
        var w = new Writer();
        w.String(1, name);
        switch (value)
        {
            case int i: w.Varint(3, (ulong)(long)i); w.Varint(20, 2); break;
            case long l: w.Varint(3, (ulong)l); w.Varint(20, 2); break;
            case float f: w.Fixed32(2, BitConverter.SingleToUInt32Bits(f)); w.Varint(20, 1); break;
            case string s: w.String(4, s); w.Varint(20, 3); break;
            case long[] ls: foreach (var l in ls) w.Varint(8, (ulong)l); w.Varint(20, 7); break;
            case float[] fs: foreach (var f in fs) w.Fixed32(7, BitConverter.SingleToUInt32Bits(f)); w.Varint(20, 6); break;
            case (float[] data, long[] dims): w.Message(5, Tensor("", 1, dims, data.SelectMany(v => BitConverter.GetBytes(v)).ToArray())); w.Varint(20, 4); break;
            case (long[] data, long[] dims): w.Message(5, Tensor("", 7, dims, data.SelectMany(v => BitConverter.GetBytes(v)).ToArray())); w.Varint(20, 4); break;
            default: throw new ArgumentException($"attribute type {value.GetType()}");
        }
        return w.ToArray();
    }

    sealed class Writer
    {
        readonly MemoryStream stream = new();

        public byte[] ToArray() => stream.ToArray();

        void Raw(ulong v)
        {
            while (v >= 0x80) { stream.WriteByte((byte)(v | 0x80)); v >>= 7; }
            stream.WriteByte((byte)v);
        }

        public void Varint(int field, ulong v) { Raw((ulong)(field << 3)); Raw(v); }

        public void Fixed32(int field, uint v)
        {
            Raw((ulong)(field << 3 | 5));
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(b, v);
            stream.Write(b);
        }

        public void Bytes(int field, byte[] data) { Raw((ulong)(field << 3 | 2)); Raw((ulong)data.Length); stream.Write(data); }
        public void String(int field, string s) => Bytes(field, Encoding.UTF8.GetBytes(s));
        public void Message(int field, byte[] m) => Bytes(field, m);

        public void PackedVarints(int field, long[] values)
        {
            var inner = new Writer();
            foreach (var v in values) inner.Raw((ulong)v);
            Bytes(field, inner.ToArray());
        }
    }
}
