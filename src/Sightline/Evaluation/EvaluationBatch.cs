using System.Collections.Concurrent;
using Sightline.Explainers;
using Sightline.Models;

namespace Sightline.Evaluation;

/// <summary>The geometry of an evaluation: per-sample input C×H×W, attribution channels (1 or C) and the model's classes.</summary>
/// <param name="Channels">Input channels C.</param>
/// <param name="Height">Rows H.</param>
/// <param name="Width">Columns W.</param>
/// <param name="AttributionChannels">Channels of the attribution maps: 1 (a map per pixel) or C (per channel-pixel).</param>
/// <param name="Classes">The model's outputs K (0 when no model is given).</param>
public readonly record struct EvaluationShape(int Channels, int Height, int Width, int AttributionChannels, int Classes)
{
    /// <summary>Pixels H·W.</summary>
    public int Pixels => Height * Width;

    /// <summary>Input values per sample C·H·W (Quantus's d: features counted after broadcasting e to x's shape).</summary>
    public int InputValues => Channels * Height * Width;

    /// <summary>Attribution values per sample.</summary>
    public int AttributionValues => AttributionChannels * Height * Width;
}

/// <summary>
/// Explains inputs again with the run's method and options: what robustness and randomisation metrics call on perturbed
/// inputs, other targets or randomised models. Output has the shape of the run's attributions (N × attribution channels ×
/// H × W). Wrappers compose: QGE inverts every re-explanation by wrapping this.
/// </summary>
public interface IReexplainer
{
    /// <summary>The method's name (for messages and summaries).</summary>
    string Name { get; }

    /// <summary>True when the method needs gradients.</summary>
    bool NeedsGradients { get; }

    /// <summary>
    /// Explains <paramref name="count"/> samples of <paramref name="inputs"/> for <paramref name="targets"/> on
    /// <paramref name="model"/>, writing count × attribution values into <paramref name="output"/>.
    /// <paramref name="firstIndex"/> is the global index of the first sample, so seeded methods stay reproducible per sample.
    /// </summary>
    void Explain(IModel model, ReadOnlySpan<float> inputs, int count, ReadOnlySpan<int> targets, Span<float> output, long firstIndex);
}

/// <summary>An <see cref="IReexplainer"/> over one of Sightline's <see cref="IExplainer"/>s with fixed settings.</summary>
/// <param name="Explainer">The method.</param>
/// <param name="Settings">Its settings (batch budget, channel reduction, CAM style, seed).</param>
public sealed record ExplainerReexplainer(IExplainer Explainer, ExplainSettings Settings) : IReexplainer
{
    /// <inheritdoc/>
    public string Name => Explainer.Name;

    /// <inheritdoc/>
    public bool NeedsGradients => Explainer.NeedsGradients;

    /// <inheritdoc/>
    public void Explain(IModel model, ReadOnlySpan<float> inputs, int count, ReadOnlySpan<int> targets, Span<float> output, long firstIndex) =>
        Explainer.Explain(model, inputs, count, targets, output, Settings with { FirstIndex = firstIndex });
}

/// <summary>
/// One typed batch handed to <see cref="IEvaluationMetric.Evaluate"/>: <see cref="Count"/> samples with their inputs
/// (N×C×H×W, already preprocessed for the model), raw attributions (N×A×H×W, A = 1 or C), targets (one class per
/// sample), optional masks (N×H×W, 0/1), optional labels, and the model and re-explainer when the run has them. Global
/// sample indices start at <see cref="FirstIndex"/>, so seeded randomness is per sample (<see cref="RandomFor"/>) and a
/// score does not depend on how a run is split into batches. The batch memoises work several metrics share (the logits of
/// the unperturbed inputs, preprocessed attributions); it is used by one metric at a time or by several concurrently
/// (the memos are thread-safe). Arrays are owned by the batch and must not be modified by metrics.
/// </summary>
public sealed class EvaluationBatch
{
    private readonly ConcurrentDictionary<AttributionPreprocessing, float[]> _prepared = new();
    private float[]? _logits;
    private long[]? _sampleIndices;

