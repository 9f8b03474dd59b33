using System.Numerics.Tensors;
using Sightline.Models;
using Sightline.Statistics;

namespace Sightline.Explainers;

/// <summary>Options of <see cref="Occlusion"/>.</summary>
/// <param name="Window">Side of the square window in pixels (covers all channels).</param>
/// <param name="Stride">Step between windows in pixels.</param>
/// <param name="Baseline">Value written into the occluded window (in model-input space).</param>
public sealed record OcclusionOptions(int Window = 8, int Stride = 4, float Baseline = 0f);

/// <summary>
/// Occlusion (Zeiler &amp; Fergus, "Visualizing and Understanding Convolutional Networks", ECCV 2014), as Captum's
/// <c>Occlusion(sliding_window_shapes=(C, s, s), strides=(C, d, d), baselines=b)</c>: along each image axis of size n
/// the window starts at k·d for k = 0 … ⌈(n − s)/d⌉, so the last window is cut off at the border when the windows do not
/// tile the image exactly (Captum's <c>shift_counts</c>); each window covers all channels. Every occluded input is
/// scored and the elements under the window receive y_t(x) − y_t(x_occluded); an element's attribution is the sum over
/// the windows that covered it divided by their number (Captum's <c>use_weights</c>). With d ≤ s every pixel is covered;
/// Captum refuses d &gt; s, Sightline allows it and gives uncovered pixels 0. A window larger than the image is cut to
/// it. The same value is given to every channel, so channel reduction by sum multiplies it by C, as with Captum's output.
/// The windows of all samples go through the model as one <see cref="StepBatcher"/> run, sharing calls.
/// </summary>
public sealed class Occlusion(OcclusionOptions options) : IExplainer
{
    /// <summary>The options.</summary>
    public OcclusionOptions Options { get; } = options.Window > 0 && options.Stride > 0 ? options : throw new InputDataException("Occlusion window and stride must be positive.");
    /// <inheritdoc/>
    public string Name => "occlusion";
    /// <inheritdoc/>
    public bool NeedsGradients => false;
    /// <inheritdoc/>
    public bool NeedsLayer => false;
    /// <inheritdoc/>
    public int OutputChannels(int inputChannels, ExplainSettings settings) => ExplainMath.PixelOutputChannels(inputChannels, settings);

    /// <inheritdoc/>
    /// <remarks>
    /// One <see cref="StepBatcher"/> run over all samples: sample i has rows i·(1 + windows) + j, j = 0 the input itself
    /// (its target logit y_t(x)), j ≥ 1 the input occluded by window j − 1 in raster order, so the windows of several
    /// samples share model calls (8 samples × 10 windows at 64 rows per call: 2 calls). Each sample's deltas are summed
    /// in window order, so results do not depend on the batch size.
    /// </remarks>
    public void Explain(IModel model, ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> output, ExplainSettings settings)
    {
        var (c, h, w) = ExplainMath.Geometry(model, inputs, batch, targets);
        var ys = Windows(h, Options.Window, Options.Stride);
        var xs = Windows(w, Options.Window, Options.Stride);
        int windows = ys.Length * xs.Length, perSample = windows + 1, pixels = h * w, size = c * pixels;
        int outC = OutputChannels(c, settings);
        var x = inputs.ToArray();
        var rowTargets = targets.ToArray();
        var count = new int[pixels];
        foreach (var (wy, hy) in ys)
            foreach (var (wx, hx) in xs)
                for (int y = wy; y < wy + hy; y++)
                    for (int xx = wx; xx < wx + hx; xx++) count[y * w + xx]++;
        var sum = new double[pixels];
        var perChannel = new float[size];
        var maps = new float[(long)batch * outC * pixels];
        float baselineValue = Options.Baseline;
        float original = 0;
        var reduce = settings.ChannelReduce;
        StepBatcher.Forward(model, (long)batch * perSample,
            (r, row) =>
            {
                int i = (int)(r / perSample), j = (int)(r % perSample);
                x.AsSpan(i * size, size).CopyTo(row);
                if (j == 0) return;
                var (wy, hy) = ys[(j - 1) / xs.Length];
                var (wx, hx) = xs[(j - 1) % xs.Length];
                for (int ch = 0; ch < c; ch++)
                    for (int y = wy; y < wy + hy; y++) row.Slice(ch * pixels + y * w + wx, hx).Fill(baselineValue);
            },
            (r, logits) =>
            {
                int i = (int)(r / perSample), j = (int)(r % perSample);
                if (j == 0)
                {
                    original = logits[rowTargets[i]];
                    Array.Clear(sum);
                }
                else
                {
                    double delta = original - logits[rowTargets[i]];
                    var (wy, hy) = ys[(j - 1) / xs.Length];
                    var (wx, hx) = xs[(j - 1) % xs.Length];
                    for (int y = wy; y < wy + hy; y++)
                        for (int xx = wx; xx < wx + hx; xx++) sum[y * w + xx] += delta;
                }
                if (j < perSample - 1) return;
                for (int p = 0; p < pixels; p++)
                {
                    float v = count[p] == 0 ? 0 : (float)(sum[p] / count[p]);
                    for (int ch = 0; ch < c; ch++) perChannel[ch * pixels + p] = v;
                }
                ExplainMath.Reduce(perChannel, c, pixels, reduce, maps.AsSpan(i * outC * pixels, outC * pixels));
            },
            settings.Budget);
        maps.CopyTo(output);
    }

