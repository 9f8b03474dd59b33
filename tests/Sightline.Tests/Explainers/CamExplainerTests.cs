using Sightline.Explainers;

namespace Sightline.Tests.Explainers;

public sealed class CamExplainerTests
{
    private const int C = 2, H = 4, W = 4, K = 3, Classes = 4;
    private static readonly ConvGapModel Model = new(C, H, W, K, Classes, seed: 3);
    private const string L = ConvGapModel.FeatureLayer;

    private static (float[] X, float[] A) Sample(int seed)
    {
        var x = ConvGapModel.RandomInputs(1, C, H, W, seed);
        var a = new float[K * H * W];
        Model.Features(x, a, new bool[a.Length]);
        return (x, a);
    }

    private static float[] Explain(IExplainer e, float[] x, int target, CamStyle style = CamStyle.Captum)
    {
        var o = new float[H * W];
        e.Explain(Model, x, 1, [target], o, new ExplainSettings { CamStyle = style });
        return o;
    }

    [Fact]
    public void Gradcam_weights_are_mean_gradients_and_captum_style_keeps_the_sign()
    {
        var (x, a) = Sample(1);
        var cam = Explain(new GradCam(L), x, 2);
        for (int q = 0; q < H * W; q++)
        {
            double want = 0;
            for (int k = 0; k < K; k++) want += Model.U(2, k) / (H * W) * a[k * H * W + q];
            Assert.Equal(want, cam[q], 1e-6);
        }
    }

    [Fact]
    public void Gradcam_default_style_is_relu_then_min_max_scaled()
    {
        var (x, _) = Sample(2);
        var raw = Explain(new GradCam(L), x, 1);
        var scaled = Explain(new GradCam(L), x, 1, CamStyle.GradCam);
        var relu = raw.Select(v => Math.Max(v, 0f)).ToArray();
        float min = relu.Min(), max = relu.Max() - min;
        for (int q = 0; q < H * W; q++) Assert.Equal((relu[q] - min) / (max + 1e-7f), scaled[q], 1e-5);
        Assert.InRange(scaled.Max(), 0.999f, 1f);
    }

    [Fact]
    public void Xgradcam_and_gradcam_plus_plus_follow_their_weight_formulas()
    {
        var (x, a) = Sample(3);
        int p = H * W, t = 0;
        var xg = Explain(new XGradCam(L), x, t);
        var gpp = Explain(new GradCamPlusPlus(L), x, t);
        var wx = new double[K];
        var wpp = new double[K];
        for (int k = 0; k < K; k++)
        {
            double g = Model.U(t, k) / p, sumA = 0, ga = 0;
            for (int q = 0; q < p; q++) { sumA += a[k * p + q]; ga += g * a[k * p + q]; }
            wx[k] = ga / (sumA + 1e-7);
            double alpha = g == 0 ? 0 : g * g / (2 * g * g + sumA * g * g * g + 1e-6);
            wpp[k] = p * alpha * Math.Max(g, 0);
        }
        for (int q = 0; q < p; q++)
        {
            double ex = 0, epp = 0;
            for (int k = 0; k < K; k++) { ex += wx[k] * a[k * p + q]; epp += wpp[k] * a[k * p + q]; }
            Assert.Equal(ex, xg[q], 1e-5);
            Assert.Equal(epp, gpp[q], 1e-5);
        }
    }

    [Fact]
    public void Layercam_weights_each_location_by_the_positive_gradient()
    {
        var (x, a) = Sample(4);
        int p = H * W, t = 3;
        var cam = Explain(new LayerCam(L), x, t);
        for (int q = 0; q < p; q++)
        {
            double want = 0;
            for (int k = 0; k < K; k++) want += Math.Max(Model.U(t, k) / p, 0) * a[k * p + q];
            Assert.Equal(want, cam[q], 1e-6);
        }
    }

