using Sightline.Evaluation;
using Sightline.Models;

namespace Sightline.Tests.Evaluation;

/// <summary>
/// An analytic model for known-answer tests of evaluation metrics: logits y_k = Σ_i W[k,i]·x_i + b_k with explicit
/// weights, so every perturbation's effect is computable by hand; exact input gradients (∂y_t/∂x = W[t,·]). Counts calls
/// and rows (to test that perturbation steps of many samples share model calls).
/// </summary>
internal sealed class AffineModel : IGradientModel
{
    private readonly float[] _w;
    private readonly float[] _b;
    private int _calls;
    private long _rows;

    public AffineModel(int c, int h, int w, float[] weights, float[]? bias = null)
    {
        InputShape = [c, h, w];
        int size = c * h * w;
        if (weights.Length % size != 0) throw new ArgumentException("weights must be K×(C·H·W)");
        OutputCount = weights.Length / size;
        _w = weights;
        _b = bias ?? new float[OutputCount];
    }

    /// <summary>One class whose logit is the sum of the inputs weighted by <paramref name="weights"/> (one per value), plus a second class with logit 0.</summary>
    public static AffineModel TwoClass(int c, int h, int w, float[] weights) => new(c, h, w, [.. weights, .. new float[weights.Length]]);

    /// <summary>A model with weights drawn from a seeded generator (K classes).</summary>
    public static AffineModel Random(int c, int h, int w, int classes, int seed)
    {
        var rng = new System.Random(seed);
        return new(c, h, w, [.. Enumerable.Range(0, classes * c * h * w).Select(_ => (float)(rng.NextDouble() * 2 - 1))],
            [.. Enumerable.Range(0, classes).Select(_ => (float)(rng.NextDouble() - 0.5))]);
    }

    public int Calls => _calls;
    public long Rows => Interlocked.Read(ref _rows);
    public string Name => "affine";
    public IReadOnlyList<int> InputShape { get; }
    public int OutputCount { get; }
    public IReadOnlyList<LayerInfo> Layers => [];
    public IReadOnlyList<int> LayerShape(string layer) => throw new KeyNotFoundException(layer);
    public float Weight(int k, int i) => _w[k * InputShape.Aggregate(1, (a, b) => a * b) + i];

    public void Forward(ReadOnlySpan<float> inputs, int batch, Span<float> logits)
    {
        Interlocked.Increment(ref _calls);
        Interlocked.Add(ref _rows, batch);
        int size = InputShape.Aggregate(1, (a, b) => a * b), k = OutputCount;
        for (int n = 0; n < batch; n++)
            for (int t = 0; t < k; t++)
            {
                double s = _b[t];
                for (int i = 0; i < size; i++) s += (double)_w[t * size + i] * inputs[n * size + i];
                logits[n * k + t] = (float)s;
            }
    }

    public void InputGradients(ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> gradients, Span<float> logits)
    {
        Forward(inputs, batch, logits);
        int size = InputShape.Aggregate(1, (a, b) => a * b);
        for (int n = 0; n < batch; n++) _w.AsSpan(targets[n] * size, size).CopyTo(gradients.Slice(n * size, size));
    }

    public void LayerActivations(string layer, ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> activations, Span<float> gradients, Span<float> logits) =>
        throw new KeyNotFoundException(layer);

    public void ForwardWithLayer(string layer, ReadOnlySpan<float> inputs, ReadOnlySpan<float> activations, int batch, Span<float> logits) =>
        throw new KeyNotFoundException(layer);

    public void Dispose() { }
}

/// <summary>Builds evaluation batches for tests.</summary>
internal static class EvalBatches
{
    /// <summary>A batch of <paramref name="count"/> samples of shape C×H×W with 1-channel attributions.</summary>
    public static EvaluationBatch Make(int c, int h, int w, float[] inputs, float[] attributions, int[] targets,
        IModel? model = null, byte[]? masks = null, int seed = 0, long firstIndex = 0, int batchSize = 0, IReexplainer? explainer = null, int[]? labels = null)
    {
        int count = targets.Length;
        int ac = attributions.Length / Math.Max(1, count * h * w);
        return new EvaluationBatch(new EvaluationShape(c, h, w, ac, model?.OutputCount ?? 0), count, inputs, attributions, targets,
            masks, labels, model, explainer, firstIndex, seed, new ModelBudget { BatchSize = batchSize });
    }
}
