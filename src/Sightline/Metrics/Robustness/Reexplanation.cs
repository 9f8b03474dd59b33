using Sightline.Evaluation;
using Sightline.Models;

namespace Sightline.Metrics.Robustness;

/// <summary>
/// Writes perturbed copy number <paramref name="draw"/> of sample <paramref name="sample"/> (local index) into
/// <paramref name="perturbed"/>, given its input <paramref name="x"/>. The draws of one sample come sequentially in
/// ascending order (so a per-sample generator advanced once per call gives the same draws whatever the batch split);
/// different samples may be perturbed concurrently, so per-sample state must be indexed by the sample.
/// </summary>
internal delegate void Perturb(int sample, int draw, ReadOnlySpan<float> x, Span<float> perturbed);

/// <summary>
/// Receives one re-explained row: the sample, the draw, the perturbed input, its attribution after the metric's
/// preprocessing, and the row's model outputs (empty unless <see cref="RowOutputs"/> were asked for). Called
/// sequentially, in row order.
/// </summary>
internal delegate void RowVisit(int sample, int draw, ReadOnlySpan<float> perturbed, ReadOnlySpan<float> attribution, ReadOnlySpan<float> outputs);

/// <summary>Model outputs computed for every perturbed row (logits, or logits followed by hidden activations).</summary>
internal abstract class RowOutputs
{
    /// <summary>Floats per row.</summary>
    public abstract int Width { get; }

    /// <summary>Writes <paramref name="rows"/> × <see cref="Width"/> outputs for the first <paramref name="rows"/> inputs of <paramref name="inputs"/>.</summary>
    public abstract void Run(float[] inputs, int rows, Span<float> outputs);

    /// <summary>The logits of <paramref name="model"/> (K per row) through the <see cref="StepBatcher"/>.</summary>
    public static RowOutputs Logits(IModel model, ModelBudget budget) => new LogitOutputs(model, budget);

    private sealed class LogitOutputs(IModel model, ModelBudget budget) : RowOutputs
    {
        public override int Width => model.OutputCount;

        public override void Run(float[] inputs, int rows, Span<float> outputs)
        {
            var y = new float[rows * Width];
            int size = model.InputShape.Aggregate(1, (p, q) => p * q), k = Width;
            StepBatcher.Forward(model, rows, (r, row) => inputs.AsSpan((int)r * size, size).CopyTo(row),
                (r, logits) => logits.CopyTo(y.AsSpan((int)r * k, k)), budget);
            y.CopyTo(outputs);
        }
    }
}

/// <summary>
/// The re-explanation loop of the robustness metrics: draws × samples perturbed inputs, re-explained with the run's
/// method on <see cref="EvaluationBatch.ExplainModel"/> and optionally run through a model, in chunks sized by the batch's
/// <see cref="ModelBudget"/>. Rows are draw-major (row = draw·N + sample). Each <see cref="IReexplainer.Explain"/> call
/// holds one draw of the batch's samples (all of them, or a contiguous part when a draw exceeds the rows per call): the
/// k-th noisy copies of all samples share the explainer's model calls, so calls ≈ draws, not draws × samples (a batch
/// of one sample therefore gets one call per draw; several draws in one call would give a stochastic method
/// batch-dependent indices, see below). The explainer's sample index of
/// row (i, k) is FirstIndex + i + (k + 1)·2⁴⁰, a function of the global sample index and the draw only, so a stochastic
/// method (SmoothGrad, RISE) draws the same noise for a row whatever the batch split, and not the noise of the original
/// explanation (index FirstIndex + i). Forward passes of a chunk go through one <see cref="StepBatcher"/> run.
/// </summary>
internal static class Reexplanation
{
    /// <summary>Offset between the explainer indices of consecutive draws (no dataset has 2⁴⁰ samples).</summary>
    internal const long DrawIndexStride = 1L << 40;

    /// <summary>Rows at or above this many floats are perturbed in parallel (as <see cref="StepBatcher"/> fills rows).</summary>
    private const int ParallelFillValues = 4096;

    /// <summary>Rows (perturbed inputs) per chunk for <paramref name="count"/> samples: whole draws when they fit.</summary>
    internal static int ChunkRows(EvaluationBatch batch, int count)
    {
        int perCall = Math.Max(1, batch.Budget.RowsPerCall(batch.Shape.InputValues));
        return count <= perCall ? perCall / count * count : perCall;
    }

