using Sightline.Onnx.Graph;

namespace Sightline.Torch.Onnx;

/// <summary>
/// A constant tensor of the graph (initializer or attribute), decoded to managed arrays: floating types as
/// <see cref="Floats"/> (float32), integer and boolean types as <see cref="Longs"/> (int64).
/// </summary>
internal sealed record GraphTensor(string Name, long[] Dims, OnnxDataType DataType, float[]? Floats, long[]? Longs)
{
    public long ElementCount => Dims.Aggregate(1L, (a, b) => a * b);
    public bool IsFloating => DataType is OnnxDataType.Float or OnnxDataType.Double or OnnxDataType.Float16 or OnnxDataType.BFloat16;
}

/// <summary>An attribute of a node: one of the value kinds ONNX allows (the unused ones are null).</summary>
internal sealed record NodeAttribute(string Name, long? Int = null, float? Float = null, string? String = null, long[]? Ints = null, float[]? Floats = null, GraphTensor? Tensor = null);

/// <summary>A node of the graph.</summary>
internal sealed record GraphNode(string Name, string OpType, string Domain, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, IReadOnlyDictionary<string, NodeAttribute> Attributes)
{
    public long GetInt(string name, long fallback) => Attributes.TryGetValue(name, out var a) && a.Int is { } v ? v : fallback;
    public float GetFloat(string name, float fallback) => Attributes.TryGetValue(name, out var a) && a.Float is { } v ? v : fallback;
    public string GetString(string name, string fallback) => Attributes.TryGetValue(name, out var a) && a.String is { } v ? v : fallback;
    public long[]? GetInts(string name) => Attributes.TryGetValue(name, out var a) ? a.Ints : null;
    public float[]? GetFloats(string name) => Attributes.TryGetValue(name, out var a) ? a.Floats : null;
    public GraphTensor? GetTensor(string name) => Attributes.TryGetValue(name, out var a) ? a.Tensor : null;
    public bool Has(string name) => Attributes.ContainsKey(name);

    /// <summary>The i-th input name, or null when absent or empty (ONNX marks skipped optional inputs by "").</summary>
    public string? Input(int i) => i < Inputs.Count && Inputs[i].Length > 0 ? Inputs[i] : null;

    /// <summary>"'name' (OpType)" for messages; nodes without a name are described by their first output.</summary>
    public string Describe() => Name.Length > 0 ? $"'{Name}' ({OpType})" : $"producing '{(Outputs.Count > 0 ? Outputs[0] : "?")}' ({OpType})";
}

/// <summary>A graph input or output: name, element type and dims (-1 for symbolic or unknown).</summary>
internal sealed record GraphValue(string Name, OnnxDataType ElementType, long[]? Dims);

/// <summary>The parts of an ONNX model the lowering needs.</summary>
internal sealed record GraphData(
    string Path,
    IReadOnlyList<GraphNode> Nodes,
    IReadOnlyDictionary<string, GraphTensor> Initializers,
    IReadOnlyList<GraphValue> Inputs,
    IReadOnlyList<GraphValue> Outputs,
    long Opset);
