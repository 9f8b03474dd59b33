using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Sightline.IO;

/// <summary>
/// The parsed header of an NPY file.
/// </summary>
/// <param name="DType">Element type.</param>
/// <param name="BigEndian">True when multi-byte elements are stored big-endian (<c>&gt;</c>).</param>
/// <param name="FortranOrder">True when the data is stored column-major (<c>'fortran_order': True</c>).</param>
/// <param name="Shape">Dimensions; empty for a 0-d (scalar) array.</param>
/// <param name="DataOffset">Byte offset of the first element from the start of the NPY stream.</param>
/// <param name="Version">Major format version: 1, 2 or 3.</param>
public sealed record NpyHeader(NpyDType DType, bool BigEndian, bool FortranOrder, int[] Shape, long DataOffset, int Version)
{
    /// <summary>Number of elements: the product of <see cref="Shape"/> (1 for a 0-d array).</summary>
    public long ElementCount { get; } = Product(Shape);

    /// <summary>Bytes per element.</summary>
    public int ItemSize => DType.ItemSize();

    /// <summary>Bytes of array data that follow the header.</summary>
    public long DataBytes => ElementCount * ItemSize;

    internal static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    private static long Product(int[] shape)
    {
        long n = 1;
        foreach (int d in shape) n = checked(n * d);
        return n;
    }

    /// <summary>Shape as numpy prints it, e.g. <c>2×3×4</c>, or <c>scalar</c>.</summary>
    internal static string FormatShape(int[] shape) => shape.Length == 0 ? "scalar (0-d)" : string.Join("×", shape);

    /// <summary>
    /// Reads and validates the header. <paramref name="read"/> fills the span from the given offset relative to the
    /// NPY stream start and returns the count it could read; <paramref name="streamLength"/> is the length of the NPY
    /// stream, used to report truncation.
    /// </summary>
    internal static NpyHeader Read(string name, Func<long, Memory<byte>, int> read, long streamLength)
    {
        var prefix = new byte[12];
        int got = read(0, prefix);
        if (got < 10 || !prefix.AsSpan(0, 6).SequenceEqual(Magic))
            throw new InputDataException($"{name}: not an NPY file (it does not start with the \\x93NUMPY magic); save arrays with numpy.save.");
        int major = prefix[6];
        int headerLen;
        int lenBytes;
        switch (major)
        {
            case 1:
                headerLen = BinaryPrimitives.ReadUInt16LittleEndian(prefix.AsSpan(8));
                lenBytes = 2;
                break;
            case 2:
            case 3:
                if (got < 12) throw new InputDataException($"{name}: truncated NPY header.");
                uint len = BinaryPrimitives.ReadUInt32LittleEndian(prefix.AsSpan(8));
                if (len > 100_000_000) throw new InputDataException($"{name}: NPY header length {len} is implausible; the file is corrupt.");
                headerLen = (int)len;
                lenBytes = 4;
                break;
            default:
                throw new InputDataException($"{name}: unsupported NPY format version {major}.{prefix[7]}; Sightline reads versions 1.0, 2.0 and 3.0.");
        }
        long dataOffset = 8 + lenBytes + headerLen;
        if (dataOffset > streamLength)
            throw new InputDataException($"{name}: truncated: the NPY header claims {headerLen} bytes but the file ends first.");
        var headerBytes = new byte[headerLen];
        if (read(8 + lenBytes, headerBytes) != headerLen)
            throw new InputDataException($"{name}: truncated NPY header.");
        // Versions 1 and 2 are latin-1; version 3 allows UTF-8 (only in field names, which we reject anyway).
        string text = major == 3 ? Encoding.UTF8.GetString(headerBytes) : Encoding.Latin1.GetString(headerBytes);
        var header = Parse(name, text, dataOffset, major);
        long available = streamLength - dataOffset;
        if (available != header.DataBytes)
        {
            string expect = $"header says {FormatShape(header.Shape)} {header.DType.NumpyName()} ({header.DataBytes} bytes of data)";
            throw available < header.DataBytes
                ? new InputDataException($"{name}: truncated: {expect} but only {available} bytes follow; re-export the file.")
                : new InputDataException($"{name}: {expect} but {available} bytes follow; the header does not match the data, re-export the file.");
        }
        return header;
    }

