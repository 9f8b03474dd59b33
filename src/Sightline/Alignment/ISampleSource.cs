namespace Sightline.Alignment;

/// <summary>
/// A stack of samples (maps, masks) read one sample at a time as float32, so long runs keep memory flat.
/// <see cref="Read"/> must be safe to call from several threads at once.
/// <para>
/// Limitation: samples are delivered as float32 whatever the stored dtype, so float64 (and int64) data are rounded to
/// the nearest float32 (about 7 significant digits; values closer than that may tie). Every metric works on float32
/// maps; a float64 pipeline is not provided.
/// </para>
/// </summary>
public interface ISampleSource
{
    /// <summary>Where the data comes from (a file name), used in error messages.</summary>
    string Name { get; }

    /// <summary>Full shape, first axis = samples.</summary>
    IReadOnlyList<int> Shape { get; }

    /// <summary>Reads sample <paramref name="index"/> (all values after the first axis) into <paramref name="destination"/>.</summary>
    void Read(int index, Span<float> destination);
}

/// <summary>
/// A <see cref="ISampleSource"/> that can also deliver a sample as bytes, so boolean and uint8 masks stay bytes from the
/// file to the metric kernels (no float conversion, a vectorised 0/1 check): <c>sightline align</c> reads masks this way
/// whenever <see cref="TryReadBytes"/> says it can.
/// </summary>
public interface IByteSampleSource : ISampleSource
{
    /// <summary>
    /// Reads sample <paramref name="index"/> as bytes into <paramref name="destination"/> and returns true, or returns
    /// false (writing nothing) when the stored type has no exact byte form (then read floats with <see cref="ISampleSource.Read"/>).
    /// Booleans read as 0/1; other values are returned as stored, unchecked: the caller checks that a mask holds 0/1.
    /// Safe to call from several threads at once.
    /// </summary>
    bool TryReadBytes(int index, Span<byte> destination);
}

/// <summary>An in-memory <see cref="ISampleSource"/>.</summary>
public sealed class ArraySampleSource : ISampleSource
{
    private readonly float[] _data;
    private readonly int _stride;

    /// <summary>Wraps <paramref name="data"/> (row-major) of the given shape.</summary>
    public ArraySampleSource(string name, float[] data, params int[] shape)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (shape.Length < 1 || count != data.Length)
            throw new ArgumentException($"{name}: {data.Length} values do not fill shape ({string.Join(", ", shape)}).");
        Name = name;
        Shape = shape;
        _data = data;
        _stride = shape[0] == 0 ? 0 : (int)(count / shape[0]);
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public IReadOnlyList<int> Shape { get; }

    /// <inheritdoc/>
    public void Read(int index, Span<float> destination) => _data.AsSpan(index * _stride, _stride).CopyTo(destination);
}
