using Sightline.Evaluation;
using Sightline.Explainers;
using Sightline.Metrics;
using Sightline.Models;
using Sightline.Tests.Explainers;

namespace Sightline.Tests.Evaluation;

/// <summary>
/// Invariants generated from the catalogue (issue 10 §4): every evaluate metric, whatever its family, is run on the same
/// small problem — a convolutional managed model with analytic gradients, saliency re-explanations, masks — and must
/// declare complete metadata, stay within its declared bounds, be deterministic for a seed, and (unless its score depends
/// on the batch by design) give the same scores for one batch of N, N batches of 1, and any model-call budget.
/// </summary>
public sealed class CatalogueInvariantTests
{
    private const int N = 4, C = 3, H = 16, W = 16;

    public static TheoryData<string> Metrics => [.. MetricCatalogue.Evaluate.Select(e => e.Name)];

    private static EvaluationBatch Problem(int batchSize = 0, int start = 0, int count = N, int seed = 5)
    {
        var model = new RandomisableConvGap(C, H, W, 4, 3, 11);
        var inputs = ConvGapModel.RandomInputs(N, C, H, W, 3);
        // The last sample repeats the first, so batch-relative metrics (Consistency, Sufficiency) have a peer to compare.
        inputs.AsSpan(0, C * H * W).CopyTo(inputs.AsSpan((N - 1) * C * H * W));
        var targets = new int[N];
        var logits = new float[N * 3];
        model.Forward(inputs, N, logits);
        for (int i = 0; i < N; i++) targets[i] = Perturbation.ArgMax(logits.AsSpan(i * 3, 3));
        var settings = new ExplainSettings { ChannelReduce = ChannelReduce.Sum, BatchSize = batchSize };
        var explainer = new ExplainerReexplainer(new InputXGradient(), settings);
        var maps = new float[N * H * W];
        explainer.Explain(model, inputs, N, targets, maps, 0);
        for (int i = 0; i < N; i++)
        {
            // |a| / max|a|: a map in [0, 1], so SemScore's τ = 0.6 keeps its peak.
            var m = maps.AsSpan(i * H * W, H * W);
            System.Numerics.Tensors.TensorPrimitives.Abs(m, m);
            System.Numerics.Tensors.TensorPrimitives.Divide(m, System.Numerics.Tensors.TensorPrimitives.Max(m), m);
        }
        // Masks cover most of the top-left quadrant (Focus needs a target quadrant) and shift with the sample.
        var masks = new byte[N * H * W];
        for (int i = 0; i < N; i++)
            for (int y = 1 + i; y < 9 + i; y++) for (int x = 0; x < 8; x++) masks[i * H * W + y * W + x] = 1;
        var batch = new EvaluationBatch(new EvaluationShape(C, H, W, 1, 3), N, inputs, maps, targets, masks, [.. targets], model, explainer,
            seed: seed, budget: new ModelBudget { BatchSize = batchSize });
        return start == 0 && count == N ? batch : batch.Slice(start, count);
    }

    private static MetricOutput Score(IEvaluationMetric metric, EvaluationBatch batch)
    {
        var o = new MetricOutput(batch.Count, metric.Columns(batch.Shape, batch.Model), metric.CurveLength(batch.Shape));
        metric.Evaluate(batch, o);
        return o;
    }

    /// <summary>Settings a metric needs on this 16×16 problem (its defaults assume larger images).</summary>
    private static readonly Dictionary<string, KeyValuePair<string, string>[]> Overrides = new()
    {
        ["top_k_intersection"] = [new("k", "50")],
    };

    private static IEvaluationMetric Create(string name) => MetricCatalogue.GetEvaluate(name).Create(Overrides.GetValueOrDefault(name, []));

    [Theory]
    [MemberData(nameof(Metrics))]
    public void Metadata_is_complete(string name)
    {
        var e = MetricCatalogue.GetEvaluate(name);
        Assert.Matches("^[a-z][a-z0-9_]*$", e.Name);
        Assert.False(string.IsNullOrWhiteSpace(e.Info.Summary), $"{name}: Summary");
        Assert.False(string.IsNullOrWhiteSpace(e.Info.Citation), $"{name}: Citation");
        Assert.True(e.Info.Order > 0, $"{name}: Order");
        Assert.True(e.Info.Minimum < e.Info.Maximum, $"{name}: bounds");
        if (e.Kind == MetricKind.Evaluation && e.Info.Needs.HasFlag(MetricNeeds.Model))
            Assert.False(string.IsNullOrWhiteSpace(e.Info.Cost), $"{name}: Cost");
        Assert.Equal(e.Info.TakesAbsolute, e.DefaultOptions().Abs);
        // What a metric needs is declared, never inferred from its family: every localisation metric says it needs masks.
        Assert.Equal(e.Family == MetricFamily.Localisation, e.Info.Needs.HasFlag(MetricNeeds.Masks));
        Assert.Single(MetricCatalogue.Evaluate, x => x.Family == e.Family && x.Info.Order == e.Info.Order);
    }

