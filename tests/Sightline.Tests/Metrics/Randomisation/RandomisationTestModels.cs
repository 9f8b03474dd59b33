using Sightline.Evaluation;
using Sightline.Explainers;
using Sightline.Models;
using Sightline.Tests.Evaluation;

namespace Sightline.Tests.Metrics.Randomisation;

/// <summary>
/// A managed <see cref="IRandomisableModel"/>: y = W·x + b with two "layers", <c>weight</c> (W) and <c>bias</c> (b).
/// Randomised copies redraw the named layers from a generator seeded by (seed, layer); the shifted copy has
/// b' = b − s·Σ_i W[k,i], so f'(x + s) = f(x) exactly. Counts the copies it makes and disposes.
/// </summary>
internal sealed class RandomisableAffine : IRandomisableModel, IGradientModel
{
    private readonly AffineModel _model;
    private readonly float[] _w, _b;
    private readonly int _c, _h, _wd;

    public RandomisableAffine(int c, int h, int w, float[] weights, float[] bias)
    {
        (_c, _h, _wd, _w, _b) = (c, h, w, weights, bias);
        _model = new AffineModel(c, h, w, weights, bias);
    }

    public static RandomisableAffine Random(int c, int h, int w, int classes, int seed)
    {
        var rng = new System.Random(seed);
        return new(c, h, w, [.. Enumerable.Range(0, classes * c * h * w).Select(_ => (float)(rng.NextDouble() * 2 - 1))],
            [.. Enumerable.Range(0, classes).Select(_ => (float)(rng.NextDouble() - 0.5))]);
    }

    public int CopiesMade { get; private set; }
    public List<string[]> Requests { get; } = [];
    public float[] Weights => _w;
    public float[] Bias => _b;
    public string Name => "randomisable-affine";
    public IReadOnlyList<int> InputShape => _model.InputShape;
    public int OutputCount => _model.OutputCount;
    public IReadOnlyList<LayerInfo> Layers => [];
    public IReadOnlyList<int> LayerShape(string layer) => throw new KeyNotFoundException(layer);
    public IReadOnlyList<ParameterLayer> ParameterLayers { get; } = [new("weight", "MatMul", ["W"]), new("bias", "Add", ["b"])];

    public IModel WithRandomisedLayers(IReadOnlyList<string> layers, int seed)
    {
        CopiesMade++;
        Requests.Add([.. layers]);
        var w = (float[])_w.Clone();
        var b = (float[])_b.Clone();
        foreach (var layer in layers)
        {
            var target = layer switch { "weight" => w, "bias" => b, _ => throw new ArgumentException(layer) };
            var rng = new System.Random(seed * 31 + layer.Length);
            for (int i = 0; i < target.Length; i++) target[i] = (float)(rng.NextDouble() * 2 - 1);
        }
        return new RandomisableAffine(_c, _h, _wd, w, b);
    }

    public IModel WithInputShift(float shift)
    {
        CopiesMade++;
        int size = _c * _h * _wd;
        var b = new float[_b.Length];
        for (int k = 0; k < b.Length; k++)
        {
            double s = 0;
            for (int i = 0; i < size; i++) s += _w[k * size + i];
            b[k] = (float)(_b[k] - shift * s);
        }
        return new RandomisableAffine(_c, _h, _wd, _w, b);
    }

    public void Forward(ReadOnlySpan<float> inputs, int batch, Span<float> logits) => _model.Forward(inputs, batch, logits);
    public void InputGradients(ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> gradients, Span<float> logits) =>
        _model.InputGradients(inputs, batch, targets, gradients, logits);
    public void LayerActivations(string layer, ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> activations, Span<float> gradients, Span<float> logits) =>
        throw new KeyNotFoundException(layer);
    public void ForwardWithLayer(string layer, ReadOnlySpan<float> inputs, ReadOnlySpan<float> activations, int batch, Span<float> logits) =>
        throw new KeyNotFoundException(layer);
    public void Dispose() { }
}

/// <summary>Re-explainers for tests: the signed gradient, input × gradient, or a fixed map whatever the model.</summary>
internal sealed class TestReexplainer(string mode, float[]? fixedMap = null) : IReexplainer
{
    public int Calls { get; private set; }
    public List<int> Rows { get; } = [];
    public string Name => mode;
    public bool NeedsGradients => mode != "fixed";

    public void Explain(IModel model, ReadOnlySpan<float> inputs, int count, ReadOnlySpan<int> targets, Span<float> output, long firstIndex)
    {
        Calls++;
        Rows.Add(count);
        if (mode == "fixed")
        {
            int per = output.Length / count;
            for (int i = 0; i < count; i++) fixedMap.AsSpan(0, per).CopyTo(output.Slice(i * per, per));
            return;
        }
        var g = (IGradientModel)model;
        var logits = new float[count * model.OutputCount];
        g.InputGradients(inputs, count, targets, output, logits);
        if (mode == "input_x_gradient")
            for (int j = 0; j < output.Length; j++) output[j] *= inputs[j];
    }
}

internal static class RandomisationBatches
{
    public const int C = 1, H = 3, W = 4, K = 5;

    public static (RandomisableAffine Model, float[] X, int[] Y) Setup(int n = 4)
    {
        var model = RandomisableAffine.Random(C, H, W, K, seed: 3);
        var x = RandomisationBatches.Inputs(n, C * H * W, seed: 7);
        int[] y = [.. Enumerable.Range(0, n).Select(i => i % K)];
        return (model, x, y);
    }

    /// <summary>N samples of 1×H×W with C-channel attributions given by the gradient (so the given map is the method's).</summary>
    public static EvaluationBatch Make(RandomisableAffine model, float[] inputs, int[] targets, IReexplainer explainer, int seed = 0, long firstIndex = 0)
    {
        int c = model.InputShape[0], h = model.InputShape[1], w = model.InputShape[2];
        int n = targets.Length, size = c * h * w;
        var a = new float[n * size];
        explainer.Explain(model, inputs, n, targets, a, firstIndex);
        return new EvaluationBatch(new EvaluationShape(c, h, w, c, model.OutputCount), n, inputs, a, targets, model: model,
            explainer: explainer, firstIndex: firstIndex, seed: seed);
    }

    public static MetricOutput Run(IEvaluationMetric metric, EvaluationBatch batch)
    {
        var output = new MetricOutput(batch.Count, metric.Columns(batch.Shape, batch.ExplainModel), metric.CurveLength(batch.Shape));
        metric.Evaluate(batch, output);
        return output;
    }

    public static float[] Inputs(int n, int size, int seed)
    {
        var rng = new System.Random(seed);
        return [.. Enumerable.Range(0, n * size).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
    }
}
