using Sightline.Evaluation;
using Sightline.Metrics.Robustness;
using Sightline.Models;
using Sightline.Tests.Evaluation;

namespace Sightline.Tests.Metrics.Robustness;

/// <summary>
/// A re-explainer computed value by value from the input and the model's weights, so its answers are known by hand:
/// <paramref name="map"/>(x_j, W[t, j]) per value (the attribution has the input's shape). Counts calls and rows.
/// </summary>
internal sealed class FuncReexplainer(Func<float, float, float> map, string name = "func") : IReexplainer
{
    private int _calls;
    private long _rows;

    /// <summary>Saliency of an affine model: W[t, j], constant in x.</summary>
    public static FuncReexplainer Gradient() => new((_, w) => w, "gradient");

    /// <summary>Input × gradient of an affine model: W[t, j] · x_j.</summary>
    public static FuncReexplainer InputTimesGradient() => new((x, w) => w * x, "input_x_gradient");

    /// <summary>A nonlinear map: W[t, j] · x_j², so relative changes of a and x differ.</summary>
    public static FuncReexplainer Squared() => new((x, w) => w * x * x, "squared");

    public int Calls => _calls;
    public void Reset() { _calls = 0; _rows = 0; lock (FirstIndices) FirstIndices.Clear(); }
    public long Rows => Interlocked.Read(ref _rows);
    public List<long> FirstIndices { get; } = [];
    public string Name => name;
    public bool NeedsGradients => true;

    public void Explain(IModel model, ReadOnlySpan<float> inputs, int count, ReadOnlySpan<int> targets, Span<float> output, long firstIndex)
    {
        Interlocked.Increment(ref _calls);
        Interlocked.Add(ref _rows, count);
        lock (FirstIndices) FirstIndices.Add(firstIndex);
        var affine = (AffineModel)Unwrap(model);
        int size = inputs.Length / count;
        for (int n = 0; n < count; n++)
            for (int j = 0; j < size; j++)
                output[n * size + j] = map(inputs[n * size + j], affine.Weight(targets[n], j));
    }

    private static IModel Unwrap(IModel model) => model is HiddenAffineModel h ? h.Inner : model;
}

/// <summary>
/// <see cref="AffineModel"/> with two listed layers: "hidden" = tanh(x) + 2 per value (never 0) followed by a constant 1
/// (so it never has as many values as the model has outputs) and "logits" (K values), as an ONNX Runtime model lists its
/// node outputs up to the graph output.
/// </summary>
internal sealed class HiddenAffineModel(AffineModel inner) : IActivationModel
{
    public AffineModel Inner => inner;
    public string Name => "hidden-affine";
    public IReadOnlyList<int> InputShape => inner.InputShape;
    public int OutputCount => inner.OutputCount;
    private int Size => InputShape.Aggregate(1, (a, b) => a * b);
    public IReadOnlyList<LayerInfo> Layers => [new("hidden", [Size + 1]), new("logits", [OutputCount])];
    public IReadOnlyList<int> LayerShape(string layer) => layer switch
    {
        "hidden" => [Size + 1],
        "logits" => [OutputCount],
        _ => throw new KeyNotFoundException(layer),
    };
    public int ActivationCalls { get; private set; }
    public void Forward(ReadOnlySpan<float> inputs, int batch, Span<float> logits) => inner.Forward(inputs, batch, logits);

    public void LayerActivations(string layer, ReadOnlySpan<float> inputs, int batch, Span<float> activations, Span<float> logits)
    {
        ActivationCalls++;
        inner.Forward(inputs, batch, logits);
        if (layer == "logits") { logits.CopyTo(activations); return; }
        for (int n = 0; n < batch; n++)
        {
            for (int j = 0; j < Size; j++) activations[n * (Size + 1) + j] = Hidden(inputs[n * Size + j]);
            activations[n * (Size + 1) + Size] = 1;
        }
    }

    public static float Hidden(float x) => MathF.Tanh(x) + 2f;
    public void Dispose() { }
}

internal static class Robust
{
    /// <summary>Runs <paramref name="metric"/> on <paramref name="batch"/>.</summary>
    public static MetricOutput Run(IEvaluationMetric metric, EvaluationBatch batch)
    {
        var o = new MetricOutput(batch.Count, metric.Columns(batch.Shape, batch.Model));
        metric.Evaluate(batch, o);
        return o;
    }

    /// <summary>A batch over <paramref name="model"/> with 1-channel inputs of H×W and the explainer's own maps as attributions.</summary>
    public static EvaluationBatch Batch(IModel model, IReexplainer explainer, int h, int w, float[] inputs, int[] targets, int seed = 0,
        int batchSize = 0, long firstIndex = 0)
    {
        int n = targets.Length, size = h * w;
        var a = new float[n * size];
        explainer.Explain(model, inputs, n, targets, a, firstIndex);
        (explainer as FuncReexplainer)?.Reset();
        return new EvaluationBatch(new EvaluationShape(1, h, w, 1, model.OutputCount), n, inputs, a, targets, model: model, explainer: explainer,
            firstIndex: firstIndex, seed: seed, budget: new ModelBudget { BatchSize = batchSize });
    }

    /// <summary>Fixed perturbations: x' = x + δ[sample][draw] (δ has the input's size).</summary>
    internal static Perturb Fixed(float[][][] delta) => (i, k, x, xp) =>
    {
        for (int j = 0; j < x.Length; j++) xp[j] = x[j] + delta[i][k][j];
    };

    /// <summary>‖v‖₂ in float64.</summary>
    public static double Norm(IEnumerable<double> v) => Math.Sqrt(v.Sum(d => d * d));
}
