using System.Text;

namespace Sightline.Onnx.Graph;

/// <summary>A minimal protobuf wire-format writer (varints and length-delimited fields) into a growable buffer.</summary>
internal sealed class ProtoWriter
{
    private readonly MemoryStream _stream = new();

    public long Length => _stream.Length;

    public void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        _stream.WriteByte((byte)value);
    }

    public void WriteTag(int field, int wireType) => WriteVarint((ulong)(((uint)field << 3) | (uint)wireType));

    public void WriteInt64(int field, long value)
    {
        WriteTag(field, WireType.Varint);
        WriteVarint(unchecked((ulong)value));
    }

    public void WriteBytes(int field, ReadOnlySpan<byte> bytes)
    {
        WriteTag(field, WireType.LengthDelimited);
        WriteVarint((ulong)bytes.Length);
        _stream.Write(bytes);
    }

    public void WriteString(int field, string value) => WriteBytes(field, Encoding.UTF8.GetBytes(value));

    public void WriteMessage(int field, ProtoWriter message) => WriteBytes(field, message.ToArray());

    public void WriteRaw(ReadOnlySpan<byte> bytes) => _stream.Write(bytes);

    public byte[] ToArray() => _stream.ToArray();
}
