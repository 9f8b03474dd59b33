using System.Numerics.Tensors;
using Sightline.Alignment;
using Sightline.Data;
using Sightline.Evaluation;
using Sightline.Explainers;
using Sightline.IO;
using Sightline.Models;
using Sightline.Results;

namespace Sightline.Studies;

/// <summary>Options of <see cref="StudyRunner.Run"/>.</summary>
/// <param name="OutDir">The run store's folder.</param>
/// <param name="Shard">This process's shard (0-based).</param>
/// <param name="Shards">Number of shards.</param>
/// <param name="Threads">Worker threads (0 = all cores).</param>
/// <param name="Force">Discard a store of another signature, and recompute this shard's units.</param>
public sealed record StudyRunOptions(string OutDir, int Shard = 0, int Shards = 1, int Threads = 0, bool Force = false);

/// <summary>The outcome of a study run (one shard).</summary>
/// <param name="Signature">The run signature.</param>
/// <param name="Units">Work units in the whole study.</param>
/// <param name="ShardUnits">Units of this shard.</param>
/// <param name="AlreadyDone">Units of this shard stored by an earlier run (skipped).</param>
/// <param name="Computed">Units computed now.</param>
/// <param name="Rows">Rows written now.</param>
/// <param name="FailedSamples">Sample rows that failed now (unreadable input, non-finite input or map).</param>
/// <param name="StudyComplete">True when every unit of the study (all shards) is stored.</param>
public sealed record StudyRunResult(string Signature, int Units, int ShardUnits, int AlreadyDone, int Computed, long Rows, int FailedSamples, bool StudyComplete)
{
    /// <summary>Wall time per stage of the computed units, in seconds: open (models and data), predict (load + forward), explain, score, write.</summary>
    public IReadOnlyDictionary<string, double> Stages { get; init; } = new Dictionary<string, double>();
}

/// <summary>
/// Runs a study's work units (one shard of them) into its run store. Per unit (model × method × chunk of samples):
/// loads the chunk with the model's preprocessing, runs the model once (predictions: the <c>predicted</c> column and
/// accuracy), picks the targets (predicted class, label, or every class of the sample's label map: SemScore's rule),
/// explains every (sample, target) once with the method, and scores the maps with the metrics through
/// <see cref="EvaluationPipeline"/>: localisation metrics against each mask set, the other metrics once (their rows
/// have an empty <c>mask_set</c>). The unit's rows are written as one Parquet chunk, long format: study, model, method,
/// mask_set, sample, image_id, target, label, predicted, metric, value, reason. A sample without a valid class is one
/// row per metric with target −1 and reason <c>no-valid-class</c> (SemScore: not screened); a sample that cannot be
/// loaded has reason <c>load: …</c> (not screened); an undefined score is NaN with the metric's reason.
/// Seeds: stochastic methods and metrics draw from (run seed, unit's first sample, item), so a unit's rows do not depend
/// on the shard or on what else ran, and a resumed or resharded run reproduces them exactly.
/// </summary>
public static class StudyRunner
{
    /// <summary>Reason of a sample without a valid class (mask_classes with an empty label map).</summary>
    public const string NoValidClass = "no-valid-class";

    /// <summary>Reason prefix of a sample that could not be loaded.</summary>
    public const string LoadFailed = "load: ";

    /// <summary>Reason of a mask class whose logit (label − offset) is not an output of the model.</summary>
    public const string ClassOutsideModel = "class-outside-model";

