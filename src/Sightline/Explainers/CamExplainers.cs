using System.Numerics.Tensors;
using Sightline.Models;

namespace Sightline.Explainers;

/// <summary>
/// Shared machinery of the CAM family: fetches a layer's activations A (K channels on an h×w grid) and, when needed,
/// ∂y_t/∂A; lets the method form a raw map at feature resolution; then post-processes it to the input size according
/// to <see cref="CamStyle"/>: pytorch-grad-cam (ReLU, x ← x − min, x ← x/(max + 1e-7), bilinear half-pixel resize, the
/// same scaling again), Captum (signed, unnormalised, nearest) or the Explanation Alignment seed (signed, unnormalised,
/// bilinear half-pixel resize). Methods without gradients (Eigen-CAM, Score-CAM) need only an
/// <see cref="IActivationModel"/>, so ONNX Runtime serves them; Ablation-CAM replaces a layer's output and needs the
/// TorchSharp back end. Token layers of shape [T, D] (ViT) are turned into
/// D×s×s grids, dropping a leading class token when T = s² + 1 (jacobgil's reshape_transform).
/// </summary>
public abstract class CamExplainer(string layer) : IExplainer
{
    /// <summary>The layer (ONNX node output name).</summary>
    public string Layer { get; } = string.IsNullOrWhiteSpace(layer) ? throw new InputDataException("CAM methods need --layer NAME (see 'sightline explain --list-layers').") : layer;

    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <summary>True when the method needs ∂y/∂A.</summary>
    protected abstract bool UsesGradients { get; }

    /// <summary>True when the method re-runs the model with the layer's output replaced (<see cref="IGradientModel.ForwardWithLayer"/>).</summary>
    protected virtual bool ReplacesLayer => false;

    /// <inheritdoc/>
    public bool NeedsGradients => UsesGradients || ReplacesLayer;

    /// <inheritdoc/>
    public bool NeedsLayer => true;

    /// <inheritdoc/>
    public int OutputChannels(int inputChannels, ExplainSettings settings) => 1;

    /// <summary>
    /// Forms the raw (pre-ReLU) map of one sample at feature resolution from A and G (K×hw each; G empty when unused).
    /// </summary>
    protected abstract void RawMap(CamContext ctx, int sample, ReadOnlySpan<float> a, ReadOnlySpan<float> g, int k, int hw, Span<float> cam);

    /// <inheritdoc/>
    public void Explain(IModel model, ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> output, ExplainSettings settings)
    {
        IActivationModel gm = NeedsGradients ? ExplainMath.RequireGradients(model, Name) : ExplainMath.RequireActivations(model, Name);
        var (c, h, w) = ExplainMath.Geometry(model, inputs, batch, targets);
        var (k, fh, fw, tokens) = Grid(gm, Layer);
        int layerSize = gm.LayerShape(Layer).Aggregate(1, (x, y) => x * y);
        int hw = fh * fw;
        int rowsPerCall = Math.Max(1, settings.RowsPerCall(c * h * w, UsesGradients ? ExplainMath.GradientActivationValues(gm) : layerSize));
        var act = new float[Math.Min(batch, rowsPerCall) * layerSize];
        var grad = UsesGradients ? new float[act.Length] : [];
        var logits = new float[Math.Min(batch, rowsPerCall) * model.OutputCount];
        var aGrid = new float[k * hw];
        var gGrid = UsesGradients ? new float[k * hw] : [];
        var cam = new float[hw];
        var ctx = new CamContext(gm, Layer, inputs, c, h, w, k, fh, fw, tokens, targets, settings);
        for (int start = 0; start < batch; start += rowsPerCall)
        {
            int n = Math.Min(rowsPerCall, batch - start);
            int size = c * h * w;
            if (UsesGradients)
                ((IGradientModel)gm).LayerActivations(Layer, inputs.Slice(start * size, n * size), n, targets.Slice(start, n), act.AsSpan(0, n * layerSize), grad.AsSpan(0, n * layerSize), logits.AsSpan(0, n * model.OutputCount));
            else gm.LayerActivations(Layer, inputs.Slice(start * size, n * size), n, act.AsSpan(0, n * layerSize), logits.AsSpan(0, n * model.OutputCount));
            for (int j = 0; j < n; j++)
            {
                int i = start + j;
                ToGrid(act.AsSpan(j * layerSize, layerSize), tokens, k, hw, aGrid);
                if (UsesGradients) ToGrid(grad.AsSpan(j * layerSize, layerSize), tokens, k, hw, gGrid);
                ctx.Logits = logits.AsMemory(j * model.OutputCount, model.OutputCount);
                ctx.Activations = act.AsMemory(j * layerSize, layerSize);
                RawMap(ctx, i, aGrid, gGrid, k, hw, cam);
                PostProcess(cam, fh, fw, output.Slice(i * h * w, h * w), h, w, settings.CamStyle);
            }
        }
    }