    [Fact]
    public void Scorecam_weights_are_the_softmax_of_masked_input_logits()
    {
        var (x, a) = Sample(5);
        int p = H * W, t = 1;
        var cam = Explain(new ScoreCam(L), x, t);
        var scores = new double[K];
        for (int k = 0; k < K; k++)
        {
            // Feature maps are at input resolution here, so the align-corners resize is the identity.
            var m = a.AsSpan(k * p, p).ToArray();
            float min = m.Min(), max = m.Max();
            var masked = new float[C * p];
            for (int c = 0; c < C; c++) for (int q = 0; q < p; q++) masked[c * p + q] = x[c * p + q] * (max > min ? (m[q] - min) / (max - min) : 0);
            var logits = new float[Classes];
            Model.Forward(masked, 1, logits);
            scores[k] = logits[t];
        }
        var e = scores.Select(s => Math.Exp(s - scores.Max())).ToArray();
        for (int q = 0; q < p; q++)
        {
            double want = 0;
            for (int k = 0; k < K; k++) want += e[k] / e.Sum() * a[k * p + q];
            Assert.Equal(want, cam[q], 1e-5);
        }
    }

    [Fact]
    public void Ablationcam_weights_are_the_relative_drop_when_a_channel_is_zeroed()
    {
        var (x, a) = Sample(6);
        int p = H * W, t = 2;
        var cam = Explain(new AblationCam(L), x, t);
        var full = new float[Classes];
        Model.Head(a, full);
        for (int q = 0; q < p; q++)
        {
            double want = 0;
            for (int k = 0; k < K; k++)
            {
                // Zeroing channel k removes U[t,k]·mean(A_k) from the logit.
                double mean = a.AsSpan(k * p, p).ToArray().Average();
                double drop = Model.U(t, k) * mean;
                want += drop / full[t] * a[k * p + q];
            }
            Assert.Equal(want, cam[q], 1e-4);
        }
    }

    [Fact]
    public void Eigencam_of_rank_one_activations_is_the_centred_spatial_pattern()
    {
        // A_k = u_k · v: the first principal direction recovers v − mean(v) (up to scale, oriented along Σ_c A_c).
        int p = H * W;
        float[] u = [1f, 2f, -0.5f];
        var v = Enumerable.Range(0, p).Select(q => (float)(q % 5 == 0 ? 3 : q * 0.1)).ToArray();
        var a = new float[K * p];
        for (int k = 0; k < K; k++) for (int q = 0; q < p; q++) a[k * p + q] = u[k] * v[q];
        var model = new FixedActivationModel(a, K, H, W);
        var o = new float[p];
        new EigenCam("features").Explain(model, new float[C * p], 1, [0], o, new ExplainSettings { CamStyle = CamStyle.Captum });
        double mean = v.Average();
        var centred = v.Select(x => x - mean).ToArray();
        // Σ_c A_c = 2.5·v, which correlates positively with v − mean(v): the map is a positive multiple of it.
        double ratio = o[0] / centred[0];
        Assert.True(ratio > 0, $"the projection is oriented against the activations (ratio {ratio})");
        for (int q = 0; q < p; q++) Assert.Equal(centred[q] * ratio, o[q], 1e-4);
    }

    [Fact]
    public void Gradcam_plus_plus_uses_pytorch_grad_cams_epsilon()
    {
        // Tiny gradients make ε dominate the α denominator: g = 1e-4, Σ A = 4 → α = g² / (2g² + 4g³ + 1e-6).
        var a = new float[] { 1, 1, 1, 1 };
        var model = new FixedGradientModel(a, [1e-4f, 1e-4f, 1e-4f, 1e-4f], 1, 2, 2, inputH: 2, inputW: 2);
        var o = new float[4];
        new GradCamPlusPlus("features").Explain(model, new float[4], 1, [0], o, new ExplainSettings { CamStyle = CamStyle.Captum });
        double g = 1e-4, alpha = g * g / (2 * g * g + 4 * g * g * g + 1e-6);
        double w = 4 * alpha * g;
        foreach (var v in o) Assert.Equal(w, v, w * 1e-5);
    }

