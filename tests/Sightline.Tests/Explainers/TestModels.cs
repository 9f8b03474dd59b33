using Sightline.Models;

namespace Sightline.Tests.Explainers;

/// <summary>
/// A managed model with analytic gradients for testing explainers without libtorch:
/// A = ReLU(V·x + a) per pixel (K channels, a 1×1 convolution; layer "features"), g = mean over pixels of A,
/// y = U·g + b. ∂y_t/∂A[k,p] = U[t,k]/P; ∂y_t/∂x[c,p] = Σ_k U[t,k]/P · [pre_k,p &gt; 0] · V[k,c].
/// </summary>
internal sealed class ConvGapModel : IGradientModel
{
    public const string FeatureLayer = "features";
    private readonly float[] _v, _a, _u, _b;

    public ConvGapModel(int c, int h, int w, int k, int classes, int seed)
    {
        C = c; H = h; W = w; K = k; OutputCount = classes;
        var rng = new Random(seed);
        _v = [.. Enumerable.Range(0, k * c).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
        _a = [.. Enumerable.Range(0, k).Select(_ => (float)(rng.NextDouble() * 0.4 - 0.1))];
        _u = [.. Enumerable.Range(0, classes * k).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
        _b = [.. Enumerable.Range(0, classes).Select(_ => (float)(rng.NextDouble() - 0.5))];
    }

    public int C { get; }
    public int H { get; }
    public int W { get; }
    public int K { get; }
    public int Calls { get; private set; }
    public int MaxRowsSeen { get; private set; }
    public string Name => "conv-gap";
    public IReadOnlyList<int> InputShape => [C, H, W];
    public int OutputCount { get; }
    public IReadOnlyList<LayerInfo> Layers => [new LayerInfo(FeatureLayer, [K, H, W], "Relu")];
    public IReadOnlyList<int> LayerShape(string layer) => layer == FeatureLayer ? [K, H, W] : throw new KeyNotFoundException(layer);
    public float U(int t, int k) => _u[t * K + k];

    public void Features(ReadOnlySpan<float> x, Span<float> act, Span<bool> positive)
    {
        int p = H * W;
        for (int k = 0; k < K; k++)
            for (int q = 0; q < p; q++)
            {
                float pre = _a[k];
                for (int c = 0; c < C; c++) pre += _v[k * C + c] * x[c * p + q];
                positive[k * p + q] = pre > 0;
                act[k * p + q] = Math.Max(pre, 0);
            }
    }

    public void Head(ReadOnlySpan<float> act, Span<float> logits)
    {
        int p = H * W;
        for (int t = 0; t < OutputCount; t++)
        {
            double s = _b[t];
            for (int k = 0; k < K; k++)
            {
                double g = 0;
                for (int q = 0; q < p; q++) g += act[k * p + q];
                s += _u[t * K + k] * g / p;
            }
            logits[t] = (float)s;
        }
    }

    private void Count(int batch)
    {
        Calls++;
        MaxRowsSeen = Math.Max(MaxRowsSeen, batch);
    }

    public void Forward(ReadOnlySpan<float> inputs, int batch, Span<float> logits)
    {
        Count(batch);
        int size = C * H * W, ls = K * H * W;
        var act = new float[ls];
        var pos = new bool[ls];
        for (int i = 0; i < batch; i++)
        {
            Features(inputs.Slice(i * size, size), act, pos);
            Head(act, logits.Slice(i * OutputCount, OutputCount));
        }
    }

    public void InputGradients(ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> gradients, Span<float> logits)
    {
        Count(batch);
        int size = C * H * W, p = H * W, ls = K * p;
        var act = new float[ls];
        var pos = new bool[ls];
        for (int i = 0; i < batch; i++)
        {
            Features(inputs.Slice(i * size, size), act, pos);
            Head(act, logits.Slice(i * OutputCount, OutputCount));
            var g = gradients.Slice(i * size, size);
            g.Clear();
            for (int k = 0; k < K; k++)
            {
                float dk = _u[targets[i] * K + k] / p;
                for (int q = 0; q < p; q++)
                    if (pos[k * p + q])
                        for (int c = 0; c < C; c++) g[c * p + q] += dk * _v[k * C + c];
            }
        }
    }

    public void LayerActivations(string layer, ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> activations, Span<float> gradients, Span<float> logits)
    {
        LayerShape(layer);
        Count(batch);
        int size = C * H * W, p = H * W, ls = K * p;
        var pos = new bool[ls];
        for (int i = 0; i < batch; i++)
        {
            var act = activations.Slice(i * ls, ls);
            Features(inputs.Slice(i * size, size), act, pos);
            Head(act, logits.Slice(i * OutputCount, OutputCount));
            if (!gradients.IsEmpty)
                for (int k = 0; k < K; k++) gradients.Slice(i * ls + k * p, p).Fill(_u[targets[i] * K + k] / p);
        }
    }

    public void ForwardWithLayer(string layer, ReadOnlySpan<float> inputs, ReadOnlySpan<float> activations, int batch, Span<float> logits)
    {
        LayerShape(layer);
        Count(batch);
        int ls = K * H * W;
        for (int i = 0; i < batch; i++) Head(activations.Slice(i * ls, ls), logits.Slice(i * OutputCount, OutputCount));
    }

    public void Dispose() { }

    public static float[] RandomInputs(int n, int c, int h, int w, int seed)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, n * c * h * w).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
    }
}

/// <summary>A forward-only linear model y = W·x + b (for black-box methods and the gradient-requirement error).</summary>
internal sealed class LinearModel(int c, int h, int w, int classes, int seed) : IModel
{
    private readonly float[] _w = [.. Enumerable.Range(0, classes * c * h * w).Select(i => (float)Math.Sin(seed + i * 0.37))];
    public string Name => "linear";
    public IReadOnlyList<int> InputShape => [c, h, w];
    public int OutputCount => classes;
    public float Weight(int t, int i) => _w[t * c * h * w + i];

    public void Forward(ReadOnlySpan<float> inputs, int batch, Span<float> logits)
    {
        int size = c * h * w;
        for (int i = 0; i < batch; i++)
            for (int t = 0; t < classes; t++)
            {
                double s = 0;
                for (int q = 0; q < size; q++) s += _w[t * size + q] * inputs[i * size + q];
                logits[i * classes + t] = (float)s;
            }
    }

    public void Dispose() { }
}
