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
/// All windows go through the model in batches.
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
    public void Explain(IModel model, ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> output, ExplainSettings settings)
    {
        var (c, h, w) = ExplainMath.Geometry(model, inputs, batch, targets);
        var ys = Windows(h, Options.Window, Options.Stride);
        var xs = Windows(w, Options.Window, Options.Stride);
        int windows = ys.Length * xs.Length, pixels = h * w, size = c * pixels, k = model.OutputCount;
        int rowsPerCall = settings.RowsPerCall(size);
        var rows = new float[Math.Min(windows, rowsPerCall) * size];
        var logits = new float[Math.Min(windows, rowsPerCall) * k];
        var baseLogits = new float[batch * k];
        Batched.Forward(model, inputs, batch, baseLogits, rowsPerCall);
        var sum = new double[pixels];
        var count = new int[pixels];
        var perChannel = new float[size];
        int outC = OutputChannels(c, settings);
        for (int i = 0; i < batch; i++)
        {
            var x = inputs.Slice(i * size, size);
            float original = baseLogits[i * k + targets[i]];
            Array.Clear(sum);
            Array.Clear(count);
            for (int start = 0; start < windows; start += rowsPerCall)
            {
                int n = Math.Min(rowsPerCall, windows - start);
                for (int j = 0; j < n; j++)
                {
                    var row = rows.AsSpan(j * size, size);
                    x.CopyTo(row);
                    var (wy, hy) = ys[(start + j) / xs.Length];
                    var (wx, hx) = xs[(start + j) % xs.Length];
                    for (int ch = 0; ch < c; ch++)
                        for (int y = wy; y < wy + hy; y++) row.Slice(ch * pixels + y * w + wx, hx).Fill(Options.Baseline);
                }
                model.Forward(rows.AsSpan(0, n * size), n, logits.AsSpan(0, n * k));
                for (int j = 0; j < n; j++)
                {
                    double delta = original - logits[j * k + targets[i]];
                    var (wy, hy) = ys[(start + j) / xs.Length];
                    var (wx, hx) = xs[(start + j) % xs.Length];
                    for (int y = wy; y < wy + hy; y++)
                        for (int xx = wx; xx < wx + hx; xx++) { sum[y * w + xx] += delta; count[y * w + xx]++; }
                }
            }
            for (int p = 0; p < pixels; p++)
            {
                float v = count[p] == 0 ? 0 : (float)(sum[p] / count[p]);
                for (int ch = 0; ch < c; ch++) perChannel[ch * pixels + p] = v;
            }
            ExplainMath.Reduce(perChannel, c, pixels, settings.ChannelReduce, output.Slice(i * outC * pixels, outC * pixels));
        }
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
/// by all samples (as in the paper), and the N masked inputs per sample go through the model in batches. Masks are
/// generated one batch at a time (each once per call, shared by the samples of the call), so memory stays at one batch
/// of masks, not N·H·W floats.
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
    public void Explain(IModel model, ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> output, ExplainSettings settings)
    {
        var (c, h, w) = ExplainMath.Geometry(model, inputs, batch, targets);
        int pixels = h * w, size = c * pixels, k = model.OutputCount, m = Options.Masks;
        int rowsPerCall = settings.RowsPerCall(size);
        int perBatch = Math.Min(m, rowsPerCall);
        var masks = new float[(long)perBatch * pixels <= 1L << 28 ? perBatch * pixels : throw new InputDataException($"RISE masks of {h}×{w} in batches of {perBatch} need too much memory; lower --batch-size.")];
        var rows = new float[perBatch * size];
        var logits = new float[perBatch * k];
        var probs = new double[k];
        var acc = new double[(long)batch * pixels];
        // Masks outside, samples inside: each mask is generated once per call and only one batch of them is held.
        for (int start = 0; start < m; start += rowsPerCall)
        {
            int n = Math.Min(rowsPerCall, m - start);
            int first = start;
            Parallel.For(0, n, j => Mask(first + j, h, w, settings.Seed, masks.AsSpan(j * pixels, pixels)));
            for (int i = 0; i < batch; i++)
            {
                var x = inputs.Slice(i * size, size);
                for (int j = 0; j < n; j++)
                {
                    var mask = masks.AsSpan(j * pixels, pixels);
                    for (int ch = 0; ch < c; ch++) TensorPrimitives.Multiply(x.Slice(ch * pixels, pixels), mask, rows.AsSpan(j * size + ch * pixels, pixels));
                }
                model.Forward(rows.AsSpan(0, n * size), n, logits.AsSpan(0, n * k));
                var sampleAcc = acc.AsSpan(i * pixels, pixels);
                for (int j = 0; j < n; j++)
                {
                    ExplainMath.Softmax(logits.AsSpan(j * k, k), probs);
                    double p = probs[targets[i]];
                    var mask = masks.AsSpan(j * pixels, pixels);
                    for (int q = 0; q < pixels; q++) sampleAcc[q] += p * mask[q];
                }
            }
        }
        double norm = m * Options.Probability;
        for (int i = 0; i < batch; i++)
        {
            var dst = output.Slice(i * pixels, pixels);
            var sampleAcc = acc.AsSpan(i * pixels, pixels);
            for (int q = 0; q < pixels; q++) dst[q] = (float)(sampleAcc[q] / norm);
        }
    }
}
