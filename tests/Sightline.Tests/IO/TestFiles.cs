using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Sightline.Tests.IO;

/// <summary>A unique temporary directory deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Root);

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "sightline-io-tests-" + Guid.NewGuid().ToString("N"));

    public string File(string name) => Path.Combine(Root, name);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Builds NPY and PNG files byte by byte from the format specs, independently of the production writers.</summary>
internal static class Craft
{
    /// <summary>An NPY file: magic, version, header length, dict padded with spaces and '\n' to a multiple of 64.</summary>
    public static byte[] Npy(string dict, byte[] data, int version = 1)
    {
        int lenBytes = version == 1 ? 2 : 4;
        var enc = version == 3 ? Encoding.UTF8 : Encoding.Latin1;
        int dictLen = enc.GetByteCount(dict);
        int total = (8 + lenBytes + dictLen + 1 + 63) / 64 * 64;
        int headerLen = total - 8 - lenBytes;
        var bytes = new byte[total + data.Length];
        bytes[0] = 0x93;
        Encoding.ASCII.GetBytes("NUMPY", bytes.AsSpan(1));
        bytes[6] = (byte)version;
        if (version == 1) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)headerLen);
        else BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)headerLen);
        bytes.AsSpan(8 + lenBytes, headerLen).Fill((byte)' ');
        enc.GetBytes(dict, bytes.AsSpan(8 + lenBytes));
        bytes[total - 1] = (byte)'\n';
        data.CopyTo(bytes, total);
        return bytes;
    }

    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }

    public static void Chunk(Stream s, string type, byte[] data)
    {
        var head = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        Encoding.ASCII.GetBytes(type, head.AsSpan(4));
        s.Write(head);
        s.Write(data);
        var crcInput = head.AsSpan(4).ToArray().Concat(data).ToArray();
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(crcInput));
        s.Write(crc);
    }

    /// <summary>A PNG from already filtered scanlines (each starting with its filter byte).</summary>
    public static byte[] Png(int width, int height, int bitDepth, int colorType, byte[] scanlines, byte[]? palette = null, int interlace = 0)
    {
        using var ms = new MemoryStream();
        ms.Write([137, 80, 78, 71, 13, 10, 26, 10]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = (byte)bitDepth;
        ihdr[9] = (byte)colorType;
        ihdr[12] = (byte)interlace;
        Chunk(ms, "IHDR", ihdr);
        if (palette is not null) Chunk(ms, "PLTE", palette);
        using var z = new MemoryStream();
        using (var zs = new ZLibStream(z, CompressionLevel.Optimal, leaveOpen: true)) zs.Write(scanlines);
        byte[] compressed = z.ToArray();
        // Split the data over two IDAT chunks to exercise concatenation.
        int half = compressed.Length / 2;
        Chunk(ms, "IDAT", compressed[..half]);
        Chunk(ms, "tEXt", Encoding.ASCII.GetBytes("Comment\0crafted"));
        Chunk(ms, "IDAT", compressed[half..]);
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    /// <summary>Packs sub-byte samples MSB first into filter-0 scanlines.</summary>
    public static byte[] PackRows(int[,] samples, int depth)
    {
        int h = samples.GetLength(0), w = samples.GetLength(1);
        int stride = (w * depth + 7) / 8;
        var rows = new byte[h * (1 + stride)];
        for (int y = 0; y < h; y++)
        {
            int start = y * (1 + stride) + 1;
            for (int x = 0; x < w; x++)
            {
                int bit = x * depth;
                rows[start + bit / 8] |= (byte)(samples[y, x] << (8 - depth - bit % 8));
            }
        }
        return rows;
    }
}
