using System.Numerics.Tensors;
using Sightline.Alignment;
using Sightline.Explainers;
using Sightline.Metrics;
using Sightline.Models;

namespace Sightline.Evaluation;

/// <summary>
/// What an evaluation run scores: inputs (already preprocessed for the model), where the attributions come from (given
/// maps, or the <see cref="Explainer"/> run on the inputs), optional masks, the metrics, the models and the target rule.
/// </summary>
public sealed record EvaluationRequest
{
    /// <summary>The inputs (N×C×H×W, preprocessed), with labels when the source has them.</summary>
    public required IInputSource Inputs { get; init; }

    /// <summary>The metrics, in output order.</summary>
    public required IReadOnlyList<IEvaluationMetric> Metrics { get; init; }

    /// <summary>
    /// Given attributions: N×H×W, N×1×H×W or N×C×H×W (a <see cref="ISampleSource"/> over an NPY file or an array), or null
    /// when <see cref="Explainer"/> produces them.
    /// </summary>
    public ISampleSource? Saliency { get; init; }

    /// <summary>The method: explains each chunk when <see cref="Saliency"/> is null, and re-explains for the metrics that need it.</summary>
    public IExplainer? Explainer { get; init; }

    /// <summary>The method's settings (channel reduction, CAM style, seed; <see cref="ExplainSettings.FirstIndex"/> is set per chunk).</summary>
    public ExplainSettings ExplainSettings { get; init; } = new();

    /// <summary>Ground-truth masks N×H×W or N×1×H×W (0/1), or null.</summary>
    public ISampleSource? Masks { get; init; }

    /// <summary>The model for forward passes (ONNX Runtime where possible): predictions and the metrics' perturbation rows.</summary>
    public IModel? Model { get; init; }

    /// <summary>The model the method explains with (a gradient back end of the same network when gradients are needed); defaults to <see cref="Model"/>.</summary>
    public IModel? ExplainModel { get; init; }

    /// <summary>Targets: the predicted class, the label or a fixed class.</summary>
    public TargetRule Target { get; init; } = new("predicted");

    /// <summary>The run's seed (per-sample, per-metric generators: <see cref="EvaluationBatch.RandomFor"/>).</summary>
    public int Seed { get; init; }

    /// <summary>The model-call budget (rows per call), shared with the explainer.</summary>
    public ModelBudget Budget { get; init; } = ModelBudget.Default;

    /// <summary>Samples per chunk: the metrics' batch and the unit of resuming (Quantus's batch_size, default 64).</summary>
    public int Chunk { get; init; } = 64;
}

/// <summary>The result columns of a run: per metric its columns (the metric's name first) and its curve length.</summary>
public sealed class EvaluationLayout
{
    internal EvaluationLayout(IReadOnlyList<IEvaluationMetric> metrics, EvaluationShape shape, IModel? model)
    {
        Metrics = metrics;
        var columns = new List<string>();
        var offsets = new int[metrics.Count];
        var curves = new int[metrics.Count];
        for (int m = 0; m < metrics.Count; m++)
        {
            offsets[m] = columns.Count;
            foreach (var c in metrics[m].Columns(shape, model))
            {
                if (columns.Contains(c) || c is "index" or "target" or "reason")
                    throw new InputDataException($"--metrics: two metrics write the column '{c}'; give each metric once.");
                columns.Add(c);
            }
            curves[m] = metrics[m].CurveLength(shape);
        }
        Columns = columns;
        Offsets = offsets;
        CurveLengths = curves;
        Shape = shape;
    }

    /// <summary>The metrics.</summary>
    public IReadOnlyList<IEvaluationMetric> Metrics { get; }

    /// <summary>The geometry.</summary>
    public EvaluationShape Shape { get; }

    /// <summary>Every metric column in order (without <c>index</c>, <c>target</c>, <c>reason</c>).</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>Where metric m's columns start in <see cref="Columns"/>.</summary>
    public IReadOnlyList<int> Offsets { get; }

