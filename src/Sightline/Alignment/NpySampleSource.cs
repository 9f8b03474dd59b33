using Sightline.IO;

namespace Sightline.Alignment;

/// <summary>An <see cref="ISampleSource"/> over an NPY file (or an NPZ entry), read sample by sample without loading the file.</summary>
public sealed class NpySampleSource : IByteSampleSource, IDisposable
{
    private readonly NpyReader _reader;
    private readonly long _stride;

    /// <summary>Opens <paramref name="path"/> (<c>x.npy</c>, <c>x.npz</c> with one array, or <c>x.npz:name</c>).</summary>
    /// <exception cref="InputDataException">The file is missing, unreadable or not a numeric array with at least one axis.</exception>
    public NpySampleSource(string path)
    {
        _reader = NpyReader.Open(path);
        var shape = _reader.Shape;
        if (shape.Length < 1)
        {
            _reader.Dispose();
            throw new InputDataException($"{path}: a 0-d array holds no samples; expected a stack with samples on the first axis.");
        }
        Shape = shape;
        Name = path;
        _stride = shape[0] == 0 ? 0 : _reader.ElementCount / shape[0];
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public IReadOnlyList<int> Shape { get; }

    /// <inheritdoc/>
    public void Read(int index, Span<float> destination) => _reader.Read(index * _stride, destination[..(int)_stride]);

    /// <inheritdoc/>
    /// <remarks>Bool and uint8 arrays only (their bytes are read in place, booleans as 0/1); other dtypes return false.</remarks>
    public bool TryReadBytes(int index, Span<byte> destination)
    {
        if (_reader.DType is not (NpyDType.Bool or NpyDType.UInt8)) return false;
        _reader.Read(index * _stride, destination[..(int)_stride]);
        return true;
    }

    /// <summary>Reads a 1-D integer array (labels, predictions, ids) of this file entirely.</summary>
    public static int[] ReadIntegers(string path)
    {
        using var reader = NpyReader.Open(path);
        if (reader.Shape.Length != 1 && !(reader.Shape.Length == 2 && reader.Shape[1] == 1))
            throw new InputDataException($"{path}: expected a 1-D array of integers (N), got shape ({string.Join(", ", reader.Shape)}).");
        var values = new double[reader.ElementCount];
        reader.Read(0, values.AsSpan());
        var result = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            double v = values[i];
            if (v != Math.Floor(v))
                throw new InputDataException($"{path}: entry {i} is {v.ToString(System.Globalization.CultureInfo.InvariantCulture)}, not an integer.");
            if (v < int.MinValue || v > int.MaxValue)
                throw new InputDataException($"{path}: entry {i} is {v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}, outside the 32-bit integer range of labels and ids; check that this is the right file.");
            result[i] = (int)v;
        }
        return result;
    }

    /// <inheritdoc/>
    public void Dispose() => _reader.Dispose();
}