    /// <summary>
    /// Runs <paramref name="draws"/> perturbed copies of every sample of <paramref name="batch"/> through the re-explainer
    /// (and <paramref name="outputs"/> when given), handing each row to <paramref name="visit"/> with its attribution
    /// preprocessed by <paramref name="preprocessing"/>.
    /// </summary>
    /// <returns>The number of <see cref="IReexplainer.Explain"/> calls made.</returns>
    public static int Run(EvaluationBatch batch, string metric, int draws, AttributionPreprocessing preprocessing, Perturb perturb,
        RowOutputs? outputs, RowVisit visit)
    {
        var explainer = batch.RequireExplainer(metric);
        var model = batch.ExplainModel ?? batch.RequireModel(metric);
        int n = batch.Count;
        if (n == 0 || draws <= 0) return 0;
        int size = batch.Shape.InputValues, asize = batch.Shape.AttributionValues, width = outputs?.Width ?? 0;
        int chunk = ChunkRows(batch, n);
        long total = (long)draws * n;
        int capacity = (int)Math.Min(total, chunk);
        var x = new float[(long)capacity * size];
        var a = new float[(long)capacity * asize];
        var y = new float[(long)capacity * width];
        var targets = new int[capacity];
        int calls = 0;
        for (long start = 0; start < total; start += capacity)
        {
            int rows = (int)Math.Min(capacity, total - start);
            // A sample's rows are filled in ascending draw order (its generator advances per draw); different samples are
            // independent, so large rows are filled in parallel over the samples of the chunk.
            int samples = Math.Min(n, rows);
            void FillSample(int s)
            {
                for (int r = s; r < rows; r += n)
                {
                    long row = start + r;
                    int i = (int)(row % n), k = (int)(row / n);
                    perturb(i, k, batch.Input(i), x.AsSpan(r * size, size));
                    targets[r] = batch.Targets[i];
                }
            }
            if (size >= ParallelFillValues && samples > 1) Parallel.For(0, samples, FillSample);
            else for (int s = 0; s < samples; s++) FillSample(s);
            // One Explain call per run of rows of the same draw (contiguous samples of one draw).
            for (int r = 0; r < rows;)
            {
                long row = start + r;
                int k = (int)(row / n), i0 = (int)(row % n);
                int run = Math.Min(rows - r, n - i0);
                explainer.Explain(model, x.AsSpan(r * size, run * size), run, targets.AsSpan(r, run), a.AsSpan(r * asize, run * asize),
                    batch.FirstIndex + i0 + (k + 1) * DrawIndexStride);
                calls++;
                r += run;
            }
            if (!preprocessing.IsIdentity)
                for (int r = 0; r < rows; r++) preprocessing.ApplyInPlace(a.AsSpan(r * asize, asize));
            outputs?.Run(x, rows, y.AsSpan(0, rows * width));
            for (int r = 0; r < rows; r++)
            {
                long row = start + r;
                visit((int)(row % n), (int)(row / n), x.AsSpan(r * size, size), a.AsSpan(r * asize, asize), y.AsSpan(r * width, width));
            }
        }
        return calls;
    }

    /// <summary>
    /// Additive noise from one generator per sample (<see cref="EvaluationBatch.RandomFor"/>): x' = x + δ with δ drawn per
    /// value by <paramref name="draw"/>. Draws of a sample come in ascending order, so a sample's noise is the same for any
    /// batch split.
    /// </summary>
    public static Perturb AdditiveNoise(EvaluationBatch batch, string metric, Func<Random, double> draw)
    {
        var rngs = new Random?[batch.Count];
        return (i, _, x, perturbed) =>
        {
            var rng = rngs[i] ??= batch.RandomFor(i, metric);
            for (int j = 0; j < x.Length; j++) perturbed[j] = (float)(x[j] + draw(rng));
        };
    }

    /// <summary>Quantus's <c>uniform_noise</c>: U(−lower, lower) when <paramref name="upper"/> is null, else U(lower, upper).</summary>
    public static Func<Random, double> Uniform(double lower, double? upper)
    {
        double lo = upper is null ? -lower : lower, hi = upper ?? lower;
        return rng => lo + (hi - lo) * rng.NextDouble();
    }

    /// <summary>N(<paramref name="mean"/>, <paramref name="std"/>²) by Box–Muller (one normal from two uniforms).</summary>
    public static Func<Random, double> Gaussian(double mean, double std) => rng =>
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return mean + std * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    };

    /// <summary>The predicted class per sample of the unperturbed inputs.</summary>
    public static int[] Predictions(EvaluationBatch batch, string metric)
    {
        var logits = batch.Logits(metric);
        int k = batch.RequireModel(metric).OutputCount;
        var pred = new int[batch.Count];
        for (int i = 0; i < pred.Length; i++) pred[i] = Perturbation.ArgMax(logits.AsSpan(i * k, k));
        return pred;
    }

    /// <summary>‖a − b‖₂ in float64.</summary>
    public static double L2Distance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double s = 0;
        for (int j = 0; j < a.Length; j++) { double d = (double)a[j] - b[j]; s += d * d; }
        return Math.Sqrt(s);
    }

    /// <summary>‖a − b‖₁ in float64.</summary>
    public static double L1Distance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double s = 0;
        for (int j = 0; j < a.Length; j++) s += Math.Abs((double)a[j] - b[j]);
        return s;
    }

    /// <summary>‖a‖₂ in float64.</summary>
    public static double L2(ReadOnlySpan<float> a)
    {
        double s = 0;
        foreach (var v in a) s += (double)v * v;
        return Math.Sqrt(s);
    }

    /// <summary>
    /// The relative change ‖(a − b) / a‖₂ of Agarwal et al., with Quantus's guard: zeros of a are replaced by
    /// <paramref name="eps"/> (a + (a == 0)·ε), in float64.
    /// </summary>
    public static double RelativeL2(ReadOnlySpan<float> a, ReadOnlySpan<float> b, double eps)
    {
        double s = 0;
        for (int j = 0; j < a.Length; j++)
        {
            double den = a[j] == 0 ? eps : a[j];
            double d = ((double)a[j] - b[j]) / den;
            s += d * d;
        }
        return Math.Sqrt(s);
    }

    /// <summary>True when every value is finite.</summary>
    public static bool AllFinite(ReadOnlySpan<float> v)
    {
        foreach (var f in v) if (!float.IsFinite(f)) return false;
        return true;
    }

    /// <summary>Checks a sample count option.</summary>
    public static void RequirePositive(int value, string metric, string key)
    {
        if (value < 1) throw new InputDataException($"--param {metric}.{key}={value}: must be at least 1.");
    }
}
