namespace Sightline.Onnx.Graph;

/// <summary>
/// The main graph of an ONNX model (<c>GraphProto</c>): nodes in file order (ONNX requires topological order),
/// constant initializers by name, and typed graph inputs, outputs and annotated intermediates.
/// </summary>
public sealed class OnnxGraph
{
    private readonly Dictionary<string, OnnxValueInfo> _infoByName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OnnxNode> _producers = new(StringComparer.Ordinal);

    /// <summary>Creates a graph from its parts (the parser's constructor; also handy for tests).</summary>
    /// <param name="name">Graph name.</param>
    /// <param name="nodes">Nodes in topological order.</param>
    /// <param name="initializers">Constant tensors by name.</param>
    /// <param name="allInputs">Graph inputs as listed in the file, possibly including initializers.</param>
    /// <param name="outputs">Graph outputs.</param>
    /// <param name="valueInfos">Annotated intermediates.</param>
    public OnnxGraph(string name, IReadOnlyList<OnnxNode> nodes, IReadOnlyDictionary<string, OnnxTensor> initializers,
        IReadOnlyList<OnnxValueInfo> allInputs, IReadOnlyList<OnnxValueInfo> outputs, IReadOnlyList<OnnxValueInfo> valueInfos)
    {
        Name = name;
        Nodes = nodes;
        Initializers = initializers;
        AllInputs = allInputs;
        Inputs = allInputs.Where(i => !initializers.ContainsKey(i.Name)).ToArray();
        Outputs = outputs;
        ValueInfos = valueInfos;
        foreach (var v in valueInfos.Concat(allInputs).Concat(outputs)) _infoByName[v.Name] = v;
        foreach (var node in nodes)
            foreach (var o in node.Outputs)
                if (o.Length > 0) _producers.TryAdd(o, node);
    }

    /// <summary>Graph name.</summary>
    public string Name { get; }

    /// <summary>Nodes in file (topological) order.</summary>
    public IReadOnlyList<OnnxNode> Nodes { get; }

    /// <summary>Constant tensors (weights) by name, in file order.</summary>
    public IReadOnlyDictionary<string, OnnxTensor> Initializers { get; }

    /// <summary>Graph inputs that must be fed at run time (inputs that are not initializers).</summary>
    public IReadOnlyList<OnnxValueInfo> Inputs { get; }

    /// <summary>Graph inputs exactly as listed in the file (older exporters also list every initializer).</summary>
    public IReadOnlyList<OnnxValueInfo> AllInputs { get; }

    /// <summary>Graph outputs.</summary>
    public IReadOnlyList<OnnxValueInfo> Outputs { get; }

    /// <summary>Type/shape annotations of intermediate values (often empty unless shape inference was run).</summary>
    public IReadOnlyList<OnnxValueInfo> ValueInfos { get; }

    /// <summary>The type information of a value from the inputs, outputs or value_info, when annotated.</summary>
    public bool TryGetValueInfo(string name, out OnnxValueInfo info) => _infoByName.TryGetValue(name, out info!);

    /// <summary>The node that produces <paramref name="tensorName"/>, or null for inputs, initializers and unknown names.</summary>
    public OnnxNode? Producer(string tensorName) => _producers.GetValueOrDefault(tensorName);

    /// <summary>
    /// The element type of a value when it can be told without inference: from value_info/inputs/outputs, or from an
    /// initializer; otherwise <see cref="OnnxDataType.Undefined"/>.
    /// </summary>
    public OnnxDataType ElemTypeOf(string name)
    {
        if (_infoByName.TryGetValue(name, out var info) && info.ElemType != OnnxDataType.Undefined) return info.ElemType;
        if (Initializers.TryGetValue(name, out var t)) return t.DataType;
        return OnnxDataType.Undefined;
    }
}