    [Fact]
    public void Seed_style_is_signed_unnormalised_bilinear_with_half_pixel_centres()
    {
        // Grad-CAM with G = 1 on a 2×2 grid: w = 1, raw map = A = [[-1, 1], [1, -1]]; upsampled to 4×4 with
        // src = (dst + 0.5)/2 − 0.5 (clamped): 2·[0, .25, .75, 1, ...] − 1, negatives kept, no scaling.
        var model = new FixedGradientModel([-1, 1, 1, -1], [1, 1, 1, 1], 1, 2, 2, inputH: 4, inputW: 4);
        var o = new float[16];
        new GradCam("features").Explain(model, new float[16], 1, [0], o, new ExplainSettings { CamStyle = CamStyle.Seed });
        float[] want = [-1, -.5f, .5f, 1, -.5f, -.25f, .25f, .5f, .5f, .25f, -.25f, -.5f, 1, .5f, -.5f, -1];
        Assert.Equal(want, o);
        // The default style clips and rescales the same map; Captum's repeats cells.
        new GradCam("features").Explain(model, new float[16], 1, [0], o, new ExplainSettings { CamStyle = CamStyle.Captum });
        Assert.Equal([-1, -1, 1, 1, -1, -1, 1, 1, 1, 1, -1, -1, 1, 1, -1, -1], o);
    }

    [Fact]
    public void Eigencam_and_scorecam_need_only_activations()
    {
        Assert.False(new EigenCam(L).NeedsGradients);
        Assert.False(new ScoreCam(L).NeedsGradients);
        Assert.True(new AblationCam(L).NeedsGradients);
        Assert.True(new GradCam(L).NeedsGradients);
        int p = H * W;
        var a = Enumerable.Range(0, K * p).Select(i => (float)Math.Sin(i * 0.7)).ToArray();
        var forwardOnly = new ActivationOnlyModel(a, K, H, W);
        var viaGradients = new FixedActivationModel(a, K, H, W);
        foreach (var method in new IExplainer[] { new EigenCam("features"), new ScoreCam("features") })
        {
            var o1 = new float[p];
            var o2 = new float[p];
            method.Explain(forwardOnly, new float[2 * p], 1, [0], o1, new ExplainSettings());
            method.Explain(viaGradients, new float[2 * p], 1, [0], o2, new ExplainSettings());
            Assert.Equal(o2, o1);
        }
        var ex = Assert.Throws<InputDataException>(() => new AblationCam("features").Explain(forwardOnly, new float[2 * p], 1, [0], new float[p], new ExplainSettings()));
        Assert.Contains("gradients", ex.Message);
    }

    [Fact]
    public void Cam_without_a_layer_is_a_clear_error()
    {
        var ex = Assert.Throws<InputDataException>(() => ExplainerCatalog.Create("gradcam", new ExplainerOptions()));
        Assert.Contains("--layer", ex.Message);
    }

    [Fact]
    public void Every_catalogue_name_builds_its_method()
    {
        foreach (var name in ExplainerCatalog.Names)
            Assert.Equal(name, ExplainerCatalog.Create(name, new ExplainerOptions { Layer = L }).Name);
        Assert.Throws<InputDataException>(() => ExplainerCatalog.Create("lime", new ExplainerOptions()));
    }

    [Fact]
    public void Bilinear_resize_matches_the_opencv_vector()
    {
        // SemScore spec §10: float [[0,1],[1,0]] → 4×4.
        var dst = new float[16];
        ExplainMath.ResizeBilinear([0, 1, 1, 0], 2, 2, dst, 4, 4);
        float[] want = [0, .25f, .75f, 1, .25f, .375f, .625f, .75f, .75f, .625f, .375f, .25f, 1, .75f, .25f, 0];
        Assert.Equal(want, dst);
    }

