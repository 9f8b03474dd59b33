using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Sightline.IO;

/// <summary>
/// Random-access reader for an NPY array, either a <c>.npy</c> file or an entry of a <c>.npz</c> archive.
/// Elements are read on demand (any range, converted to the requested type) so arrays larger than memory can be
/// processed in slices. All <c>Read</c> methods are safe to call from several threads at once: they use positional
/// reads (<see cref="RandomAccess"/>) and per-call pooled buffers, never a shared file position.
/// </summary>
/// <remarks>
/// <para>Fortran-ordered arrays (<c>'fortran_order': True</c>) with two or more dimensions are loaded fully into memory
/// once, at open, and transposed to C order, so every read still returns C (row-major) order. The transpose holds the
/// raw and the reordered copy at the same time, so it needs about twice the array's size in memory (and the array must
/// fit in one .NET array); C-ordered files are read on demand instead. Arrays produced by numpy are C-ordered unless
/// explicitly saved from a transposed view; <c>numpy.ascontiguousarray</c> fixes a large one.</para>
/// <para>Deflated <c>.npz</c> entries are decompressed once into a temporary file that is deleted on
/// <see cref="Dispose"/>; stored entries are read in place.</para>
/// <para>Conversions: reading into <c>float</c>/<c>double</c> converts any dtype as a numpy <c>astype</c> would
/// (int64 and float64 values may round to the nearest float32). Reading into an integer type (<c>byte</c>,
/// <c>int</c>, <c>long</c>, ...) is exact: every value must be integral and inside the target range (bool reads as
/// 0/1), otherwise an <see cref="InputDataException"/> naming the file, the element index and the value is thrown.
/// This is what catches a float "mask" holding 0.5 or a label map with values above 255 read as bytes.</para>
/// </remarks>
public sealed class NpyReader : IDisposable
{
    // 64 KiB keeps the conversion buffer in L2 and makes each positional read large enough to be efficient.
    private const int ChunkBytes = 64 * 1024;

    private readonly SafeFileHandle? _handle;
    private readonly long _dataStart;
    private readonly byte[]? _memory;
    private readonly bool _swap;
    private readonly string _tempPath;
    private int _disposed;

    private NpyReader(string path, NpyHeader header, SafeFileHandle? handle, long dataStart, byte[]? memory, string tempPath)
    {
        Path = path;
        Header = header;
        _handle = handle;
        _dataStart = dataStart;
        _memory = memory;
        _tempPath = tempPath;
        _swap = header.BigEndian == BitConverter.IsLittleEndian && header.ItemSize > 1;
    }

