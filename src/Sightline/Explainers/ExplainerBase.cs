using System.Numerics.Tensors;
using Sightline.Models;

namespace Sightline.Explainers;

/// <summary>How per-channel attributions become one map per sample.</summary>
public enum ChannelReduce
{
    /// <summary>Signed sum over channels (Shared Interest's convention).</summary>
    Sum,
    /// <summary>Maximum over channels.</summary>
    Max,
    /// <summary>Mean over channels.</summary>
    Mean,
    /// <summary>Keep all channels (output N×C×H×W).</summary>
    None,
}

/// <summary>How CAM maps are post-processed.</summary>
public enum CamStyle
{
    /// <summary>pytorch-grad-cam: ReLU, per-map min–max, bilinear (half-pixel) upsampling to the input size, min–max again.</summary>
    GradCam,
    /// <summary>Captum: signed, unnormalised, nearest-neighbour upsampling.</summary>
    Captum,
    /// <summary>
    /// The Explanation Alignment seed's Grad-CAM (Captum LayerGradCam without ReLU, then bilinear upsampling with
    /// align_corners = false): signed, unnormalised, half-pixel-centred bilinear upsampling.
    /// </summary>
    Seed,
}

/// <summary>Settings shared by every explainer: the batch budget and how outputs are shaped.</summary>
public sealed record ExplainSettings
{
    /// <summary>Rows per model call (integration steps, noisy samples, occluded or masked inputs, ...). 0 = automatic from <see cref="MemoryBudgetBytes"/>.</summary>
    public int BatchSize { get; init; }

    /// <summary>
    /// Memory budget for one batched model call when <see cref="BatchSize"/> is automatic (default 256 MiB), counting the
    /// input rows and, for gradient calls, the activations autograd keeps (see <see cref="RowsPerCall(int, long)"/>).
    /// </summary>
    public long MemoryBudgetBytes { get; init; } = 256L << 20;

    /// <summary>Channel reduction of pixel attributions (default: signed sum).</summary>
    public ChannelReduce ChannelReduce { get; init; } = ChannelReduce.Sum;

    /// <summary>CAM post-processing (default pytorch-grad-cam).</summary>
    public CamStyle CamStyle { get; init; } = CamStyle.GradCam;

    /// <summary>Seed for stochastic methods (SmoothGrad noise, RISE masks, random baselines).</summary>
    public int Seed { get; init; } = 0;

    /// <summary>Global index of the first sample of this call, so seeded noise depends on the sample, not on how a run is chunked.</summary>
    public long FirstIndex { get; init; }

    /// <summary>The model-call budget these settings describe (the one <see cref="ModelBudget"/> explainers and metrics share).</summary>
    public ModelBudget Budget => new() { BatchSize = BatchSize, MemoryBudgetBytes = MemoryBudgetBytes };

    /// <summary>Rows per model call for inputs of <paramref name="sampleValues"/> floats: <see cref="ModelBudget.RowsPerCall"/> of <see cref="Budget"/>.</summary>
    /// <param name="sampleValues">Input floats per row.</param>
    /// <param name="activationValues">Intermediate floats per row of a gradient call (<see cref="ExplainMath.GradientActivationValues"/>).</param>
    public int RowsPerCall(int sampleValues, long activationValues = 0) => Budget.RowsPerCall(sampleValues, activationValues);
}

/// <summary>
/// An attribution method: <c>(model, inputs, targets) → maps</c>, after Captum's <c>attribute</c>. Inputs are N×C×H×W
/// float32; targets one output index per sample. The output is N×H×W (channel-reduced) or N×C×H×W
/// (<see cref="ChannelReduce.None"/> for pixel methods); CAM methods always give N×H×W at the input resolution.
/// Implementations are stateless; their options are immutable records.
/// </summary>
public interface IExplainer
{
    /// <summary>The literature name used by the CLI (<c>saliency</c>, <c>integrated_gradients</c>, <c>gradcam</c>, ...).</summary>
    string Name { get; }

    /// <summary>True when the method needs gradients (<see cref="IGradientModel"/>).</summary>
    bool NeedsGradients { get; }

    /// <summary>True when the method needs a layer (CAM family).</summary>
    bool NeedsLayer { get; }

    /// <summary>Channels of the output for an input with <paramref name="inputChannels"/> channels.</summary>
    int OutputChannels(int inputChannels, ExplainSettings settings);

    /// <summary>Explains <paramref name="batch"/> samples, writing batch·OutputChannels·H·W values.</summary>
    void Explain(IModel model, ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> output, ExplainSettings settings);
}

/// <summary>Shared pieces composed by the explainers: channel reduction, resizing, scaling, softmax.</summary>
public static class ExplainMath
{
    /// <summary>Reduces C×P per-channel values to P values (or copies them for <see cref="ChannelReduce.None"/>).</summary>
    public static void Reduce(ReadOnlySpan<float> perChannel, int channels, int pixels, ChannelReduce reduce, Span<float> output)
    {
        if (reduce == ChannelReduce.None)
        {
            perChannel[..(channels * pixels)].CopyTo(output);
            return;
        }
        var o = output[..pixels];
        perChannel[..pixels].CopyTo(o);
        for (int c = 1; c < channels; c++)
        {
            var ch = perChannel.Slice(c * pixels, pixels);
            if (reduce == ChannelReduce.Max) TensorPrimitives.Max(o, ch, o);
            else TensorPrimitives.Add(o, ch, o);
        }
        if (reduce == ChannelReduce.Mean) TensorPrimitives.Divide(o, channels, o);
    }

    /// <summary>Output channels of a pixel method.</summary>
    public static int PixelOutputChannels(int inputChannels, ExplainSettings s) => s.ChannelReduce == ChannelReduce.None ? inputChannels : 1;

