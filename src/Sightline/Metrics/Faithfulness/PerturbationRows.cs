using Sightline.Evaluation;
using Sightline.Models;

namespace Sightline.Metrics.Faithfulness;

/// <summary>
/// The perturbation rows of every sample of a batch laid end to end (sample 0's steps, then sample 1's, ...), so one
/// <see cref="StepBatcher"/> run serves all of them and steps of different samples share model calls. A sample
/// may have no rows (an undefined sample is skipped).
/// </summary>
internal sealed class PerturbationRows
{
    private readonly long[] _start;

    /// <summary>Lays out <paramref name="rowsPerSample"/>[i] rows for sample i.</summary>
    public PerturbationRows(ReadOnlySpan<int> rowsPerSample)
    {
        _start = new long[rowsPerSample.Length + 1];
        for (int i = 0; i < rowsPerSample.Length; i++) _start[i + 1] = _start[i] + Math.Max(0, rowsPerSample[i]);
    }

    /// <summary>Rows of all samples.</summary>
    public long Total => _start[^1];

    /// <summary>Sample <paramref name="i"/>'s first row.</summary>
    public long Start(int i) => _start[i];

    /// <summary>Sample <paramref name="i"/>'s number of rows.</summary>
    public int Steps(int i) => (int)(_start[i + 1] - _start[i]);

    /// <summary>The sample a row belongs to and the row's step within that sample.</summary>
    public (int Sample, int Step) Locate(long row)
    {
        // The last sample whose first row is ≤ row (samples with no rows share their start with the next one).
        int lo = 0, hi = _start.Length - 1; // invariant: _start[lo] <= row < _start[hi]
        while (hi - lo > 1)
        {
            int mid = (lo + hi) >>> 1;
            if (_start[mid] <= row) lo = mid; else hi = mid;
        }
        return (lo, (int)(row - _start[lo]));
    }

    /// <summary>
    /// Runs every row through <paramref name="model"/> in one <see cref="StepBatcher"/> run:
    /// <paramref name="fill"/>(sample, step, row) writes a perturbed input (thread-safe: called in parallel for large
    /// rows), <paramref name="consume"/>(sample, step, logits) receives the outputs in row order.
    /// </summary>
    /// <returns>The number of model calls.</returns>
    public int Run(IModel model, ModelBudget budget, Action<int, int, Span<float>> fill, Action<int, int, ReadOnlySpan<float>> consume) =>
        StepBatcher.Forward(model, Total,
            (r, x) => { var (i, k) = Locate(r); fill(i, k, x); },
            (r, y) => { var (i, k) = Locate(r); consume(i, k, y); },
            budget);
}

/// <summary>
/// The value a perturbation writes into feature <c>j</c> of a sample: a constant (black = min(x), white, mean, zero) or,
/// for <see cref="PerturbBaseline.Uniform"/>, U(0, 1) noise from a counter-based generator keyed by the sample's seeded
/// stream (<see cref="EvaluationBatch.RandomFor"/>), a draw number and the feature index. The noise of a feature is
/// thus a pure function of (run seed, metric, global sample index, draw, feature): rows can be filled in any order, in
/// parallel, and a score is the same for batch size 1 and 64.
/// </summary>
internal readonly struct BaselineValues
{
    private readonly bool _uniform;
    private readonly float _constant;
    private readonly ulong _key;

    private BaselineValues(bool uniform, float constant, ulong key) { _uniform = uniform; _constant = constant; _key = key; }

    /// <summary>The baseline of sample <paramref name="i"/> of <paramref name="batch"/> for <paramref name="metric"/>.</summary>
    public static BaselineValues For(EvaluationBatch batch, int i, string metric, PerturbBaseline baseline) =>
        baseline == PerturbBaseline.Uniform
            ? new BaselineValues(true, 0, (ulong)batch.RandomFor(i, metric).NextInt64())
            : new BaselineValues(false, Perturbation.Constant(baseline, batch.Input(i)), 0);

    /// <summary>A constant baseline <paramref name="value"/> (e.g. one recomputed on an already perturbed input).</summary>
    public static BaselineValues Of(float value) => new(false, value, 0);

    /// <summary>This baseline when it is uniform (its draws), else the constant <paramref name="value"/> (e.g. recomputed on a perturbed input).</summary>
    public BaselineValues OrConstant(float value) => _uniform ? this : Of(value);

    /// <summary>The value for feature <paramref name="feature"/> in draw <paramref name="draw"/> (draw is ignored by constant baselines).</summary>
    public float Value(long draw, int feature)
    {
        if (!_uniform) return _constant;
        ulong z = _key + 0x9e3779b97f4a7c15UL * (ulong)(draw + 1) + 0xd1b54a32d192ed03UL * (ulong)(uint)feature;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
        z ^= z >> 31;
        return (float)((z >> 40) * (1.0 / (1UL << 24))); // 24 random bits: a float in [0, 1)
    }
}

/// <summary>
/// THE feature rule of every feature-indexed perturbation metric (pixel_flipping, monotonicity, monotonicity_correlation,
/// faithfulness_estimate, faithfulness_correlation, sensitivity_n, non_sensitivity), as Quantus main counts features
/// (spec §6): the map is broadcast to the input's shape first, so d = C·H·W, a feature is one channel-pixel (a 1-channel
/// map gives each of a pixel's C channel values the same attribution) and <c>features_in_step</c> / <c>subset_size</c>
/// count channel-pixels. Region metrics (region_perturbation, selectivity, infidelity, irof, road) perturb spatial
/// regions instead, every channel of a pixel together (<see cref="FillPixels"/>).
/// </summary>
internal static class PerturbationFeatures
{
    /// <summary>d, the number of features of a sample: C·H·W.</summary>
    public static int Count(EvaluationShape shape) => shape.InputValues;

