using System.Buffers;
using System.IO.MemoryMappedFiles;
using Sightline.IO;

namespace Sightline.Cli.Commands;

/// <summary>
/// A little-endian, C-ordered float32 NPY file mapped read-only into memory: its values are used where they lie in the
/// page cache, with no copy and no new memory to fault in (for <c>neurons score</c>, two 32 MB matrices cost about
/// 25 ms of CPU less than reading them into new arrays). The mapping stays until <see cref="IDisposable.Dispose"/> or
/// the end of the process (no finalizer: a span of it may outlive every reference to this object).
/// </summary>
internal sealed unsafe class MappedNpyMatrix : MemoryManager<float>
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly float* _data;
    private readonly int _length;
    private int _released;

    private MappedNpyMatrix(MemoryMappedFile file, MemoryMappedViewAccessor view, float* data, int length)
    {
        _file = file; _view = view; _data = data; _length = length;
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
        MemoryMappedFile? file = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            if (view.Capacity < header.DataOffset + header.DataBytes) { view.Dispose(); file.Dispose(); return null; }
            byte* start = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
            shape = header.Shape;
            return new MappedNpyMatrix(file, view, (float*)(start + view.PointerOffset + header.DataOffset), (int)header.ElementCount);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            view?.Dispose();
            file?.Dispose();
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
    }
}
