using System.Text;
using System.Text.Json;
using Sightline.IO;

namespace Sightline.Results;

/// <summary>
/// A float32 NPY stack (samples on the first axis) written chunk by chunk, with a CSV of per-sample rows beside it,
/// that a killed run can resume. While the run is unfinished the data live in <c>OUT.partial</c> and
/// <c>ROWS.partial</c>: the NPY is created at full size up front, each chunk is written at its offset and flushed, its
/// CSV rows appended, and only then the progress file (<c>OUT.progress.json</c>: signature and samples done) is
/// replaced atomically. <see cref="Complete"/> renames both to their final names and records the signature in a
/// sidecar <c>OUT.sightline.json</c>, so the final name appears only for a complete stack. Re-running with the same
/// signature continues after the last committed chunk, or, when the final output and its sidecar already match,
/// reports <see cref="IsComplete"/> without recomputing (unless forced); a different signature (other model, method,
/// options or data) starts afresh. Nothing is lost or written twice. While open, the stack holds the output's
/// <see cref="OutputLock"/> (<c>OUT.lock</c>), so a second run on the same output fails at once instead of mixing its
/// chunks in. A run that fails before committing any chunk removes its partial files on <see cref="Dispose"/>; one that
/// committed chunks keeps them and <see cref="ResumeHint"/> says how to resume.
/// </summary>
public sealed class ResumableStack : IDisposable
{
    private readonly FileStream? _npy;
    private readonly string _path;
    private readonly string _npyPartial;
    private readonly string _sidecarPath;
    private readonly long _dataOffset;
    private readonly long _sampleBytes;
    private readonly string _progressPath;
    private readonly string _rowsPartial;
    private readonly string _rowsFinal;
    private readonly string _signature;
    private StreamWriter? _rows;
    private OutputLock? _lock;