    /// <summary>
    /// Captum's window placement along an axis of <paramref name="size"/> elements: starts k·stride for
    /// k = 0 … ⌈(size − window)/stride⌉ (window cut to the axis first), each with its extent inside the axis (the last
    /// one cut at the border). Starts at or past the end (possible only when stride &gt; window) are dropped.
    /// </summary>
    public static (int Start, int Length)[] Windows(int size, int window, int stride)
    {
        window = Math.Min(window, size);
        int shifts = (size - window + stride - 1) / stride + 1;
        var list = new List<(int, int)>(shifts);
        for (int i = 0; i < shifts; i++)
        {
            long start = (long)i * stride;
            if (start >= size) break;
            list.Add(((int)start, (int)Math.Min(window, size - start)));
        }
        return [.. list];
    }
}

/// <summary>Options of <see cref="Rise"/>.</summary>
/// <param name="Masks">Number of random masks (Petsiuk et al. use 4,000–8,000 for ImageNet).</param>
/// <param name="Probability">Probability p that a grid cell is kept.</param>
/// <param name="CellSize">Grid size s: masks are s×s binary grids upsampled to the image.</param>
public sealed record RiseOptions(int Masks = 2000, double Probability = 0.5, int CellSize = 8);

/// <summary>
/// RISE (Petsiuk et al., "RISE: Randomized Input Sampling for Explanation", BMVC 2018): N random binary s×s grids with
/// keep probability p are upsampled bilinearly to ((s + 1)·⌈H/s⌉) and randomly shifted-cropped to H×W (smooth masks
/// M_i ∈ [0,1]); the saliency is Σ_i P(t | x ⊙ M_i)·M_i / (N·p), with softmax probabilities. Masks are seeded and shared
/// by all samples (as in the paper); the N masked inputs of all samples go through the model as one
/// <see cref="StepBatcher"/> run, sharing calls. Masks are made once per call for the rows of that call, so memory
/// stays at about one call's worth of masks, not N·H·W floats.
/// </summary>
public sealed class Rise(RiseOptions options) : IExplainer
{
    /// <summary>The options.</summary>
    public RiseOptions Options { get; } = options.Masks > 0 && options.CellSize > 0 && options.Probability is > 0 and <= 1
        ? options : throw new InputDataException("RISE needs masks > 0, cell size > 0 and 0 < probability ≤ 1.");
    /// <inheritdoc/>
    public string Name => "rise";
    /// <inheritdoc/>
    public bool NeedsGradients => false;
    /// <inheritdoc/>
    public bool NeedsLayer => false;
    /// <inheritdoc/>
    public int OutputChannels(int inputChannels, ExplainSettings settings) => 1;

