namespace Sightline.Models;

/// <summary>
/// Load-time checks of an ONNX classifier's declared shapes, shared by every back end, so that a model Sightline cannot
/// explain correctly is refused with one line naming the file and the shape instead of giving wrong results or an
/// arithmetic overflow later.
/// </summary>
public static class ModelShapes
{
    /// <summary>Most values one input sample may hold: 2^28 floats (1 GiB), e.g. 3×9,400×9,400.</summary>
    public const long MaxSampleValues = 1L << 28;

    /// <summary>
    /// Checks a per-sample input shape (C, H, W, or H, W, C as the file declares it): every axis positive and the product at
    /// most <see cref="MaxSampleValues"/>; returns the product.
    /// </summary>
    /// <exception cref="InputDataException">An axis is not positive, or the sample is absurdly large.</exception>
    public static int SampleValues(string file, string input, IReadOnlyList<long> perSample)
    {
        long product = 1;
        foreach (var d in perSample)
        {
            if (d <= 0) throw new InputDataException($"{file}: input '{input}' has per-sample shape {Format(perSample)}; every axis must be a positive size.");
            product = product > MaxSampleValues || d > MaxSampleValues ? MaxSampleValues + 1 : product * d;
        }
        if (product > MaxSampleValues)
            throw new InputDataException($"{file}: input '{input}' is {Format(perSample)} per sample, more than {MaxSampleValues:N0} values (1 GiB of float32); re-export the model with its real image size (or correct \"input_size\" in the model config if the size comes from there).");
        return (int)product;
    }

    /// <summary>
    /// Checks that a classifier's per-sample output shape is K logits: one axis (N×K), no axis (N: one output), or K with
    /// trailing axes of size 1 (N×K×1×1, a convolutional head without Flatten); returns K. Anything else (N×4×32×32 from a
    /// segmentation model, N×A×B from a detector) is not a classifier and would be explained as ∏ shape "classes".
    /// </summary>
    /// <exception cref="InputDataException">The output is not N×K.</exception>
    public static int ClassCount(string file, string output, IReadOnlyList<long> perSample)
    {
        long k = 1;
        int large = 0;
        foreach (var d in perSample)
        {
            if (d < 1) throw new InputDataException($"{file}: output '{output}' has shape {FormatBatch(perSample)}; a classifier's first output must be N×K logits.");
            if (d > 1) large++;
            k *= Math.Min(d, int.MaxValue);
        }
        bool trailingOnes = perSample.Skip(1).All(d => d == 1);
        if (large > 1 || !trailingOnes || k > int.MaxValue)
            throw new InputDataException($"{file}: output '{output}' has shape {FormatBatch(perSample)}, not N×K: Sightline explains classifiers (one logit per class), not segmentation or detection outputs; export the model with its class logits as the first output.");
        return (int)k;
    }

    private static string Format(IReadOnlyList<long> dims) => string.Join("×", dims);

    private static string FormatBatch(IReadOnlyList<long> dims) => dims.Count == 0 ? "N" : "N×" + Format(dims);
}
