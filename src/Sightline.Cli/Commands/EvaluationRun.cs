using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Sightline.Alignment;
using Sightline.Evaluation;
using Sightline.Explainers;
using Sightline.IO;
using Sightline.Metrics;
using Sightline.Models;
using Sightline.Results;

namespace Sightline.Cli.Commands;

/// <summary>
/// The options every command that scores attributions through the evaluation pipeline reads (<c>evaluate</c>,
/// <c>qge-check</c>, <c>evaluate-sanity</c>): the model, inputs and method of <see cref="ExplainOptionSet"/>, plus
/// <c>--saliency</c>, <c>--masks</c>, <c>--metrics</c>, <c>--param</c> and <c>--target</c>, declared once.
/// </summary>
internal sealed class EvaluationOptions
{
    /// <summary>Declares the options.</summary>
    public EvaluationOptions()
    {
        var o = Explain;
        o.Model.Description = "The classifier: an ONNX file (N×C×H×W or N×H×W×C float input, N×K output). Forward passes run on ONNX Runtime; a config beside it (<model>.json/.yaml or model.json/.yaml) sets preprocessing for --images.";
        o.Method.Description = $"Compute the attributions with this method (instead of --saliency), and re-explain with it for the metrics that need it (robustness, randomisation): {string.Join(", ", ExplainerCatalog.Names)}.";
        o.Backend.Description = "Model back end: 'auto' (ONNX Runtime for forward passes; TorchSharp for the method and the metrics when they need gradients), 'onnxruntime' or 'torch' (everything on TorchSharp).";
        o.Layer.Description = "Layer for CAM methods: an ONNX node output name (see 'sightline explain --list-layers').";
        o.BatchSize.Description = "Rows per model call, shared by the method and the metrics (their perturbation steps of all samples of a chunk share calls); 0 = automatic from a 256 MiB budget.";
        o.Chunk.Description = "Samples per metric batch: explained, scored and committed together (the unit of resuming; Quantus's batch_size).";
        o.Seed.Description = "Seed of stochastic methods and metrics (each metric draws per sample from (seed, metric, index), so scores do not depend on --chunk or --batch-size).";
        o.Force.Description = "Recompute even when --out is already complete (or partly done) for the same command and data.";
    }

    /// <summary>The model, input and method options.</summary>
    public ExplainOptionSet Explain { get; } = new(evaluate: true);

    /// <summary><c>--saliency</c>.</summary>
    public Option<string?> Saliency { get; } = new("--saliency") { Description = "Attributions to score: NPY of N×H×W, N×1×H×W or N×C×H×W float at input resolution (e.g. from 'sightline explain').", HelpName = "S.npy" };

    /// <summary><c>--masks</c>.</summary>
    public Option<string?> Masks { get; } = new("--masks") { Description = "Ground-truth masks for the localisation metrics: NPY of N×H×W (or N×1×H×W) 0/1 or bool.", HelpName = "M.npy" };

    /// <summary><c>--metrics</c>.</summary>
    public Option<string?> Metrics { get; } = new("--metrics") { Description = "Metrics: comma-separated names, a family (faithfulness, robustness, complexity, randomisation, axiomatic, localisation) or all; see --list-metrics. A family word wins over a metric of the same name: metric:complexity is the entropy metric alone.", HelpName = "a,b|all|family" };

    /// <summary><c>--param</c>.</summary>
    public Option<string[]> Param { get; } = new("--param") { Description = "A metric option, repeatable: METRIC.KEY=VALUE (KEY is the Quantus argument name, e.g. pixel_flipping.features_in_step=4); *.KEY=VALUE sets KEY for every chosen metric that has it.", HelpName = "METRIC.KEY=VALUE", AllowMultipleArgumentsPerToken = false };

    /// <summary><c>--target</c>.</summary>
    public Option<string?> Target { get; } = new("--target") { Description = "The class explained and scored: 'label' (default when --labels is given, Quantus's y_batch), 'predicted' (default otherwise) or a class id.", HelpName = "predicted|label|ID" };

