using System.Buffers;
using System.IO.MemoryMappedFiles;
using Sightline.IO;

namespace Sightline.Cli.Commands;

/// <summary>
/// A little-endian, C-ordered float32 NPY file mapped read-only into memory: its values are used where they lie in the
/// page cache, with no copy and no new memory to fault in (for <c>neurons score</c>, two 32 MB matrices cost about
/// 25 ms of CPU less than reading them into new arrays). The mapping stays until <see cref="IDisposable.Dispose"/> or
/// the end of the process (no finalizer: a span of it may outlive every reference to this object).
/// A mapping shows the file as it is now, not as it was when it was opened: <see cref="ThrowIfChanged"/>, called before a
/// command writes its results, turns a file rewritten in place during the run (values read after they were checked)
/// into an input error instead of results computed from a mixture. A file truncated during the run still ends the
/// process (SIGBUS, which .NET does not turn into an exception); the README lists this limit.
/// </summary>
internal sealed unsafe class MappedNpyMatrix : MemoryManager<float>
{
    private readonly FileStream _stream;
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly float* _data;
    private readonly int _length;
    private readonly string _path;
    private readonly (long Length, DateTime Written) _opened;
    private int _released;

    private MappedNpyMatrix(string path, FileStream stream, MemoryMappedFile file, MemoryMappedViewAccessor view, float* data, int length)
    {
        _path = path; _stream = stream; _file = file; _view = view; _data = data; _length = length;
        _opened = State(stream);
    }

    // The length and last-write time of the open file (its inode: a file renamed over the path later is not this one).
    private static (long, DateTime) State(FileStream stream) =>
        (RandomAccess.GetLength(stream.SafeFileHandle), File.GetLastWriteTimeUtc(stream.SafeFileHandle));

    /// <summary>Throws when the mapped file's length or last-write time differs from when it was opened.</summary>
    /// <exception cref="InputDataException">The file was written to during the run.</exception>
    public void ThrowIfChanged()
    {
        if (Volatile.Read(ref _released) != 0) return;
        if (State(_stream) != _opened)
            throw new InputDataException($"{_path}: the file was written to while this run read it, so its results could mix old and new values; nothing was written. Run again once nothing else writes to it.");
    }

    /// <summary>The matrix of <paramref name="path"/> when it is a plain 2-D float32 .npy file that can be mapped; null otherwise
    /// (the caller reads it the ordinary way, which also reports any problem with the file).</summary>
    public static MappedNpyMatrix? TryOpen(string path, out int[] shape)
    {
        shape = [];
        if (!path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) || !File.Exists(path)) return null;
        NpyHeader header;
        try
        {
            using var reader = NpyReader.Open(path);
            header = reader.Header;
        }
        catch (InputDataException) { return null; }
        if (header.DType != NpyDType.Float32 || header.BigEndian || header.FortranOrder || header.Shape.Length != 2
            || header.ElementCount == 0 || header.ElementCount > Array.MaxLength) return null;
        FileStream? stream = null;
        MemoryMappedFile? file = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
            file = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
            view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            if (view.Capacity < header.DataOffset + header.DataBytes) { view.Dispose(); file.Dispose(); stream.Dispose(); return null; }
            byte* start = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
            shape = header.Shape;
            return new MappedNpyMatrix(path, stream, file, view, (float*)(start + view.PointerOffset + header.DataOffset), (int)header.ElementCount);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            view?.Dispose();
            file?.Dispose();
            stream?.Dispose();
            return null;
        }
    }

    /// <inheritdoc/>
    public override Span<float> GetSpan() => new(_data, _length);

    /// <inheritdoc/>
    public override MemoryHandle Pin(int elementIndex = 0) => new(_data + elementIndex);

    /// <inheritdoc/>
    public override void Unpin() { }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _released, 1) != 0) return;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
        _stream.Dispose();
    }
}