    /// <summary>Generates mask <paramref name="index"/> (H×W) deterministically from the seed.</summary>
    public void Mask(int index, int h, int w, int seed, Span<float> mask)
    {
        int s = Options.CellSize;
        var rng = new SplitMix(SplitMix.Derive((ulong)seed ^ 0xB15Eul, index));
        var grid = new float[s * s];
        for (int i = 0; i < grid.Length; i++) grid[i] = rng.NextDouble() < Options.Probability ? 1f : 0f;
        int cellH = (h + s - 1) / s, cellW = (w + s - 1) / s;
        int upH = (s + 1) * cellH, upW = (s + 1) * cellW;
        var up = new float[upH * upW];
        ExplainMath.ResizeBilinear(grid, s, s, up, upH, upW);
        int dy = rng.NextInt(cellH), dx = rng.NextInt(cellW);
        for (int y = 0; y < h; y++) up.AsSpan((y + dy) * upW + dx, w).CopyTo(mask.Slice(y * w, w));
    }

    /// <inheritdoc/>
    /// <remarks>
    /// One <see cref="StepBatcher"/> run over masks × samples, mask-major (row = mask·batch + sample), so the masked
    /// inputs of several samples share model calls; before each call the masks its rows use are made once (in
    /// parallel) and serve every sample's row. Each sample's sum runs over the masks in order, so results do not depend
    /// on the batch size.
    /// </remarks>
    public void Explain(IModel model, ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> output, ExplainSettings settings)
    {
        var (c, h, w) = ExplainMath.Geometry(model, inputs, batch, targets);
        int pixels = h * w, size = c * pixels, k = model.OutputCount, m = Options.Masks;
        int rowsPerCall = Math.Max(1, settings.RowsPerCall(size));
        // The masks one call's rows span: ⌈rows / batch⌉, plus one when the call starts inside a mask's rows.
        long spanned = Math.Min(m, (Math.Min((long)m * batch, rowsPerCall) + batch - 1) / batch + 1);
        var masks = new float[spanned * pixels <= 1L << 28 ? spanned * pixels : throw new InputDataException($"RISE masks of {h}×{w} in batches of {rowsPerCall} need too much memory; lower --batch-size.")];
        var x = inputs.ToArray();
        var rowTargets = targets.ToArray();
        var probs = new double[k];
        var acc = new double[(long)batch * pixels];
        long firstMask = 0;
        int seed = settings.Seed;
        StepBatcher.Forward(model, (long)m * batch,
            (first, n) =>
            {
                long j0 = first / batch, j1 = (first + n - 1) / batch;
                firstMask = j0;
                Parallel.For(0, (int)(j1 - j0 + 1), j => Mask((int)(j0 + j), h, w, seed, masks.AsSpan(j * pixels, pixels)));
            },
            (r, row) =>
            {
                int i = (int)(r % batch);
                var mask = masks.AsSpan((int)(r / batch - firstMask) * pixels, pixels);
                var xi = x.AsSpan(i * size, size);
                for (int ch = 0; ch < c; ch++) TensorPrimitives.Multiply(xi.Slice(ch * pixels, pixels), mask, row.Slice(ch * pixels, pixels));
            },
            (r, logits) =>
            {
                int i = (int)(r % batch);
                ExplainMath.Softmax(logits, probs);
                double p = probs[rowTargets[i]];
                var mask = masks.AsSpan((int)(r / batch - firstMask) * pixels, pixels);
                var sampleAcc = acc.AsSpan(i * pixels, pixels);
                for (int q = 0; q < pixels; q++) sampleAcc[q] += p * mask[q];
            },
            settings.Budget);
        double norm = m * Options.Probability;
        for (int i = 0; i < batch; i++)
        {
            var dst = output.Slice(i * pixels, pixels);
            var sampleAcc = acc.AsSpan(i * pixels, pixels);
            for (int q = 0; q < pixels; q++) dst[q] = (float)(sampleAcc[q] / norm);
        }
    }
}
