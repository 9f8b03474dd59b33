using System.Buffers.Binary;
using System.Text;

namespace Sightline.Onnx.Graph;

/// <summary>A malformed protobuf message; turned into an <see cref="InputDataException"/> naming the file by the caller.</summary>
internal sealed class ProtoException(string message) : Exception(message);

/// <summary>Protobuf wire types.</summary>
internal static class WireType
{
    public const int Varint = 0;
    public const int Fixed64 = 1;
    public const int LengthDelimited = 2;
    public const int StartGroup = 3;
    public const int EndGroup = 4;
    public const int Fixed32 = 5;
}

/// <summary>
/// A forward-only reader of the protobuf wire format over a slice of a byte array. Length-delimited fields are
/// returned as (offset, length) into the same array so large tensors are never copied while parsing.
/// </summary>
internal struct ProtoReader
{
    private readonly byte[] _buffer;
    private readonly int _end;
    private int _position;

    public ProtoReader(byte[] buffer, int start, int length)
    {
        if (start < 0 || length < 0 || start + length > buffer.Length)
            throw new ProtoException("message length runs past the end of the file (truncated)");
        _buffer = buffer;
        _position = start;
        _end = start + length;
    }

    public readonly byte[] Buffer => _buffer;

    public readonly int Position => _position;

    /// <summary>Reads the next tag; false at the end of the message.</summary>
    public bool Next(out int field, out int wireType)
    {
        if (_position >= _end)
        {
            field = 0;
            wireType = 0;
            return false;
        }
        ulong tag = ReadVarint();
        field = (int)(tag >> 3);
        wireType = (int)(tag & 7);
        if (field <= 0 || tag >> 3 > int.MaxValue)
            throw new ProtoException($"invalid field number {tag >> 3}");
        if (wireType is WireType.StartGroup or WireType.EndGroup or 6 or 7)
            throw new ProtoException($"unsupported wire type {wireType} for field {field}");
        return true;
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (_position >= _end) throw new ProtoException("varint runs past the end of the message (truncated)");
            byte b = _buffer[_position++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw new ProtoException("malformed varint");
    }

    public long ReadInt64() => (long)ReadVarint();

    public int ReadInt32() => unchecked((int)ReadVarint());

    public float ReadFloat()
    {
        Need(4);
        float v = BinaryPrimitives.ReadSingleLittleEndian(_buffer.AsSpan(_position, 4));
        _position += 4;
        return v;
    }

    public double ReadDouble()
    {
        Need(8);
        double v = BinaryPrimitives.ReadDoubleLittleEndian(_buffer.AsSpan(_position, 8));
        _position += 8;
        return v;
    }

    public (int Offset, int Length) ReadLengthDelimited()
    {
        ulong len = ReadVarint();
        if (len > (ulong)(_end - _position))
            throw new ProtoException("field length runs past the end of the message (truncated)");
        int offset = _position;
        _position += (int)len;
        return (offset, (int)len);
    }

    public ProtoReader ReadMessage()
    {
        var (offset, length) = ReadLengthDelimited();
        return new ProtoReader(_buffer, offset, length);
    }

    public string ReadString()
    {
        var (offset, length) = ReadLengthDelimited();
        return Encoding.UTF8.GetString(_buffer, offset, length);
    }

    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case WireType.Varint: ReadVarint(); break;
            case WireType.Fixed64: Need(8); _position += 8; break;
            case WireType.Fixed32: Need(4); _position += 4; break;
            case WireType.LengthDelimited: ReadLengthDelimited(); break;
            default: throw new ProtoException($"unsupported wire type {wireType}");
        }
    }

    /// <summary>Reads one element (unpacked) or a packed run of varints.</summary>
    public void ReadVarints(int wireType, List<long> into)
    {
        if (wireType == WireType.LengthDelimited)
        {
            var inner = ReadMessage();
            while (inner._position < inner._end) into.Add(inner.ReadInt64());
        }
        else if (wireType == WireType.Varint) into.Add(ReadInt64());
        else throw new ProtoException($"expected varint, got wire type {wireType}");
    }

    /// <summary>Reads one float (unpacked) or a packed run of floats.</summary>
    public void ReadFloats(int wireType, List<float> into)
    {
        if (wireType == WireType.LengthDelimited)
        {
            var inner = ReadMessage();
            while (inner._position < inner._end) into.Add(inner.ReadFloat());
        }
        else if (wireType == WireType.Fixed32) into.Add(ReadFloat());
        else throw new ProtoException($"expected float, got wire type {wireType}");
    }

    /// <summary>Reads one double (unpacked) or a packed run of doubles.</summary>
    public void ReadDoubles(int wireType, List<double> into)
    {
        if (wireType == WireType.LengthDelimited)
        {
            var inner = ReadMessage();
            while (inner._position < inner._end) into.Add(inner.ReadDouble());
        }
        else if (wireType == WireType.Fixed64) into.Add(ReadDouble());
        else throw new ProtoException($"expected double, got wire type {wireType}");
    }

    public void Expect(int wireType, int expected, int field)
    {
        if (wireType != expected)
            throw new ProtoException($"field {field} has wire type {wireType}, expected {expected}");
    }

    private readonly void Need(int n)
    {
        if (_end - _position < n) throw new ProtoException("value runs past the end of the message (truncated)");
    }
}