    /// <summary>
    /// Quantus's <c>assert_features_in_step</c>: features_in_step must be a positive divisor of d; returns d / fis.
    /// </summary>
    public static int Steps(string metric, int featuresInStep, EvaluationShape shape)
    {
        int d = Count(shape);
        if (featuresInStep < 1 || d % featuresInStep != 0)
            throw new InputDataException(
                $"--param {metric}.features_in_step={featuresInStep}: must divide the {d} features per sample (C·H·W = {shape.Channels}·{shape.Height}·{shape.Width}, the map broadcast to the input); choose a divisor such as {shape.Pixels} or {shape.Channels}.");
        return d / featuresInStep;
    }

    /// <summary>Sample <paramref name="i"/>'s features: its preprocessed attribution broadcast to C×H×W (d values, a new array).</summary>
    public static float[] Of(EvaluationBatch batch, float[] prepared, int i)
    {
        var s = batch.Shape;
        var a = new float[s.InputValues];
        Perturbation.Broadcast(prepared.AsSpan(i * s.AttributionValues, s.AttributionValues), s, a);
        return a;
    }

    /// <summary>Replaces every feature of <paramref name="features"/> of <paramref name="row"/> (an input C×H×W, flat) with the baseline's values of draw <paramref name="draw"/>.</summary>
    public static void Fill(Span<float> row, ReadOnlySpan<int> features, in BaselineValues baseline, long draw)
    {
        foreach (var f in features) row[f] = baseline.Value(draw, f);
    }

    /// <summary>Replaces every channel of the pixels <paramref name="pixels"/> (indices into H×W) of <paramref name="row"/> with the baseline's values of draw <paramref name="draw"/>.</summary>
    public static void FillPixels(Span<float> row, ReadOnlySpan<int> pixels, in BaselineValues baseline, long draw, EvaluationShape shape)
    {
        int p = shape.Pixels;
        for (int c = 0; c < shape.Channels; c++)
            foreach (var f in pixels) row[c * p + f] = baseline.Value(draw, c * p + f);
    }

    /// <summary>Sum of <paramref name="a"/> over <paramref name="features"/> in float64.</summary>
    public static double Sum(ReadOnlySpan<float> a, ReadOnlySpan<int> features)
    {
        double s = 0;
        foreach (var f in features) s += a[f];
        return s;
    }
}

/// <summary>Checks and helpers the perturbation metrics share.</summary>
internal static class PerturbationChecks
{
    /// <summary>
    /// The patch side must be positive. Any side is allowed, as in Quantus (which pads x and a by patch − 1 "to allow for
    /// any patch_size"): patches crossing the bottom or right edge are clipped.
    /// </summary>
    public static void PatchSize(string metric, int patchSize, EvaluationShape shape)
    {
        if (patchSize < 1)
            throw new InputDataException(
                $"--param {metric}.patch_size={patchSize}: must be at least 1 (the input is {shape.Height}×{shape.Width}).");
    }

    /// <summary>The unperturbed model output of every sample (target logit, or its softmax probability).</summary>
    public static double[] Outputs(EvaluationBatch batch, string metric, bool softmax)
    {
        var logits = batch.Logits(metric);
        int k = batch.Shape.Classes;
        var y = new double[batch.Count];
        for (int i = 0; i < y.Length; i++) y[i] = Perturbation.Output(logits.AsSpan(i * k, k), batch.Targets[i], softmax);
        return y;
    }

    /// <summary>
    /// Sums of the attribution over the spatial patches listed by top-left corner (<paramref name="rows"/>[p],
    /// <paramref name="cols"/>[p]), side <paramref name="patch"/>, clipped to the image, over all attribution channels (float64,
    /// row-major within the patch so equal patches give equal sums).
    /// </summary>
    public static double[] PatchSums(ReadOnlySpan<float> a, EvaluationShape s, ReadOnlySpan<int> rows, ReadOnlySpan<int> cols, int patch)
    {
        var sums = new double[rows.Length];
        for (int p = 0; p < rows.Length; p++)
        {
            double sum = 0;
            int r1 = Math.Min(rows[p] + patch, s.Height), c1 = Math.Min(cols[p] + patch, s.Width);
            for (int c = 0; c < s.AttributionChannels; c++)
                for (int r = rows[p]; r < r1; r++)
                    for (int q = cols[p]; q < c1; q++)
                        sum += a[(c * s.Height + r) * s.Width + q];
            sums[p] = sum;
        }
        return sums;
    }

    /// <summary>Writes the baseline into the spatial patch (all input channels) with top-left (r0, c0), clipped to the image.</summary>
    public static void FillPatch(Span<float> row, EvaluationShape s, int r0, int c0, int patch, in BaselineValues baseline)
    {
        int r1 = Math.Min(r0 + patch, s.Height), c1 = Math.Min(c0 + patch, s.Width);
        for (int c = 0; c < s.Channels; c++)
            for (int r = r0; r < r1; r++)
            {
                int o = (c * s.Height + r) * s.Width;
                for (int q = c0; q < c1; q++) row[o + q] = baseline.Value(0, o + q);
            }
    }

    /// <summary>The descending (stable) order of float64 values, ties by ascending index.</summary>
    public static int[] Descending(double[] v)
    {
        var order = new int[v.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(order, (p, q) => { int c = v[q].CompareTo(v[p]); return c != 0 ? c : p.CompareTo(q); });
        return order;
    }

    /// <summary>The ascending (stable) order of float64 values, ties by ascending index.</summary>
    public static int[] Ascending(double[] v)
    {
        var order = new int[v.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(order, (p, q) => { int c = v[p].CompareTo(v[q]); return c != 0 ? c : p.CompareTo(q); });
        return order;
    }
}
