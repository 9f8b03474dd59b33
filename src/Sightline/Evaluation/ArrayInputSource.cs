using System.Numerics.Tensors;
using Sightline.Data;
using Sightline.Explainers;

namespace Sightline.Evaluation;

/// <summary>Ready tensors held in memory (N×C×H×W float, preprocessed), with optional labels: the in-process counterpart of <see cref="NpyInputSource"/>.</summary>
public sealed class ArrayInputSource : IInputSource
{
    private readonly float[] _data;
    private readonly int[]? _labels;

    /// <summary>Wraps <paramref name="data"/> of <paramref name="count"/> samples of C×H×W <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentException">The array does not hold count·C·H·W values, or the labels are not one per sample.</exception>
    public ArrayInputSource(string name, float[] data, int count, IReadOnlyList<int> shape, int[]? labels = null)
    {
        if (shape.Count != 3) throw new ArgumentException("Per-sample shape must be C×H×W.", nameof(shape));
        if (data.Length != (long)count * shape[0] * shape[1] * shape[2]) throw new ArgumentException($"{name}: {data.Length} values do not fill {count}×{string.Join("×", shape)}.", nameof(data));
        if (labels is not null && labels.Length != count) throw new ArgumentException($"{name}: {labels.Length} labels for {count} samples.", nameof(labels));
        Name = name;
        _data = data;
        Count = count;
        Shape = [.. shape];
        _labels = labels;
    }

    /// <summary>The name used in messages.</summary>
    public string Name { get; }

    /// <inheritdoc/>
    public int Count { get; }

    /// <inheritdoc/>
    public IReadOnlyList<int> Shape { get; }

    private int Size => Shape[0] * Shape[1] * Shape[2];

    /// <inheritdoc/>
    public void Load(int start, int count, Span<float> destination) => _data.AsSpan(start * Size, count * Size).CopyTo(destination);

    /// <inheritdoc/>
    public string PathOf(int index) => $"{Name}[{index}]";

    /// <inheritdoc/>
    public int LabelOf(int index) => _labels?[index] ?? -1;

    /// <inheritdoc/>
    public RgbImage Display(int index)
    {
        int c = Shape[0], h = Shape[1], w = Shape[2];
        var x = _data.AsSpan(index * Size, Size);
        var rgb = new byte[h * w * 3];
        for (int ch = 0; ch < 3; ch++)
        {
            var plane = x.Slice(Math.Min(ch, c - 1) * h * w, h * w);
            float min = TensorPrimitives.Min(plane), max = TensorPrimitives.Max(plane);
            float range = max > min ? max - min : 1;
            for (int p = 0; p < h * w; p++) rgb[p * 3 + ch] = (byte)Math.Round(255 * (plane[p] - min) / range);
        }
        return new RgbImage(w, h, rgb);
    }
}