    /// <summary>Runs shard <see cref="StudyRunOptions.Shard"/> of the study; <paramref name="progress"/> receives units done in this shard.</summary>
    /// <exception cref="InputDataException">An invalid study, input or store (another signature without force).</exception>
    public static StudyRunResult Run(StudyPlan plan, IStudyModelLoader loader, StudyRunOptions options, IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        if (options.Shards < 1 || options.Shard < 0 || options.Shard >= options.Shards)
            throw new InputDataException($"--shard {options.Shard}/{options.Shards}: give I/N with 0 ≤ I < N.");
        var def = plan.Definition;
        var signature = plan.Signature(loader);
        var store = StudyStore.Open(options.OutDir, plan, signature, options.Force);
        var units = plan.Shard(options.Shard, options.Shards).ToList();
        store.RemoveStale(units.Select(u => u.Id));
        if (options.Force) foreach (var u in units) store.Delete(u.Id);
        var todo = units.Where(u => !store.IsDone(u.Id)).ToList();
        int already = units.Count - todo.Count;
        progress?.Report(already);

        var masks = def.Masks.Select(m => new StudyMaskSource(m)).ToList();
        try
        {
            foreach (var m in masks)
                if (m.Count < plan.Data.Count)
                    throw new InputDataException($"masks.{m.Set.Name}: {m.Set.Path} holds {m.Count} masks but the study has {plan.Data.Count} samples; give one mask per sample (same order).");
            var scheduler = options.Threads > 0 ? new ConcurrentExclusiveSchedulerPair(TaskScheduler.Default, options.Threads).ConcurrentScheduler : TaskScheduler.Default;
            long rows = 0;
            int failed = 0, done = already;
            var stages = new StageClock();
            bool needGradients = def.Methods.Any(StudyMethods.NeedsGradients) || plan.Metrics.Any(m => m.Info.Needs.HasFlag(Metrics.MetricNeeds.Gradients));
            foreach (var group in todo.GroupBy(u => u.Model))
            {
                var model = def.Models[group.Key];
                long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                using var session = loader.Open(model, def.Data, needGradients, options.Threads);
                stages.Add("open", t0);
                CheckSession(plan, model, session);
                foreach (var unit in group)
                {
                    cancel.ThrowIfCancellationRequested();
                    // Computed on the thread-limited scheduler (nested Parallel loops inherit its limit); written outside it,
                    // since the Parquet writer's awaits would queue their continuations behind the blocked caller.
                    var (table, f) = Task.Factory.StartNew(() => RunUnit(plan, store, session, masks, unit, stages), cancel, TaskCreationOptions.None, scheduler).GetAwaiter().GetResult();
                    long tw = System.Diagnostics.Stopwatch.GetTimestamp();
                    ResultWriter.Write(table, store.ChunkPath(unit.Id));
                    stages.Add("write", tw);
                    rows += table.RowCount;
                    failed += f;
                    progress?.Report(++done);
                }
            }
            return new StudyRunResult(signature, plan.Units, units.Count, already, todo.Count, rows, failed, store.DoneUnits().Count == plan.Units) { Stages = stages.Seconds };
        }
        finally
        {
            foreach (var m in masks) m.Dispose();
        }
    }