    /// <summary>
    /// Opens an array: a <c>.npy</c> path, a <c>.npz</c> path holding exactly one array, or <c>archive.npz:name</c>
    /// for a named entry (the <c>.npy</c> suffix of the entry name is optional).
    /// </summary>
    /// <exception cref="InputDataException">The file is missing, not NPY/NPZ, truncated, or holds an unsupported dtype.</exception>
    public static NpyReader Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string file = path;
        string? entry = null;
        int colon = path.LastIndexOf(':');
        if (colon > 0 && path[..colon].EndsWith(".npz", StringComparison.OrdinalIgnoreCase) && !File.Exists(path))
        {
            file = path[..colon];
            entry = path[(colon + 1)..];
        }
        if (entry is not null || file.EndsWith(".npz", StringComparison.OrdinalIgnoreCase) || IsZip(file))
            return Npz.OpenEntry(file, entry);
        var handle = OpenHandle(file);
        try
        {
            return FromHandle(file, handle, 0, RandomAccess.GetLength(handle), tempPath: "");
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>The path the reader was opened with (<c>archive.npz:name</c> for an archive entry).</summary>
    public string Path { get; }

    /// <summary>The parsed header.</summary>
    public NpyHeader Header { get; }

    /// <summary>Dimensions (C order; empty for a 0-d array).</summary>
    public int[] Shape => (int[])Header.Shape.Clone();

    /// <summary>Number of elements.</summary>
    public long ElementCount => Header.ElementCount;

    /// <summary>Element type stored in the file.</summary>
    public NpyDType DType => Header.DType;

    internal static SafeFileHandle OpenHandle(string file)
    {
        try
        {
            return File.OpenHandle(file, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new InputDataException($"{file}: file not found; check the path.", e);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new InputDataException($"{file}: cannot open ({e.Message}).", e);
        }
    }

    private static bool IsZip(string file)
    {
        // A .npy path that is really a zip (np.savez to a misnamed file) is opened as an archive rather than
        // reported as "not an NPY file".
        try
        {
            using var h = File.OpenHandle(file, FileMode.Open, FileAccess.Read, FileShare.Read);
            Span<byte> sig = stackalloc byte[4];
            return RandomAccess.Read(h, sig, 0) == 4 && BinaryPrimitives.ReadUInt32LittleEndian(sig) == 0x04034b50;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Builds a reader over an NPY stream that starts at <paramref name="start"/> in an open file; takes ownership of the handle.</summary>
    internal static NpyReader FromHandle(string name, SafeFileHandle handle, long start, long length, string tempPath)
    {
        var header = NpyHeader.Read(name, (offset, buffer) => ReadFully(handle, buffer.Span, start + offset), length);
        if (header.FortranOrder && header.Shape.Length >= 2)
        {
            byte[] memory = LoadFortran(name, handle, start + header.DataOffset, header);
            handle.Dispose();
            if (tempPath.Length > 0) TryDelete(tempPath);
            return new NpyReader(name, header with { FortranOrder = false }, null, 0, memory, "");
        }
        return new NpyReader(name, header, handle, start + header.DataOffset, null, tempPath);
    }

    private static byte[] LoadFortran(string name, SafeFileHandle handle, long offset, NpyHeader header)
    {
        if (header.DataBytes > Array.MaxLength)
            throw new InputDataException($"{name}: Fortran-ordered array of {header.DataBytes} bytes is too large to transpose in memory; save it in C order (numpy.ascontiguousarray).");
        var raw = new byte[header.DataBytes];
        if (ReadFully(handle, raw, offset) != raw.Length)
            throw new InputDataException($"{name}: truncated while reading Fortran-ordered data.");
        var c = new byte[raw.Length];
        int[] shape = header.Shape;
        int rank = shape.Length;
        int size = header.ItemSize;
        // Fortran strides (in elements): the first axis varies fastest.
        var strides = new long[rank];
        long s = 1;
        for (int k = 0; k < rank; k++)
        {
            strides[k] = s;
            s *= shape[k];
        }
        var index = new int[rank];
        long src = 0;
        long n = header.ElementCount;
        for (long dst = 0; dst < n; dst++)
        {
            raw.AsSpan((int)(src * size), size).CopyTo(c.AsSpan((int)(dst * size), size));
            // Advance the C-order multi-index (last axis fastest) and keep the Fortran offset in step.
            for (int k = rank - 1; k >= 0; k--)
            {
                if (++index[k] < shape[k])
                {
                    src += strides[k];
                    break;
                }
                src -= strides[k] * (shape[k] - 1);
                index[k] = 0;
            }
        }
        return c;
    }

    internal static int ReadFully(SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = RandomAccess.Read(handle, buffer[total..], offset + total);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    /// <summary>Reads <c>destination.Length</c> elements starting at flat C-order index <paramref name="startElement"/>, converted to float.</summary>
    public void Read(long startElement, Span<float> destination) => ReadInto(startElement, destination);

    /// <summary>Reads elements converted to double.</summary>
    public void Read(long startElement, Span<double> destination) => ReadInto(startElement, destination);

    /// <summary>Reads elements as bytes (masks, bools): values must be integers in 0..255, else <see cref="InputDataException"/>.</summary>
    public void Read(long startElement, Span<byte> destination) => ReadInto(startElement, destination);

    /// <summary>Reads elements as int: values must be integral and in range, else <see cref="InputDataException"/>.</summary>
    public void Read(long startElement, Span<int> destination) => ReadInto(startElement, destination);

    /// <summary>Reads elements as long: values must be integral and in range, else <see cref="InputDataException"/>.</summary>
    public void Read(long startElement, Span<long> destination) => ReadInto(startElement, destination);

    /// <summary>
    /// Reads the whole array into a new array of <typeparamref name="T"/> (any numeric type, including
    /// <see cref="Half"/>, <c>sbyte</c>, <c>ushort</c>, ...), with the conversion rules of the class remarks.
    /// </summary>
    public T[] ReadAll<T>() where T : unmanaged, INumberBase<T>
    {
        if (ElementCount > Array.MaxLength)
            throw new InputDataException($"{Path}: {ElementCount} elements do not fit in one array; read it in slices with Read.");
        var result = new T[ElementCount];
        ReadInto<T>(0, result);
        return result;
    }

    /// <summary>Reads elements starting at <paramref name="startElement"/> into any numeric span (see the class remarks for conversions).</summary>
    public void Read<T>(long startElement, Span<T> destination) where T : unmanaged, INumberBase<T> => ReadInto(startElement, destination);

    private void ReadInto<T>(long startElement, Span<T> destination) where T : unmanaged, INumberBase<T>
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (startElement < 0 || startElement > ElementCount - destination.Length)
            throw new ArgumentOutOfRangeException(nameof(startElement), $"Elements {startElement}..{startElement + destination.Length} are outside {Path} ({ElementCount} elements).");
        if (destination.IsEmpty) return;
        int size = Header.ItemSize;
        if (!_swap && NpyDTypes.TryFor(typeof(T), out var same) && same == Header.DType)
        {
            // Fast path: the bytes on disk are already the destination's representation.
            ReadRaw(startElement * size, MemoryMarshal.AsBytes(destination));
            return;
        }
        if (typeof(T) == typeof(byte) && Header.DType == NpyDType.Bool)
        {
            // Booleans as bytes: read in place, then map any non-zero byte to 1 (numpy writes 0/1, so this rarely runs).
            var bytes = MemoryMarshal.AsBytes(destination);
            ReadRaw(startElement, bytes);
            for (int i = bytes.IndexOfAnyExcept((byte)0, (byte)1); i >= 0 && i < bytes.Length; i++)
                if (bytes[i] > 1) bytes[i] = 1;
            return;
        }
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            int perChunk = ChunkBytes / size;
            for (int done = 0; done < destination.Length;)
            {
                int n = Math.Min(perChunk, destination.Length - done);
                var raw = buffer.AsSpan(0, n * size);
                ReadRaw((startElement + done) * size, raw);
                if (_swap) SwapInPlace(raw, size);
                Convert(raw, destination.Slice(done, n), startElement + done);
                done += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void ReadRaw(long byteOffset, Span<byte> destination)
    {
        if (_memory is not null)
        {
            _memory.AsSpan(checked((int)byteOffset), destination.Length).CopyTo(destination);
            return;
        }
        if (ReadFully(_handle!, destination, _dataStart + byteOffset) != destination.Length)
            throw new InputDataException($"{Path}: the file became shorter while reading (was it overwritten?).");
    }

    private static void SwapInPlace(Span<byte> raw, int size)
    {
        switch (size)
        {
            case 2:
                var s = MemoryMarshal.Cast<byte, ushort>(raw);
                BinaryPrimitives.ReverseEndianness(s, s);
                break;
            case 4:
                var i = MemoryMarshal.Cast<byte, uint>(raw);
                BinaryPrimitives.ReverseEndianness(i, i);
                break;
            case 8:
                var l = MemoryMarshal.Cast<byte, ulong>(raw);
                BinaryPrimitives.ReverseEndianness(l, l);
                break;
        }
    }

    private void Convert<T>(ReadOnlySpan<byte> raw, Span<T> destination, long firstIndex) where T : unmanaged, INumberBase<T>
    {
        switch (Header.DType)
        {
            case NpyDType.Bool: ConvertBool(raw, destination); break;
            case NpyDType.UInt8: Convert<byte, T>(raw, destination, firstIndex); break;
            case NpyDType.Int8: Convert<sbyte, T>(raw, destination, firstIndex); break;
            case NpyDType.Int16: Convert<short, T>(raw, destination, firstIndex); break;
            case NpyDType.UInt16: Convert<ushort, T>(raw, destination, firstIndex); break;
            case NpyDType.Int32: Convert<int, T>(raw, destination, firstIndex); break;
            case NpyDType.UInt32: Convert<uint, T>(raw, destination, firstIndex); break;
            case NpyDType.Int64: Convert<long, T>(raw, destination, firstIndex); break;
            case NpyDType.UInt64: Convert<ulong, T>(raw, destination, firstIndex); break;
            case NpyDType.Float16: Convert<Half, T>(raw, destination, firstIndex); break;
            case NpyDType.Float32: Convert<float, T>(raw, destination, firstIndex); break;
            case NpyDType.Float64: Convert<double, T>(raw, destination, firstIndex); break;
        }
    }

    private static void ConvertBool<T>(ReadOnlySpan<byte> raw, Span<T> destination) where T : INumberBase<T>
    {
        // numpy writes 0/1, but any non-zero byte is True.
        for (int i = 0; i < raw.Length; i++) destination[i] = raw[i] != 0 ? T.One : T.Zero;
    }

    private static bool IsFloating<T>() => typeof(T) == typeof(float) || typeof(T) == typeof(double) || typeof(T) == typeof(Half);

    private void Convert<TFrom, TTo>(ReadOnlySpan<byte> raw, Span<TTo> destination, long firstIndex)
        where TFrom : unmanaged, INumberBase<TFrom>
        where TTo : unmanaged, INumberBase<TTo>
    {
        var source = MemoryMarshal.Cast<byte, TFrom>(raw);
        if (typeof(TFrom) == typeof(TTo))
        {
            MemoryMarshal.Cast<TFrom, TTo>(source).CopyTo(destination);
            return;
        }
        if (IsFloating<TTo>())
        {
            // Value conversion as numpy astype does; vectorised for the common pairs (half/int/double -> float).
            TensorPrimitives.ConvertTruncating(source, destination);
            return;
        }
        for (int i = 0; i < source.Length; i++)
        {
            TFrom v = source[i];
            TTo t = TTo.CreateSaturating(v);
            if (TFrom.CreateSaturating(t) != v)
                throw new InputDataException(
                    $"{Path}: element {firstIndex + i} is {v} ({Header.DType.NumpyName()}), which is not exactly representable as {typeof(TTo).Name}; " +
                    "the file must hold integers in range for this use (for masks: 0/1 or class ids 0..255).");
            destination[i] = t;
        }
    }

    /// <summary>Closes the file and deletes any temporary decompressed copy.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _handle?.Dispose();
        if (_tempPath.Length > 0) TryDelete(_tempPath);
    }

    internal static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