    /// <summary>Parses the Python dict literal of an NPY header.</summary>
    internal static NpyHeader Parse(string name, string text, long dataOffset, int version)
    {
        object? parsed;
        try
        {
            var p = new PyLiteralParser(text);
            parsed = p.ParseValue();
            p.SkipWhitespace();
            if (!p.AtEnd) throw new FormatException($"unexpected '{p.Rest()}' after the dict");
        }
        catch (FormatException e)
        {
            throw new InputDataException($"{name}: malformed NPY header ({e.Message}): {text.Trim()}");
        }
        if (parsed is not Dictionary<string, object?> dict)
            throw new InputDataException($"{name}: malformed NPY header (not a dict): {text.Trim()}");
        if (!dict.TryGetValue("descr", out var descrObj) || !dict.TryGetValue("shape", out var shapeObj) || !dict.TryGetValue("fortran_order", out var fortranObj))
            throw new InputDataException($"{name}: NPY header lacks one of 'descr', 'fortran_order', 'shape': {text.Trim()}");
        if (descrObj is not string descr)
            throw new InputDataException($"{name}: unsupported dtype: structured array ({FormatLiteral(descrObj)}); save a plain numeric array.");
        var dtype = NpyDTypes.TryParseDescr(descr, out bool bigEndian, out string unsupported)
            ?? throw new InputDataException($"{name}: unsupported dtype {unsupported}; convert it to float32, float64, an integer type or bool before saving.");
        if (fortranObj is not bool fortran)
            throw new InputDataException($"{name}: NPY header 'fortran_order' is {FormatLiteral(fortranObj)}, expected True or False.");
        if (shapeObj is not List<object?> shapeList || shapeList is PyList)
            throw new InputDataException($"{name}: NPY header 'shape' is {FormatLiteral(shapeObj)}, expected a tuple of non-negative integers.");
        var shape = new int[shapeList.Count];
        for (int i = 0; i < shape.Length; i++)
        {
            if (shapeList[i] is not long d || d < 0 || d > int.MaxValue)
                throw new InputDataException($"{name}: NPY header 'shape' is {FormatLiteral(shapeObj)}; every dimension must be an integer in 0..{int.MaxValue}.");
            shape[i] = (int)d;
        }
        try
        {
            long count = 1;
            foreach (int d in shape) count = checked(count * d);
            _ = checked(count * dtype.ItemSize());
        }
        catch (OverflowException)
        {
            throw new InputDataException($"{name}: NPY header shape {FormatShape(shape)} is too large; the file is corrupt.");
        }
        return new NpyHeader(dtype, bigEndian && dtype.ItemSize() > 1, fortran, shape, dataOffset, version);
    }

    private static string FormatLiteral(object? o) => o switch
    {
        null => "None",
        string s => $"'{s}'",
        bool b => b ? "True" : "False",
        PyList l => "[" + string.Join(", ", l.Select(FormatLiteral)) + "]",
        List<object?> l => "(" + string.Join(", ", l.Select(FormatLiteral)) + (l.Count == 1 ? ",)" : ")"),
        Dictionary<string, object?> d => "{" + string.Join(", ", d.Select(kv => $"'{kv.Key}': {FormatLiteral(kv.Value)}")) + "}",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => o.ToString() ?? "",
    };

    /// <summary>A Python list literal; tuples are plain <see cref="List{T}"/> so the two can be told apart.</summary>
    private sealed class PyList : List<object?>;

