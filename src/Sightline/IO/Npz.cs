using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Sightline.IO;

/// <summary>One array to store in an <c>.npz</c> archive.</summary>
public sealed class NpzEntry
{
    private readonly Action<Stream> _write;

    private NpzEntry(string name, NpyDType dtype, int[] shape, Action<Stream> write)
    {
        Name = name;
        DType = dtype;
        Shape = shape;
        _write = write;
    }

    /// <summary>Entry name without the <c>.npy</c> suffix (numpy's key).</summary>
    public string Name { get; }

    /// <summary>Element type.</summary>
    public NpyDType DType { get; }

    /// <summary>Array shape.</summary>
    public int[] Shape { get; }

    /// <summary>Creates an entry from an array; the array is referenced, not copied, until the archive is written.</summary>
    public static NpzEntry Create<T>(string name, T[] data, params int[] shape) where T : unmanaged
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(data);
        var dtype = NpyDTypes.For<T>();
        int[] resolved = Npy.ResolveShape(shape, data.Length);
        return new NpzEntry(name, dtype, resolved, s => Npy.Write<T>(s, data, resolved));
    }

    internal void WriteTo(Stream stream) => _write(stream);
}

/// <summary>
/// NPZ archives (numpy.savez / savez_compressed): a zip of <c>name.npy</c> entries. Reading goes through
/// <see cref="NpyReader"/>: stored entries are read in place with random access; deflated ones are decompressed once
/// to a temporary file (CRC-checked) so memory stays flat.
/// </summary>
public static class Npz
{
    /// <summary>Entry names (without <c>.npy</c>) in archive order.</summary>
    /// <exception cref="InputDataException">Missing file or corrupt archive.</exception>
    public static IReadOnlyList<string> List(string path)
    {
        using var handle = NpyReader.OpenHandle(path);
        return ZipDirectory.Read(path, handle).Select(e => StripNpy(e.Name)).ToArray();
    }

    /// <summary>Opens one entry; <paramref name="name"/> may be null when the archive holds exactly one array.</summary>
    public static NpyReader Open(string path, string? name = null) => OpenEntry(path, name);

    /// <summary>
    /// Writes an archive numpy can load with <c>numpy.load</c>. <paramref name="compressed"/> deflates entries
    /// (like savez_compressed); otherwise they are stored, which keeps random access cheap.
    /// </summary>
    public static void Write(string path, IEnumerable<NpzEntry> entries, bool compressed = false)
    {
        ArgumentNullException.ThrowIfNull(entries);
        using var pending = AtomicFile.Create(path);
        using (var zip = new ZipArchive(pending.Stream, ZipArchiveMode.Create, leaveOpen: true))
            WriteEntries(zip, entries, compressed);
        pending.Commit();
    }

