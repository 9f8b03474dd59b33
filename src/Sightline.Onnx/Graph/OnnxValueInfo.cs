namespace Sightline.Onnx.Graph;

/// <summary>One dimension of a tensor shape: a fixed size, a symbolic name (e.g. <c>batch</c>), or neither (unknown).</summary>
/// <param name="Value">The fixed size, when given.</param>
/// <param name="Param">The symbolic name, when given.</param>
public sealed record OnnxDim(long? Value, string? Param)
{
    /// <summary>True when the size is fixed.</summary>
    public bool IsFixed => Value.HasValue;

    /// <summary>The size, or <c>-1</c> when not fixed.</summary>
    public long ValueOrMinusOne => Value ?? -1;

    /// <summary>The size, the symbolic name, or <c>?</c>.</summary>
    public override string ToString() => Value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Param ?? "?";
}

/// <summary>
/// A named, typed value of the graph (<c>ValueInfoProto</c> with a tensor type): a graph input or output or an
/// annotated intermediate.
/// </summary>
/// <param name="Name">Tensor name.</param>
/// <param name="ElemType">Element type; <see cref="OnnxDataType.Undefined"/> when not a tensor or not given.</param>
/// <param name="Shape">Dimensions, or null when the shape is not given at all (unknown rank).</param>
public sealed record OnnxValueInfo(string Name, OnnxDataType ElemType, IReadOnlyList<OnnxDim>? Shape)
{
    /// <summary>A short description, e.g. <c>input: Float[batch, 3, 224, 224]</c>.</summary>
    public override string ToString() =>
        $"{Name}: {ElemType}" + (Shape is null ? "" : $"[{string.Join(", ", Shape)}]");
}