    /// <summary>The model/input options (first in --help).</summary>
    public IEnumerable<Option> Head => Explain.Head;

    /// <summary>The attribution and metric options.</summary>
    public IEnumerable<Option> Scoring => [Saliency, Masks, Metrics, Param, Target];

    /// <summary>The method, back-end and preprocessing options (last in --help).</summary>
    public IEnumerable<Option> Tail => Explain.Tail;

    /// <summary>The chosen metrics with their <c>--param</c> settings bound.</summary>
    /// <exception cref="InputDataException">No --metrics, an unknown metric, a bad setting.</exception>
    public IReadOnlyList<IEvaluationMetric> ReadMetrics(ParseResult parse)
    {
        var entries = MetricCatalogue.ParseEvaluate(parse.GetValue(Metrics) ?? throw new InputDataException("--metrics is required: names (e.g. sparseness,iou), a family or all; see 'sightline evaluate --list-metrics'."));
        return MetricParameters.BindAll(entries, parse.GetValue(Param) ?? [], "--param");
    }
}

/// <summary>What a run of the evaluation pipeline computes and writes (<see cref="EvaluationRun.Execute"/>).</summary>
internal sealed record EvaluationRunSpec
{
    /// <summary>The command's name, for the progress line (<c>evaluate</c>, <c>qge-check</c>, …).</summary>
    public required string Command { get; init; }

    /// <summary>The metrics (already wrapped, e.g. with QGE).</summary>
    public required IReadOnlyList<IEvaluationMetric> Metrics { get; init; }

    /// <summary>The option naming the per-sample rows (the resumable store).</summary>
    public string RowsOption { get; init; } = "--out";

    /// <summary>The per-sample rows (.csv, .json or .parquet): the resumable store.</summary>
    public required string RowsPath { get; init; }

    /// <summary>Further outputs written when the rows are complete (option, path); null paths are left out.</summary>
    public IReadOnlyList<(string Option, string? Path)> Outputs { get; init; } = [];

    /// <summary>Settings the run signature covers beyond the data, the model, the method and the metrics.</summary>
    public IReadOnlyList<string> Signature { get; init; } = [];

    /// <summary>The metrics need the model's gradients although their metadata does not say so (the sanity tests' extra-evidence test).</summary>
    public bool Gradients { get; init; }

    /// <summary>Writes the further outputs from the complete rows (called inside the store's commit).</summary>
    public Action<EvaluationRunResult>? Write { get; init; }

    /// <summary>Lines printed after a run that computed (not after "already complete"), from the complete rows.</summary>
    public Func<EvaluationRunResult, IEnumerable<string>>? Report { get; init; }
}

/// <summary>The complete rows of a run and how it was set up, for the outputs written from them.</summary>
/// <param name="Table">The per-sample rows.</param>
/// <param name="Curves">The curve values (N × layout's curve width).</param>
/// <param name="Layout">The columns and curves of the metrics.</param>
/// <param name="Failed">Samples that failed.</param>
/// <param name="Settings">The run's settings as text (model, method, saliency, masks, target, seed, chunk, backend).</param>
internal sealed record EvaluationRunResult(ResultTable Table, float[] Curves, EvaluationLayout Layout, int Failed, IReadOnlyDictionary<string, string> Settings);