    private ResumableStack(string path, int[] shape, string signature, string rowsPath, string rowsHeader, bool force)
    {
        _path = path;
        _npyPartial = path + ".partial";
        _progressPath = path + ".progress.json";
        _sidecarPath = path + ".sightline.json";
        _rowsFinal = rowsPath;
        _rowsPartial = rowsPath + ".partial";
        _signature = signature;
        Shape = shape;
        _sampleBytes = sizeof(float) * shape.Skip(1).Aggregate(1L, (a, b) => a * b);
        var header = Header(shape);
        _dataOffset = header.Length;
        if (!force && File.Exists(path) && File.Exists(rowsPath) && ReadState(_sidecarPath) is { } finished
            && finished.Signature == signature && finished.Shape.SequenceEqual(shape) && finished.Done == shape[0]
            && new FileInfo(path).Length == _dataOffset + _sampleBytes * shape[0])
        {
            IsComplete = true;
            Done = shape[0];
            return;
        }
        int done = 0;
        if (!force && File.Exists(_progressPath) && File.Exists(_npyPartial) && File.Exists(_rowsPartial)
            && ReadState(_progressPath) is { } state && state.Signature == signature && state.Shape.SequenceEqual(shape))
            done = state.Done;
        if (done > 0)
        {
            _npy = new FileStream(_npyPartial, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
            if (_npy.Length != _dataOffset + _sampleBytes * shape[0]) { _npy.Dispose(); done = 0; _npy = Create(_npyPartial, header, shape); }
        }
        else _npy = Create(_npyPartial, header, shape);
        Done = done;
        // Keep exactly `done` rows (plus the header) of the partial CSV.
        var kept = done > 0 ? File.ReadLines(_rowsPartial).Take(done + 1).ToList() : [rowsHeader];
        if (kept.Count != done + 1) { Done = 0; kept = [rowsHeader]; }
        File.WriteAllText(_rowsPartial, string.Join("\n", kept) + "\n");
        _rows = new StreamWriter(new FileStream(_rowsPartial, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false)) { NewLine = "\n" };
        if (Done == 0) SaveProgress();
    }

    private static Progress? ReadState(string file)
    {
        if (!File.Exists(file)) return null;
        try
        {
            return JsonSerializer.Deserialize<Progress>(File.ReadAllText(file));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// True when the final output already holds a complete stack written with the same signature and shape (recorded in
    /// <c>OUT.sightline.json</c>): nothing is left to append, and <see cref="Complete"/> changes nothing.
    /// </summary>
    public bool IsComplete { get; private set; }

    /// <summary>Samples already written by an earlier run: those of an interrupted run, all of them when <see cref="IsComplete"/>, 0 for a fresh run.</summary>
    public int Done { get; private set; }

    /// <summary>Shape of the stack.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>
    /// Opens or resumes the stack at <paramref name="path"/> with its per-sample CSV at <paramref name="rowsPath"/>;
    /// <paramref name="force"/> ignores both an earlier complete output and an unfinished one, and starts afresh.
    /// </summary>
    /// <exception cref="InputDataException">Another run holds the output's lock, or the output cannot be written.</exception>
    public static ResumableStack Open(string path, int[] shape, string signature, string rowsPath, string rowsHeader, bool force = false)
    {
        AtomicFile.EnsureFolder(path);
        AtomicFile.EnsureFolder(rowsPath);
        var held = OutputLock.Acquire(path);
        try
        {
            var stack = new ResumableStack(path, shape, signature, rowsPath, rowsHeader, force) { _lock = held };
            return stack;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            held.Dispose();
            throw AtomicFile.CannotWrite(Path.GetFullPath(path) + ".partial", e);
        }
        catch
        {
            held.Dispose();
            throw;
        }
    }

    /// <summary>Key of <see cref="Exception.Data"/> under which a failed resumable run leaves <see cref="ResumeHint"/>; the CLI appends it to the error line.</summary>
    public const string ResumeHintKey = "sightline.resume";

    /// <summary>
    /// For an unfinished run that committed some chunks: "k of n samples are saved in OUT.partial; run the same command
    /// again to resume"; null otherwise.
    /// </summary>
    public string? ResumeHint => !IsComplete && Done > 0
        ? $"{Done} of {Shape[0]} samples are saved in {_npyPartial}; run the same command again to resume"
        : null;

    /// <summary>Commits samples [Done, Done + count): their values and their CSV rows.</summary>
    public void Append(ReadOnlySpan<float> values, IReadOnlyList<string> rows)
    {
        if (_npy is null) throw new InvalidOperationException($"{_path} is already complete; nothing can be appended.");
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

    /// <summary>
    /// Marks the run complete: the NPY and the CSV get their final names (atomic renames), the signature is recorded in
    /// <c>OUT.sightline.json</c> and the progress file is removed. Does nothing when the stack <see cref="IsComplete"/>.
    /// </summary>
    public void Complete()
    {
        if (IsComplete) return;
        if (Done != Shape[0]) throw new InvalidOperationException($"{_path}: {Done} of {Shape[0]} samples written; the stack is not complete.");
        _rows?.Dispose();
        _rows = null;
        _npy!.Flush(flushToDisk: true);
        _npy.Dispose();
        File.Delete(_sidecarPath);
        AtomicFile.Commit(_npyPartial, _path);
        AtomicFile.Commit(_rowsPartial, _rowsFinal);
        AtomicFile.WriteAllText(_sidecarPath, JsonSerializer.Serialize(new Progress(_signature, [.. Shape], Done)));
        File.Delete(_progressPath);
        IsComplete = true;
    }

    private void SaveProgress() => AtomicFile.WriteAllText(_progressPath, JsonSerializer.Serialize(new Progress(_signature, [.. Shape], Done)));

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
        _rows = null;
        _npy?.Dispose();
        if (!IsComplete && Done == 0)
        {
            // Nothing committed: nothing to resume, so leave nothing behind.
            foreach (var f in new[] { _npyPartial, _rowsPartial, _progressPath })
            {
                try { File.Delete(f); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            }
        }
        _lock?.Dispose();
        _lock = null;
    }

    private sealed record Progress(string Signature, int[] Shape, int Done);
}
