using System.Runtime.InteropServices;

namespace Sightline.IO;

/// <summary>Whole-array NPY writing. Files are little-endian, C order, format 1.0 (2.0 only when the header needs it).</summary>
public static class Npy
{
    /// <summary>
    /// Writes <paramref name="data"/> as an NPY file with the given shape. With no shape, one element is written as
    /// a 0-d (scalar) array and any other count as a 1-d array of <c>data.Length</c>.
    /// <typeparamref name="T"/> is one of float, double, Half, bool, byte, sbyte, short, ushort, int, uint, long, ulong.
    /// The file is written under a temporary name and renamed when complete (<see cref="AtomicFile"/>).
    /// </summary>
    public static void Write<T>(string path, ReadOnlySpan<T> data, params int[] shape) where T : unmanaged
    {
        using var file = AtomicFile.Create(path);
        try
        {
            Write(file.Stream, data, shape);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw AtomicFile.CannotWrite(file.Destination, e);
        }
        file.Commit();
    }

    /// <summary>Writes <paramref name="data"/> as an NPY file from an array (see the span overload).</summary>
    public static void Write<T>(string path, T[] data, params int[] shape) where T : unmanaged => Write(path, (ReadOnlySpan<T>)data, shape);

    /// <summary>Writes an NPY stream (header then data) to <paramref name="stream"/>.</summary>
    public static void Write<T>(Stream stream, ReadOnlySpan<T> data, params int[] shape) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(stream);
        var dtype = NpyDTypes.For<T>();
        shape = ResolveShape(shape, data.Length);
        stream.Write(NpyHeader.Build(dtype, shape));
        WriteData(stream, data);
    }

    internal static int[] ResolveShape(int[]? shape, long count, bool inferWhenMissing = true)
    {
        if (shape is null || (shape.Length == 0 && inferWhenMissing && count != 1))
        {
            if (count > int.MaxValue) throw new ArgumentException($"Give an explicit shape for {count} elements.", nameof(shape));
            return [(int)count];
        }
        long product = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"Shape {NpyHeader.FormatShape(shape)} has a negative dimension.", nameof(shape));
            product = checked(product * d);
        }
        if (product != count)
            throw new ArgumentException($"Shape {NpyHeader.FormatShape(shape)} holds {product} elements but {count} were given.", nameof(shape));
        return (int[])shape.Clone();
    }

    internal static void WriteData<T>(Stream stream, ReadOnlySpan<T> data) where T : unmanaged
    {
        if (typeof(T) == typeof(bool))
        {
            // .NET bools are one byte but only 0/1 is guaranteed by numpy readers; normalise defensively.
            var bytes = MemoryMarshal.AsBytes(data);
            Span<byte> chunk = stackalloc byte[4096];
            for (int i = 0; i < bytes.Length; i += chunk.Length)
            {
                int n = Math.Min(chunk.Length, bytes.Length - i);
                for (int j = 0; j < n; j++) chunk[j] = bytes[i + j] != 0 ? (byte)1 : (byte)0;
                stream.Write(chunk[..n]);
            }
            return;
        }
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(data));
            return;
        }
        WriteSwapped(stream, data);
    }

    private static void WriteSwapped<T>(Stream stream, ReadOnlySpan<T> data) where T : unmanaged
    {
        // Only reached on big-endian hosts; kept so files are always little-endian as the header says.
        int size = Marshal.SizeOf<T>();
        var bytes = MemoryMarshal.AsBytes(data).ToArray();
        for (int i = 0; i + size <= bytes.Length; i += size) bytes.AsSpan(i, size).Reverse();
        stream.Write(bytes);
    }
}

/// <summary>
/// Streaming NPY writer for arrays of known total shape that are produced in pieces (e.g. N×H×W results written
/// sample by sample). Create it with the full shape, call <see cref="Write{T}"/> with consecutive C-order elements
/// until all are written, then <see cref="Complete"/> (or dispose). The data go to a temporary file in the same folder,
/// renamed over the destination only when complete. Not thread-safe.
/// </summary>
public sealed class NpyWriter : IDisposable
{
    private readonly AtomicFile.PendingFile _file;
    private readonly FileStream _stream;
    private bool _closed;

    private NpyWriter(string path, AtomicFile.PendingFile file, NpyDType dtype, int[] shape)
    {
        Path = path;
        _file = file;
        _stream = file.Stream;
        DType = dtype;
        Shape = shape;
        ElementCount = new NpyHeader(dtype, false, false, shape, 0, 1).ElementCount;
    }

    /// <summary>Creates (overwrites) <paramref name="path"/> and writes the header for an array of the given dtype and shape.</summary>
    public static NpyWriter Create(string path, NpyDType dtype, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        foreach (int d in shape)
            if (d < 0) throw new ArgumentException($"Shape {NpyHeader.FormatShape(shape)} has a negative dimension.", nameof(shape));
        var file = AtomicFile.Create(path);
        file.Stream.Write(NpyHeader.Build(dtype, shape));
        return new NpyWriter(path, file, dtype, (int[])shape.Clone());
    }

    /// <summary>The file being written.</summary>
    public string Path { get; }

    /// <summary>Element type of the file.</summary>
    public NpyDType DType { get; }

    /// <summary>Full array shape declared at creation.</summary>
    public int[] Shape { get; }

    /// <summary>Elements the shape holds.</summary>
    public long ElementCount { get; }

    /// <summary>Elements written so far.</summary>
    public long Written { get; private set; }

    /// <summary>
    /// Appends the next elements in C order. <typeparamref name="T"/> must be the .NET type of <see cref="DType"/>
    /// (float for Float32, bool for Bool, Half for Float16, ...); writing past the declared shape throws.
    /// </summary>
    public void Write<T>(ReadOnlySpan<T> values) where T : unmanaged
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (NpyDTypes.For<T>() != DType)
            throw new ArgumentException($"{Path} holds {DType.NumpyName()} but {typeof(T).Name} values were given.", nameof(values));
        if (values.Length > ElementCount - Written)
            throw new InvalidOperationException($"{Path}: writing {values.Length} more elements would exceed the declared shape {NpyHeader.FormatShape(Shape)} ({ElementCount} elements, {Written} written).");
        Npy.WriteData(_stream, values);
        Written += values.Length;
    }

    /// <summary>
    /// Flushes and renames the temporary file into place; throws when fewer elements than the shape holds were written
    /// (the temporary file is deleted and an earlier file at <see cref="Path"/> stays as it was).
    /// </summary>
    public void Complete()
    {
        if (_closed) return;
        _closed = true;
        if (Written == ElementCount)
        {
            _file.Commit();
            return;
        }
        _file.Dispose();
        throw new InvalidOperationException($"{Path}: only {Written} of {ElementCount} elements (shape {NpyHeader.FormatShape(Shape)}) were written; nothing was written to {Path}.");
    }

    /// <summary>Same as <see cref="Complete"/>: an incomplete file is discarded and reported, so a short write is never silently kept.</summary>
    public void Dispose() => Complete();
}
