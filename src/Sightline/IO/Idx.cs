using System.Buffers.Binary;
using System.IO.Compression;

namespace Sightline.IO;

/// <summary>An IDX array (LeCun's MNIST format): shape and raw unsigned-byte values.</summary>
/// <param name="Shape">Dimensions, first axis = samples.</param>
/// <param name="Data">Values, row-major.</param>
public sealed record IdxArray(int[] Shape, byte[] Data);

/// <summary>
/// Reads IDX files (MNIST, Fashion-MNIST), plain or gzip-compressed (<c>.gz</c>): a big-endian header
/// (two zero bytes, type code 0x08 = unsigned byte, number of dimensions, then each dimension as int32) followed by the data.
/// </summary>
public static class Idx
{
    /// <summary>Reads an unsigned-byte IDX file.</summary>
    /// <exception cref="InputDataException">Missing, truncated, not IDX, or a type other than unsigned byte.</exception>
    public static IdxArray Read(string path)
    {
        if (!File.Exists(path)) throw new InputDataException($"{path}: file not found.");
        byte[] bytes;
        try
        {
            using var file = File.OpenRead(path);
            using Stream s = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
            using var ms = new MemoryStream();
            s.CopyTo(ms);
            bytes = ms.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new InputDataException($"{path}: corrupt gzip data ({e.Message}).");
        }
        if (bytes.Length < 4 || bytes[0] != 0 || bytes[1] != 0) throw new InputDataException($"{path}: not an IDX file (bad magic).");
        if (bytes[2] != 0x08) throw new InputDataException($"{path}: IDX type 0x{bytes[2]:x2} is not supported; only unsigned bytes (0x08).");
        int dims = bytes[3];
        if (bytes.Length < 4 + 4 * dims) throw new InputDataException($"{path}: truncated IDX header.");
        var shape = new int[dims];
        long count = 1;
        for (int d = 0; d < dims; d++)
        {
            shape[d] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * d));
            if (shape[d] < 0) throw new InputDataException($"{path}: negative dimension in the IDX header.");
            count *= shape[d];
        }
        int offset = 4 + 4 * dims;
        if (bytes.Length - offset < count) throw new InputDataException($"{path}: truncated: header says {string.Join("×", shape)} = {count} values, {bytes.Length - offset} present.");
        return new IdxArray(shape, bytes.AsSpan(offset, (int)count).ToArray());
    }

    /// <summary>Writes an unsigned-byte IDX file (gzip when the name ends in .gz).</summary>
    public static void Write(string path, ReadOnlySpan<byte> data, params int[] shape)
    {
        using var file = File.Create(path);
        using Stream s = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionLevel.Fastest) : file;
        Span<byte> header = stackalloc byte[4 + 4 * shape.Length];
        header[2] = 0x08;
        header[3] = (byte)shape.Length;
        for (int d = 0; d < shape.Length; d++) BinaryPrimitives.WriteInt32BigEndian(header[(4 + 4 * d)..], shape[d]);
        s.Write(header);
        s.Write(data);
    }
}
