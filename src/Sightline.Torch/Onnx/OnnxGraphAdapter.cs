using Sightline.Onnx.Graph;

namespace Sightline.Torch.Onnx;

/// <summary>
/// Turns the ONNX layer's parsed model (<see cref="OnnxModelProto"/>) into the lowering's <see cref="GraphData"/>:
/// constants decoded once to float32 or int64 arrays, attributes by kind, the default-domain opset.
/// </summary>
internal static class OnnxGraphAdapter
{
    /// <summary>Reads <paramref name="path"/> with the ONNX layer's reader.</summary>
    /// <exception cref="InputDataException">The file is unreadable or not ONNX, or a tensor keeps its data externally.</exception>
    public static GraphData Load(string path) => FromModel(OnnxModelProto.Load(path), path);

    /// <summary>Parses ONNX bytes (tests); <paramref name="path"/> names them in messages.</summary>
    public static GraphData Parse(byte[] bytes, string path) => FromModel(OnnxModelProto.Parse(bytes, path), path);

    public static GraphData FromModel(OnnxModelProto model, string path)
    {
        var g = model.Graph;
        var initializers = new Dictionary<string, GraphTensor>(StringComparer.Ordinal);
        foreach (var (name, t) in g.Initializers) initializers[name] = Tensor(t, path);
        var nodes = g.Nodes.Select(n => new GraphNode(
            n.Name, n.OpType, n.Domain, n.Inputs, n.Outputs,
            n.Attributes.ToDictionary(a => a.Key, a => Attribute(a.Value, path), StringComparer.Ordinal))).ToList();
        long opset = model.OpsetVersion > 0 ? model.OpsetVersion : 13;
        return new GraphData(path, nodes, initializers, [.. g.Inputs.Select(Value)], [.. g.Outputs.Select(Value)], opset);
    }

    static GraphValue Value(OnnxValueInfo v) =>
        new(v.Name, v.ElemType, v.Shape?.Select(d => d.ValueOrMinusOne).ToArray());

    static NodeAttribute Attribute(OnnxAttribute a, string path) => a.Type switch
    {
        OnnxAttributeType.Int => new NodeAttribute(a.Name, Int: a.Int),
        OnnxAttributeType.Float => new NodeAttribute(a.Name, Float: a.Float),
        OnnxAttributeType.String => new NodeAttribute(a.Name, String: a.String),
        OnnxAttributeType.Ints => new NodeAttribute(a.Name, Ints: [.. a.Ints]),
        OnnxAttributeType.Floats => new NodeAttribute(a.Name, Floats: [.. a.Floats]),
        OnnxAttributeType.Tensor when a.Tensor is not null => new NodeAttribute(a.Name, Tensor: Tensor(a.Tensor, path)),
        _ => new NodeAttribute(a.Name),
    };

    static GraphTensor Tensor(OnnxTensor t, string path)
    {
        if (t.IsExternal)
            throw new InputDataException($"Tensor '{t.Name}' of '{path}' keeps its data in an external file, which the TorchSharp back end does not read; save the model as one file (onnx.save with save_as_external_data=False).");
        var type = t.DataType;
        var dims = t.DimsArray();
        if (t.DataType == OnnxDataType.String) return new GraphTensor(t.Name, dims, type, null, []);
        return t.DataType.IsFloatingPoint()
            ? new GraphTensor(t.Name, dims, type, t.ToFloats(), null)
            : new GraphTensor(t.Name, dims, type, null, t.ToInt64s());
    }
}
