namespace Sightline.Onnx.Graph;

/// <summary>ONNX tensor element types (<c>TensorProto.DataType</c>), with the numeric values of the ONNX standard.</summary>
public enum OnnxDataType
{
    /// <summary>Not set.</summary>
    Undefined = 0,
    /// <summary>32-bit IEEE float.</summary>
    Float = 1,
    /// <summary>Unsigned 8-bit integer.</summary>
    UInt8 = 2,
    /// <summary>Signed 8-bit integer.</summary>
    Int8 = 3,
    /// <summary>Unsigned 16-bit integer.</summary>
    UInt16 = 4,
    /// <summary>Signed 16-bit integer.</summary>
    Int16 = 5,
    /// <summary>Signed 32-bit integer.</summary>
    Int32 = 6,
    /// <summary>Signed 64-bit integer.</summary>
    Int64 = 7,
    /// <summary>UTF-8 string.</summary>
    String = 8,
    /// <summary>Boolean (one byte per element).</summary>
    Bool = 9,
    /// <summary>16-bit IEEE half float.</summary>
    Float16 = 10,
    /// <summary>64-bit IEEE float.</summary>
    Double = 11,
    /// <summary>Unsigned 32-bit integer.</summary>
    UInt32 = 12,
    /// <summary>Unsigned 64-bit integer.</summary>
    UInt64 = 13,
    /// <summary>Complex of two 32-bit floats.</summary>
    Complex64 = 14,
    /// <summary>Complex of two 64-bit floats.</summary>
    Complex128 = 15,
    /// <summary>Brain float (upper 16 bits of a float32).</summary>
    BFloat16 = 16,
}

/// <summary>Sizes and names of <see cref="OnnxDataType"/> values.</summary>
public static class OnnxDataTypes
{
    /// <summary>Bytes per element in <c>raw_data</c>, or 0 for strings and unknown types.</summary>
    public static int ElementSize(this OnnxDataType type) => type switch
    {
        OnnxDataType.Float or OnnxDataType.Int32 or OnnxDataType.UInt32 => 4,
        OnnxDataType.UInt8 or OnnxDataType.Int8 or OnnxDataType.Bool => 1,
        OnnxDataType.UInt16 or OnnxDataType.Int16 or OnnxDataType.Float16 or OnnxDataType.BFloat16 => 2,
        OnnxDataType.Int64 or OnnxDataType.Double or OnnxDataType.UInt64 or OnnxDataType.Complex64 => 8,
        OnnxDataType.Complex128 => 16,
        _ => 0,
    };

    /// <summary>True for the real-valued numeric types and bool (what <see cref="OnnxTensor.ToFloats"/> converts).</summary>
    public static bool IsNumeric(this OnnxDataType type) =>
        type is not (OnnxDataType.Undefined or OnnxDataType.String or OnnxDataType.Complex64 or OnnxDataType.Complex128)
        && Enum.IsDefined(type);

    /// <summary>True for float, double, float16 and bfloat16.</summary>
    public static bool IsFloatingPoint(this OnnxDataType type) =>
        type is OnnxDataType.Float or OnnxDataType.Double or OnnxDataType.Float16 or OnnxDataType.BFloat16;
}
