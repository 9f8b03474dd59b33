using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Sightline.Onnx.Graph;

/// <summary>
/// A constant tensor from an ONNX file (an initializer or a tensor-valued attribute). Values stay in the form the file
/// stores them (<c>raw_data</c> little-endian bytes, or one of the typed repeated fields) until a typed accessor
/// converts them; every accessor converts from any real numeric type (float16, bfloat16, bool, (u)int8/16/32/64, float,
/// double), and returns a fresh array the caller owns.
/// </summary>
public sealed class OnnxTensor
{
    private readonly ReadOnlyMemory<byte> _raw;
    private readonly bool _hasRaw;
    private readonly float[]? _floatData;
    private readonly int[]? _int32Data;
    private readonly long[]? _int64Data;
    private readonly double[]? _doubleData;
    private readonly ulong[]? _uint64Data;
    private readonly byte[][]? _stringData;
    private readonly string _source;

    internal OnnxTensor(string name, OnnxDataType dataType, long[] dims, ReadOnlyMemory<byte>? raw, float[]? floatData,
        int[]? int32Data, long[]? int64Data, double[]? doubleData, ulong[]? uint64Data, byte[][]? stringData,
        bool isExternal, string source)
    {
        Name = name;
        DataType = dataType;
        _dims = dims;
        _hasRaw = raw.HasValue;
        _raw = raw ?? default;
        _floatData = floatData;
        _int32Data = int32Data;
        _int64Data = int64Data;
        _doubleData = doubleData;
        _uint64Data = uint64Data;
        _stringData = stringData;
        IsExternal = isExternal;
        _source = source;
        long count = 1;
        foreach (long d in dims)
        {
            if (d < 0) throw new InputDataException($"{source}: tensor '{name}' has a negative dimension {d}; the file is corrupt, re-export the model.");
            count = checked(count * d);
        }
        ElementCount = count;
    }

    private readonly long[] _dims;

    /// <summary>Tensor name (the initializer name; may be empty for attribute tensors).</summary>
    public string Name { get; }

    /// <summary>Element type.</summary>
    public OnnxDataType DataType { get; }

    /// <summary>Dimensions, outermost first; empty for a scalar.</summary>
    public IReadOnlyList<long> Dims => _dims;

    /// <summary>Number of elements (the product of <see cref="Dims"/>; 1 for a scalar).</summary>
    public long ElementCount { get; }

    /// <summary>True when the values live in an external file (not supported: accessors throw).</summary>
    public bool IsExternal { get; }

    /// <summary>The little-endian <c>raw_data</c> bytes when the file stores the values that way, else empty.</summary>
    public ReadOnlyMemory<byte> RawData => _raw;

    /// <summary>Creates a float tensor (for building graphs in code and tests).</summary>
    public static OnnxTensor FromFloats(string name, long[] dims, float[] values) =>
        Checked(new OnnxTensor(name, OnnxDataType.Float, (long[])dims.Clone(), null, (float[])values.Clone(), null, null, null, null, null, false, "<memory>"));

    /// <summary>Creates an int64 tensor (for building graphs in code and tests).</summary>
    public static OnnxTensor FromInt64s(string name, long[] dims, long[] values) =>
        Checked(new OnnxTensor(name, OnnxDataType.Int64, (long[])dims.Clone(), null, null, null, (long[])values.Clone(), null, null, null, false, "<memory>"));

    private static OnnxTensor Checked(OnnxTensor t)
    {
        t.ValidateCount();
        return t;
    }

    /// <summary>The dimensions as a fresh array.</summary>
    public long[] DimsArray() => (long[])_dims.Clone();

    /// <summary>Values converted to float32 (float16/bfloat16 widened, integers and bool converted, double rounded).</summary>
    /// <exception cref="InputDataException">External data, strings, or a value count that does not match the dimensions.</exception>
    public float[] ToFloats()
    {
        int n = ValidateCount();
        if (DataType == OnnxDataType.Float)
        {
            if (_hasRaw) return ReadRaw<float>(n);
            if (_floatData is not null) return (float[])_floatData.Clone();
        }
        var doubles = ToDoubles();
        var result = new float[n];
        for (int i = 0; i < n; i++) result[i] = (float)doubles[i];
        return result;
    }