    /// <summary>
    /// Minimal parser for the Python literals numpy writes in headers: dicts, tuples, lists, quoted strings, integers
    /// (with the Python 2 <c>L</c> suffix), floats, True, False and None.
    /// </summary>
    private ref struct PyLiteralParser(string text)
    {
        private readonly string _s = text;
        private int _i;

        public readonly bool AtEnd => _i >= _s.Length;

        public readonly string Rest() => _s[_i..];

        public void SkipWhitespace()
        {
            while (_i < _s.Length && (char.IsWhiteSpace(_s[_i]) || _s[_i] == '\0')) _i++;
        }

        private char Peek()
        {
            SkipWhitespace();
            if (_i >= _s.Length) throw new FormatException("unexpected end of header");
            return _s[_i];
        }

        private void Expect(char c)
        {
            if (Peek() != c) throw new FormatException($"expected '{c}' at position {_i}, found '{_s[_i]}'");
            _i++;
        }

        public object? ParseValue()
        {
            char c = Peek();
            switch (c)
            {
                case '{':
                {
                    _i++;
                    var d = new Dictionary<string, object?>(StringComparer.Ordinal);
                    while (Peek() != '}')
                    {
                        if (ParseValue() is not string key) throw new FormatException("dict key is not a string");
                        Expect(':');
                        d[key] = ParseValue();
                        if (Peek() == ',') _i++;
                        else if (Peek() != '}') throw new FormatException($"expected ',' or '}}' at position {_i}");
                    }
                    _i++;
                    return d;
                }
                case '(':
                case '[':
                {
                    char close = c == '(' ? ')' : ']';
                    _i++;
                    List<object?> items = c == '(' ? new List<object?>() : new PyList();
                    while (Peek() != close)
                    {
                        items.Add(ParseValue());
                        if (Peek() == ',') _i++;
                        else if (Peek() != close) throw new FormatException($"expected ',' or '{close}' at position {_i}");
                    }
                    _i++;
                    return items;
                }
                case '\'':
                case '"':
                {
                    _i++;
                    var sb = new StringBuilder();
                    while (_i < _s.Length && _s[_i] != c)
                    {
                        if (_s[_i] == '\\' && _i + 1 < _s.Length) _i++;
                        sb.Append(_s[_i++]);
                    }
                    if (_i >= _s.Length) throw new FormatException("unterminated string");
                    _i++;
                    return sb.ToString();
                }
                default:
                {
                    int start = _i;
                    while (_i < _s.Length && (char.IsLetterOrDigit(_s[_i]) || _s[_i] is '-' or '+' or '.' or '_')) _i++;
                    string tok = _s[start.._i];
                    if (tok.Length == 0) throw new FormatException($"unexpected '{c}' at position {start}");
                    if (tok == "True") return true;
                    if (tok == "False") return false;
                    if (tok == "None") return null;
                    string digits = tok.EndsWith('L') || tok.EndsWith('l') ? tok[..^1] : tok;
                    if (long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v)) return v;
                    if (double.TryParse(tok, NumberStyles.Float, CultureInfo.InvariantCulture, out double f)) return f;
                    throw new FormatException($"unexpected token '{tok}'");
                }
            }
        }
    }

    /// <summary>Builds the header bytes (magic, version, length, dict, padding) numpy would write.</summary>
    internal static byte[] Build(NpyDType dtype, ReadOnlySpan<int> shape)
    {
        // Plain concatenation: the generic string.Join and the interpolation handlers cost milliseconds of jitting in a
        // short run (a whole `neurons score` takes about 0.1 s), for one line of text.
        var dims = new string[shape.Length];
        for (int i = 0; i < dims.Length; i++) dims[i] = shape[i].ToString(CultureInfo.InvariantCulture);
        string shapeText = shape.Length == 1 ? "(" + dims[0] + ",)" : "(" + string.Join(", ", dims) + ")";
        string dict = "{'descr': '" + dtype.Descr() + "', 'fortran_order': False, 'shape': " + shapeText + ", }";
        // Pad with spaces and end with '\n' so the data starts on a 64-byte boundary, as numpy does.
        int version = 1;
        int prefix = 10;
        int total = (prefix + dict.Length + 1 + 63) / 64 * 64;
        if (total - prefix > ushort.MaxValue)
        {
            version = 2;
            prefix = 12;
            total = (prefix + dict.Length + 1 + 63) / 64 * 64;
        }
        int headerLen = total - prefix;
        var bytes = new byte[total];
        Magic.CopyTo(bytes, 0);
        bytes[6] = (byte)version;
        bytes[7] = 0;
        if (version == 1) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)headerLen);
        else BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)headerLen);
        // The dict's characters (Latin-1, as numpy writes them; shapes and dtypes are ASCII), then space padding, byte by
        // byte: Span.Fill and Encoding.Latin1 would each jit a large vectorised helper for these hundred bytes.
        int at = prefix;
        foreach (char ch in dict) bytes[at++] = ch <= '\u00FF' ? (byte)ch : (byte)'?';
        while (at < bytes.Length - 1) bytes[at++] = (byte)' ';
        bytes[^1] = (byte)'\n';
        return bytes;
    }
}
