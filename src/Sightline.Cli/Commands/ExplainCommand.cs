using System.CommandLine;
using Sightline.Data;
using Sightline.Explainers;
using Sightline.IO;
using Sightline.Models;

namespace Sightline.Cli.Commands;

/// <summary><c>sightline explain</c>: attribution maps for an ONNX image classifier.</summary>
public static class ExplainCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Build(CliContext context)
    {
        var o = new ExplainOptionSet(evaluate: false);
        var listLayers = new Option<bool>("--list-layers") { Description = "Print the candidate layers with their shapes and exit (ONNX Runtime unless --backend torch)." };
        var output = new Option<string?>("--out") { Description = "Maps as NPY: N×H×W float32 at input resolution (N×C×H×W with --channel-reduce none). Feeds 'sightline align' directly.", HelpName = "maps.npy" };
        var predictions = new Option<string?>("--predictions") { Description = "Per-sample CSV (index, path, label, predicted, probability, target); default predictions.csv beside --out.", HelpName = "FILE.csv" };
        var overlays = new Option<string?>("--overlays") { Description = "Write heat-map overlays (viridis, per-image min–max, blended over the input) as PNG into this folder.", HelpName = "DIR" };
        var target = new Option<string>("--target") { Description = "What to explain: 'predicted' (default), 'label', or a class id.", DefaultValueFactory = _ => "predicted", HelpName = "predicted|label|ID" };

        var command = new Command("explain", "Explain an ONNX image classifier: attribution maps (N×H×W NPY), predictions.csv and optional overlays.");
        foreach (var option in o.Head) command.Add(option);
        foreach (var option in new Option[] { listLayers, output, predictions, overlays, target }) command.Add(option);
        foreach (var option in o.Tail) command.Add(option);

        command.SetAction(parse =>
        {
            var modelPath = parse.GetValue(o.Model)!;
            if (!File.Exists(modelPath)) throw new InputDataException($"{modelPath}: model file not found.");
            var methodName = parse.GetValue(o.Method) ?? "saliency";
            var options = o.ReadExplainerOptions(parse);
            bool listing = parse.GetValue(listLayers);
            var explainer = listing ? null : ExplainerCatalog.Create(methodName, options);
            var (modelConfig, configPath) = o.ReadConfig(parse, modelPath);
            using var loaded = ModelBackends.Open(modelPath, parse.GetValue(o.Backend)!, needGradients: !listing && explainer!.NeedsGradients, modelConfig);
            if (listing)
            {
                var layers = ModelBackends.Layers(loaded);
                context.Out.WriteLine($"{"layer",-40}  {"operator",-20}  shape (per sample)");
                foreach (var l in layers) context.Out.WriteLine($"{l.Name,-40}  {l.Operator,-20}  {string.Join("×", l.Shape)}");
                return ExitCodes.Ok;
            }
            var outPath = parse.GetValue(output) ?? throw new InputDataException("--out maps.npy is required (unless --list-layers).");
            if (!outPath.EndsWith(".npy", StringComparison.OrdinalIgnoreCase)) throw new InputDataException($"--out {outPath}: maps are written as NPY; give a .npy file name.");
            var predPath = parse.GetValue(predictions) ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(outPath))!, "predictions.csv");
            o.Validate(parse);
            var plan = o.PlanInputs(parse, new PathPlan(), modelPath, configPath)
                .Output("--out", outPath).Output("--predictions", predPath).OutputFolder("--overlays", parse.GetValue(overlays));
            var settings = o.ReadSettings(parse);
            // Everything downstream (images, --inputs, explainers, maps) works in C×H×W; an N×H×W×C model is adapted.
            var m = NhwcModel.Wrap(loaded.Model, modelConfig.Layout ?? NhwcModel.Detect(loaded.Model.InputShape));
            var inputs = o.OpenInputs(parse, plan, modelConfig, configPath, modelPath, m);
            var source = inputs.Source;
            using (inputs.Disposable)
            {
                var baselineText = parse.GetValue(o.Baseline)!;
                explainer = o.FinishExplainer(explainer!, parse, options, m, inputs);
                var signature = ExplainOptionSet.Signature(modelPath, methodName, options, settings, parse.GetValue(target)!, baselineText, parse.GetValue(o.Images) ?? parse.GetValue(o.Inputs)!, inputs.Preprocessing, inputs.Hashed);
                ExplainSummary summary;
                using (var progress = new ConsoleProgress(context, $"explain ({methodName})", source.Count))
                    summary = ExplainRun.Run(m, explainer, source, TargetRule.Parse(parse.GetValue(target)!), settings, outPath, predPath,
                        parse.GetValue(overlays), signature, o.ReadChunk(parse), progress, force: parse.GetValue(o.Force));
                var failedNote = summary.Failed > 0 ? $"; {summary.Failed} sample{(summary.Failed == 1 ? "" : "s")} could not be read (NaN maps, reason in the error column of {predPath})" : "";
                if (summary.AlreadyComplete)
                    context.Out.WriteLine($"Already complete: {outPath} holds all {summary.Samples} maps for this command and data (--force recomputes){failedNote}.");
                else
                {
                    var resumedNote = summary.Resumed > 0 ? $" (resumed: {summary.Resumed} of {summary.Samples} already done)" : "";
                    context.Out.WriteLine($"Explained {summary.Samples} samples with {methodName} on {loaded.Backend} in {summary.Seconds:0.0} s{resumedNote} → {outPath}, {predPath}{failedNote}");
                }
                if (summary.Failed > 0)
                {
                    context.Error.WriteLine($"sightline: {summary.Failed} of {summary.Samples} samples failed; see the error column of {predPath}.");
                    return ExitCodes.Failed;
                }
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