    /// <summary>
    /// Applies the CAM style to a raw feature-resolution map: <see cref="CamStyle.Captum"/> upsamples the signed map
    /// by nearest neighbour (Captum's <c>LayerAttribution.interpolate</c> default); <see cref="CamStyle.Seed"/> upsamples
    /// it bilinearly with half-pixel centres (src = (dst + 0.5)·in/out − 0.5, torch <c>align_corners=False</c>), signed and
    /// unnormalised, as the Explanation Alignment seed does; <see cref="CamStyle.GradCam"/> is pytorch-grad-cam's
    /// ReLU, min–max, bilinear, ReLU, min–max.
    /// </summary>
    public static void PostProcess(Span<float> cam, int fh, int fw, Span<float> output, int h, int w, CamStyle style)
    {
        if (style == CamStyle.Captum)
        {
            ExplainMath.ResizeNearest(cam, fh, fw, output, h, w);
            return;
        }
        if (style == CamStyle.Seed)
        {
            ExplainMath.ResizeBilinear(cam, fh, fw, output, h, w, alignCorners: false);
            return;
        }
        TensorPrimitives.Max(cam, 0f, cam);
        ExplainMath.ScaleMinMax(cam);
        ExplainMath.ResizeBilinear(cam, fh, fw, output, h, w);
        TensorPrimitives.Max(output, 0f, output);
        ExplainMath.ScaleMinMax(output);
    }

    /// <summary>Channels, grid size and token layout of a layer.</summary>
    /// <exception cref="InputDataException">The layer is unknown (the message names close candidates) or not a feature map.</exception>
    public static (int K, int H, int W, bool Tokens) Grid(IActivationModel model, string layer)
    {
        if (!model.Layers.Any(l => l.Name == layer)) throw LayerNames.Unknown(layer, model.Name, model.Layers);
        var shape = model.LayerShape(layer);
        if (shape.Count == 3) return (shape[0], shape[1], shape[2], false);
        if (shape.Count == 2)
        {
            int t = shape[0], d = shape[1];
            int s = (int)Math.Round(Math.Sqrt(t));
            if (s * s == t) return (d, s, s, true);
            s = (int)Math.Round(Math.Sqrt(t - 1));
            if (s * s == t - 1) return (d, s, s, true);
        }
        throw new InputDataException($"Layer '{layer}' has per-sample shape ({string.Join(", ", shape)}); CAM methods need C×h×w feature maps or T×D tokens with T = s² or s² + 1.");
    }

    private static void ToGrid(ReadOnlySpan<float> values, bool tokens, int k, int hw, Span<float> grid)
    {
        if (!tokens)
        {
            values[..(k * hw)].CopyTo(grid);
            return;
        }
        // T×D tokens (optionally with a leading class token) → D×(s·s).
        int t = values.Length / k;
        int skip = t - hw;
        for (int p = 0; p < hw; p++)
        {
            var token = values.Slice((p + skip) * k, k);
            for (int ch = 0; ch < k; ch++) grid[ch * hw + p] = token[ch];
        }
    }

