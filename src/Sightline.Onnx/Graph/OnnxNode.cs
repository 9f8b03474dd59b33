namespace Sightline.Onnx.Graph;

/// <summary>
/// One operator application (<c>NodeProto</c>). An empty string in <see cref="Inputs"/> marks an omitted optional input.
/// The Get* helpers return the default when the attribute is absent and throw <see cref="InvalidOperationException"/>
/// when it is present with another type.
/// </summary>
/// <param name="Name">Node name (may be empty).</param>
/// <param name="OpType">Operator type, e.g. <c>Conv</c>.</param>
/// <param name="Domain">Operator domain; empty for the default ONNX domain (<c>ai.onnx</c> is normalised to empty).</param>
/// <param name="Inputs">Input tensor names in order.</param>
/// <param name="Outputs">Output tensor names in order.</param>
/// <param name="Attributes">Attributes by name.</param>
public sealed record OnnxNode(
    string Name,
    string OpType,
    string Domain,
    IReadOnlyList<string> Inputs,
    IReadOnlyList<string> Outputs,
    IReadOnlyDictionary<string, OnnxAttribute> Attributes)
{
    /// <summary>True when the node has the attribute.</summary>
    public bool HasAttribute(string name) => Attributes.ContainsKey(name);

    /// <summary>An int attribute, or <paramref name="defaultValue"/> when absent.</summary>
    public long GetInt(string name, long defaultValue = 0) =>
        Get(name, OnnxAttributeType.Int) is { } a ? a.Int : defaultValue;

    /// <summary>A float attribute, or <paramref name="defaultValue"/> when absent.</summary>
    public float GetFloat(string name, float defaultValue = 0f) =>
        Get(name, OnnxAttributeType.Float) is { } a ? a.Float : defaultValue;

    /// <summary>A string attribute, or <paramref name="defaultValue"/> when absent.</summary>
    public string? GetString(string name, string? defaultValue = null) =>
        Get(name, OnnxAttributeType.String) is { } a ? a.String : defaultValue;

    /// <summary>An ints attribute, or <paramref name="defaultValue"/> (null unless given) when absent.</summary>
    public IReadOnlyList<long>? GetInts(string name, IReadOnlyList<long>? defaultValue = null) =>
        Get(name, OnnxAttributeType.Ints) is { } a ? a.Ints : defaultValue;

    /// <summary>A floats attribute, or <paramref name="defaultValue"/> (null unless given) when absent.</summary>
    public IReadOnlyList<float>? GetFloats(string name, IReadOnlyList<float>? defaultValue = null) =>
        Get(name, OnnxAttributeType.Floats) is { } a ? a.Floats : defaultValue;

    /// <summary>A strings attribute, or <paramref name="defaultValue"/> (null unless given) when absent.</summary>
    public IReadOnlyList<string>? GetStrings(string name, IReadOnlyList<string>? defaultValue = null) =>
        Get(name, OnnxAttributeType.Strings) is { } a ? a.Strings : defaultValue;

    /// <summary>A tensor attribute, or null when absent.</summary>
    public OnnxTensor? GetTensor(string name) =>
        Get(name, OnnxAttributeType.Tensor) is { } a ? a.Tensor : null;

    /// <summary>Input <paramref name="index"/>, or null when absent or omitted (empty name).</summary>
    public string? InputOrNull(int index) =>
        index < Inputs.Count && Inputs[index].Length > 0 ? Inputs[index] : null;

    /// <summary>A short description, e.g. <c>Conv(x, w) -> y [conv1]</c>.</summary>
    public override string ToString() =>
        $"{OpType}({string.Join(", ", Inputs)}) -> {string.Join(", ", Outputs)}" + (Name.Length > 0 ? $" [{Name}]" : "");

    private OnnxAttribute? Get(string name, OnnxAttributeType type)
    {
        if (!Attributes.TryGetValue(name, out var a)) return null;
        if (a.Type != type)
            throw new InvalidOperationException($"Attribute '{name}' of node {this} is {a.Type}, not {type}.");
        return a;
    }
}
