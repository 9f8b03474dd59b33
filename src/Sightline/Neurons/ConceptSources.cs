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

    /// <summary>
    /// One-hot concept labels (N × classes) from class labels: label l sets column l. A label listed in
    /// <paramref name="ignoreIds"/> gives an all-zero row (the sample has none of the concepts).
    /// </summary>
    /// <exception cref="InputDataException">A label outside [0, classes) that is not ignored.</exception>
    public static float[] OneHot(ReadOnlySpan<int> labels, int classes, ReadOnlySpan<int> ignoreIds = default)
    {
        if ((long)labels.Length * classes > Array.MaxLength)
            throw new InputDataException($"{labels.Length} labels × {classes} classes do not fit one concept matrix.");
        var c = new float[labels.Length * classes];
        for (int i = 0; i < labels.Length; i++)
        {
            int l = labels[i];
            if ((uint)l < (uint)classes) c[(long)i * classes + l] = 1;
            else if (!ignoreIds.Contains(l)) throw new InputDataException($"Label {l} of sample {i} is outside 0..{classes - 1}.");
        }
        return c;
    }

    /// <summary>
    /// Concept labels from one label map (H×W class ids): per-image presence (1 if any pixel has the class), per-image
    /// pixel fraction, or — with a grid — the fraction of each grid cell's pixels having the class (h·w rows, matching
    /// <see cref="SpatialReduce.None"/> activations). Class id t+1 is column t for t = 0..K−1 (ids 1..K are the concepts;
    /// 0 is background, counted in the fractions' denominators but not a concept). Pixels with the <paramref name="ignore"/>
    /// id of the encoding or an id in <paramref name="ignoreIds"/> are excluded from every count. Any other id (above K)
    /// is not dropped silently: the first one found is returned (the rows are still filled without it), −1 when there
    /// is none.
    /// </summary>
    /// <returns>The first class id that is neither 0..K nor ignored, or −1.</returns>
    public static int FromLabelMap(ReadOnlySpan<int> labels, int height, int width, int classes, int? ignore, string mode, int gridH, int gridW, Span<float> rows, ReadOnlySpan<int> ignoreIds = default)
    {
        int unexpected = -1;
        if (mode == "location")
        {
            rows[..(gridH * gridW * classes)].Clear();
            var counts = new int[gridH * gridW];
            for (int y = 0; y < height; y++)
            {
                int rowCell = (int)((long)y * gridH / height) * gridW;
                for (int x = 0; x < width; x++)
                {
                    int v = labels[y * width + x];
                    int cell = rowCell + (int)((long)x * gridW / width);
                    if ((uint)(v - 1) < (uint)classes) { counts[cell]++; rows[cell * classes + v - 1] += 1; }
                    else if (v == 0) counts[cell]++;
                    else if (v == ignore || ignoreIds.Contains(v)) continue;
                    else if (unexpected < 0) unexpected = v;
                }
            }
            for (int cell = 0; cell < counts.Length; cell++)
                if (counts[cell] > 0) TensorPrimitives.Divide(rows.Slice(cell * classes, classes), counts[cell], rows.Slice(cell * classes, classes));
            return unexpected;
        }
        rows[..classes].Clear();
        int valid = 0;
        foreach (int v in labels)
        {
            if ((uint)(v - 1) < (uint)classes) { valid++; rows[v - 1] += 1; }
            else if (v == 0) valid++;
            else if (v == ignore || ignoreIds.Contains(v)) continue;
            else if (unexpected < 0) unexpected = v;
        }
        for (int k = 0; k < classes; k++)
            rows[k] = mode == "presence" ? (rows[k] > 0 ? 1 : 0) : valid == 0 ? 0 : rows[k] / valid;
        return unexpected;
    }
}