    private static void CheckSession(StudyPlan plan, StudyModel model, StudySession session)
    {
        var s = session.Inputs.Shape;
        var ms = session.Forward.InputShape;
        if (s.Count != 3 || !s.SequenceEqual(ms))
            throw new InputDataException($"models.{model.Name}: the model takes {string.Join("×", ms)} inputs but the data are {string.Join("×", s)}.");
        if (session.Inputs.Count < plan.Data.Count)
            throw new InputDataException($"models.{model.Name}: the data hold {session.Inputs.Count} samples for this model, fewer than the study's {plan.Data.Count}.");
        foreach (var method in plan.Definition.Methods)
            if (StudyMethods.BaselineFile(method) is { } file)
            {
                using var r = NpyReader.Open(file);
                ExplainOptionValues.CheckBaselineShape(r.Shape, s, plan.Data.Count, $"methods.{method.Name}.baseline (model '{model.Name}')", file, atLeast: true);
            }
        if (plan.Definition.Targets.Kind == StudyTargetKind.Label)
            for (int i = 0; i < plan.Data.Count; i++)
            {
                int label = session.Inputs.LabelOf(i);
                if (label < 0 || label >= session.Forward.OutputCount)
                    throw new InputDataException($"targets: label — sample {i} ({plan.Data.ImageId(i)}) has {(label < 0 ? "no label" : $"label {label}, outside model '{model.Name}''s {session.Forward.OutputCount} outputs")}.");
            }
    }

    /// <summary>The columns of a study chunk, in order.</summary>
    public static IReadOnlyList<string> ColumnNames { get; } = ["study", "model", "method", "mask_set", "sample", "image_id", "target", "label", "predicted", "metric", "value", "reason"];

    private sealed class Rows
    {
        public readonly List<string> Mask = [], Metric = [];
        public readonly List<string?> Reason = [];
        public readonly List<long> Sample = [], Target = [], Label = [], Predicted = [];
        public readonly List<double> Value = [];
        public readonly List<string> ImageId = [];

        public void Add(string mask, int sample, string imageId, int target, int label, int predicted, string metric, double value, string? reason)
        {
            Mask.Add(mask); Sample.Add(sample); ImageId.Add(imageId); Target.Add(target); Label.Add(label); Predicted.Add(predicted);
            Metric.Add(metric); Value.Add(value); Reason.Add(reason);
        }

        public ResultTable Table(string study, string model, string method)
        {
            int n = Value.Count;
            return new ResultTable()
                .Add(new StringColumn("study", [.. Enumerable.Repeat(study, n)]))
                .Add(new StringColumn("model", [.. Enumerable.Repeat(model, n)]))
                .Add(new StringColumn("method", [.. Enumerable.Repeat(method, n)]))
                .Add(new StringColumn("mask_set", [.. Mask]))
                .Add(new Int64Column("sample", [.. Sample]))
                .Add(new StringColumn("image_id", [.. ImageId]))
                .Add(new Int64Column("target", [.. Target]))
                .Add(new Int64Column("label", [.. Label]))
                .Add(new Int64Column("predicted", [.. Predicted]))
                .Add(new StringColumn("metric", [.. Metric]))
                .Add(new DoubleColumn("value", [.. Value]))
                .Add(new StringColumn("reason", [.. Reason]));
        }
    }

    /// <summary>Accumulates wall time per stage.</summary>
    private sealed class StageClock
    {
        private readonly Dictionary<string, long> _ticks = [];

        public void Add(string stage, long since)
        {
            long now = System.Diagnostics.Stopwatch.GetTimestamp();
            lock (_ticks) _ticks[stage] = _ticks.GetValueOrDefault(stage) + (now - since);
        }

        public IReadOnlyDictionary<string, double> Seconds
        {
            get { lock (_ticks) return _ticks.ToDictionary(kv => kv.Key, kv => (double)kv.Value / System.Diagnostics.Stopwatch.Frequency); }
        }
    }

    private static (ResultTable Table, int Failed) RunUnit(StudyPlan plan, StudyStore store, StudySession session, IReadOnlyList<StudyMaskSource> masks, StudyUnit unit, StageClock stages)
    {
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        var def = plan.Definition;
        var model = def.Models[unit.Model];
        var method = def.Methods[unit.Method];
        var inputs = session.Inputs;
        var shape = inputs.Shape;
        int c = shape[0], h = shape[1], w = shape[2], size = c * h * w, pixels = h * w, k = session.Forward.OutputCount;
        int n = unit.Count, start = unit.Start;
        var budget = new ModelBudget { BatchSize = def.BatchSize };

        var x = new float[n * size];
        var errors = inputs.TryLoad(start, n, x);
        for (int i = 0; i < n; i++)
        {
            if (errors[i] is null && !AllFinite(x.AsSpan(i * size, size))) errors[i] = EvaluationPipeline.NonFiniteInput;
            if (errors[i] is not null) x.AsSpan(i * size, size).Clear();
        }
        var logits = new float[n * k];
        StepBatcher.Forward(session.Forward, x, n, logits, budget);
        var predicted = new int[n];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            predicted[i] = errors[i] is null ? TensorPrimitives.IndexOfMax(logits.AsSpan(i * k, k)) : -1;
            labels[i] = inputs.LabelOf(start + i);
        }
        var labelMaps = masks.Select(m => Enumerable.Range(0, n).Select(i => m.Labels(start + i)).ToArray()).ToList();
        stages.Add("predict", t0);

        // The (sample, target) items to explain, and the status rows of samples that have none.
        var explainer = StudyMethods.Create(method, method.LayerFor(model.Name), session.Preprocessing, c);
        var settings = StudyMethods.Settings(method, def.Seed, def.BatchSize);
        var columns = plan.Metrics.Select(m => m.Columns(new EvaluationShape(c, h, w, explainer.OutputChannels(c, settings), k), session.Forward)).ToList();
        var rows = new Rows();
        int failed = 0;
        var items = new List<(int Sample, int Target)>();
        int targetSet = def.TargetMaskSet is { } ts ? def.Masks.ToList().IndexOf(ts) : -1;
        void Status(int i, int target, string reason)
        {
            foreach (var (set, perMask) in MaskGroups(def, plan))
                for (int m = 0; m < plan.Metrics.Count; m++)
                {
                    if (PerMask(plan.Metrics[m]) != perMask) continue;
                    foreach (var col in columns[m]) rows.Add(set, start + i, plan.Data.ImageId(start + i), target, labels[i], predicted[i], col, double.NaN, reason);
                }
        }
        for (int i = 0; i < n; i++)
        {
            if (errors[i] is { } e)
            {
                failed++;
                Status(i, -1, e == EvaluationPipeline.NonFiniteInput ? e : LoadFailed + e);
                continue;
            }
            switch (def.Targets.Kind)
            {
                case StudyTargetKind.Predicted: items.Add((i, predicted[i])); break;
                case StudyTargetKind.Label: items.Add((i, labels[i])); break;
                default:
                    var classes = labelMaps[targetSet][i].Classes();
                    if (classes.Count == 0) Status(i, -1, NoValidClass);
                    foreach (var cls in classes)
                    {
                        int t = cls - def.Targets.Offset;
                        if (t < 0 || t >= k) Status(i, t, ClassOutsideModel);
                        else items.Add((i, t));
                    }
                    break;
            }
        }

        int count = items.Count;
        if (count > 0)
        {
            var xi = new float[count * size];
            var targets = new int[count];
            for (int j = 0; j < count; j++)
            {
                x.AsSpan(items[j].Sample * size, size).CopyTo(xi.AsSpan(j * size, size));
                targets[j] = items[j].Target;
            }
            int a = explainer.OutputChannels(c, settings);
            var maps = new float[count * a * pixels];
            long te = System.Diagnostics.Stopwatch.GetTimestamp();
            long firstIndex = start;
            if (StudyMethods.BaselineFile(method) is { } baselineFile)
            {
                // Integrated gradients from a baseline file: one C×H×W baseline for all, or the explained items' rows of an
                // N×C×H×W file (in data order). Items are then indexed from 0 (a file baseline draws nothing at random), as
                // the metrics' re-explanations of the unit index them.
                using var br = NpyReader.Open(baselineFile);
                bool perSample = ExplainOptionValues.CheckBaselineShape(br.Shape, shape, plan.Data.Count, $"methods.{method.Name}.baseline", baselineFile, atLeast: true);
                float[] values;
                if (!perSample) values = br.ReadAll<float>();
                else
                {
                    values = new float[(long)count * size];
                    for (int j = 0; j < count; j++) br.Read((long)(start + items[j].Sample) * size, values.AsSpan(j * size, size));
                    firstIndex = 0;
                }
                explainer = StudyMethods.Create(method, method.LayerFor(model.Name), session.Preprocessing, c, values);
            }
            var explainModel = ExplainModel(plan, session, explainer);
            explainer.Explain(explainModel, xi, count, targets, maps, settings with { FirstIndex = firstIndex, BatchSize = def.BatchSize });
            if (StudyMethods.ScalesMinMax(method))
                for (int j = 0; j < count; j++)
                    for (int ch = 0; ch < a; ch++) ExplainMath.ScaleMinMax(maps.AsSpan((j * a + ch) * pixels, pixels));
            stages.Add("explain", te);
            SaveExamples(plan, store, session, model, method, items, maps, a, h, w, start);
            long tScore = System.Diagnostics.Stopwatch.GetTimestamp();

            var itemInputs = new ArrayInputSource("unit", xi, count, shape, targets);
            var saliency = a == 1 ? new ArraySampleSource("maps", maps, count, h, w) : new ArraySampleSource("maps", maps, count, a, h, w);
            int seed = unchecked((int)Statistics.SplitMix.Derive((ulong)(uint)def.Seed, start));
            foreach (var (set, perMask) in MaskGroups(def, plan))
            {
                var chosen = Enumerable.Range(0, plan.Metrics.Count).Where(m => PerMask(plan.Metrics[m]) == perMask).ToList();
                if (chosen.Count == 0) continue;
                ArraySampleSource? maskSource = null;
                if (perMask)
                {
                    int si = def.Masks.ToList().FindIndex(m => m.Name == set);
                    var values = new float[count * pixels];
                    for (int j = 0; j < count; j++)
                    {
                        var bin = masks[si].Mask(labelMaps[si][items[j].Sample], items[j].Target + def.Targets.Offset, h, w);
                        for (int p = 0; p < pixels; p++) values[j * pixels + p] = bin[p];
                    }
                    maskSource = new ArraySampleSource(set, values, count, h, w);
                }
                var request = new EvaluationRequest
                {
                    Inputs = itemInputs,
                    Metrics = [.. chosen.Select(m => plan.Metrics[m])],
                    Saliency = saliency,
                    Explainer = explainer,
                    ExplainSettings = settings,
                    Masks = maskSource,
                    Model = session.Forward,
                    ExplainModel = explainModel,
                    Target = new TargetRule("label"),
                    Seed = seed,
                    Budget = budget,
                    Chunk = count,
                };
                var collected = new EvaluationRows();
                var result = EvaluationPipeline.Run(request, collected);
                var layout = result.Layout;
                int width = layout.Columns.Count;
                var chunk = collected.Chunks[0];
                for (int j = 0; j < count; j++)
                {
                    int i = items[j].Sample;
                    if (chunk.Failed[j]) failed++;
                    for (int mi = 0; mi < layout.Metrics.Count; mi++)
                    {
                        var reason = chunk.MetricReasons[mi][j];
                        var cols = layout.Metrics[mi].Columns(layout.Shape, session.Forward);
                        for (int col = 0; col < cols.Count; col++)
                            rows.Add(set, start + i, plan.Data.ImageId(start + i), items[j].Target, labels[i], predicted[i], cols[col],
                                chunk.Values[j * width + layout.Offsets[mi] + col], reason);
                    }
                }
            }
            stages.Add("score", tScore);
        }
        return (rows.Table(def.Name, model.Name, method.Name), failed);
    }