    /// <summary>Metric m's curve length (0 for scalar metrics).</summary>
    public IReadOnlyList<int> CurveLengths { get; }

    /// <summary>Curve floats per sample over all curve metrics.</summary>
    public int CurveValues => CurveLengths.Sum();

    /// <summary>The curve metrics (name, length), in order.</summary>
    public IEnumerable<(string Name, int Length)> Curves => Metrics.Select((m, i) => (m.Name, CurveLengths[i])).Where(c => c.Item2 > 0);
}

/// <summary>
/// One chunk of results: samples [<see cref="Start"/>, Start + <see cref="Count"/>), their targets, metric values
/// (Count × columns, sample-major), one joined reason per sample (<c>metric: reason; …</c>, null when none), curves
/// (Count × <see cref="EvaluationLayout.CurveValues"/>, the curve metrics one after another) and which samples failed.
/// </summary>
public sealed record EvaluationChunk(long Start, int Count, int[] Targets, double[] Values, string?[] Reasons, float[] Curves, bool[] Failed)
{
    /// <summary>Per metric, the reason of each sample (null when none), before joining (<see cref="Reasons"/>).</summary>
    public IReadOnlyList<string?[]> MetricReasons { get; init; } = [];
}

/// <summary>Where a run's rows go: an in-memory collector (<see cref="EvaluationRows"/>) or a resumable store on disk.</summary>
public interface IEvaluationSink
{
    /// <summary>Samples already stored by an earlier, interrupted run (the pipeline starts after them).</summary>
    int Done { get; }

    /// <summary>Commits one chunk (called in sample order).</summary>
    void Append(EvaluationChunk chunk);
}

/// <summary>Collects a run's chunks in memory (for library callers and the demo).</summary>
public sealed class EvaluationRows : IEvaluationSink
{
    private readonly List<EvaluationChunk> _chunks = [];

    /// <inheritdoc/>
    public int Done => 0;

    /// <summary>The chunks, in order.</summary>
    public IReadOnlyList<EvaluationChunk> Chunks => _chunks;

    /// <inheritdoc/>
    public void Append(EvaluationChunk chunk) => _chunks.Add(chunk);

    /// <summary>Samples collected.</summary>
    public int Count => _chunks.Sum(c => c.Count);

    /// <summary>All values of column <paramref name="column"/> of <paramref name="layout"/>, in sample order.</summary>
    public double[] Column(EvaluationLayout layout, int column)
    {
        int width = layout.Columns.Count;
        var result = new double[Count];
        int r = 0;
        foreach (var c in _chunks)
            for (int i = 0; i < c.Count; i++) result[r++] = c.Values[i * width + column];
        return result;
    }

    /// <summary>Metric <paramref name="metric"/>'s reason per sample (null when none), in sample order.</summary>
    public string?[] MetricReasons(int metric) => [.. _chunks.SelectMany(c => c.MetricReasons[metric])];

    /// <summary>The targets, in sample order.</summary>
    public int[] Targets => [.. _chunks.SelectMany(c => c.Targets)];
}

/// <summary>The outcome of <see cref="EvaluationPipeline.Run"/>.</summary>
/// <param name="Samples">Samples in the run.</param>
/// <param name="Resumed">Samples already stored by an earlier run.</param>
/// <param name="FailedNow">Samples that failed in this invocation (NaN + reason for every metric).</param>
/// <param name="Layout">The result columns.</param>
public sealed record EvaluationRunResult(int Samples, int Resumed, int FailedNow, EvaluationLayout Layout);