    /// <summary>Σ_c w_c A_c into <paramref name="cam"/>.</summary>
    protected static void WeightedSum(ReadOnlySpan<float> a, ReadOnlySpan<float> weights, int hw, Span<float> cam)
    {
        cam.Clear();
        for (int ch = 0; ch < weights.Length; ch++)
            TensorPrimitives.MultiplyAdd(a.Slice(ch * hw, hw), weights[ch], cam, cam);
    }
}

/// <summary>Per-call data a CAM method may need beyond A and G (Score-CAM and Ablation-CAM re-run the model).</summary>
public sealed class CamContext
{
    private readonly float[] _inputs;

    internal CamContext(IActivationModel model, string layer, ReadOnlySpan<float> inputs, int c, int h, int w, int k, int fh, int fw, bool tokens, ReadOnlySpan<int> targets, ExplainSettings settings)
    {
        Model = model;
        Layer = layer;
        _inputs = inputs.ToArray();
        C = c; H = h; W = w; K = k; FeatureH = fh; FeatureW = fw; Tokens = tokens;
        Targets = targets.ToArray();
        Settings = settings;
    }

    /// <summary>The model (an <see cref="IGradientModel"/> for methods that need gradients or replace the layer).</summary>
    public IActivationModel Model { get; }
    /// <summary>The layer.</summary>
    public string Layer { get; }
    /// <summary>Input channels, height, width.</summary>
    public int C { get; }
    /// <summary>Input height.</summary>
    public int H { get; }
    /// <summary>Input width.</summary>
    public int W { get; }
    /// <summary>Layer channels.</summary>
    public int K { get; }
    /// <summary>Feature grid height.</summary>
    public int FeatureH { get; }
    /// <summary>Feature grid width.</summary>
    public int FeatureW { get; }
    /// <summary>True for token layers.</summary>
    public bool Tokens { get; }
    /// <summary>Targets of the batch.</summary>
    public int[] Targets { get; }
    /// <summary>Settings.</summary>
    public ExplainSettings Settings { get; }
    /// <summary>Logits of the current sample.</summary>
    public ReadOnlyMemory<float> Logits { get; internal set; }

    /// <summary>The layer output of the current sample in its native layout.</summary>
    public ReadOnlyMemory<float> Activations { get; internal set; }

    /// <summary>The input of sample <paramref name="i"/> (C·H·W values).</summary>
    public ReadOnlySpan<float> Input(int i) => _inputs.AsSpan(i * C * H * W, C * H * W);
}

/// <summary>Grad-CAM (Selvaraju et al., ICCV 2017): w_c = mean_{h,w} ∂y_t/∂A_c; map = ReLU(Σ_c w_c A_c).</summary>
public sealed class GradCam(string layer) : CamExplainer(layer)
{
    /// <inheritdoc/>
    public override string Name => "gradcam";
    /// <inheritdoc/>
    protected override bool UsesGradients => true;

    /// <inheritdoc/>
    protected override void RawMap(CamContext ctx, int sample, ReadOnlySpan<float> a, ReadOnlySpan<float> g, int k, int hw, Span<float> cam)
    {
        Span<float> weights = k <= 4096 ? stackalloc float[k] : new float[k];
        for (int ch = 0; ch < k; ch++) weights[ch] = TensorPrimitives.Sum(g.Slice(ch * hw, hw)) / hw;
        WeightedSum(a, weights, hw, cam);
    }
}

/// <summary>
/// Grad-CAM++ (Chattopadhay et al., WACV 2018, eq. 19), as pytorch-grad-cam's grad_cam_plusplus.py computes it:
/// α = g² / (2g² + Σ_{hw}A · g³ + ε) with ε = 1e-6, where g ≠ 0 (else 0); w_c = Σ_{hw} α · ReLU(g); map = ReLU(Σ_c w_c A_c).
/// </summary>
public sealed class GradCamPlusPlus(string layer) : CamExplainer(layer)
{
    /// <inheritdoc/>
    public override string Name => "gradcam_plus_plus";

    /// <summary>ε of the α denominator: pytorch-grad-cam's <c>eps = 0.000001</c>.</summary>
    public const double Epsilon = 1e-6;
    /// <inheritdoc/>
    protected override bool UsesGradients => true;

