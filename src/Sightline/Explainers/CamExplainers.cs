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

    /// <summary>
    /// Forms the raw maps of the samples <paramref name="first"/> … <paramref name="first"/> + <paramref name="count"/> − 1
    /// (the rows of one layer call) from their grids (count·K·hw values each; <paramref name="gGrids"/> empty when
    /// unused) into <paramref name="cams"/> (count·hw). The default calls <see cref="RawMap"/> per sample; methods that
    /// re-run the model (Score-CAM, Ablation-CAM) override it so the re-runs of all these samples share model calls.
    /// <see cref="CamContext.ActivationsOf"/> and <see cref="CamContext.LogitsOf"/> give each sample's layer output and logits.
    /// </summary>
    protected virtual void RawMaps(CamContext ctx, int first, int count, ReadOnlySpan<float> aGrids, ReadOnlySpan<float> gGrids, int k, int hw, Span<float> cams)
    {
        for (int j = 0; j < count; j++)
        {
            ctx.Logits = ctx.LogitsMemory(first + j);
            ctx.Activations = ctx.ActivationsMemory(first + j);
            RawMap(ctx, first + j, aGrids.Slice(j * k * hw, k * hw), gGrids.IsEmpty ? gGrids : gGrids.Slice(j * k * hw, k * hw), k, hw, cams.Slice(j * hw, hw));
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The layer calls are one <see cref="StepBatcher.LayerActivations"/> run over the samples; each call's samples
    /// form their raw maps together (<see cref="RawMaps"/>), then each map is post-processed.
    /// </remarks>
    public void Explain(IModel model, ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> output, ExplainSettings settings)
    {
        IActivationModel gm = NeedsGradients ? ExplainMath.RequireGradients(model, Name) : ExplainMath.RequireActivations(model, Name);
        var (c, h, w) = ExplainMath.Geometry(model, inputs, batch, targets);
        var (k, fh, fw, tokens) = Grid(gm, Layer);
        int layerSize = gm.LayerShape(Layer).Aggregate(1, (x, y) => x * y);
        int hw = fh * fw;
        var ctx = new CamContext(gm, Layer, inputs, c, h, w, k, fh, fw, tokens, targets, settings);
        var maps = new float[(long)batch * h * w];
        float[] aGrids = [], gGrids = [], cams = [];
        var style = settings.CamStyle;
        bool usesGradients = UsesGradients;
        StepBatcher.LayerActivations(gm, Layer, batch, usesGradients ? r => ctx.Targets[r] : null,
            (r, x) => ctx.Input((int)r).CopyTo(x),
            (first, n, act, grad, logits) =>
            {
                ctx.SetCall((int)first, n, layerSize, act, logits);
                if (aGrids.Length < n * k * hw)
                {
                    aGrids = new float[n * k * hw];
                    gGrids = usesGradients ? new float[n * k * hw] : [];
                    cams = new float[n * hw];
                }
                for (int j = 0; j < n; j++)
                {
                    ToGrid(act.Slice(j * layerSize, layerSize), tokens, k, hw, aGrids.AsSpan(j * k * hw, k * hw));
                    if (usesGradients) ToGrid(grad.Slice(j * layerSize, layerSize), tokens, k, hw, gGrids.AsSpan(j * k * hw, k * hw));
                }
                RawMaps(ctx, (int)first, n, aGrids.AsSpan(0, n * k * hw), usesGradients ? gGrids.AsSpan(0, n * k * hw) : [], k, hw, cams.AsSpan(0, n * hw));
                for (int j = 0; j < n; j++)
                    PostProcess(cams.AsSpan(j * hw, hw), fh, fw, maps.AsSpan((int)(first + j) * h * w, h * w), h, w, style);
            },
            settings.Budget, usesGradients ? ExplainMath.GradientActivationValues(gm) : layerSize);
        maps.CopyTo(output);
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

    private float[] _callActs = [], _callLogits = [];
    private int _callFirst, _callCount, _layerSize;

    /// <summary>The layer output of sample <paramref name="i"/> in its native layout (a sample of the current layer call).</summary>
    public ReadOnlySpan<float> ActivationsOf(int i) => ActivationsMemory(i).Span;

    /// <summary>The logits of sample <paramref name="i"/> (a sample of the current layer call).</summary>
    public ReadOnlySpan<float> LogitsOf(int i) => LogitsMemory(i).Span;

    internal ReadOnlyMemory<float> ActivationsMemory(int i) => _callActs.AsMemory(CallRow(i) * _layerSize, _layerSize);

    internal ReadOnlyMemory<float> LogitsMemory(int i) => _callLogits.AsMemory(CallRow(i) * Model.OutputCount, Model.OutputCount);

    private int CallRow(int i) => i >= _callFirst && i < _callFirst + _callCount ? i - _callFirst
        : throw new ArgumentOutOfRangeException(nameof(i), $"Sample {i} is not in the current layer call ({_callFirst} … {_callFirst + _callCount - 1}).");

    /// <summary>Keeps the layer outputs and logits of the samples of one layer call.</summary>
    internal void SetCall(int first, int count, int layerSize, ReadOnlySpan<float> activations, ReadOnlySpan<float> logits)
    {
        _callFirst = first;
        _callCount = count;
        _layerSize = layerSize;
        if (_callActs.Length < count * layerSize) _callActs = new float[count * layerSize];
        if (_callLogits.Length < count * Model.OutputCount) _callLogits = new float[count * Model.OutputCount];
        activations[..(count * layerSize)].CopyTo(_callActs);
        logits[..(count * Model.OutputCount)].CopyTo(_callLogits);
    }
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
/// x ⊙ M_c, and w = softmax over channels of the target logits; map = ReLU(Σ_c w_c A_c). The K masked inputs of all
/// samples of a layer call go through the model as one <see cref="StepBatcher"/> run, sharing calls. A constant channel gives an all-zero mask.
/// </summary>
public sealed class ScoreCam(string layer) : CamExplainer(layer)
{
    /// <inheritdoc/>
    public override string Name => "scorecam";
    /// <inheritdoc/>
    protected override bool UsesGradients => false;

    /// <inheritdoc/>
    protected override void RawMap(CamContext ctx, int sample, ReadOnlySpan<float> a, ReadOnlySpan<float> g, int k, int hw, Span<float> cam) =>
        RawMaps(ctx, sample, 1, a, g, k, hw, cam);

    /// <inheritdoc/>
    /// <remarks>
    /// The K masked inputs of all <paramref name="count"/> samples are one <see cref="StepBatcher"/> run
    /// (row = sample·K + channel): each row upsamples and normalises its channel into its first plane, then multiplies
    /// every input channel by it, so rows are made in parallel without shared buffers.
    /// </remarks>
    protected override void RawMaps(CamContext ctx, int first, int count, ReadOnlySpan<float> aGrids, ReadOnlySpan<float> gGrids, int k, int hw, Span<float> cams)
    {
        int pixels = ctx.H * ctx.W, channels = ctx.C, fh = ctx.FeatureH, fw = ctx.FeatureW, h = ctx.H, w = ctx.W;
        var grids = aGrids[..(count * k * hw)].ToArray();
        var scores = new double[count * k];
        StepBatcher.Forward(ctx.Model, (long)count * k,
            (r, row) =>
            {
                int j = (int)(r / k), ch = (int)(r % k);
                var up = row[..pixels];
                ExplainMath.ResizeBilinear(grids.AsSpan((j * k + ch) * hw, hw), fh, fw, up, h, w, alignCorners: true);
                float min = TensorPrimitives.Min(up), max = TensorPrimitives.Max(up);
                if (max > min)
                {
                    TensorPrimitives.Subtract(up, min, up);
                    TensorPrimitives.Divide(up, max - min, up);
                }
                else up.Clear();
                var x = ctx.Input(first + j);
                // Channel 0 last: its plane holds the mask until then.
                for (int c = channels - 1; c >= 0; c--)
                    TensorPrimitives.Multiply(x.Slice(c * pixels, pixels), up, row.Slice(c * pixels, pixels));
            },
            (r, logits) => scores[r] = logits[ctx.Targets[(first + (int)(r / k)) % ctx.Targets.Length]],
            ctx.Settings.Budget);
        var weights = new double[k];
        for (int j = 0; j < count; j++)
        {
            var sc = scores.AsSpan(j * k, k);
            double max2 = sc.ToArray().Max(), sum = 0;
            for (int ch = 0; ch < k; ch++) sum += weights[ch] = Math.Exp(sc[ch] - max2);
            var a = aGrids.Slice(j * k * hw, k * hw);
            var cam = cams.Slice(j * hw, hw);
            cam.Clear();
            for (int ch = 0; ch < k; ch++) TensorPrimitives.MultiplyAdd(a.Slice(ch * hw, hw), (float)(weights[ch] / sum), cam, cam);
        }
    }
}

/// <summary>
/// Ablation-CAM (Desai &amp; Ramaswamy, WACV 2020), as pytorch-grad-cam: channel c of the layer output is ablated
/// (set to 0 when the layer's minimum is 0, else to min − 1e7, pytorch-grad-cam's rule), the rest of the model re-run,
/// and w_c = (y_t − y_t^{(c)}) / y_t; map = ReLU(Σ_c w_c A_c). The K ablated copies of all
/// samples of a layer call go through the model as one <see cref="StepBatcher"/> run, sharing calls.
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
    protected override void RawMap(CamContext ctx, int sample, ReadOnlySpan<float> a, ReadOnlySpan<float> g, int k, int hw, Span<float> cam) =>
        RawMaps(ctx, sample, 1, a, g, k, hw, cam);

    /// <inheritdoc/>
    /// <remarks>The K ablated copies of all <paramref name="count"/> samples are one <see cref="StepBatcher.ForwardWithLayer"/> run (row = sample·K + channel).</remarks>
    protected override void RawMaps(CamContext ctx, int first, int count, ReadOnlySpan<float> aGrids, ReadOnlySpan<float> gGrids, int k, int hw, Span<float> cams)
    {
        var gm = ExplainMath.RequireGradients(ctx.Model, Name);
        int layerSize = ctx.Model.LayerShape(ctx.Layer).Aggregate(1, (x, y) => x * y);
        var ablated = new float[count];
        var original = new float[count];
        var target = new int[count];
        for (int j = 0; j < count; j++)
        {
            // pytorch-grad-cam's rule, from the sample's layer output in its native layout.
            float min = TensorPrimitives.Min(ctx.ActivationsOf(first + j));
            ablated[j] = min == 0 ? 0 : min - 1e7f;
            target[j] = ctx.Targets[(first + j) % ctx.Targets.Length];
            original[j] = ctx.LogitsOf(first + j)[target[j]];
        }
        bool tokens = ctx.Tokens;
        var weights = new float[count * k];
        StepBatcher.ForwardWithLayer(gm, ctx.Layer, (long)count * k,
            (r, x) => ctx.Input(first + (int)(r / k)).CopyTo(x),
            (r, row) =>
            {
                int j = (int)(r / k), ch = (int)(r % k);
                ctx.ActivationsOf(first + j).CopyTo(row);
                if (tokens)
                {
                    int t = layerSize / k;
                    for (int p = 0; p < t; p++) row[p * k + ch] = ablated[j];
                }
                else row.Slice(ch * hw, hw).Fill(ablated[j]);
            },
            (r, logits) =>
            {
                int j = (int)(r / k);
                weights[r] = (original[j] - logits[target[j]]) / original[j];
            },
            ctx.Settings.Budget);
        for (int j = 0; j < count; j++)
            WeightedSum(aGrids.Slice(j * k * hw, k * hw), weights.AsSpan(j * k, k), hw, cams.Slice(j * hw, hw));
    }
}