/// <summary>
/// The core evaluation pipeline: dataset → model → explainer → metrics → rows. Streams the inputs in chunks of
/// <see cref="EvaluationRequest.Chunk"/> samples: loads them (an unreadable image or a non-finite input fails that
/// sample only), runs the forward model once for the predictions, picks the targets, takes the attributions (given, or
/// explained with the method on <see cref="EvaluationRequest.ExplainModel"/>), builds an <see cref="EvaluationBatch"/>
/// (with the re-explainer when a method is given) and evaluates every metric on it, then hands the chunk to an
/// <see cref="IEvaluationSink"/> (a resumable row store for the CLI). A sample that fails gets NaN and the failure's
/// reason for every metric (the caller makes the run exit 1); an undefined score (an empty mask) is the metric's NaN +
/// reason and does not fail the run. Failed samples stay in their batch with zeroed inputs and attributions, so global
/// indices, seeds and the other samples' scores do not depend on them.
/// </summary>
public static class EvaluationPipeline
{
    /// <summary>Why a sample failed: its input holds NaN or ∞.</summary>
    public const string NonFiniteInput = "non-finite-input";

    /// <summary>Why a sample failed: its attribution holds NaN or ∞.</summary>
    public const string NonFiniteAttribution = "non-finite-attribution";

    /// <summary>
    /// Checks the request against what the metrics need (<see cref="MetricAttribute.Needs"/>) and the shapes of the
    /// inputs, attributions and masks, and returns the result layout, before anything is computed or written.
    /// </summary>
    /// <exception cref="InputDataException">A metric needs masks, a method or a model the run lacks; shapes disagree.</exception>
    public static EvaluationLayout Prepare(EvaluationRequest request)
    {
        var inputs = request.Inputs;
        var s = inputs.Shape;
        if (s.Count != 3) throw new InputDataException($"Inputs must be N×C×H×W; got per-sample shape ({string.Join(", ", s)}).");
        int c = s[0], h = s[1], w = s[2], n = inputs.Count;
        if (request.Metrics.Count == 0) throw new InputDataException("--metrics names no metric.");
        if (request.Saliency is null && request.Explainer is null)
            throw new InputDataException("Give the attributions (--saliency S.npy) or a method to compute them (--method NAME).");
        CheckNeeds(request.Metrics.Select(m => m.Info), request.Masks is not null, request.Explainer is not null, request.Model is not null);
        foreach (var m in request.Metrics)
        {
            var needs = m.Info.Needs;
            if (needs.HasFlag(MetricNeeds.Gradients) && (request.ExplainModel ?? request.Model) is not IGradientModel)
                throw new InputDataException($"Metric '{m.Name}' needs gradients of the model: use a gradient back end (--backend torch or auto).");
            if (needs.HasFlag(MetricNeeds.RandomisedModels) && (request.ExplainModel ?? request.Model) is not IRandomisableModel)
                throw new InputDataException($"Metric '{m.Name}' needs copies of the model with randomised parameters, which this model back end does not offer.");
        }
        if (request.Explainer is { NeedsGradients: true } && (request.ExplainModel ?? request.Model) is not IGradientModel)
            throw new InputDataException($"Method '{request.Explainer.Name}' needs gradients: use a gradient back end (--backend torch or auto).");
        if (request.Model is { } model)
        {
            var ms = model.InputShape;
            if (ms.Count != 3 || ms[0] != c || ms[1] != h || ms[2] != w)
                throw new InputDataException($"Model '{model.Name}' takes {string.Join("×", ms)} inputs; the samples are {c}×{h}×{w}.");
        }
        if (request.Target.Kind == "predicted" && request.Model is null)
            throw new InputDataException("--target predicted needs the model's predictions: give --model, or --target label / a class id.");
        CheckTargets(request);
        int a;
        if (request.Saliency is { } sal)
        {
            var ss = sal.Shape;
            (int sn, int sc, int sh, int sw) = ss.Count switch
            {
                3 => (ss[0], 1, ss[1], ss[2]),
                4 => (ss[0], ss[1], ss[2], ss[3]),
                _ => throw new InputDataException($"{sal.Name}: attributions must be N×H×W, N×1×H×W or N×C×H×W; got shape ({string.Join(", ", ss)})."),
            };
            if (sn != n) throw new InputDataException($"{sal.Name} holds {sn} attributions but the inputs have {n} samples.");
            if (sh != h || sw != w) throw new InputDataException($"{sal.Name}: attributions are {sh}×{sw} but the inputs are {h}×{w}; give maps at input resolution.");
            if (sc != 1 && sc != c) throw new InputDataException($"{sal.Name}: attributions have {sc} channels; give 1 (N×H×W or N×1×H×W) or the input's {c} (N×C×H×W).");
            a = sc;
        }
        else a = request.Explainer!.OutputChannels(c, request.ExplainSettings);
        if (request.Masks is { } masks)
        {
            var ms = masks.Shape;
            bool ok = (ms.Count == 3 && ms[1] == h && ms[2] == w) || (ms.Count == 4 && ms[1] == 1 && ms[2] == h && ms[3] == w);
            if (!ok) throw new InputDataException($"{masks.Name}: masks must be N×H×W (or N×1×H×W) at input resolution {h}×{w}; got shape ({string.Join(", ", ms)}).");
            if (ms[0] != n) throw new InputDataException($"{masks.Name} holds {ms[0]} masks but the inputs have {n} samples.");
        }
        if (request.Chunk < 1) throw new InputDataException("--chunk must be a positive integer.");
        var shape = new EvaluationShape(c, h, w, a, request.Model?.OutputCount ?? 0);
        return new EvaluationLayout(request.Metrics, shape, request.Model);
    }