    /// <summary>Values converted to float64.</summary>
    /// <exception cref="InputDataException">External data, strings, or a value count that does not match the dimensions.</exception>
    public double[] ToDoubles()
    {
        int n = ValidateCount();
        var result = new double[n];
        if (_hasRaw)
        {
            var span = _raw.Span;
            for (int i = 0; i < n; i++) result[i] = RawAsDouble(span, i);
            return result;
        }
        switch (DataType)
        {
            case OnnxDataType.Float: for (int i = 0; i < n; i++) result[i] = _floatData![i]; break;
            case OnnxDataType.Double: Array.Copy(_doubleData!, result, n); break;
            case OnnxDataType.Int64: for (int i = 0; i < n; i++) result[i] = _int64Data![i]; break;
            case OnnxDataType.UInt32 or OnnxDataType.UInt64: for (int i = 0; i < n; i++) result[i] = _uint64Data![i]; break;
            case OnnxDataType.Float16:
                for (int i = 0; i < n; i++) result[i] = (double)BitConverter.UInt16BitsToHalf(unchecked((ushort)_int32Data![i]));
                break;
            case OnnxDataType.BFloat16:
                for (int i = 0; i < n; i++) result[i] = BitConverter.Int32BitsToSingle(unchecked((int)((uint)(ushort)_int32Data![i] << 16)));
                break;
            case OnnxDataType.UInt8: for (int i = 0; i < n; i++) result[i] = (byte)_int32Data![i]; break;
            case OnnxDataType.UInt16: for (int i = 0; i < n; i++) result[i] = (ushort)_int32Data![i]; break;
            case OnnxDataType.Bool: for (int i = 0; i < n; i++) result[i] = _int32Data![i] != 0 ? 1 : 0; break;
            default: for (int i = 0; i < n; i++) result[i] = _int32Data![i]; break;
        }
        return result;
    }

    /// <summary>Values converted to int64 (floating-point values truncated toward zero).</summary>
    /// <exception cref="InputDataException">External data, strings, or a value count that does not match the dimensions.</exception>
    public long[] ToInt64s()
    {
        int n = ValidateCount();
        if (DataType == OnnxDataType.Int64)
        {
            if (_hasRaw) return ReadRaw<long>(n);
            return (long[])_int64Data!.Clone();
        }
        var result = new long[n];
        if (!DataType.IsFloatingPoint())
        {
            if (_hasRaw)
            {
                var span = _raw.Span;
                for (int i = 0; i < n; i++) result[i] = RawAsInt64(span, i);
            }
            else if (DataType is OnnxDataType.UInt32 or OnnxDataType.UInt64)
                for (int i = 0; i < n; i++) result[i] = unchecked((long)_uint64Data![i]);
            else
                for (int i = 0; i < n; i++) result[i] = DataType switch
                {
                    OnnxDataType.UInt8 => (byte)_int32Data![i],
                    OnnxDataType.UInt16 => (ushort)_int32Data![i],
                    OnnxDataType.Bool => _int32Data![i] != 0 ? 1 : 0,
                    _ => _int32Data![i],
                };
            return result;
        }
        var doubles = ToDoubles();
        for (int i = 0; i < n; i++) result[i] = (long)doubles[i];
        return result;
    }

    /// <summary>Values converted to int32 (checked: values out of range throw <see cref="OverflowException"/>).</summary>
    public int[] ToInt32s()
    {
        var longs = ToInt64s();
        var result = new int[longs.Length];
        for (int i = 0; i < longs.Length; i++) result[i] = checked((int)longs[i]);
        return result;
    }