    [Theory]
    [MemberData(nameof(Metrics))]
    public void Scores_are_within_bounds_and_deterministic(string name)
    {
        var metric = Create(name);
        var a = Score(metric, Problem());
        var b = Score(Create(name), Problem());
        Assert.Equal(a.Values, b.Values);
        Assert.Equal(a.Reasons, b.Reasons);
        Assert.Equal(a.Curves, b.Curves);
        for (int i = 0; i < N; i++)
        {
            double v = a[i];
            if (double.IsNaN(v)) { Assert.False(string.IsNullOrEmpty(a.Reasons[i]), $"{name}: NaN without a reason for sample {i}"); continue; }
            Assert.InRange(v, metric.Info.Minimum - 1e-9, metric.Info.Maximum + 1e-9);
        }
        Assert.Contains(a.Values.Take(a.Columns.Count * N), v => !double.IsNaN(v));
    }

    [Theory]
    [MemberData(nameof(Metrics))]
    public void Scores_do_not_depend_on_batching(string name)
    {
        var metric = Create(name);
        if (metric.Info.Needs.HasFlag(MetricNeeds.WholeBatch)) return; // by design (Sufficiency, Consistency): documented on the class
        var whole = Score(metric, Problem(batchSize: 64));
        var tiny = Score(metric, Problem(batchSize: 1));
        Assert.Equal(whole.Values, tiny.Values, Close);
        for (int i = 0; i < N; i++)
        {
            var alone = Score(metric, Problem(batchSize: 64, start: i, count: 1));
            Assert.Equal(whole.Values.AsSpan(i * whole.Columns.Count, whole.Columns.Count).ToArray(), alone.Values, Close);
        }
    }

    [Theory]
    [MemberData(nameof(Metrics))]
    public void Stochastic_scores_follow_the_seed(string name)
    {
        var metric = Create(name);
        var a = Score(metric, Problem(seed: 1));
        var b = Score(metric, Problem(seed: 1));
        Assert.Equal(a.Values, b.Values);
    }

    private static readonly IEqualityComparer<double> Close = EqualityComparer<double>.Create(
        (x, y) => (double.IsNaN(x) && double.IsNaN(y)) || Math.Abs(x - y) <= 1e-9 * Math.Max(1, Math.Max(Math.Abs(x), Math.Abs(y))), _ => 0);
}

/// <summary>
/// <see cref="ConvGapModel"/> with the randomisation capability: its two parameterised layers are <c>conv</c> and
/// <c>head</c>; a randomised copy is the model rebuilt from a seed mixed with the layers' names (both layers are redrawn:
/// enough for invariant tests); the input shift is compensated exactly by subtracting it before the model.
/// </summary>
internal sealed class RandomisableConvGap : IGradientModel, IRandomisableModel
{
    private readonly ConvGapModel _inner;
    private readonly int _c, _h, _w, _k, _classes;
    private readonly float _shift;

    public RandomisableConvGap(int c, int h, int w, int k, int classes, int seed, float shift = 0)
    {
        (_c, _h, _w, _k, _classes, _shift) = (c, h, w, k, classes, shift);
        _inner = new ConvGapModel(c, h, w, k, classes, seed);
    }

    public string Name => "conv-gap";
    public IReadOnlyList<int> InputShape => _inner.InputShape;
    public int OutputCount => _inner.OutputCount;
    public IReadOnlyList<LayerInfo> Layers => _inner.Layers;
    public IReadOnlyList<int> LayerShape(string layer) => _inner.LayerShape(layer);
    public IReadOnlyList<ParameterLayer> ParameterLayers { get; } = [new("conv", "Conv", ["conv.weight", "conv.bias"]), new("head", "Gemm", ["head.weight", "head.bias"])];

    public IModel WithRandomisedLayers(IReadOnlyList<string> layers, int seed) =>
        new RandomisableConvGap(_c, _h, _w, _k, _classes, seed * 31 + string.Join(",", layers).Length, _shift);

    public IModel WithInputShift(float shift) => new RandomisableConvGap(_c, _h, _w, _k, _classes, 11, _shift + shift);

    private ReadOnlySpan<float> Unshift(ReadOnlySpan<float> x)
    {
        if (_shift == 0) return x;
        var y = x.ToArray();
        for (int i = 0; i < y.Length; i++) y[i] -= _shift;
        return y;
    }

    public void Forward(ReadOnlySpan<float> inputs, int batch, Span<float> logits) => _inner.Forward(Unshift(inputs), batch, logits);
    public void InputGradients(ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> gradients, Span<float> logits) =>
        _inner.InputGradients(Unshift(inputs), batch, targets, gradients, logits);
    public void LayerActivations(string layer, ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> activations, Span<float> gradients, Span<float> logits) =>
        _inner.LayerActivations(layer, Unshift(inputs), batch, targets, activations, gradients, logits);
    public void ForwardWithLayer(string layer, ReadOnlySpan<float> inputs, ReadOnlySpan<float> activations, int batch, Span<float> logits) =>
        _inner.ForwardWithLayer(layer, Unshift(inputs), activations, batch, logits);
    public void Dispose() { }
}