    /// <summary>
    /// Checks what the metrics need (<see cref="MetricAttribute.Needs"/>) against what the run has: masks (<c>--masks</c>),
    /// a method to re-explain with (<c>--method</c>; <see cref="MetricNeeds.Reexplain"/>, <see cref="MetricNeeds.RandomisedModels"/>)
    /// and a model (<c>--model</c>). Cheap, so commands call it before loading any model.
    /// </summary>
    /// <exception cref="InputDataException">The first unmet need, naming the metric and the option that supplies it.</exception>
    public static void CheckNeeds(IEnumerable<MetricAttribute> metrics, bool masks, bool method, bool model)
    {
        foreach (var m in metrics)
        {
            var needs = m.Needs;
            if (needs.HasFlag(MetricNeeds.Masks) && !masks)
                throw new InputDataException($"Metric '{m.Name}' compares attributions with a ground-truth region: give --masks M.npy (N×H×W, 0/1).");
            if ((needs & (MetricNeeds.Reexplain | MetricNeeds.RandomisedModels)) != 0 && !method)
                throw new InputDataException($"Metric '{m.Name}' re-explains {(needs.HasFlag(MetricNeeds.RandomisedModels) ? "randomised models" : "perturbed inputs")} with the run's method: give --method NAME (and its options) instead of, or with, --saliency.");
            if ((needs & (MetricNeeds.Model | MetricNeeds.Gradients | MetricNeeds.Activations)) != 0 && !model)
                throw new InputDataException($"Metric '{m.Name}' runs the model: give --model m.onnx.");
        }
    }