    /// <summary>
    /// The model a unit's method explains with: a method that needs no gradients (Score-CAM, Eigen-CAM, occlusion,
    /// RISE) runs on the forward back end (ONNX Runtime), as <c>explain --backend auto</c> runs it, even when another
    /// method or the study's metrics made the loader open the gradient back end too (Score-CAM's masked forward passes
    /// are about 11× faster there: bench/README.md), unless a metric differentiates or randomises the model the method
    /// explains with. So a method's rows do not depend on which other methods share the study.
    /// </summary>
    private static IModel ExplainModel(StudyPlan plan, StudySession session, IExplainer explainer) =>
        !explainer.NeedsGradients && session.Forward is IActivationModel
        && !plan.Metrics.Any(m => (m.Info.Needs & (Metrics.MetricNeeds.Gradients | Metrics.MetricNeeds.RandomisedModels)) != 0)
            ? session.Forward : session.Explain;

    /// <summary>The mask groups of a study: each mask set for the metrics that need masks, and "" for the others.</summary>
    private static IEnumerable<(string Set, bool PerMask)> MaskGroups(StudyDefinition def, StudyPlan plan)
    {
        if (plan.Metrics.Any(PerMask))
            foreach (var m in def.Masks) yield return (m.Name, true);
        if (plan.Metrics.Any(m => !PerMask(m))) yield return ("", false);
    }

