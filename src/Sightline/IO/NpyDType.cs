using System.Globalization;
using System.Numerics;

namespace Sightline.IO;

/// <summary>Element types Sightline reads from and writes to NPY files (numpy's fixed-size numeric and bool dtypes).</summary>
public enum NpyDType
{
    /// <summary>numpy <c>bool</c> (<c>|b1</c>), one byte per element, 0 or 1.</summary>
    Bool,
    /// <summary>numpy <c>uint8</c> (<c>|u1</c>).</summary>
    UInt8,
    /// <summary>numpy <c>int8</c> (<c>|i1</c>).</summary>
    Int8,
    /// <summary>numpy <c>int16</c> (<c>&lt;i2</c>).</summary>
    Int16,
    /// <summary>numpy <c>uint16</c> (<c>&lt;u2</c>).</summary>
    UInt16,
    /// <summary>numpy <c>int32</c> (<c>&lt;i4</c>).</summary>
    Int32,
    /// <summary>numpy <c>uint32</c> (<c>&lt;u4</c>).</summary>
    UInt32,
    /// <summary>numpy <c>int64</c> (<c>&lt;i8</c>).</summary>
    Int64,
    /// <summary>numpy <c>uint64</c> (<c>&lt;u8</c>).</summary>
    UInt64,
    /// <summary>numpy <c>float16</c> (<c>&lt;f2</c>), IEEE half precision.</summary>
    Float16,
    /// <summary>numpy <c>float32</c> (<c>&lt;f4</c>).</summary>
    Float32,
    /// <summary>numpy <c>float64</c> (<c>&lt;f8</c>).</summary>
    Float64,
}

/// <summary>Helpers that relate <see cref="NpyDType"/> values to sizes, numpy type strings and .NET types.</summary>
public static class NpyDTypes
{
    /// <summary>Bytes per element.</summary>
    public static int ItemSize(this NpyDType dtype) => dtype switch
    {
        NpyDType.Bool or NpyDType.UInt8 or NpyDType.Int8 => 1,
        NpyDType.Int16 or NpyDType.UInt16 or NpyDType.Float16 => 2,
        NpyDType.Int32 or NpyDType.UInt32 or NpyDType.Float32 => 4,
        NpyDType.Int64 or NpyDType.UInt64 or NpyDType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown NPY dtype."),
    };

    /// <summary>numpy's name for the dtype (<c>float32</c>, <c>uint8</c>, ...), used in messages.</summary>
    public static string NumpyName(this NpyDType dtype) => dtype switch
    {
        NpyDType.Bool => "bool",
        NpyDType.Float16 => "float16",
        NpyDType.Float32 => "float32",
        NpyDType.Float64 => "float64",
        _ => dtype.ToString().ToLowerInvariant(),
    };

    /// <summary>The little-endian type string written to headers (<c>&lt;f4</c>, <c>|u1</c>, ...).</summary>
    public static string Descr(this NpyDType dtype)
    {
        char kind = dtype switch
        {
            NpyDType.Bool => 'b',
            NpyDType.UInt8 or NpyDType.UInt16 or NpyDType.UInt32 or NpyDType.UInt64 => 'u',
            NpyDType.Float16 or NpyDType.Float32 or NpyDType.Float64 => 'f',
            _ => 'i',
        };
        int size = dtype.ItemSize();
        return string.Concat(size == 1 ? "|" : "<", kind.ToString(), size.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>The dtype that stores .NET type <typeparamref name="T"/>; throws for types NPY files cannot hold here.</summary>
    public static NpyDType For<T>() where T : unmanaged =>
        TryFor(typeof(T), out var d) ? d : throw new NotSupportedException($"{typeof(T).Name} has no NPY dtype; use float, double, Half, bool, byte, sbyte, short, ushort, int, uint, long or ulong.");

    internal static bool TryFor(Type t, out NpyDType dtype)
    {
        dtype = default;
        if (t == typeof(bool)) dtype = NpyDType.Bool;
        else if (t == typeof(byte)) dtype = NpyDType.UInt8;
        else if (t == typeof(sbyte)) dtype = NpyDType.Int8;
        else if (t == typeof(short)) dtype = NpyDType.Int16;
        else if (t == typeof(ushort)) dtype = NpyDType.UInt16;
        else if (t == typeof(int)) dtype = NpyDType.Int32;
        else if (t == typeof(uint)) dtype = NpyDType.UInt32;
        else if (t == typeof(long)) dtype = NpyDType.Int64;
        else if (t == typeof(ulong)) dtype = NpyDType.UInt64;
        else if (t == typeof(Half)) dtype = NpyDType.Float16;
        else if (t == typeof(float)) dtype = NpyDType.Float32;
        else if (t == typeof(double)) dtype = NpyDType.Float64;
        else return false;
        return true;
    }

    /// <summary>
    /// Parses a numpy type string such as <c>&lt;f4</c>, <c>&gt;i2</c>, <c>|b1</c> or <c>=u8</c>. Returns null with a
    /// human-readable description of the type in <paramref name="unsupported"/> when it is valid numpy but not supported.
    /// </summary>
    internal static NpyDType? TryParseDescr(string descr, out bool bigEndian, out string unsupported)
    {
        bigEndian = false;
        unsupported = "";
        string s = descr;
        char order = '=';
        if (s.Length > 0 && s[0] is '<' or '>' or '|' or '=')
        {
            order = s[0];
            s = s[1..];
        }
        // '=' is native order; numpy only writes it on the machine that produced the file, and every platform .NET runs
        // Sightline on is little-endian, as are virtually all files in the wild.
        bigEndian = order == '>' || (order == '=' && !BitConverter.IsLittleEndian);
        if (s.Length < 1)
        {
            unsupported = $"'{descr}' (empty type string)";
            return null;
        }
        char kind = s[0];
        string sizeText = s[1..];
        int size = 0;
        bool hasSize = sizeText.Length > 0 && int.TryParse(sizeText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out size);
        NpyDType? result = (kind, hasSize ? size : -1) switch
        {
            ('b', 1) or ('?', 1) => NpyDType.Bool,
            ('u', 1) => NpyDType.UInt8,
            ('i', 1) => NpyDType.Int8,
            ('i', 2) => NpyDType.Int16,
            ('u', 2) => NpyDType.UInt16,
            ('i', 4) => NpyDType.Int32,
            ('u', 4) => NpyDType.UInt32,
            ('i', 8) => NpyDType.Int64,
            ('u', 8) => NpyDType.UInt64,
            ('f', 2) => NpyDType.Float16,
            ('f', 4) => NpyDType.Float32,
            ('f', 8) => NpyDType.Float64,
            _ => null,
        };
        if (result is null)
        {
            string what = kind switch
            {
                'c' when hasSize => $"complex{size * 8}",
                'f' when hasSize => $"float{size * 8}",
                'i' or 'u' when hasSize => $"{(kind == 'u' ? "uint" : "int")}{size * 8}",
                'O' => "object (pickled Python objects)",
                'U' => "unicode string",
                'S' or 'a' => "byte string",
                'V' => "void/structured",
                'M' => "datetime64",
                'm' => "timedelta64",
                _ => "unknown",
            };
            unsupported = $"{what} ('{descr}')";
        }
        return result;
    }
}
