using System.Numerics.Tensors;

namespace Sightline.Neurons;

/// <summary>How a layer's C×h×w activations become per-neuron values for the probing set.</summary>
public enum SpatialReduce
{
    /// <summary>Mean over locations: one row per image.</summary>
    Mean,
    /// <summary>Maximum over locations: one row per image.</summary>
    Max,
    /// <summary>Every location is a probing input: h·w rows per image (for segmentation-style concepts).</summary>
    None,
}

/// <summary>
/// Builds neuron activations and concept labels for Neuron Eval (Oikarinen et al., ICML 2025) from model activations and
/// annotations: spatial reduction of C×h×w activations, and concept matrices from segmentation masks (per-image
/// presence or pixel fraction per class, or per-location fractions on the activation grid) or class labels (one-hot).
/// </summary>
public static class ConceptSources
{
    /// <summary>Rows produced per image by a reduction of an h×w map.</summary>
    public static int RowsPerImage(SpatialReduce reduce, int h, int w) => reduce == SpatialReduce.None ? h * w : 1;

    /// <summary>Reduces one image's activations (C×h×w, channel-major) into rows of C values.</summary>
    public static void Reduce(ReadOnlySpan<float> activations, int c, int hw, SpatialReduce reduce, Span<float> rows)
    {
        switch (reduce)
        {
            case SpatialReduce.Mean:
                for (int k = 0; k < c; k++) rows[k] = TensorPrimitives.Sum(activations.Slice(k * hw, hw)) / hw;
                break;
            case SpatialReduce.Max:
                for (int k = 0; k < c; k++) rows[k] = TensorPrimitives.Max(activations.Slice(k * hw, hw));
                break;
            default:
                for (int p = 0; p < hw; p++)
                    for (int k = 0; k < c; k++) rows[p * c + k] = activations[k * hw + p];
                break;
        }
    }

    /// <summary>One-hot concept labels (N × classes) from class labels.</summary>
    /// <exception cref="InputDataException">A label outside [0, classes).</exception>
    public static float[] OneHot(ReadOnlySpan<int> labels, int classes)
    {
        var c = new float[labels.Length * classes];
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] < 0 || labels[i] >= classes) throw new InputDataException($"Label {labels[i]} of sample {i} is outside 0..{classes - 1}.");
            c[i * classes + labels[i]] = 1;
        }
        return c;
    }

    /// <summary>
    /// Concept labels from one label map (H×W class ids; <paramref name="ignore"/> pixels excluded): per-image presence
    /// (1 if any pixel has the class), per-image pixel fraction, or — with a grid — the fraction of each grid cell's
    /// pixels having the class (h·w rows, matching <see cref="SpatialReduce.None"/> activations). Classes are 1..K
    /// mapped to columns 0..K−1 (0 is background and not a concept).
    /// </summary>
    public static void FromLabelMap(ReadOnlySpan<int> labels, int height, int width, int classes, int? ignore, string mode, int gridH, int gridW, Span<float> rows)
    {
        if (mode == "location")
        {
            rows[..(gridH * gridW * classes)].Clear();
            var counts = new int[gridH * gridW];
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    int v = labels[y * width + x];
                    if (v == ignore) continue;
                    int cell = (int)((long)y * gridH / height) * gridW + (int)((long)x * gridW / width);
                    counts[cell]++;
                    if (v >= 1 && v <= classes) rows[cell * classes + v - 1] += 1;
                }
            for (int cell = 0; cell < counts.Length; cell++)
                if (counts[cell] > 0) TensorPrimitives.Divide(rows.Slice(cell * classes, classes), counts[cell], rows.Slice(cell * classes, classes));
            return;
        }
        rows[..classes].Clear();
        int valid = 0;
        foreach (int v in labels)
        {
            if (v == ignore) continue;
            valid++;
            if (v >= 1 && v <= classes) rows[v - 1] += 1;
        }
        for (int k = 0; k < classes; k++)
            rows[k] = mode == "presence" ? (rows[k] > 0 ? 1 : 0) : valid == 0 ? 0 : rows[k] / valid;
    }
}