    /// <summary>Values as booleans (non-zero is true).</summary>
    public bool[] ToBools()
    {
        var doubles = ToDoubles();
        var result = new bool[doubles.Length];
        for (int i = 0; i < doubles.Length; i++) result[i] = doubles[i] != 0;
        return result;
    }

    /// <summary>The values of a string tensor, decoded as UTF-8.</summary>
    public string[] ToStrings()
    {
        if (DataType != OnnxDataType.String)
            throw new InputDataException($"{_source}: tensor '{Name}' is {DataType}, not a string tensor.");
        return (_stringData ?? []).Select(b => Encoding.UTF8.GetString(b)).ToArray();
    }

    /// <summary>A short description, e.g. <c>fc.weight: Float[10, 512]</c>.</summary>
    public override string ToString() => $"{Name}: {DataType}[{string.Join(", ", _dims)}]";

    private int ValidateCount()
    {
        if (IsExternal)
            throw new InputDataException($"{_source}: external data not supported: {Name}. Re-export the model with the weights embedded (e.g. onnx.save(model, path, save_as_external_data=False)).");
        if (!DataType.IsNumeric())
            throw new InputDataException($"{_source}: tensor '{Name}' has element type {DataType}, which cannot be converted to numbers.");
        if (ElementCount > Array.MaxLength)
            throw new InputDataException($"{_source}: tensor '{Name}' has {ElementCount} elements, too many for one array.");
        int n = (int)ElementCount;
        long have;
        if (_hasRaw) have = _raw.Length / DataType.ElementSize();
        else
        {
            have = DataType switch
            {
                OnnxDataType.Float => _floatData?.Length ?? 0,
                OnnxDataType.Double => _doubleData?.Length ?? 0,
                OnnxDataType.Int64 => _int64Data?.Length ?? 0,
                OnnxDataType.UInt32 or OnnxDataType.UInt64 => _uint64Data?.Length ?? 0,
                _ => _int32Data?.Length ?? 0,
            };
        }
        if (have != n || (_hasRaw && _raw.Length % DataType.ElementSize() != 0))
            throw new InputDataException($"{_source}: tensor '{Name}' has dims [{string.Join(", ", _dims)}] ({n} elements) but stores {have} values; the file is corrupt, re-export the model.");
        return n;
    }

    private T[] ReadRaw<T>(int n) where T : unmanaged
    {
        var result = new T[n];
        _raw.Span.CopyTo(MemoryMarshal.AsBytes(result.AsSpan()));
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Big-endian hosts are not supported.");
        return result;
    }

    private double RawAsDouble(ReadOnlySpan<byte> raw, int i) => DataType switch
    {
        OnnxDataType.Float => BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * i)..]),
        OnnxDataType.Double => BinaryPrimitives.ReadDoubleLittleEndian(raw[(8 * i)..]),
        OnnxDataType.Float16 => (double)BinaryPrimitives.ReadHalfLittleEndian(raw[(2 * i)..]),
        OnnxDataType.BFloat16 => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(raw[(2 * i)..]) << 16),
        OnnxDataType.UInt64 => BinaryPrimitives.ReadUInt64LittleEndian(raw[(8 * i)..]),
        _ => RawAsInt64(raw, i),
    };

    private long RawAsInt64(ReadOnlySpan<byte> raw, int i) => DataType switch
    {
        OnnxDataType.UInt8 => raw[i],
        OnnxDataType.Int8 => (sbyte)raw[i],
        OnnxDataType.Bool => raw[i] != 0 ? 1 : 0,
        OnnxDataType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(raw[(2 * i)..]),
        OnnxDataType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(raw[(2 * i)..]),
        OnnxDataType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(raw[(4 * i)..]),
        OnnxDataType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(raw[(4 * i)..]),
        OnnxDataType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(raw[(8 * i)..]),
        OnnxDataType.UInt64 => unchecked((long)BinaryPrimitives.ReadUInt64LittleEndian(raw[(8 * i)..])),
        _ => (long)RawAsDouble(raw, i),
    };
}
