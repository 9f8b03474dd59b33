using System.CommandLine;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Sightline.Alignment;
using Sightline.Evaluation;
using Sightline.Explainers;
using Sightline.IO;
using Sightline.Metrics;
using Sightline.Models;
using Sightline.Results;

namespace Sightline.Cli.Commands;

/// <summary>
/// <c>sightline evaluate</c>: scores attributions (given as NPY or computed with a method) of an ONNX classifier with
/// the metric catalogue, one row per sample, resumable; optional curves (NPZ) and summary (JSON).
/// </summary>
public static class EvaluateCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Build(CliContext context)
    {
        var o = new ExplainOptionSet(evaluate: true);
        o.Model.Description = "The classifier: an ONNX file (N×C×H×W or N×H×W×C float input, N×K output). Forward passes run on ONNX Runtime; a config beside it (<model>.json/.yaml or model.json/.yaml) sets preprocessing for --images.";
        o.Method.Description = $"Compute the attributions with this method (instead of --saliency), and re-explain with it for the metrics that need it (robustness, randomisation): {string.Join(", ", ExplainerCatalog.Names)}.";
        o.Backend.Description = "Model back end: 'auto' (ONNX Runtime for forward passes; TorchSharp for the method and the metrics when they need gradients), 'onnxruntime' or 'torch' (everything on TorchSharp).";
        o.Layer.Description = "Layer for CAM methods: an ONNX node output name (see 'sightline explain --list-layers').";
        o.BatchSize.Description = "Rows per model call, shared by the method and the metrics (their perturbation steps of all samples of a chunk share calls); 0 = automatic from a 256 MiB budget.";
        o.Chunk.Description = "Samples per metric batch: explained, scored and committed together (the unit of resuming; Quantus's batch_size).";
        o.Seed.Description = "Seed of stochastic methods and metrics (each metric draws per sample from (seed, metric, index), so scores do not depend on --chunk or --batch-size).";
        o.Force.Description = "Recompute even when --out is already complete (or partly done) for the same command and data.";
        var saliency = new Option<string?>("--saliency") { Description = "Attributions to score: NPY of N×H×W, N×1×H×W or N×C×H×W float at input resolution (e.g. from 'sightline explain').", HelpName = "S.npy" };
        var masks = new Option<string?>("--masks") { Description = "Ground-truth masks for the localisation metrics: NPY of N×H×W (or N×1×H×W) 0/1 or bool.", HelpName = "M.npy" };
        var metrics = new Option<string?>("--metrics") { Description = "Metrics: comma-separated names, a family (faithfulness, robustness, complexity, randomisation, axiomatic, localisation) or all; see --list-metrics. A family word wins over a metric of the same name: metric:complexity is the entropy metric alone.", HelpName = "a,b|all|family" };
        var param = new Option<string[]>("--param") { Description = "A metric option, repeatable: METRIC.KEY=VALUE (KEY is the Quantus argument name, e.g. pixel_flipping.features_in_step=4); *.KEY=VALUE sets KEY for every chosen metric that has it.", HelpName = "METRIC.KEY=VALUE", AllowMultipleArgumentsPerToken = false };
        var target = new Option<string?>("--target") { Description = "The class explained and scored: 'label' (default when --labels is given, Quantus's y_batch), 'predicted' (default otherwise) or a class id.", HelpName = "predicted|label|ID" };
        var output = new Option<string?>("--out") { Description = "Scores, one row per sample (index, target, one column per metric column, reason): .csv, .json or .parquet.", HelpName = "scores.csv" };
        var curves = new Option<string?>("--curves") { Description = "Also write the curve metrics' per-sample curves as NPZ (one N×steps float32 array per curve metric, named by the metric).", HelpName = "curves.npz" };
        var summary = new Option<string?>("--summary") { Description = "Also write a JSON summary: per metric column mean, std, median, bootstrap 95% CI, n, NaN count, direction; and the settings (model, method, seed, every metric's options).", HelpName = "summary.json" };
        var listMetrics = new Option<bool>("--list-metrics") { Description = "Print the metric catalogue (name, family, direction, needs, cost in model rows per sample, parameters with defaults) and exit." };

        var command = new Command("evaluate", "Score attributions of an ONNX image classifier with the metric catalogue (Quantus's families and align's localisation metrics): one row per sample, resumable.");
        foreach (var option in o.Head) command.Add(option);
        foreach (var option in new Option[] { saliency, masks, metrics, param, target, output, curves, summary, listMetrics }) command.Add(option);
        foreach (var option in o.Tail) command.Add(option);
        var qgeOptions = new QgeCliOptions();
        qgeOptions.AddTo(command);

        command.SetAction(parse =>
        {
            if (parse.GetValue(listMetrics))
            {
                foreach (var line in CatalogueTable()) context.Out.WriteLine(line);
                return ExitCodes.Ok;
            }
            var modelPath = parse.GetValue(o.Model) ?? throw new InputDataException("--model m.onnx is required (unless --list-metrics).");
            if (!File.Exists(modelPath)) throw new InputDataException($"{modelPath}: model file not found.");
            var entries = MetricCatalogue.ParseEvaluate(parse.GetValue(metrics) ?? throw new InputDataException("--metrics is required: names (e.g. sparseness,iou), a family or all; see --list-metrics."));
            var chosen = BindParameters(entries, parse.GetValue(param) ?? []);
            var qge = qgeOptions.Parse(parse);
            if (qge is not null) chosen = [.. chosen.Select(c => (IEvaluationMetric)new Sightline.Evaluation.Qge.QgeMetric(c, qge))];
            var outPath = parse.GetValue(output) ?? throw new InputDataException("--out scores.csv (or .json, .parquet) is required.");
            ResultWriter.FormatOf(outPath);
            var curvesPath = parse.GetValue(curves);
            if (curvesPath is not null && !curvesPath.EndsWith(".npz", StringComparison.OrdinalIgnoreCase))
                throw new InputDataException($"--curves {curvesPath}: curves are written as NPZ; give a .npz file name.");
            var summaryPath = parse.GetValue(summary);
            if (summaryPath is not null && !summaryPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
                throw new InputDataException($"--summary {summaryPath}: the summary is JSON; give a .json file name.");
            var saliencyPath = parse.GetValue(saliency);
            var methodName = parse.GetValue(o.Method);
            if (saliencyPath is null && methodName is null)
                throw new InputDataException("Give the attributions to score (--saliency S.npy) or a method to compute them (--method NAME).");
            var masksPath = parse.GetValue(masks);
            EvaluationPipeline.CheckNeeds(chosen.Select(m => m.Info), masksPath is not null, methodName is not null, model: true);
            var options = o.ReadExplainerOptions(parse);
            var explainer = methodName is null ? null : ExplainerCatalog.Create(methodName, options);
            var (modelConfig, configPath) = o.ReadConfig(parse, modelPath);
            o.Validate(parse);
            var targetText = parse.GetValue(target) ?? (parse.GetValue(o.Labels) is not null ? "label" : "predicted");
            var targetRule = TargetRule.Parse(targetText);
            var plan = o.PlanInputs(parse, new PathPlan(), modelPath, configPath).Input("--saliency", saliencyPath).Input("--masks", masksPath)
                .Output("--out", outPath).Output("--curves", curvesPath).Output("--summary", summaryPath);
            var settings = o.ReadSettings(parse);

            bool needGradients = explainer?.NeedsGradients == true || chosen.Any(m => m.Info.Needs.HasFlag(MetricNeeds.Gradients));
            var backend = parse.GetValue(o.Backend)!;
            if (backend == "onnxruntime" && needGradients)
                throw new InputDataException($"--backend onnxruntime serves forward passes only; {(explainer?.NeedsGradients == true ? $"method '{explainer.Name}'" : $"metric '{chosen.First(m => m.Info.Needs.HasFlag(MetricNeeds.Gradients)).Name}'")} needs gradients: use --backend torch (or auto).");
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
                if (explainer is not null) explainer = o.FinishExplainer(explainer, parse, options, m, inputs);
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
                var hashed = new List<string?>(inputs.Hashed)
                {
                    saliencyPath is null ? "-" : ContentHash.OfFile(saliencyPath),
                    masksPath is null ? "-" : ContentHash.OfFile(masksPath),
                    string.Join(";", chosen.Select(c => c.Name + "{" + string.Join(",", MetricParameters.Describe(c.Options).Select(kv => $"{kv.Key}={kv.Value}")) + "}")),
                    $"chunk={request.Chunk};seed={request.Seed};curves={curvesPath is not null};summary={summaryPath is not null}",
                    qge is null ? "qge=none" : $"qge={qge}",
                };
                var signature = ExplainOptionSet.Signature(modelPath, methodName ?? "-", options, settings, targetText, parse.GetValue(o.Baseline)!,
                    parse.GetValue(o.Images) ?? parse.GetValue(o.Inputs)!, inputs.Preprocessing, hashed);
                var required = new[] { curvesPath, summaryPath }.Where(p => p is not null).Select(p => p!).ToList();
                var clock = Stopwatch.StartNew();
                using var store = EvaluationRowStore.Open(outPath, evaluationLayout, inputs.Source.Count, signature, parse.GetValue(o.Force), required);
                int n = inputs.Source.Count;
                if (store.IsComplete)
                {
                    context.Out.WriteLine($"Already complete: {outPath} holds all {n} rows for this command and data (--force recomputes){FailedNote(store.Failed, outPath)}.");
                    return store.Failed > 0 ? Failed(context, store.Failed, n, outPath) : ExitCodes.Ok;
                }
                int resumed = store.Done;
                try
                {
                    using (var progress = new ConsoleProgress(context, $"evaluate ({string.Join(",", chosen.Select(c => c.Name))})", n))
                        EvaluationPipeline.Run(request, store, progress);
                    store.Complete((table, curveValues) =>
                    {
                        ResultWriter.Write(table, outPath);
                        if (curvesPath is not null) WriteCurves(curvesPath, evaluationLayout, curveValues, n);
                        if (summaryPath is not null)
                        {
                            var settingsText = new Dictionary<string, string>
                            {
                                ["model"] = modelPath,
                                ["method"] = methodName ?? "none (--saliency)",
                                ["saliency"] = saliencyPath ?? "none",
                                ["masks"] = masksPath ?? "none",
                                ["target"] = targetText,
                                ["seed"] = settings.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
                                ["chunk"] = request.Chunk.ToString(System.Globalization.CultureInfo.InvariantCulture),
                                ["qge"] = qge is null ? "none" : MetricParameters.SnakeCase(qge.Method.ToString()),
                                ["qge_normalise"] = (qge?.NormaliseSign ?? false) ? "true" : "false",
                                ["random_baseline"] = (qge?.RandomBaseline ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture),
                                ["random_ranking"] = qge is { Ranking: Sightline.Evaluation.Qge.RankingKind.Chunky } rq ? $"chunky:{rq.Chunk}" : "random",
                                ["qge_pool"] = (qge?.Pool ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture),
                                ["backend"] = gradient is null ? forward.Backend : $"{forward.Backend} (forward), {gradient.Backend} (gradients)",
                            };
                            EvaluationSummary.Build(table, evaluationLayout, store.Failed).WriteJson(summaryPath, settingsText);
                        }
                    });
                }
                catch (Exception e) when (store.ResumeHint is { } hint)
                {
                    e.Data[ResumableStack.ResumeHintKey] = hint;
                    throw;
                }
                var resumedNote = resumed > 0 ? $" (resumed: {resumed} of {n} already done)" : "";
                var extra = string.Concat(new[] { curvesPath, summaryPath }.Where(p => p is not null).Select(p => ", " + p));
                context.Out.WriteLine($"Evaluated {n} samples with {string.Join(", ", chosen.Select(c => c.Name))} in {clock.Elapsed.TotalSeconds:0.0} s{resumedNote} → {outPath}{extra}{FailedNote(store.Failed, outPath)}");
                return store.Failed > 0 ? Failed(context, store.Failed, n, outPath) : ExitCodes.Ok;
            }
        });
        return command;
    }

    private static string FailedNote(int failed, string outPath) =>
        failed > 0 ? $"; {failed} sample{(failed == 1 ? "" : "s")} failed (NaN for every metric, reason in the reason column of {outPath})" : "";

    private static int Failed(CliContext context, int failed, int n, string outPath)
    {
        context.Error.WriteLine($"sightline: {failed} of {n} samples failed; see the reason column of {outPath}.");
        return ExitCodes.Failed;
    }

    /// <summary>Writes one N×length float32 array per curve metric of <paramref name="layout"/>, named by the metric.</summary>
    internal static void WriteCurves(string path, EvaluationLayout layout, float[] curves, int n)
    {
        var entries = new List<NpzEntry>();
        int offset = 0, width = layout.CurveValues;
        foreach (var (name, length) in layout.Curves)
        {
            var a = new float[n * length];
            for (int i = 0; i < n; i++) curves.AsSpan(i * width + offset, length).CopyTo(a.AsSpan(i * length, length));
            entries.Add(NpzEntry.Create(name, a, n, length));
            offset += length;
        }
        Npz.Write(path, entries);
    }

    /// <summary>
    /// Binds the <c>--param</c> settings onto the chosen metrics: <c>METRIC.KEY=VALUE</c> for one metric (which must be
    /// among --metrics), <c>*.KEY=VALUE</c> for every chosen metric that has KEY (at least one must), in command-line order.
    /// </summary>
    /// <exception cref="InputDataException">A malformed setting, a metric not chosen, a key no metric has, a bad value.</exception>
    internal static IReadOnlyList<IEvaluationMetric> BindParameters(IReadOnlyList<CatalogueEntry> entries, IReadOnlyList<string> settings) =>
        MetricParameters.BindAll(entries, settings, "--param");

    /// <summary>
    /// The catalogue as a Markdown table, one row per metric <c>evaluate</c> offers, from the classes' metadata: name,
    /// family, direction, needs, cost (model rows per sample), parameters with their defaults. The README's table is this
    /// output.
    /// </summary>
    public static IReadOnlyList<string> CatalogueTable()
    {
        var lines = new List<string>
        {
            "| metric | family | direction | needs | cost (rows/sample) | parameters (defaults) |",
            "|---|---|---|---|---|---|",
        };
        foreach (var e in MetricCatalogue.Evaluate)
        {
            var info = e.Info;
            var needs = Enum.GetValues<MetricNeeds>().Where(f => f != MetricNeeds.None && info.Needs.HasFlag(f)).Select(f => MetricParameters.SnakeCase(f.ToString())).ToList();
            if (e.Kind == MetricKind.MapMask && !needs.Contains("masks")) needs.Insert(0, "masks");
            var parameters = string.Join(", ", MetricParameters.Describe(e.DefaultOptions()).Select(kv => $"{kv.Key}={kv.Value}"));
            lines.Add($"| `{e.Name}` | {info.Family.ToString().ToLowerInvariant()} | {(info.Direction == ScoreDirection.HigherIsBetter ? "higher" : "lower")} | {(needs.Count == 0 ? "—" : string.Join(", ", needs))} | {(info.Cost.Length == 0 ? "0" : info.Cost)} | {parameters} |");
        }
        return lines;
    }
}