    /// <summary>
    /// Runs the evaluation of every sample after <see cref="IEvaluationSink.Done"/> into <paramref name="sink"/>.
    /// <paramref name="progress"/> receives the number of samples done (resumed ones included).
    /// </summary>
    /// <exception cref="InputDataException">A misconfigured run (see <see cref="Prepare"/>), a mask that is not 0/1.</exception>
    public static EvaluationRunResult Run(EvaluationRequest request, IEvaluationSink sink, IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        var layout = Prepare(request);
        var shape = layout.Shape;
        var inputs = request.Inputs;
        int n = inputs.Count, size = shape.InputValues, aValues = shape.AttributionValues, pixels = shape.Pixels;
        int resumed = sink.Done;
        progress?.Report(resumed);
        if (inputs is ImageInputSource images && resumed < n) images.CheckSizes();
        var explainModel = request.ExplainModel ?? request.Model;
        IReexplainer? reexplainer = request.Explainer is { } e
            ? new ExplainerReexplainer(e, request.ExplainSettings with { BatchSize = request.Budget.BatchSize, MemoryBudgetBytes = request.Budget.MemoryBudgetBytes })
            : null;
        int chunk = Math.Clamp(request.Chunk, 1, Math.Max(1, n - resumed));
        int failedNow = 0;
        int width = layout.Columns.Count;
        for (int start = resumed; start < n; start += chunk)
        {
            cancel.ThrowIfCancellationRequested();
            int m = Math.Min(chunk, n - start);
            var x = new float[m * size];
            var errors = inputs.TryLoad(start, m, x);
            for (int i = 0; i < m; i++)
            {
                if (errors[i] is null && !AllFinite(x.AsSpan(i * size, size))) errors[i] = NonFiniteInput;
                if (errors[i] is not null) x.AsSpan(i * size, size).Clear();
            }
            var targets = Targets(request, x, m, start, errors);
            var attributions = new float[m * aValues];
            if (request.Saliency is { } sal)
                for (int i = 0; i < m; i++) sal.Read(start + i, attributions.AsSpan(i * aValues, aValues));
            else
                request.Explainer!.Explain(explainModel!, x, m, targets, attributions, request.ExplainSettings with
                {
                    FirstIndex = start, BatchSize = request.Budget.BatchSize, MemoryBudgetBytes = request.Budget.MemoryBudgetBytes,
                });
            for (int i = 0; i < m; i++)
            {
                var ai = attributions.AsSpan(i * aValues, aValues);
                if (errors[i] is null && !AllFinite(ai)) errors[i] = NonFiniteAttribution;
                if (errors[i] is not null) ai.Clear();
            }
            var masks = request.Masks is { } ms ? ReadMasks(ms, start, m, pixels) : null;
            int[]? labels = null;
            if (Enumerable.Range(start, m).All(i => inputs.LabelOf(i) >= 0)) labels = [.. Enumerable.Range(start, m).Select(inputs.LabelOf)];
            var batch = new EvaluationBatch(shape, m, x, attributions, targets, masks, labels, request.Model, reexplainer, start, request.Seed,
                request.Budget, explainModel);

            var values = new double[m * width];
            var curves = new float[m * layout.CurveValues];
            var metricReasons = new List<string?[]>();
            int curveOffset = 0;
            for (int k = 0; k < layout.Metrics.Count; k++)
            {
                var metric = layout.Metrics[k];
                var columns = metric.Columns(shape, request.Model);
                int length = layout.CurveLengths[k];
                var output = new MetricOutput(m, columns, length);
                metric.Evaluate(batch, output);
                for (int i = 0; i < m; i++)
                {
                    for (int col = 0; col < columns.Count; col++)
                        values[i * width + layout.Offsets[k] + col] = errors[i] is null ? output.Values[i * columns.Count + col] : double.NaN;
                    if (length > 0)
                    {
                        var dst = curves.AsSpan(i * layout.CurveValues + curveOffset, length);
                        if (errors[i] is null) output.Curve(i).CopyTo(dst);
                        else dst.Fill(float.NaN);
                    }
                }
                metricReasons.Add([.. Enumerable.Range(0, m).Select(i => errors[i] ?? output.Reasons[i])]);
                curveOffset += length;
            }
            var reasons = new string?[m];
            var failed = new bool[m];
            for (int i = 0; i < m; i++)
            {
                failed[i] = errors[i] is not null;
                if (failed[i]) failedNow++;
                var parts = Enumerable.Range(0, layout.Metrics.Count).Where(k => metricReasons[k][i] is not null)
                    .Select(k => $"{layout.Metrics[k].Name}: {metricReasons[k][i]!.ReplaceLineEndings(" ")}").ToList();
                reasons[i] = parts.Count == 0 ? null : string.Join("; ", parts);
            }
            sink.Append(new EvaluationChunk(start, m, targets, values, reasons, curves, failed) { MetricReasons = metricReasons });
            progress?.Report(start + m);
        }
        return new EvaluationRunResult(n, resumed, failedNow, layout);
    }

