using Sightline.Evaluation;
using Sightline.Models;

namespace Sightline.Metrics.Faithfulness;

/// <summary>
/// The perturbation rows of a whole batch laid end to end: sample i owns rows [Start(i), Start(i) + steps(i)), so every
/// step of every sample goes through one <see cref="StepBatcher"/> run and shares model calls.
/// </summary>
internal sealed class BatchRows
{
    private readonly long[] _start;

    /// <summary>Lays out <paramref name="steps"/>[i] rows for each sample.</summary>
    public BatchRows(ReadOnlySpan<int> steps)
    {
        _start = new long[steps.Length + 1];
        for (int i = 0; i < steps.Length; i++) _start[i + 1] = _start[i] + Math.Max(0, steps[i]);
    }

    /// <summary>All rows.</summary>
    public long Total => _start[^1];

    /// <summary>Sample <paramref name="i"/>'s first row.</summary>
    public long Start(int i) => _start[i];

    /// <summary>Sample <paramref name="i"/>'s rows.</summary>
    public int Steps(int i) => (int)(_start[i + 1] - _start[i]);

    /// <summary>The (sample, step) of a row (binary search; thread-safe).</summary>
    public (int Sample, int Step) Locate(long row)
    {
        int lo = 0, hi = _start.Length - 2;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) >> 1;
            if (_start[mid] <= row) lo = mid; else hi = mid - 1;
        }
        // Samples with no rows share a start with the next one: move past them.
        while (lo < _start.Length - 2 && _start[lo + 1] <= row) lo++;
        return (lo, (int)(row - _start[lo]));
    }
}

/// <summary>Pieces the faithfulness metrics of this folder share.</summary>
internal static class FaithfulnessRows
{
    /// <summary>
    /// Replaces the features <paramref name="features"/> of <paramref name="row"/> (an input C×H×W) with
    /// <paramref name="value"/>: a feature is a pixel (every channel replaced, Quantus's <c>indexed_axes</c> over H, W)
    /// for 1-channel attributions, a channel-pixel for C-channel ones.
    /// </summary>
    public static void Replace(Span<float> row, ReadOnlySpan<int> features, float value, EvaluationShape shape)
    {
        if (shape.AttributionChannels == shape.Channels)
        {
            foreach (var f in features) row[f] = value;
            return;
        }
        int p = shape.Pixels;
        for (int c = 0; c < shape.Channels; c++)
        {
            var plane = row.Slice(c * p, p);
            foreach (var f in features) plane[f] = value;
        }
    }

    /// <summary>
    /// The baseline value of a (non-uniform) baseline for input <paramref name="x"/>, or, for a uniform baseline, NaN
    /// (callers draw per value with <see cref="Fill"/>).
    /// </summary>
    public static float Constant(PerturbBaseline baseline, ReadOnlySpan<float> x) =>
        baseline == PerturbBaseline.Uniform ? float.NaN : Perturbation.Constant(baseline, x);

    /// <summary>
    /// Replaces <paramref name="features"/> with the baseline: the constant <paramref name="constant"/>, or U(0, 1) draws
    /// from a generator seeded by (run seed, metric, sample, step) for a uniform baseline, so a row's values do not depend
    /// on which thread fills it or on the batch split.
    /// </summary>
    public static void Fill(Span<float> row, ReadOnlySpan<int> features, PerturbBaseline baseline, float constant, EvaluationShape shape,
        EvaluationBatch batch, string metric, int sample, long step)
    {
        if (baseline != PerturbBaseline.Uniform) { Replace(row, features, constant, shape); return; }
        var rng = new Random(EvaluationBatch.SeedFor(batch.Seed, metric + "/uniform/" + step.ToString(System.Globalization.CultureInfo.InvariantCulture), batch.FirstIndex + sample));
        if (shape.AttributionChannels == shape.Channels)
        {
            foreach (var f in features) row[f] = (float)rng.NextDouble();
            return;
        }
        int p = shape.Pixels;
        for (int c = 0; c < shape.Channels; c++)
            foreach (var f in features) row[c * p + f] = (float)rng.NextDouble();
    }

    /// <summary>The number of attribution features of a sample (H·W for 1-channel maps, C·H·W for C-channel ones).</summary>
    public static int Features(EvaluationShape shape) => shape.AttributionValues;

    /// <summary>Sum of <paramref name="a"/> over <paramref name="features"/> in float64.</summary>
    public static double Sum(ReadOnlySpan<float> a, ReadOnlySpan<int> features)
    {
        double s = 0;
        foreach (var f in features) s += a[f];
        return s;
    }


    /// <summary>True when every value of <paramref name="x"/> is finite.</summary>
    public static bool AllFinite(ReadOnlySpan<double> x)
    {
        foreach (var v in x) if (!double.IsFinite(v)) return false;
        return true;
    }
}