    /// <inheritdoc/>
    protected override void RawMap(CamContext ctx, int sample, ReadOnlySpan<float> a, ReadOnlySpan<float> g, int k, int hw, Span<float> cam)
    {
        Span<float> weights = k <= 4096 ? stackalloc float[k] : new float[k];
        for (int ch = 0; ch < k; ch++)
        {
            var gc = g.Slice(ch * hw, hw);
            double sumA = TensorPrimitives.Sum(a.Slice(ch * hw, hw));
            double w = 0;
            for (int p = 0; p < hw; p++)
            {
                double gv = gc[p];
                if (gv == 0) continue;
                double g2 = gv * gv, g3 = g2 * gv;
                double alpha = g2 / (2 * g2 + sumA * g3 + Epsilon);
                w += alpha * Math.Max(gv, 0);
            }
            weights[ch] = (float)w;
        }
        WeightedSum(a, weights, hw, cam);
    }
}

/// <summary>XGrad-CAM (Fu et al., BMVC 2020): w_c = Σ_{hw} g·A / (Σ_{hw} A + 1e-7); map = ReLU(Σ_c w_c A_c).</summary>
public sealed class XGradCam(string layer) : CamExplainer(layer)
{
    /// <inheritdoc/>
    public override string Name => "xgradcam";
    /// <inheritdoc/>
    protected override bool UsesGradients => true;

    /// <inheritdoc/>
    protected override void RawMap(CamContext ctx, int sample, ReadOnlySpan<float> a, ReadOnlySpan<float> g, int k, int hw, Span<float> cam)
    {
        Span<float> weights = k <= 4096 ? stackalloc float[k] : new float[k];
        for (int ch = 0; ch < k; ch++)
        {
            var ac = a.Slice(ch * hw, hw);
            weights[ch] = TensorPrimitives.Dot(g.Slice(ch * hw, hw), ac) / (TensorPrimitives.Sum(ac) + 1e-7f);
        }
        WeightedSum(a, weights, hw, cam);
    }
}

/// <summary>LayerCAM (Jiang et al., IEEE TIP 2021): map = ReLU(Σ_c ReLU(g_c) ⊙ A_c), a per-location weighting.</summary>
public sealed class LayerCam(string layer) : CamExplainer(layer)
{
    /// <inheritdoc/>
    public override string Name => "layercam";
    /// <inheritdoc/>
    protected override bool UsesGradients => true;

    /// <inheritdoc/>
    protected override void RawMap(CamContext ctx, int sample, ReadOnlySpan<float> a, ReadOnlySpan<float> g, int k, int hw, Span<float> cam)
    {
        cam.Clear();
        Span<float> tmp = hw <= 8192 ? stackalloc float[hw] : new float[hw];
        for (int ch = 0; ch < k; ch++)
        {
            TensorPrimitives.Max(g.Slice(ch * hw, hw), 0f, tmp);
            TensorPrimitives.MultiplyAdd(tmp, a.Slice(ch * hw, hw), cam, cam);
        }
    }
}

/// <summary>
/// Eigen-CAM (Muhammad &amp; Yeasin, IJCNN 2020), as pytorch-grad-cam's get_2d_projection: the activations as an
/// hw×K matrix, centred per channel, projected on their first right singular vector. The singular vector's sign is
/// arbitrary (pytorch-grad-cam leaves it to LAPACK) and the projection of centred data always sums to 0, so this port
/// orients it to correlate positively with the channel sum Σ_c A_c of the raw activations (high activation = salient;
/// on a tie, the largest-magnitude value is made positive).
/// Needs no gradients and no target.
/// </summary>
public sealed class EigenCam(string layer) : CamExplainer(layer)
{
    /// <inheritdoc/>
    public override string Name => "eigencam";
    /// <inheritdoc/>
    protected override bool UsesGradients => false;