    private static void WriteEntries(ZipArchive zip, IEnumerable<NpzEntry> entries, bool compressed)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (!seen.Add(entry.Name)) throw new ArgumentException($"Duplicate NPZ entry name '{entry.Name}'.", nameof(entries));
            var zipEntry = zip.CreateEntry(entry.Name + ".npy", compressed ? CompressionLevel.Optimal : CompressionLevel.NoCompression);
            using var s = zipEntry.Open();
            entry.WriteTo(s);
        }
    }

    private static string StripNpy(string name) => name.EndsWith(".npy", StringComparison.Ordinal) ? name[..^4] : name;

    internal static NpyReader OpenEntry(string file, string? entryName)
    {
        var handle = NpyReader.OpenHandle(file);
        try
        {
            var entries = ZipDirectory.Read(file, handle);
            ZipEntryInfo entry;
            if (string.IsNullOrEmpty(entryName))
            {
                if (entries.Count != 1)
                    throw new InputDataException($"{file}: the archive holds {entries.Count} arrays ({Names(entries)}); name one as {file}:NAME.");
                entry = entries[0];
            }
            else
            {
                entry = entries.FirstOrDefault(e => e.Name == entryName + ".npy")
                        ?? entries.FirstOrDefault(e => e.Name == entryName)
                        ?? throw new InputDataException($"{file}: no array named '{entryName}'; available: {Names(entries)}.");
            }
            string name = $"{file}:{StripNpy(entry.Name)}";
            if ((entry.Flags & 1) != 0)
                throw new InputDataException($"{name}: the entry is encrypted; save the archive without a password.");
            long dataStart = ZipDirectory.DataOffset(file, handle, entry);
            if (entry.Method == 0)
            {
                if (dataStart + entry.CompressedSize > RandomAccess.GetLength(handle))
                    throw new InputDataException($"{file}: truncated: entry '{entry.Name}' extends past the end of the archive.");
                return NpyReader.FromHandle(name, handle, dataStart, entry.CompressedSize, tempPath: "");
            }
            if (entry.Method != 8)
                throw new InputDataException($"{name}: unsupported zip compression method {entry.Method}; save with numpy.savez or savez_compressed.");
            var (temp, tempPath) = Inflate(file, name, dataStart, entry);
            handle.Dispose();
            try
            {
                return NpyReader.FromHandle(name, temp, 0, entry.UncompressedSize, tempPath);
            }
            catch
            {
                temp.Dispose();
                NpyReader.TryDelete(tempPath);
                throw;
            }
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static string Names(List<ZipEntryInfo> entries) =>
        entries.Count == 0 ? "none" : string.Join(", ", entries.Select(e => StripNpy(e.Name)));

    private static (SafeFileHandle Handle, string Path) Inflate(string file, string name, long dataStart, ZipEntryInfo entry)
    {
        string tempPath = Path.Combine(Path.GetTempPath(), $"sightline-npz-{Guid.NewGuid():N}.npy");
        var temp = File.OpenHandle(tempPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            using var raw = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            raw.Position = dataStart;
            using var inflate = new DeflateStream(raw, CompressionMode.Decompress);
            long written = 0;
            uint crc = Crc32.Initial;
            try
            {
                int n;
                while ((n = inflate.Read(buffer, 0, buffer.Length)) > 0)
                {
                    if (written + n > entry.UncompressedSize)
                        throw new InputDataException($"{name}: corrupt archive: entry inflates to more than the {entry.UncompressedSize} bytes recorded.");
                    RandomAccess.Write(temp, buffer.AsSpan(0, n), written);
                    crc = Crc32.Update(crc, buffer.AsSpan(0, n));
                    written += n;
                }
            }
            catch (InvalidDataException e)
            {
                throw new InputDataException($"{name}: corrupt archive: the compressed data cannot be inflated ({e.Message}).", e);
            }
            if (written != entry.UncompressedSize)
                throw new InputDataException($"{name}: truncated or corrupt archive: entry inflates to {written} bytes, {entry.UncompressedSize} recorded.");
            if (Crc32.Final(crc) != entry.Crc)
                throw new InputDataException($"{name}: corrupt archive: CRC mismatch in the entry data.");
            return (temp, tempPath);
        }
        catch
        {
            temp.Dispose();
            NpyReader.TryDelete(tempPath);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>A central-directory record of a zip archive.</summary>
internal sealed record ZipEntryInfo(string Name, int Method, ushort Flags, uint Crc, long CompressedSize, long UncompressedSize, long LocalHeaderOffset);

/// <summary>
/// Just enough of the zip format (PKWARE APPNOTE) to list entries and find where an entry's data starts, including
/// the zip64 extensions numpy uses (it opens every entry with force_zip64).
/// </summary>
internal static class ZipDirectory
{
    private const uint EocdSignature = 0x06054b50;
    private const uint Zip64LocatorSignature = 0x07064b50;
    private const uint Zip64EocdSignature = 0x06064b50;
    private const uint CentralSignature = 0x02014b50;
    private const uint LocalSignature = 0x04034b50;

    public static List<ZipEntryInfo> Read(string file, SafeFileHandle handle)
    {
        long length = RandomAccess.GetLength(handle);
        // The end record is 22 bytes plus a comment of at most 65535 bytes.
        int tailLength = (int)Math.Min(length, 22 + 65535);
        var tail = new byte[tailLength];
        NpyReader.ReadFully(handle, tail, length - tailLength);
        int eocd = -1;
        for (int i = tailLength - 22; i >= 0; i--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(i)) == EocdSignature)
            {
                eocd = i;
                break;
            }
        }
        if (eocd < 0)
            throw new InputDataException($"{file}: not a valid NPZ/zip archive (no end-of-central-directory record); the file is corrupt or truncated, re-save it with numpy.savez.");
        long count = BinaryPrimitives.ReadUInt16LittleEndian(tail.AsSpan(eocd + 10));
        long cdSize = BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(eocd + 12));
        long cdOffset = BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(eocd + 16));
        long eocdPos = length - tailLength + eocd;
        if ((count == 0xFFFF || cdSize == 0xFFFFFFFF || cdOffset == 0xFFFFFFFF) && eocdPos >= 20)
        {
            var locator = new byte[20];
            NpyReader.ReadFully(handle, locator, eocdPos - 20);
            if (BinaryPrimitives.ReadUInt32LittleEndian(locator) == Zip64LocatorSignature)
            {
                long z64 = BinaryPrimitives.ReadInt64LittleEndian(locator.AsSpan(8));
                var rec = new byte[56];
                if (z64 < 0 || NpyReader.ReadFully(handle, rec, z64) != 56 || BinaryPrimitives.ReadUInt32LittleEndian(rec) != Zip64EocdSignature)
                    throw Corrupt(file, "bad zip64 end record");
                count = BinaryPrimitives.ReadInt64LittleEndian(rec.AsSpan(32));
                cdSize = BinaryPrimitives.ReadInt64LittleEndian(rec.AsSpan(40));
                cdOffset = BinaryPrimitives.ReadInt64LittleEndian(rec.AsSpan(48));
            }
        }
        if (cdOffset < 0 || cdSize < 0 || cdOffset + cdSize > length || cdSize > int.MaxValue)
            throw Corrupt(file, "central directory lies outside the file");
        var cd = new byte[cdSize];
        if (NpyReader.ReadFully(handle, cd, cdOffset) != cd.Length) throw Corrupt(file, "short central directory");
        var entries = new List<ZipEntryInfo>();
        int p = 0;
        for (long k = 0; k < count; k++)
        {
            if (p + 46 > cd.Length || BinaryPrimitives.ReadUInt32LittleEndian(cd.AsSpan(p)) != CentralSignature)
                throw Corrupt(file, "bad central directory record");
            var r = cd.AsSpan(p);
            ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(r[8..]);
            int method = BinaryPrimitives.ReadUInt16LittleEndian(r[10..]);
            uint crc = BinaryPrimitives.ReadUInt32LittleEndian(r[16..]);
            long compressed = BinaryPrimitives.ReadUInt32LittleEndian(r[20..]);
            long uncompressed = BinaryPrimitives.ReadUInt32LittleEndian(r[24..]);
            int nameLen = BinaryPrimitives.ReadUInt16LittleEndian(r[28..]);
            int extraLen = BinaryPrimitives.ReadUInt16LittleEndian(r[30..]);
            int commentLen = BinaryPrimitives.ReadUInt16LittleEndian(r[32..]);
            long local = BinaryPrimitives.ReadUInt32LittleEndian(r[42..]);
            if (p + 46 + nameLen + extraLen + commentLen > cd.Length) throw Corrupt(file, "central directory record overruns");
            // Bit 11: UTF-8 names; otherwise CP437, which matches ASCII for the names numpy writes.
            string name = ((flags & 0x800) != 0 ? Encoding.UTF8 : Encoding.Latin1).GetString(r.Slice(46, nameLen));
            var extra = r.Slice(46 + nameLen, extraLen);
            while (extra.Length >= 4)
            {
                int id = BinaryPrimitives.ReadUInt16LittleEndian(extra);
                int size = Math.Min(BinaryPrimitives.ReadUInt16LittleEndian(extra[2..]), extra.Length - 4);
                var data = extra.Slice(4, size);
                if (id == 1)
                {
                    // Zip64 fields appear only for the values that overflowed, in this order.
                    int q = 0;
                    if (uncompressed == 0xFFFFFFFF && q + 8 <= data.Length) { uncompressed = BinaryPrimitives.ReadInt64LittleEndian(data[q..]); q += 8; }
                    if (compressed == 0xFFFFFFFF && q + 8 <= data.Length) { compressed = BinaryPrimitives.ReadInt64LittleEndian(data[q..]); q += 8; }
                    if (local == 0xFFFFFFFF && q + 8 <= data.Length) { local = BinaryPrimitives.ReadInt64LittleEndian(data[q..]); }
                }
                extra = extra[(4 + size)..];
            }
            if (compressed < 0 || uncompressed < 0 || local < 0) throw Corrupt(file, "negative sizes");
            entries.Add(new ZipEntryInfo(name, method, flags, crc, compressed, uncompressed, local));
            p += 46 + nameLen + extraLen + commentLen;
        }
        return entries;
    }

    /// <summary>Offset of the entry's data: after its local header, whose name and extra lengths may differ from the central record.</summary>
    public static long DataOffset(string file, SafeFileHandle handle, ZipEntryInfo entry)
    {
        var local = new byte[30];
        if (NpyReader.ReadFully(handle, local, entry.LocalHeaderOffset) != 30 || BinaryPrimitives.ReadUInt32LittleEndian(local) != LocalSignature)
            throw Corrupt(file, $"bad local header for entry '{entry.Name}'");
        return entry.LocalHeaderOffset + 30 + BinaryPrimitives.ReadUInt16LittleEndian(local.AsSpan(26)) + BinaryPrimitives.ReadUInt16LittleEndian(local.AsSpan(28));
    }

    private static InputDataException Corrupt(string file, string what) =>
        new($"{file}: corrupt NPZ/zip archive ({what}); re-save it with numpy.savez.");
}

/// <summary>CRC-32 (ISO-HDLC, as used by zip and PNG), table driven.</summary>
internal static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    public const uint Initial = 0xFFFFFFFF;

    private static uint[] BuildTable()
    {
        var t = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        return t;
    }

    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        var table = Table;
        foreach (byte b in data) crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    public static uint Final(uint crc) => crc ^ 0xFFFFFFFF;

    public static uint Compute(ReadOnlySpan<byte> data) => Final(Update(Initial, data));
}