    [Fact]
    public void Align_corners_resize_hits_the_corners()
    {
        var dst = new float[3];
        ExplainMath.ResizeBilinear([0, 1], 1, 2, dst, 1, 3, alignCorners: true);
        Assert.Equal(new[] { 0f, 0.5f, 1f }, dst);
    }
}

/// <summary>A model whose layer always returns fixed activations (for Eigen-CAM, which needs no gradients).</summary>
internal sealed class FixedActivationModel(float[] activations, int k, int h, int w) : Sightline.Models.IGradientModel
{
    public string Name => "fixed";
    public IReadOnlyList<int> InputShape => [2, h, w];
    public int OutputCount => 1;
    public IReadOnlyList<Sightline.Models.LayerInfo> Layers => [new("features", [k, h, w])];
    public IReadOnlyList<int> LayerShape(string layer) => [k, h, w];
    public void Forward(ReadOnlySpan<float> inputs, int batch, Span<float> logits) => logits[..batch].Clear();
    public void InputGradients(ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> gradients, Span<float> logits) => throw new NotSupportedException();
    public void LayerActivations(string layer, ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> act, Span<float> gradients, Span<float> logits)
    {
        for (int i = 0; i < batch; i++) activations.CopyTo(act.Slice(i * activations.Length, activations.Length));
        logits[..batch].Clear();
    }
    public void ForwardWithLayer(string layer, ReadOnlySpan<float> inputs, ReadOnlySpan<float> act, int batch, Span<float> logits) => throw new NotSupportedException();
    public void Dispose() { }
}

/// <summary>A forward-only model that exposes fixed activations (as ONNX Runtime does), without gradients.</summary>
internal sealed class ActivationOnlyModel(float[] activations, int k, int h, int w) : Sightline.Models.IActivationModel
{
    public string Name => "activations";
    public IReadOnlyList<int> InputShape => [2, h, w];
    public int OutputCount => 1;
    public IReadOnlyList<Sightline.Models.LayerInfo> Layers => [new("features", [k, h, w])];
    public IReadOnlyList<int> LayerShape(string layer) => [k, h, w];
    public void Forward(ReadOnlySpan<float> inputs, int batch, Span<float> logits) => logits[..batch].Clear();
    public void LayerActivations(string layer, ReadOnlySpan<float> inputs, int batch, Span<float> act, Span<float> logits)
    {
        for (int i = 0; i < batch; i++) activations.CopyTo(act.Slice(i * activations.Length, activations.Length));
        logits[..batch].Clear();
    }
    public void Dispose() { }
}

/// <summary>A model whose layer returns fixed activations A and gradients G (1 input channel).</summary>
internal sealed class FixedGradientModel(float[] activations, float[] gradients, int k, int h, int w, int inputH, int inputW) : Sightline.Models.IGradientModel
{
    public string Name => "fixed-gradients";
    public IReadOnlyList<int> InputShape => [1, inputH, inputW];
    public int OutputCount => 1;
    public IReadOnlyList<Sightline.Models.LayerInfo> Layers => [new("features", [k, h, w])];
    public IReadOnlyList<int> LayerShape(string layer) => [k, h, w];
    public void Forward(ReadOnlySpan<float> inputs, int batch, Span<float> logits) => logits[..batch].Fill(1);
    public void InputGradients(ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> g, Span<float> logits) => throw new NotSupportedException();
    public void LayerActivations(string layer, ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> act, Span<float> g, Span<float> logits)
    {
        for (int i = 0; i < batch; i++)
        {
            activations.CopyTo(act.Slice(i * activations.Length, activations.Length));
            if (!g.IsEmpty) gradients.CopyTo(g.Slice(i * gradients.Length, gradients.Length));
        }
        logits[..batch].Fill(1);
    }
    public void ForwardWithLayer(string layer, ReadOnlySpan<float> inputs, ReadOnlySpan<float> act, int batch, Span<float> logits) => throw new NotSupportedException();
    public void Dispose() { }
}