    /// <inheritdoc/>
    protected override void RawMap(CamContext ctx, int sample, ReadOnlySpan<float> a, ReadOnlySpan<float> g, int k, int hw, Span<float> cam)
    {
        // Centre each channel over locations (columns of the hw×K matrix), then power-iterate on the K×K Gram matrix.
        var centred = new double[k * hw];
        for (int ch = 0; ch < k; ch++)
        {
            var ac = a.Slice(ch * hw, hw);
            double mean = 0;
            for (int p = 0; p < hw; p++) mean += ac[p];
            mean /= hw;
            for (int p = 0; p < hw; p++) centred[ch * hw + p] = ac[p] - mean;
        }
        var gram = new double[k * k];
        for (int i = 0; i < k; i++)
            for (int j = i; j < k; j++)
            {
                double s = 0;
                for (int p = 0; p < hw; p++) s += centred[i * hw + p] * centred[j * hw + p];
                gram[i * k + j] = gram[j * k + i] = s;
            }
        var v = new double[k];
        var next = new double[k];
        for (int i = 0; i < k; i++) v[i] = 1.0 / Math.Sqrt(k) * (1 + 0.01 * i);
        for (int iter = 0; iter < 500; iter++)
        {
            double norm = 0;
            for (int i = 0; i < k; i++)
            {
                double s = 0;
                for (int j = 0; j < k; j++) s += gram[i * k + j] * v[j];
                next[i] = s;
                norm += s * s;
            }
            norm = Math.Sqrt(norm);
            if (norm == 0) break;
            double change = 0;
            for (int i = 0; i < k; i++) { double nv = next[i] / norm; change += Math.Abs(nv - v[i]); v[i] = nv; }
            if (change < 1e-12) break;
        }
        double correlation = 0;
        int largest = 0;
        for (int p = 0; p < hw; p++)
        {
            double s = 0, energy = 0;
            for (int ch = 0; ch < k; ch++) { s += centred[ch * hw + p] * v[ch]; energy += a[ch * hw + p]; }
            cam[p] = (float)s;
            correlation += s * energy;
            if (Math.Abs(s) > Math.Abs(cam[largest])) largest = p;
        }
        if (correlation < 0 || (correlation == 0 && cam[largest] < 0)) TensorPrimitives.Negate(cam, cam);
    }
}

/// <summary>
/// Score-CAM (Wang et al., CVPR Workshops 2020), as pytorch-grad-cam: each channel A_c is upsampled to the input size
/// (bilinear, align_corners = true as torch's UpsamplingBilinear2d), min–max normalised to M_c ∈ [0,1], the model scores
/// x ⊙ M_c, and w = softmax over channels of the target logits; map = ReLU(Σ_c w_c A_c). The K masked inputs of each
/// sample go through the model in batches of the memory budget. A constant channel gives an all-zero mask.
/// </summary>
public sealed class ScoreCam(string layer) : CamExplainer(layer)
{
    /// <inheritdoc/>
    public override string Name => "scorecam";
    /// <inheritdoc/>
    protected override bool UsesGradients => false;