    /// <summary>Creates a batch; checks that the arrays agree with <paramref name="shape"/> and <paramref name="count"/>.</summary>
    /// <exception cref="ArgumentException">An array has the wrong length, or a target is outside the model's classes.</exception>
    public EvaluationBatch(EvaluationShape shape, int count, float[] inputs, float[] attributions, int[] targets,
        byte[]? masks = null, int[]? labels = null, IModel? model = null, IReexplainer? explainer = null,
        long firstIndex = 0, int seed = 0, ModelBudget? budget = null, IModel? explainModel = null)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count));
        if (shape.AttributionChannels != 1 && shape.AttributionChannels != shape.Channels)
            throw new ArgumentException($"Attributions have {shape.AttributionChannels} channels; 1 or the input's {shape.Channels} expected.", nameof(shape));
        Check(inputs.Length, (long)count * shape.InputValues, nameof(inputs));
        Check(attributions.Length, (long)count * shape.AttributionValues, nameof(attributions));
        Check(targets.Length, count, nameof(targets));
        if (masks is not null) Check(masks.Length, (long)count * shape.Pixels, nameof(masks));
        if (labels is not null) Check(labels.Length, count, nameof(labels));
        if (model is not null)
        {
            var s = model.InputShape;
            if (s.Count != 3 || s[0] != shape.Channels || s[1] != shape.Height || s[2] != shape.Width)
                throw new ArgumentException($"Model '{model.Name}' takes {string.Join("×", s)} inputs; the batch holds {shape.Channels}×{shape.Height}×{shape.Width}.", nameof(model));
            foreach (var t in targets)
                if (t < 0 || t >= model.OutputCount) throw new ArgumentException($"Target {t} is outside the model's {model.OutputCount} outputs.", nameof(targets));
        }
        Shape = shape with { Classes = model?.OutputCount ?? shape.Classes };
        Count = count;
        Inputs = inputs;
        Attributions = attributions;
        Targets = targets;
        Masks = masks;
        Labels = labels;
        Model = model;
        Explainer = explainer;
        ExplainModel = explainModel ?? model;
        FirstIndex = firstIndex;
        Seed = seed;
        Budget = budget ?? ModelBudget.Default;

        static void Check(long actual, long expected, string name)
        {
            if (actual != expected) throw new ArgumentException($"{name} holds {actual} values; {expected} expected.", name);
        }
    }

    /// <summary>The geometry.</summary>
    public EvaluationShape Shape { get; }

    /// <summary>Samples in the batch.</summary>
    public int Count { get; }

    /// <summary>Inputs, N×C×H×W.</summary>
    public float[] Inputs { get; }

    /// <summary>Raw attributions, N×A×H×W (before any metric's normalisation or |·|).</summary>
    public float[] Attributions { get; }

    /// <summary>The class explained and scored per sample.</summary>
    public int[] Targets { get; }

    /// <summary>Ground-truth masks N×H×W (0/1), or null.</summary>
    public byte[]? Masks { get; }

    /// <summary>Labels (Quantus's y_batch when given), or null.</summary>
    public int[]? Labels { get; }

    /// <summary>The model, or null when the run has none (map-only metrics).</summary>
    public IModel? Model { get; }

    /// <summary>Re-explains inputs with the run's method, or null when the run was given saliency only.</summary>
    public IReexplainer? Explainer { get; }

    /// <summary>
    /// The model <see cref="Explainer"/> explains with (the same network as <see cref="Model"/>, possibly on another back
    /// end: forward passes on ONNX Runtime, gradients on TorchSharp). Robustness metrics re-explain on it; randomisation
    /// metrics randomise it (<see cref="IRandomisableModel"/>). Defaults to <see cref="Model"/>.
    /// </summary>
    public IModel? ExplainModel { get; }

    /// <summary>Global index of the first sample.</summary>
    public long FirstIndex { get; }

    /// <summary>The run's seed.</summary>
    public int Seed { get; }

    /// <summary>The model-call budget (shared with the explainers).</summary>
    public ModelBudget Budget { get; }

    /// <summary>Sample <paramref name="i"/>'s input (C·H·W values).</summary>
    public ReadOnlySpan<float> Input(int i) => Inputs.AsSpan(i * Shape.InputValues, Shape.InputValues);

    /// <summary>Sample <paramref name="i"/>'s raw attribution (A·H·W values).</summary>
    public ReadOnlySpan<float> Attribution(int i) => Attributions.AsSpan(i * Shape.AttributionValues, Shape.AttributionValues);

    /// <summary>Sample <paramref name="i"/>'s mask (H·W values); throws when the batch has no masks.</summary>
    public ReadOnlySpan<byte> Mask(int i) =>
        (Masks ?? throw new InvalidOperationException("This batch has no masks.")).AsSpan(i * Shape.Pixels, Shape.Pixels);

    /// <summary>The model, or an error naming <paramref name="metric"/> when the run has none.</summary>
    public IModel RequireModel(string metric) =>
        Model ?? throw new InputDataException($"Metric '{metric}' needs a model (--model).");

    /// <summary>The re-explainer, or an error naming <paramref name="metric"/> when the run was given saliency only.</summary>
    public IReexplainer RequireExplainer(string metric) =>
        Explainer ?? throw new InputDataException($"Metric '{metric}' re-explains perturbed inputs: give --method (and its options) instead of, or with, --saliency.");

    /// <summary>
    /// The model's logits on the unperturbed inputs (N×K), computed once per batch through the <see cref="StepBatcher"/>
    /// and shared by every metric.
    /// </summary>
    public float[] Logits(string metric)
    {
        var existing = Volatile.Read(ref _logits);
        if (existing is not null) return existing;
        var model = RequireModel(metric);
        var logits = new float[Count * model.OutputCount];
        int size = Shape.InputValues, k = model.OutputCount;
        StepBatcher.Forward(model, Count, (r, x) => Input((int)r).CopyTo(x), (r, y) => y.CopyTo(logits.AsSpan((int)r * k, k)), Budget);
        Interlocked.CompareExchange(ref _logits, logits, null);
        return _logits!;
    }

    /// <summary>
    /// The attributions after <paramref name="preprocessing"/> (per-sample normalisation, then |·|), N×A×H×W, memoised
    /// so metrics with the same settings share one copy.
    /// </summary>
    public float[] Prepared(AttributionPreprocessing preprocessing) =>
        preprocessing.IsIdentity ? Attributions : _prepared.GetOrAdd(preprocessing, p => p.Apply(Attributions, Count, Shape.AttributionValues));

    /// <summary>
    /// A generator for sample <paramref name="i"/> and <paramref name="metric"/>, seeded from (run seed, metric name, global
    /// sample index): the same sample gets the same draws whatever the batch size, and metrics do not share a stream
    /// (Quantus draws every metric from one global NumPy RNG; spec §8 row 13).
    /// </summary>
    public Random RandomFor(int i, string metric) => new(SeedFor(Seed, metric, SampleIndex(i)));

    /// <summary>
    /// The global index of sample <paramref name="i"/>: <see cref="FirstIndex"/> + i, or, in a batch made by
    /// <see cref="Expand"/>, the index of the original sample it copies (so its random draws are the original's).
    /// </summary>
    public long SampleIndex(int i) => _sampleIndices is { } ix ? ix[i] : FirstIndex + i;

    /// <summary>The 32-bit seed <see cref="RandomFor"/> uses: a 64-bit mix (splitmix64) of seed, FNV-1a of the name and the index.</summary>
    public static int SeedFor(int seed, string metric, long index)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in metric) { h ^= c; h *= 1099511628211UL; }
        ulong z = h ^ ((ulong)(uint)seed << 32) ^ (ulong)index;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
        z ^= z >> 31;
        return (int)(z & 0x7fffffff);
    }

    /// <summary>
    /// This batch with other attributions (same shape) and re-explainer: how wrappers such as QGE re-score an inverted
    /// explanation. The unperturbed logits memo is shared (the inputs are unchanged).
    /// </summary>
    public EvaluationBatch WithAttributions(float[] attributions, IReexplainer? explainer)
    {
        var b = new EvaluationBatch(Shape, Count, Inputs, attributions, Targets, Masks, Labels, Model, explainer, FirstIndex, Seed, Budget, ExplainModel);
        b._logits = Volatile.Read(ref _logits);
        b._sampleIndices = _sampleIndices;
        return b;
    }

    /// <summary>
    /// A batch of <paramref name="copies"/> × <see cref="Count"/> samples: copy r of sample i is sample r·Count + i, with
    /// sample i's input, target, mask and label, attribution taken from <paramref name="attributions"/> (copies × N × A×H×W),
    /// and sample i's random draws (<see cref="SampleIndex"/>). How wrappers evaluate several explanations of the same
    /// samples (QGE's e and e_inv, a pool of random rankings) in one metric call, so their perturbation rows share model
    /// calls and their random subsets agree. The unperturbed logits memo is shared.
    /// </summary>
    public EvaluationBatch Expand(int copies, float[] attributions, IReexplainer? explainer)
    {
        if (copies < 1) throw new ArgumentOutOfRangeException(nameof(copies));
        var s = Shape;
        int n = Count;
        float[] Repeat(float[] a) { var r = new float[(long)copies * a.Length]; for (int c = 0; c < copies; c++) a.CopyTo(r, (long)c * a.Length); return r; }
        T[]? RepeatOf<T>(T[]? a) { if (a is null) return null; var r = new T[copies * a.Length]; for (int c = 0; c < copies; c++) a.CopyTo(r, c * a.Length); return r; }
        var b = new EvaluationBatch(s, n * copies, Repeat(Inputs), attributions, RepeatOf(Targets)!, RepeatOf(Masks), RepeatOf(Labels),
            Model, explainer, FirstIndex, Seed, Budget, ExplainModel);
        var ix = new long[n * copies];
        for (int c = 0; c < copies; c++) for (int i = 0; i < n; i++) ix[c * n + i] = SampleIndex(i);
        b._sampleIndices = ix;
        if (Volatile.Read(ref _logits) is { } logits) b._logits = Repeat(logits);
        return b;
    }

    /// <summary>A batch holding samples <paramref name="start"/>..start+count of this one (same model, explainer, seed).</summary>
    public EvaluationBatch Slice(int start, int count)
    {
        var s = Shape;
        var b = new EvaluationBatch(s, count,
            Inputs.AsSpan(start * s.InputValues, count * s.InputValues).ToArray(),
            Attributions.AsSpan(start * s.AttributionValues, count * s.AttributionValues).ToArray(),
            Targets.AsSpan(start, count).ToArray(),
            Masks?.AsSpan(start * s.Pixels, count * s.Pixels).ToArray(),
            Labels?.AsSpan(start, count).ToArray(), Model, Explainer, FirstIndex + start, Seed, Budget, ExplainModel);
        b._sampleIndices = _sampleIndices?.AsSpan(start, count).ToArray();
        return b;
    }
}