    private static int[] Targets(EvaluationRequest request, float[] x, int m, int start, string?[] errors)
    {
        var targets = new int[m];
        var rule = request.Target;
        int[]? predicted = null;
        if (rule.Kind == "predicted" || errors.Any(e => e is not null))
        {
            if (request.Model is { } model)
            {
                int k = model.OutputCount;
                var logits = new float[m * k];
                int size = x.Length / m;
                StepBatcher.Forward(model, m, (r, dst) => x.AsSpan((int)r * size, size).CopyTo(dst),
                    (r, y) => y.CopyTo(logits.AsSpan((int)r * k, k)), request.Budget);
                predicted = [.. Enumerable.Range(0, m).Select(i => TensorPrimitives.IndexOfMax(logits.AsSpan(i * k, k)))];
            }
        }
        for (int i = 0; i < m; i++)
        {
            targets[i] = rule.Kind switch
            {
                "label" => request.Inputs.LabelOf(start + i),
                "class" => rule.ClassId,
                _ => predicted![i],
            };
            // A failed sample keeps a valid target so its (zeroed) row can stay in the batch; its scores are discarded.
            if (errors[i] is not null && predicted is not null) targets[i] = predicted[i];
        }
        return targets;
    }

    /// <summary>Fails before anything is computed when a target cannot be used: a missing label or a class outside the model's outputs.</summary>
    private static void CheckTargets(EvaluationRequest request)
    {
        var target = request.Target;
        var inputs = request.Inputs;
        int k = request.Model?.OutputCount ?? int.MaxValue;
        if (target.Kind == "class" && target.ClassId >= k)
            throw new InputDataException($"--target {target.ClassId}: model '{request.Model!.Name}' has {k} outputs (class ids 0..{k - 1}).");
        if (target.Kind != "label") return;
        for (int i = 0; i < inputs.Count; i++)
        {
            int label = inputs.LabelOf(i);
            if (label < 0) throw new InputDataException($"--target label, but sample {i} ({inputs.PathOf(i)}) has no label; give --labels.");
            if (label >= k) throw new InputDataException($"--target label: sample {i} ({inputs.PathOf(i)}) has label {label}, outside model '{request.Model!.Name}''s {k} outputs.");
        }
    }

    private static byte[] ReadMasks(ISampleSource masks, int start, int m, int pixels)
    {
        var result = new byte[m * pixels];
        var floats = masks is IByteSampleSource ? null : new float[pixels];
        for (int i = 0; i < m; i++)
        {
            var dst = result.AsSpan(i * pixels, pixels);
            if (masks is IByteSampleSource bytes && bytes.TryReadBytes(start + i, dst))
            {
                int p = dst.IndexOfAnyExcept((byte)0, (byte)1);
                if (p >= 0) throw NotBinary(masks, start + i, dst[p]);
                continue;
            }
            floats ??= new float[pixels];
            masks.Read(start + i, floats);
            for (int p = 0; p < pixels; p++)
            {
                float v = floats[p];
                dst[p] = v == 0f ? (byte)0 : v == 1f ? (byte)1 : throw NotBinary(masks, start + i, v);
            }
        }
        return result;
    }

    private static InputDataException NotBinary(ISampleSource masks, int i, double v) =>
        new($"{masks.Name}: mask {i} is not binary (value {v.ToString(System.Globalization.CultureInfo.InvariantCulture)}); masks must hold 0/1 (or booleans).");

    private static bool AllFinite(ReadOnlySpan<float> x)
    {
        float acc = 0;
        foreach (var v in x) acc += v - v;
        return acc == 0;
    }
}