    /// <inheritdoc/>
    protected override void RawMap(CamContext ctx, int sample, ReadOnlySpan<float> a, ReadOnlySpan<float> g, int k, int hw, Span<float> cam)
    {
        int pixels = ctx.H * ctx.W, size = ctx.C * pixels;
        int rowsPerCall = ctx.Settings.RowsPerCall(size);
        var x = ctx.Input(sample);
        var up = new float[pixels];
        var rows = new float[Math.Min(k, rowsPerCall) * size];
        var logits = new float[Math.Min(k, rowsPerCall) * ctx.Model.OutputCount];
        var scores = new double[k];
        int target = ctx.Targets[sample % ctx.Targets.Length];
        for (int start = 0; start < k; start += rowsPerCall)
        {
            int n = Math.Min(rowsPerCall, k - start);
            for (int j = 0; j < n; j++)
            {
                ExplainMath.ResizeBilinear(a.Slice((start + j) * hw, hw), ctx.FeatureH, ctx.FeatureW, up, ctx.H, ctx.W, alignCorners: true);
                float min = TensorPrimitives.Min(up), max = TensorPrimitives.Max(up);
                if (max > min)
                {
                    TensorPrimitives.Subtract(up, min, up);
                    TensorPrimitives.Divide(up, max - min, up);
                }
                else Array.Clear(up);
                for (int c = 0; c < ctx.C; c++)
                    TensorPrimitives.Multiply(x.Slice(c * pixels, pixels), up, rows.AsSpan(j * size + c * pixels, pixels));
            }
            ctx.Model.Forward(rows.AsSpan(0, n * size), n, logits.AsSpan(0, n * ctx.Model.OutputCount));
            for (int j = 0; j < n; j++) scores[start + j] = logits[j * ctx.Model.OutputCount + target];
        }
        var weights = new double[k];
        double max2 = scores.Max(), sum = 0;
        for (int ch = 0; ch < k; ch++) sum += weights[ch] = Math.Exp(scores[ch] - max2);
        cam.Clear();
        for (int ch = 0; ch < k; ch++) TensorPrimitives.MultiplyAdd(a.Slice(ch * hw, hw), (float)(weights[ch] / sum), cam, cam);
    }
}

/// <summary>
/// Ablation-CAM (Desai &amp; Ramaswamy, WACV 2020), as pytorch-grad-cam: channel c of the layer output is ablated
/// (set to 0 when the layer's minimum is 0, else to min − 1e7, pytorch-grad-cam's rule), the rest of the model re-run,
/// and w_c = (y_t − y_t^{(c)}) / y_t; map = ReLU(Σ_c w_c A_c). The K ablated copies go through the model in batches.
/// </summary>
public sealed class AblationCam(string layer) : CamExplainer(layer)
{
    /// <inheritdoc/>
    public override string Name => "ablationcam";
    /// <inheritdoc/>
    protected override bool UsesGradients => false;
    /// <inheritdoc/>
    protected override bool ReplacesLayer => true;

    /// <inheritdoc/>
    protected override void RawMap(CamContext ctx, int sample, ReadOnlySpan<float> a, ReadOnlySpan<float> g, int k, int hw, Span<float> cam)
    {
        int size = ctx.C * ctx.H * ctx.W;
        int layerSize = ctx.Model.LayerShape(ctx.Layer).Aggregate(1, (x, y) => x * y);
        int rowsPerCall = ctx.Settings.RowsPerCall(Math.Max(size, layerSize));
        int target = ctx.Targets[sample % ctx.Targets.Length];
        float original = ctx.Logits.Span[target];
        // The layer output in its native layout, rebuilt from the grid.
        var native = ctx.Activations.Span;
        float min = TensorPrimitives.Min(native);
        float ablated = min == 0 ? 0 : min - 1e7f;
        var x = ctx.Input(sample);
        int n0 = Math.Min(k, rowsPerCall);
        var inputs = new float[n0 * size];
        var acts = new float[n0 * layerSize];
        var logits = new float[n0 * ctx.Model.OutputCount];
        var weights = new float[k];
        for (int start = 0; start < k; start += rowsPerCall)
        {
            int n = Math.Min(rowsPerCall, k - start);
            for (int j = 0; j < n; j++)
            {
                x.CopyTo(inputs.AsSpan(j * size, size));
                var row = acts.AsSpan(j * layerSize, layerSize);
                native.CopyTo(row);
                int ch = start + j;
                if (ctx.Tokens)
                {
                    int t = layerSize / k;
                    for (int p = 0; p < t; p++) row[p * k + ch] = ablated;
                }
                else row.Slice(ch * hw, hw).Fill(ablated);
            }
            ExplainMath.RequireGradients(ctx.Model, Name).ForwardWithLayer(ctx.Layer, inputs.AsSpan(0, n * size), acts.AsSpan(0, n * layerSize), n, logits.AsSpan(0, n * ctx.Model.OutputCount));
            for (int j = 0; j < n; j++) weights[start + j] = (original - logits[j * ctx.Model.OutputCount + target]) / original;
        }
        WeightedSum(a, weights, hw, cam);
    }
}
