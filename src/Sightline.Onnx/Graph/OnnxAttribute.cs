namespace Sightline.Onnx.Graph;

/// <summary>ONNX attribute types (<c>AttributeProto.AttributeType</c>), with the numeric values of the ONNX standard.</summary>
public enum OnnxAttributeType
{
    /// <summary>Not set (old files); the parser infers the type from the field present.</summary>
    Undefined = 0,
    /// <summary>One float (<see cref="OnnxAttribute.Float"/>).</summary>
    Float = 1,
    /// <summary>One int64 (<see cref="OnnxAttribute.Int"/>).</summary>
    Int = 2,
    /// <summary>One string (<see cref="OnnxAttribute.String"/>).</summary>
    String = 3,
    /// <summary>One tensor (<see cref="OnnxAttribute.Tensor"/>).</summary>
    Tensor = 4,
    /// <summary>A subgraph (not decoded: If/Loop bodies are not supported).</summary>
    Graph = 5,
    /// <summary>A list of floats (<see cref="OnnxAttribute.Floats"/>).</summary>
    Floats = 6,
    /// <summary>A list of int64 (<see cref="OnnxAttribute.Ints"/>).</summary>
    Ints = 7,
    /// <summary>A list of strings (<see cref="OnnxAttribute.Strings"/>).</summary>
    Strings = 8,
    /// <summary>A list of tensors (not decoded).</summary>
    Tensors = 9,
    /// <summary>A list of subgraphs (not decoded).</summary>
    Graphs = 10,
    /// <summary>A sparse tensor (not decoded).</summary>
    SparseTensor = 11,
    /// <summary>A list of sparse tensors (not decoded).</summary>
    SparseTensors = 12,
    /// <summary>A type proto (not decoded).</summary>
    TypeProto = 13,
    /// <summary>A list of type protos (not decoded).</summary>
    TypeProtos = 14,
}

/// <summary>
/// One node attribute. Only the member matching <see cref="Type"/> is meaningful; list members are empty and scalar
/// members zero/empty/null otherwise.
/// </summary>
/// <param name="Name">Attribute name (e.g. <c>kernel_shape</c>).</param>
/// <param name="Type">Attribute type.</param>
/// <param name="Float">Value of a <see cref="OnnxAttributeType.Float"/> attribute.</param>
/// <param name="Int">Value of an <see cref="OnnxAttributeType.Int"/> attribute.</param>
/// <param name="String">Value of a <see cref="OnnxAttributeType.String"/> attribute, decoded as UTF-8.</param>
/// <param name="Tensor">Value of a <see cref="OnnxAttributeType.Tensor"/> attribute.</param>
/// <param name="Floats">Value of a <see cref="OnnxAttributeType.Floats"/> attribute.</param>
/// <param name="Ints">Value of an <see cref="OnnxAttributeType.Ints"/> attribute.</param>
/// <param name="Strings">Value of a <see cref="OnnxAttributeType.Strings"/> attribute.</param>
public sealed record OnnxAttribute(
    string Name,
    OnnxAttributeType Type,
    float Float,
    long Int,
    string String,
    OnnxTensor? Tensor,
    IReadOnlyList<float> Floats,
    IReadOnlyList<long> Ints,
    IReadOnlyList<string> Strings)
{
    /// <summary>A short description, e.g. <c>strides=[2, 2]</c>.</summary>
    public override string ToString() => Type switch
    {
        OnnxAttributeType.Float => $"{Name}={Float}",
        OnnxAttributeType.Int => $"{Name}={Int}",
        OnnxAttributeType.String => $"{Name}=\"{String}\"",
        OnnxAttributeType.Tensor => $"{Name}={Tensor}",
        OnnxAttributeType.Floats => $"{Name}=[{string.Join(", ", Floats)}]",
        OnnxAttributeType.Ints => $"{Name}=[{string.Join(", ", Ints)}]",
        OnnxAttributeType.Strings => $"{Name}=[{string.Join(", ", Strings)}]",
        _ => $"{Name}=<{Type}>",
    };
}