    /// <summary>
    /// Bilinear resize of one h×w plane to H×W. <paramref name="alignCorners"/> false = half-pixel centres
    /// (src = (dst + 0.5)·in/out − 0.5, clamped; torch <c>align_corners=False</c>, OpenCV INTER_LINEAR for upsampling);
    /// true = corner-aligned (src = dst·(in − 1)/(out − 1); torch <c>UpsamplingBilinear2d</c>).
    /// </summary>
    public static void ResizeBilinear(ReadOnlySpan<float> src, int h, int w, Span<float> dst, int outH, int outW, bool alignCorners = false)
    {
        Span<int> x0s = outW <= 2048 ? stackalloc int[outW] : new int[outW];
        Span<float> fx = outW <= 2048 ? stackalloc float[outW] : new float[outW];
        for (int x = 0; x < outW; x++)
        {
            double sx = Source(x, w, outW, alignCorners);
            int x0 = (int)Math.Floor(sx);
            fx[x] = (float)(sx - x0);
            x0s[x] = x0;
        }
        for (int y = 0; y < outH; y++)
        {
            double sy = Source(y, h, outH, alignCorners);
            int y0 = (int)Math.Floor(sy);
            float fy = (float)(sy - y0);
            int y1 = Math.Min(y0 + 1, h - 1);
            var r0 = src.Slice(y0 * w, w);
            var r1 = src.Slice(y1 * w, w);
            var d = dst.Slice(y * outW, outW);
            for (int x = 0; x < outW; x++)
            {
                int a = x0s[x], b = Math.Min(a + 1, w - 1);
                float top = r0[a] + (r0[b] - r0[a]) * fx[x];
                float bottom = r1[a] + (r1[b] - r1[a]) * fx[x];
                d[x] = top + (bottom - top) * fy;
            }
        }

        static double Source(int dstIndex, int inSize, int outSize, bool corners)
        {
            if (inSize == 1) return 0;
            double s = corners
                ? (outSize == 1 ? 0 : dstIndex * (double)(inSize - 1) / (outSize - 1))
                : Math.Max(0, (dstIndex + 0.5) * inSize / outSize - 0.5);
            return Math.Min(s, inSize - 1);
        }
    }

    /// <summary>Nearest-neighbour resize (src = floor(dst·in/out)), Captum's default interpolation.</summary>
    public static void ResizeNearest(ReadOnlySpan<float> src, int h, int w, Span<float> dst, int outH, int outW)
    {
        for (int y = 0; y < outH; y++)
        {
            int sy = Math.Min(h - 1, (int)((long)y * h / outH));
            for (int x = 0; x < outW; x++) dst[y * outW + x] = src[sy * w + Math.Min(w - 1, (int)((long)x * w / outW))];
        }
    }

    /// <summary>pytorch-grad-cam's <c>scale_cam_image</c> scaling: x ← x − min; x ← x / (max + 1e-7) (max after the shift).</summary>
    public static void ScaleMinMax(Span<float> x)
    {
        if (x.IsEmpty) return;
        float min = TensorPrimitives.Min(x);
        TensorPrimitives.Subtract(x, min, x);
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Divide(x, max + 1e-7f, x);
    }

    /// <summary>Softmax of one row in float64 (stable).</summary>
    public static void Softmax(ReadOnlySpan<float> logits, Span<double> probabilities)
    {
        double max = double.NegativeInfinity;
        foreach (var v in logits) max = Math.Max(max, v);
        double sum = 0;
        for (int i = 0; i < logits.Length; i++) sum += probabilities[i] = Math.Exp(logits[i] - max);
        for (int i = 0; i < logits.Length; i++) probabilities[i] /= sum;
    }

    /// <summary>
    /// Floats per sample that a gradient call keeps alive: the sum of the per-sample sizes of every layer the model
    /// lists (for an ONNX graph, every float node output that depends on the input, i.e. what autograd saves, an upper
    /// bound); 0 when the model lists none.
    /// </summary>
    public static long GradientActivationValues(IModel model) =>
        model is IActivationModel a ? a.Layers.Sum(l => l.Shape.Aggregate(1L, (x, y) => x * Math.Max(1, y))) : 0;

    /// <summary>Requires layer activations (forward passes that expose a node output), with a message naming the method.</summary>
    public static IActivationModel RequireActivations(IModel model, string method) =>
        model as IActivationModel ?? throw new InputDataException(
            $"Method '{method}' needs a layer's activations, but model '{model.Name}' does not expose intermediate outputs; use --backend onnxruntime or torch.");

    /// <summary>Requires gradient support, with a message naming the method.</summary>
    public static IGradientModel RequireGradients(IModel model, string method) =>
        model as IGradientModel ?? throw new InputDataException(
            $"Method '{method}' needs gradients, but model '{model.Name}' runs on a forward-only back end; use --backend torch.");

    /// <summary>Checks buffer sizes shared by all explainers.</summary>
    public static (int C, int H, int W) Geometry(IModel model, ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets)
    {
        var s = model.InputShape;
        int c = s[0], h = s[1], w = s[2];
        if (inputs.Length != (long)batch * c * h * w)
            throw new ArgumentException($"Inputs hold {inputs.Length} values; expected {batch}×{c}×{h}×{w} for model '{model.Name}'.");
        if (targets.Length != batch) throw new ArgumentException($"{targets.Length} targets for {batch} samples.");
        for (int i = 0; i < batch; i++)
            if (targets[i] < 0 || targets[i] >= model.OutputCount)
                throw new InputDataException($"Target {targets[i]} of sample {i} of this batch is outside the model's {model.OutputCount} outputs (explain runs check every sample's target, by its overall index, before starting).");
        return (c, h, w);
    }
}