    private static bool PerMask(IEvaluationMetric m) => StudyPlan.UsesMasks(m);

    /// <summary>Saves the maps of the study's first <see cref="StudyDefinition.Examples"/> samples as overlays (PNG) for the report.</summary>
    private static void SaveExamples(StudyPlan plan, StudyStore store, StudySession session, StudyModel model, StudyMethod method,
        List<(int Sample, int Target)> items, float[] maps, int a, int h, int w, int start)
    {
        int pixels = h * w;
        for (int j = 0; j < items.Count; j++)
        {
            int sample = start + items[j].Sample;
            if (sample >= plan.Definition.Examples) continue;
            var map = new float[pixels];
            for (int ch = 0; ch < a; ch++) TensorPrimitives.Add(map, maps.AsSpan((j * a + ch) * pixels, pixels), map);
            RgbImage display;
            try { display = session.Inputs.Display(sample); }
            catch (InputDataException) { continue; }
            if (display.Width != w || display.Height != h) continue;
            var rgba = new byte[pixels * 4];
            Colormap.Overlay(display.Rgb, map, w, h, rgba);
            var dir = Path.Combine(store.ExampleDirectory, model.Name, method.Name);
            Directory.CreateDirectory(dir);
            Png.WriteRgba8(Path.Combine(dir, $"s{sample:D6}-t{items[j].Target}.png"), w, h, rgba);
            var input = Path.Combine(store.ExampleDirectory, model.Name, $"input-s{sample:D6}.png");
            if (!File.Exists(input)) Png.WriteRgb8(input, w, h, display.Rgb);
        }
    }

    private static bool AllFinite(ReadOnlySpan<float> x)
    {
        float acc = 0;
        foreach (var v in x) acc += v - v;
        return acc == 0;
    }
}
