namespace Sightline.Onnx.Graph;

/// <summary>
/// Writes a small ONNX model (<c>ModelProto</c>, IR version 7) from scratch: one float32 input with a symbolic batch
/// dimension, float32 initializers stored as raw little-endian data, nodes of the default domain with int, ints and
/// float attributes, and one or more float32 outputs. Enough for the feed-forward networks Sightline trains itself
/// (the demo's CNNs) to be handed to every command that takes <c>--model m.onnx</c>; field numbers follow
/// <c>onnx/onnx.proto</c> (proto2: repeated scalars unpacked).
/// </summary>
public sealed class OnnxModelWriter
{
    private readonly List<ProtoWriter> _nodes = [];
    private readonly List<ProtoWriter> _initializers = [];
    private readonly List<ProtoWriter> _inputs = [];
    private readonly List<ProtoWriter> _outputs = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>Creates a writer for a graph named <paramref name="graphName"/> at default-domain opset <paramref name="opset"/>.</summary>
    public OnnxModelWriter(string graphName, long opset = 13, string producer = "sightline")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(opset, 7);
        GraphName = graphName;
        Opset = opset;
        Producer = producer;
    }

    /// <summary>The graph name.</summary>
    public string GraphName { get; }

    /// <summary>The default-domain opset version.</summary>
    public long Opset { get; }

    /// <summary>The producer name written into the model.</summary>
    public string Producer { get; }

    /// <summary>Declares a float32 graph input; a dimension of −1 is written as the symbolic dimension <c>N</c>.</summary>
    public OnnxModelWriter Input(string name, params long[] dims)
    {
        Claim(name);
        _inputs.Add(ValueInfo(name, dims));
        return this;
    }

    /// <summary>Declares a float32 graph output; a dimension of −1 is written as the symbolic dimension <c>N</c>.</summary>
    public OnnxModelWriter Output(string name, params long[] dims)
    {
        _outputs.Add(ValueInfo(name, dims));
        return this;
    }

    /// <summary>Adds a float32 initializer (a weight) of the given shape.</summary>
    /// <exception cref="ArgumentException">The value count does not match the shape.</exception>
    public OnnxModelWriter Initializer(string name, long[] dims, ReadOnlySpan<float> values)
    {
        long count = 1;
        foreach (var d in dims) count *= d;
        if (count != values.Length)
            throw new ArgumentException($"Initializer {name}: shape [{string.Join(", ", dims)}] holds {count} values, got {values.Length}.", nameof(values));
        Claim(name);
        var t = new ProtoWriter();
        foreach (var d in dims) t.WriteInt64(TensorField.Dims, d);
        t.WriteInt64(TensorField.DataType, (long)OnnxDataType.Float);
        t.WriteString(TensorField.Name, name);
        var raw = new byte[values.Length * sizeof(float)];
        for (int i = 0; i < values.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * 4), values[i]);
        t.WriteBytes(TensorField.RawData, raw);
        _initializers.Add(t);
        return this;
    }

    /// <summary>
    /// Adds a node of the default domain. Attribute values may be <see cref="long"/> / <see cref="int"/> (INT),
    /// <see cref="float"/> / <see cref="double"/> (FLOAT), <see cref="long"/>[] / <see cref="int"/>[] (INTS) or
    /// <see cref="string"/> (STRING). The node is named after its first output.
    /// </summary>
    /// <exception cref="ArgumentException">An output name is already used, or an attribute value has another type.</exception>
    public OnnxModelWriter Node(string opType, string[] inputs, string[] outputs, params (string Name, object Value)[] attributes)
    {
        foreach (var o in outputs) Claim(o);
        var n = new ProtoWriter();
        foreach (var i in inputs) n.WriteString(NodeField.Input, i);
        foreach (var o in outputs) n.WriteString(NodeField.Output, o);
        n.WriteString(NodeField.Name, outputs.Length > 0 ? outputs[0] : opType);
        n.WriteString(NodeField.OpType, opType);
        foreach (var (name, value) in attributes) n.WriteMessage(NodeField.Attribute, Attribute(name, value));
        _nodes.Add(n);
        return this;
    }

    /// <summary>The serialised model.</summary>
    /// <exception cref="InvalidOperationException">The graph has no input, output or node.</exception>
    public byte[] ToBytes()
    {
        if (_inputs.Count == 0 || _outputs.Count == 0 || _nodes.Count == 0)
            throw new InvalidOperationException($"ONNX graph {GraphName}: needs at least one input, one node and one output.");
        var graph = new ProtoWriter();
        foreach (var n in _nodes) graph.WriteMessage(GraphField.Node, n);
        graph.WriteString(GraphField.Name, GraphName);
        foreach (var t in _initializers) graph.WriteMessage(GraphField.Initializer, t);
        foreach (var i in _inputs) graph.WriteMessage(GraphField.Input, i);
        foreach (var o in _outputs) graph.WriteMessage(GraphField.Output, o);
        var opset = new ProtoWriter();
        opset.WriteString(1, "");
        opset.WriteInt64(2, Opset);
        var model = new ProtoWriter();
        model.WriteInt64(ModelField.IrVersion, 7);
        model.WriteString(ModelField.ProducerName, Producer);
        model.WriteString(ModelField.ProducerVersion, typeof(OnnxModelWriter).Assembly.GetName().Version?.ToString() ?? "");
        model.WriteMessage(ModelField.Graph, graph);
        model.WriteMessage(ModelField.OpsetImport, opset);
        return model.ToArray();
    }

    /// <summary>Writes the model to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    public void Save(string path) => Sightline.IO.AtomicFile.Write(path, stream => stream.Write(ToBytes()));

    private void Claim(string name)
    {
        if (string.IsNullOrEmpty(name)) throw new ArgumentException("ONNX value names must not be empty.", nameof(name));
        if (!_names.Add(name)) throw new ArgumentException($"ONNX value {name} is defined twice.", nameof(name));
    }

    private static ProtoWriter ValueInfo(string name, long[] dims)
    {
        var shape = new ProtoWriter();
        foreach (var d in dims)
        {
            var dim = new ProtoWriter();
            if (d < 0) dim.WriteString(2, "N");
            else dim.WriteInt64(1, d);
            shape.WriteMessage(1, dim);
        }
        var tensorType = new ProtoWriter();
        tensorType.WriteInt64(1, (long)OnnxDataType.Float);
        tensorType.WriteMessage(2, shape);
        var type = new ProtoWriter();
        type.WriteMessage(1, tensorType);
        var info = new ProtoWriter();
        info.WriteString(1, name);
        info.WriteMessage(2, type);
        return info;
    }

    private static ProtoWriter Attribute(string name, object value)
    {
        var a = new ProtoWriter();
        a.WriteString(AttributeField.Name, name);
        switch (value)
        {
            case int or long:
                a.WriteInt64(AttributeField.I, Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
                a.WriteInt64(AttributeField.Type, (long)OnnxAttributeType.Int);
                break;
            case float or double:
                a.WriteTag(AttributeField.F, 5);
                Span<byte> bytes = stackalloc byte[4];
                System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes, Convert.ToSingle(value, System.Globalization.CultureInfo.InvariantCulture));
                a.WriteRaw(bytes);
                a.WriteInt64(AttributeField.Type, (long)OnnxAttributeType.Float);
                break;
            case int[] or long[]:
                foreach (var v in value is int[] ints ? ints.Select(i => (long)i) : (long[])value) a.WriteInt64(AttributeField.Ints, v);
                a.WriteInt64(AttributeField.Type, (long)OnnxAttributeType.Ints);
                break;
            case string s:
                a.WriteString(AttributeField.S, s);
                a.WriteInt64(AttributeField.Type, (long)OnnxAttributeType.String);
                break;
            default:
                throw new ArgumentException($"Attribute {name}: unsupported value type {value?.GetType().Name ?? "null"}.", nameof(value));
        }
        return a;
    }

    private static class ModelField { public const int IrVersion = 1, ProducerName = 2, ProducerVersion = 3, Graph = 7, OpsetImport = 8; }
    private static class GraphField { public const int Node = 1, Name = 2, Initializer = 5, Input = 11, Output = 12; }
    private static class NodeField { public const int Input = 1, Output = 2, Name = 3, OpType = 4, Attribute = 5; }
    private static class TensorField { public const int Dims = 1, DataType = 2, Name = 8, RawData = 9; }
    private static class AttributeField { public const int Name = 1, F = 2, I = 3, S = 4, Ints = 8, Type = 20; }
}