/// <summary>
/// Runs the evaluation pipeline for a command: opens the model (ONNX Runtime forward, TorchSharp gradients when needed),
/// the inputs, the attributions (--saliency or --method) and masks, checks every input and output path, and streams the
/// samples through <see cref="EvaluationPipeline"/> into a resumable <see cref="EvaluationRowStore"/> signed by the content
/// of every input and every setting; when the rows are complete it writes them and the command's further outputs.
/// </summary>
internal static class EvaluationRun
{
    /// <summary>Runs <paramref name="spec"/>; returns the exit code (0, or 1 when samples failed).</summary>
    /// <exception cref="InputDataException">A missing or bad input, option or path.</exception>
    public static int Execute(CliContext context, ParseResult parse, EvaluationOptions options, EvaluationRunSpec spec)
    {
        var o = options.Explain;
        var modelPath = parse.GetValue(o.Model) ?? throw new InputDataException("--model m.onnx is required.");
        if (!File.Exists(modelPath)) throw new InputDataException($"{modelPath}: model file not found.");
        var chosen = spec.Metrics;
        var outPath = spec.RowsPath;
        ResultWriter.FormatOf(outPath);
        var saliencyPath = parse.GetValue(options.Saliency);
        var methodName = parse.GetValue(o.Method);
        if (saliencyPath is null && methodName is null)
            throw new InputDataException("Give the attributions to score (--saliency S.npy) or a method to compute them (--method NAME).");
        var masksPath = parse.GetValue(options.Masks);
        EvaluationPipeline.CheckNeeds(chosen.Select(m => m.Info), masksPath is not null, methodName is not null, model: true);
        var explainerOptions = o.ReadExplainerOptions(parse);
        var explainer = methodName is null ? null : ExplainerCatalog.Create(methodName, explainerOptions);
        var (modelConfig, configPath) = o.ReadConfig(parse, modelPath);
        o.Validate(parse);
        var targetText = parse.GetValue(options.Target) ?? (parse.GetValue(o.Labels) is not null ? "label" : "predicted");
        var targetRule = TargetRule.Parse(targetText);
        var plan = o.PlanInputs(parse, new PathPlan(), modelPath, configPath).Input("--saliency", saliencyPath).Input("--masks", masksPath)
            .Output(spec.RowsOption, outPath);
        foreach (var (option, path) in spec.Outputs) plan.Output(option, path);
        var settings = o.ReadSettings(parse);

        bool needGradients = spec.Gradients || explainer?.NeedsGradients == true || chosen.Any(m => m.Info.Needs.HasFlag(MetricNeeds.Gradients));
        var backend = parse.GetValue(o.Backend)!;
        if (backend == "onnxruntime" && needGradients)
            throw new InputDataException($"--backend onnxruntime serves forward passes only; {(explainer?.NeedsGradients == true ? $"method '{explainer.Name}'" : spec.Gradients ? $"{spec.Command}" : $"metric '{chosen.First(m => m.Info.Needs.HasFlag(MetricNeeds.Gradients)).Name}'")} needs gradients: use --backend torch (or auto).");
        using var forward = ModelBackends.Open(modelPath, backend == "torch" ? "torch" : "onnxruntime", needGradients: false, modelConfig);
        using var gradient = backend != "torch" && needGradients ? ModelBackends.Open(modelPath, "torch", needGradients: true, modelConfig) : null;
        var layout = modelConfig.Layout ?? NhwcModel.Detect(forward.Model.InputShape);
        var m = NhwcModel.Wrap(forward.Model, layout);
        var explainModel = gradient is null ? m : NhwcModel.Wrap(gradient.Model, layout);
        var inputs = o.OpenInputs(parse, plan, modelConfig, configPath, modelPath, m);
        using (inputs.Disposable)
        using (var saliencySource = saliencyPath is null ? null : new NpySampleSource(saliencyPath))
        using (var maskSource = masksPath is null ? null : new NpySampleSource(masksPath))
        {
            if (explainer is not null) explainer = o.FinishExplainer(explainer, parse, explainerOptions, m, inputs);
            var request = new EvaluationRequest
            {
                Inputs = inputs.Source,
                Metrics = chosen,
                Saliency = saliencySource,
                Explainer = explainer,
                ExplainSettings = settings,
                Masks = maskSource,
                Model = m,
                ExplainModel = explainModel,
                Target = targetRule,
                Seed = settings.Seed,
                Budget = settings.Budget,
                Chunk = o.ReadChunk(parse),
            };
            var evaluationLayout = EvaluationPipeline.Prepare(request);
            var extraOutputs = spec.Outputs.Where(x => x.Path is not null).Select(x => x.Path!).ToList();
            var hashed = new List<string?>(inputs.Hashed)
            {
                saliencyPath is null ? "-" : ContentHash.OfFile(saliencyPath),
                masksPath is null ? "-" : ContentHash.OfFile(masksPath),
                string.Join(";", chosen.Select(c => c.Name + "{" + string.Join(",", MetricParameters.Describe(c.Options).Select(kv => $"{kv.Key}={kv.Value}")) + "}")),
                $"chunk={request.Chunk};seed={request.Seed}",
            };
            hashed.AddRange(spec.Signature);
            var signature = ExplainOptionSet.Signature(modelPath, methodName ?? "-", explainerOptions, settings, targetText, parse.GetValue(o.Baseline)!,
                parse.GetValue(o.Images) ?? parse.GetValue(o.Inputs)!, inputs.Preprocessing, hashed);
            var clock = Stopwatch.StartNew();
            using var store = EvaluationRowStore.Open(outPath, evaluationLayout, inputs.Source.Count, signature, parse.GetValue(o.Force), extraOutputs);
            int n = inputs.Source.Count;
            if (store.IsComplete)
            {
                context.Out.WriteLine($"Already complete: {outPath} holds all {n} rows for this command and data (--force recomputes){FailedNote(store.Failed, outPath)}.");
                return store.Failed > 0 ? Failed(context, store.Failed, n, outPath) : ExitCodes.Ok;
            }
            int resumed = store.Done;
            var settingsText = new Dictionary<string, string>
            {
                ["model"] = modelPath,
                ["method"] = methodName ?? "none (--saliency)",
                ["saliency"] = saliencyPath ?? "none",
                ["masks"] = masksPath ?? "none",
                ["target"] = targetText,
                ["seed"] = settings.Seed.ToString(CultureInfo.InvariantCulture),
                ["chunk"] = request.Chunk.ToString(CultureInfo.InvariantCulture),
                ["backend"] = gradient is null ? forward.Backend : $"{forward.Backend} (forward), {gradient.Backend} (gradients)",
            };
            EvaluationRunResult? result = null;
            try
            {
                using (var progress = new ConsoleProgress(context, $"{spec.Command} ({string.Join(",", chosen.Select(c => c.Name))})", n))
                    EvaluationPipeline.Run(request, store, progress);
                store.Complete((table, curveValues) =>
                {
                    ResultWriter.Write(table, outPath);
                    result = new EvaluationRunResult(table, curveValues, evaluationLayout, store.Failed, settingsText);
                    spec.Write?.Invoke(result);
                });
            }
            catch (Exception e) when (store.ResumeHint is { } hint)
            {
                e.Data[ResumableStack.ResumeHintKey] = hint;
                throw;
            }
            var resumedNote = resumed > 0 ? $" (resumed: {resumed} of {n} already done)" : "";
            var extra = string.Concat(extraOutputs.Select(p => ", " + p));
            context.Out.WriteLine($"Evaluated {n} samples with {string.Join(", ", chosen.Select(c => c.Name))} in {clock.Elapsed.TotalSeconds:0.0} s{resumedNote} → {outPath}{extra}{FailedNote(store.Failed, outPath)}");
            if (spec.Report is not null && result is not null)
                foreach (var line in spec.Report(result)) context.Out.WriteLine(line);
            return store.Failed > 0 ? Failed(context, store.Failed, n, outPath) : ExitCodes.Ok;
        }
    }

    private static string FailedNote(int failed, string outPath) =>
        failed > 0 ? $"; {failed} sample{(failed == 1 ? "" : "s")} failed (NaN for every metric, reason in the reason column of {outPath})" : "";

    private static int Failed(CliContext context, int failed, int n, string outPath)
    {
        context.Error.WriteLine($"sightline: {failed} of {n} samples failed; see the reason column of {outPath}.");
        return ExitCodes.Failed;
    }
}
