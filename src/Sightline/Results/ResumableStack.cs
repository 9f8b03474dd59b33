using System.Text;
using System.Text.Json;

namespace Sightline.Results;

/// <summary>
/// A float32 NPY stack (samples on the first axis) written chunk by chunk, with a CSV of per-sample rows beside it,
/// that a killed run can resume: the NPY is created at full size up front, each chunk is written at its offset and
/// flushed, its CSV rows appended, and only then the progress file (<c>OUT.progress.json</c>: signature and samples
/// done) is replaced atomically. Re-running with the same signature continues after the last committed chunk; a
/// different signature (other model, method or options) starts afresh. Nothing is lost or written twice.
/// </summary>
public sealed class ResumableStack : IDisposable
{
    private readonly FileStream _npy;
    private readonly long _dataOffset;
    private readonly long _sampleBytes;
    private readonly string _progressPath;
    private readonly string _rowsPartial;
    private readonly string _rowsFinal;
    private readonly string _signature;
    private StreamWriter? _rows;

    private ResumableStack(string path, int[] shape, string signature, string rowsPath, string rowsHeader)
    {
        _progressPath = path + ".progress.json";
        _rowsFinal = rowsPath;
        _rowsPartial = rowsPath + ".partial";
        _signature = signature;
        Shape = shape;
        _sampleBytes = sizeof(float) * shape.Skip(1).Aggregate(1L, (a, b) => a * b);
        int done = 0;
        if (File.Exists(_progressPath) && File.Exists(path) && File.Exists(_rowsPartial))
        {
            var state = JsonSerializer.Deserialize<Progress>(File.ReadAllText(_progressPath));
            if (state is not null && state.Signature == signature && state.Shape.SequenceEqual(shape)) done = state.Done;
        }
        var header = Header(shape);
        _dataOffset = header.Length;
        if (done > 0)
        {
            _npy = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
            if (_npy.Length != _dataOffset + _sampleBytes * shape[0]) { _npy.Dispose(); done = 0; _npy = Create(path, header, shape); }
        }
        else _npy = Create(path, header, shape);
        Done = done;
        // Keep exactly `done` rows (plus the header) of the partial CSV.
        var kept = done > 0 ? File.ReadLines(_rowsPartial).Take(done + 1).ToList() : [rowsHeader];
        if (kept.Count != done + 1) { Done = 0; kept = [rowsHeader]; }
        File.WriteAllText(_rowsPartial, string.Join("\n", kept) + "\n");
        _rows = new StreamWriter(new FileStream(_rowsPartial, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false)) { NewLine = "\n" };
        if (Done == 0) SaveProgress();
    }

    /// <summary>Samples already written by an earlier, interrupted run (0 for a fresh run).</summary>
    public int Done { get; private set; }

    /// <summary>Shape of the stack.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>Opens or resumes the stack at <paramref name="path"/> with its per-sample CSV at <paramref name="rowsPath"/>.</summary>
    public static ResumableStack Open(string path, int[] shape, string signature, string rowsPath, string rowsHeader)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(rowsPath))!);
        return new ResumableStack(path, shape, signature, rowsPath, rowsHeader);
    }

    /// <summary>Commits samples [Done, Done + count): their values and their CSV rows.</summary>
    public void Append(ReadOnlySpan<float> values, IReadOnlyList<string> rows)
    {
        int count = rows.Count;
        if (values.Length != count * _sampleBytes / sizeof(float)) throw new ArgumentException("Values do not match the number of rows.");
        _npy.Position = _dataOffset + Done * _sampleBytes;
        _npy.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
        _npy.Flush(flushToDisk: true);
        foreach (var r in rows) _rows!.WriteLine(r);
        _rows!.Flush();
        Done += count;
        SaveProgress();
    }

    /// <summary>Marks the run complete: the CSV gets its final name and the progress file is removed.</summary>
    public void Complete()
    {
        _rows?.Dispose();
        _rows = null;
        File.Move(_rowsPartial, _rowsFinal, overwrite: true);
        File.Delete(_progressPath);
    }

    private void SaveProgress()
    {
        var tmp = _progressPath + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(new Progress(_signature, [.. Shape], Done)));
        File.Move(tmp, _progressPath, overwrite: true);
    }

    private FileStream Create(string path, byte[] header, int[] shape)
    {
        var fs = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        fs.Write(header);
        fs.SetLength(header.Length + _sampleBytes * shape[0]);
        return fs;
    }

    /// <summary>An NPY 1.0 header for a little-endian float32 C-order array.</summary>
    public static byte[] Header(int[] shape)
    {
        var dims = string.Join(", ", shape) + (shape.Length == 1 ? "," : "");
        var dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({dims}), }}";
        int total = 10 + dict.Length + 1;
        int pad = (64 - total % 64) % 64;
        var text = dict + new string(' ', pad) + "\n";
        var bytes = new byte[10 + text.Length];
        bytes[0] = 0x93;
        "NUMPY"u8.CopyTo(bytes.AsSpan(1));
        bytes[6] = 1;
        bytes[7] = 0;
        BitConverter.TryWriteBytes(bytes.AsSpan(8, 2), (ushort)text.Length);
        Encoding.ASCII.GetBytes(text).CopyTo(bytes, 10);
        return bytes;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _rows?.Dispose();
        _npy.Dispose();
    }

    private sealed record Progress(string Signature, int[] Shape, int Done);
}
