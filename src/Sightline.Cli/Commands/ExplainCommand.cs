using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
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
        var model = new Option<string>("--model") { Description = "The classifier: an ONNX file (N×C×H×W or N×H×W×C float input, N×K output). A config beside it (<model>.json/.yaml or model.json/.yaml) sets preprocessing.", Required = true, HelpName = "m.onnx" };
        var config = new Option<string?>("--config") { Description = "Model config (JSON or YAML: input_size, resize, crop, mean, std, channel_order, scale, layout, labels) instead of the one beside the model.", HelpName = "FILE" };
        var images = new Option<string?>("--images") { Description = "Images: a folder with one subfolder per class, a flat folder, or a CSV of path,label.", HelpName = "DIR|CSV" };
        var inputs = new Option<string?>("--inputs") { Description = "Ready tensors instead of images: NPY of N×C×H×W float32, already preprocessed.", HelpName = "X.npy" };
        var labels = new Option<string?>("--labels") { Description = "Labels for --inputs (NPY of N integers).", HelpName = "labels.npy" };
        var method = new Option<string>("--method") { Description = $"Attribution method: {string.Join(", ", ExplainerCatalog.Names)}.", DefaultValueFactory = _ => "saliency", HelpName = "name" };
        var layer = new Option<string?>("--layer") { Description = "Layer for CAM methods: an ONNX node output name (see --list-layers).", HelpName = "NAME" };
        var listLayers = new Option<bool>("--list-layers") { Description = "Print the candidate layers with their shapes and exit (ONNX Runtime unless --backend torch)." };
        var output = new Option<string?>("--out") { Description = "Maps as NPY: N×H×W float32 at input resolution (N×C×H×W with --channel-reduce none). Feeds 'sightline align' directly.", HelpName = "maps.npy" };
        var predictions = new Option<string?>("--predictions") { Description = "Per-sample CSV (index, path, label, predicted, probability, target); default predictions.csv beside --out.", HelpName = "FILE.csv" };
        var overlays = new Option<string?>("--overlays") { Description = "Write heat-map overlays (viridis, per-image min–max, blended over the input) as PNG into this folder.", HelpName = "DIR" };
        var target = new Option<string>("--target") { Description = "What to explain: 'predicted' (default), 'label', or a class id.", DefaultValueFactory = _ => "predicted", HelpName = "predicted|label|ID" };
        var backend = new Option<string>("--backend") { Description = "Model back end: 'auto' (ONNX Runtime for methods without gradients, incl. eigencam and scorecam; TorchSharp for gradients), 'onnxruntime' or 'torch'.", DefaultValueFactory = _ => "auto", HelpName = "auto|onnxruntime|torch" };
        backend.AcceptOnlyFromAmong("auto", "onnxruntime", "torch");
        var batchSize = new Option<int>("--batch-size") { Description = "Rows per model call (integration steps, noise samples, occlusion windows, RISE masks, Score-CAM channels); 0 = automatic from a 256 MiB budget (inputs, plus the model's intermediate values for gradient methods).", DefaultValueFactory = _ => 0, HelpName = "n" };
        var chunk = new Option<int>("--chunk") { Description = "Samples explained and committed per step (the unit of resuming).", DefaultValueFactory = _ => 16, HelpName = "n" };
        var channelReduce = new Option<string>("--channel-reduce") { Description = "Channel reduction of pixel attributions: sum (signed, default), max, mean, none.", DefaultValueFactory = _ => "sum", HelpName = "sum|max|mean|none" };
        channelReduce.AcceptOnlyFromAmong("sum", "max", "mean", "none");
        var camStyle = new Option<string>("--cam-style") { Description = "CAM post-processing: gradcam (pytorch-grad-cam: ReLU, min–max, bilinear, min–max), captum (signed, unnormalised, nearest) or seed (Explanation Alignment: signed, unnormalised, bilinear with half-pixel centres).", DefaultValueFactory = _ => "gradcam", HelpName = "gradcam|captum|seed" };
        camStyle.AcceptOnlyFromAmong("gradcam", "captum", "seed");
        var noAbs = new Option<bool>("--no-abs") { Description = "saliency: keep the gradient's sign (default |∂y/∂x|)." };
        var steps = new Option<int>("--steps") { Description = "integrated_gradients: integration steps.", DefaultValueFactory = _ => 50, HelpName = "n" };
        var rule = new Option<string>("--ig-rule") { Description = "integrated_gradients: gausslegendre (Captum default), riemann_right, riemann_left, riemann_middle, riemann_trapezoid (textbook: weights 1/(n−1), halved at the ends, summing to 1), riemann_trapezoid_captum (Captum's riemann_trapezoid: the same points, weights 1/n halved at the ends, summing to (n−1)/n).", DefaultValueFactory = _ => "gausslegendre", HelpName = "rule" };
        rule.AcceptOnlyFromAmong("gausslegendre", "riemann_right", "riemann_left", "riemann_middle", "riemann_trapezoid", "riemann_trapezoid_captum");
        var baseline = new Option<string>("--baseline") { Description = "integrated_gradients baseline: zero, black (a black image after preprocessing; with --inputs, each sample's minimum value), uniform, gaussian, or FILE.npy (C×H×W, or N×C×H×W: one per sample).", DefaultValueFactory = _ => "zero", HelpName = "kind|FILE.npy" };
        var noise = new Option<double>("--noise-level") { Description = "smoothgrad: σ as a fraction of each input's value range.", DefaultValueFactory = _ => 0.15, HelpName = "σ" };
        var samples = new Option<int>("--samples") { Description = "smoothgrad: noisy samples per input.", DefaultValueFactory = _ => 25, HelpName = "n" };
        var window = new Option<int>("--window") { Description = "occlusion: window side in pixels.", DefaultValueFactory = _ => 8, HelpName = "px" };
        var stride = new Option<int>("--stride") { Description = "occlusion: stride in pixels.", DefaultValueFactory = _ => 4, HelpName = "px" };
        var occBaseline = new Option<float>("--occlusion-baseline") { Description = "occlusion: value written into the window (model-input space).", DefaultValueFactory = _ => 0f, HelpName = "v" };
        var riseMasks = new Option<int>("--rise-masks") { Description = "rise: number of random masks.", DefaultValueFactory = _ => 2000, HelpName = "n" };
        var riseP = new Option<double>("--rise-p") { Description = "rise: probability that a grid cell is kept.", DefaultValueFactory = _ => 0.5, HelpName = "p" };
        var riseCell = new Option<int>("--rise-cell") { Description = "rise: mask grid size (cells per side).", DefaultValueFactory = _ => 8, HelpName = "s" };
        var seed = new Option<int>("--seed") { Description = "Seed of stochastic methods (smoothgrad, rise, random baselines).", DefaultValueFactory = _ => 0 };
        var resize = new Option<string?>("--resize") { Description = "Resize the shorter side to this many pixels ('none' to skip); overrides the model config. With --crop, must end at the model's input size.", HelpName = "px|none" };
        var crop = new Option<string?>("--crop") { Description = "Centre-crop side ('none' to skip); overrides the model config. Must equal the model's input size.", HelpName = "px|none" };
        var mean = new Option<string?>("--mean") { Description = "Per-channel mean after scaling, e.g. 0.485,0.456,0.406 (ImageNet default); one value or one per channel.", HelpName = "m,m,m" };
        var std = new Option<string?>("--std") { Description = "Per-channel std (> 0), e.g. 0.229,0.224,0.225 (ImageNet default); one value or one per channel.", HelpName = "s,s,s" };
        var channelOrder = new Option<string?>("--channel-order") { Description = "Channel order fed to the model: rgb (default) or bgr.", HelpName = "rgb|bgr" };
        var force = new Option<bool>("--force") { Description = "Recompute even when --out is already complete (or partly done) for the same command and data." };

        var command = new Command("explain", "Explain an ONNX image classifier: attribution maps (N×H×W NPY), predictions.csv and optional overlays.")
        {
            model, config, images, inputs, labels, method, layer, listLayers, output, predictions, overlays, target, backend, batchSize, chunk,
            channelReduce, camStyle, noAbs, steps, rule, baseline, noise, samples, window, stride, occBaseline, riseMasks, riseP, riseCell, seed,
            resize, crop, mean, std, channelOrder, force,
        };

        command.SetAction(parse =>
        {
            var modelPath = parse.GetValue(model)!;
            if (!File.Exists(modelPath)) throw new InputDataException($"{modelPath}: model file not found.");
            var methodName = parse.GetValue(method)!;
            var options = new ExplainerOptions
            {
                Layer = parse.GetValue(layer),
                SaliencyAbsolute = !parse.GetValue(noAbs),
                IntegratedGradients = new IntegratedGradientsOptions { Steps = Positive(parse.GetValue(steps), "--steps"), Rule = ParseRule(parse.GetValue(rule)!) },
                SmoothGrad = new SmoothGradOptions(parse.GetValue(noise), Positive(parse.GetValue(samples), "--samples")),
                Occlusion = new OcclusionOptions(Positive(parse.GetValue(window), "--window"), Positive(parse.GetValue(stride), "--stride"), parse.GetValue(occBaseline)),
                Rise = new RiseOptions(Positive(parse.GetValue(riseMasks), "--rise-masks"), parse.GetValue(riseP), Positive(parse.GetValue(riseCell), "--rise-cell")),
            };
            bool listing = parse.GetValue(listLayers);
            var explainer = listing ? null : ExplainerCatalog.Create(methodName, options);
            var configPath = parse.GetValue(config);
            if (configPath is not null && !File.Exists(configPath)) throw new InputDataException($"--config {configPath}: file not found.");
            configPath ??= Sightline.Onnx.Runtime.ModelConfig.FindFor(modelPath);
            var modelConfig = configPath is null ? Sightline.Onnx.Runtime.ModelConfig.Default : Sightline.Onnx.Runtime.ModelConfig.Load(configPath);
            using var loaded = ModelBackends.Open(modelPath, parse.GetValue(backend)!, needGradients: !listing && explainer!.NeedsGradients, modelConfig);
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
            if (parse.GetValue(inputs) is not null && parse.GetValue(images) is not null)
                throw new InputDataException("--inputs and --images both given: explain either ready tensors (--inputs X.npy) or images (--images DIR|CSV), not both.");
            if (parse.GetValue(labels) is not null && parse.GetValue(inputs) is null)
                throw new InputDataException("--labels applies to --inputs X.npy; image labels come from the class folders or the CSV of --images.");
            if (parse.GetValue(batchSize) < 0) throw new InputDataException($"--batch-size {parse.GetValue(batchSize)}: give a positive number of rows per model call, or 0 for automatic.");
            if (!(parse.GetValue(noise) >= 0) || !double.IsFinite(parse.GetValue(noise)))
                throw new InputDataException($"--noise-level {parse.GetValue(noise).ToString(CultureInfo.InvariantCulture)}: σ is a fraction of the input's value range, ≥ 0 (default 0.15).");
            if (!(parse.GetValue(riseP) > 0 && parse.GetValue(riseP) <= 1))
                throw new InputDataException($"--rise-p {parse.GetValue(riseP).ToString(CultureInfo.InvariantCulture)}: the probability that a cell is kept lies in (0, 1].");
            if (!float.IsFinite(parse.GetValue(occBaseline))) throw new InputDataException("--occlusion-baseline must be a finite number.");
            var baselineFile = parse.GetValue(baseline) is { } bt && bt.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) ? bt : null;
            var plan = new PathPlan()
                .Input("--model", modelPath).Input("--config", configPath).Input("--inputs", parse.GetValue(inputs)).Input("--labels", parse.GetValue(labels))
                .Input("--images", parse.GetValue(images)).Input("--baseline", baselineFile)
                .Output("--out", outPath).Output("--predictions", predPath).OutputFolder("--overlays", parse.GetValue(overlays));

            var settings = new ExplainSettings
            {
                BatchSize = parse.GetValue(batchSize),
                ChannelReduce = Enum.Parse<ChannelReduce>(parse.GetValue(channelReduce)!, ignoreCase: true),
                CamStyle = parse.GetValue(camStyle) switch { "captum" => CamStyle.Captum, "seed" => CamStyle.Seed, _ => CamStyle.GradCam },
                Seed = parse.GetValue(seed),
            };
            // Everything downstream (images, --inputs, explainers, maps) works in C×H×W; an N×H×W×C model is adapted.
            var m = NhwcModel.Wrap(loaded.Model, modelConfig.Layout ?? NhwcModel.Detect(loaded.Model.InputShape));
            IInputSource source;
            IDisposable? disposable = null;
            Preprocessing? pre = null;
            var hashed = new List<string?>();
            if (parse.GetValue(inputs) is { } inputsPath)
            {
                var labelsPath = parse.GetValue(labels);
                var lab = labelsPath is not null ? Sightline.Alignment.NpySampleSource.ReadIntegers(labelsPath) : null;
                plan.Check();
                var npy = new NpyInputSource(inputsPath, lab);
                source = npy;
                disposable = npy;
                hashed.Add(ContentHash.OfFile(inputsPath));
                hashed.Add(labelsPath is null ? null : ContentHash.OfFile(labelsPath));
            }
            else if (parse.GetValue(images) is { } imagesPath)
            {
                pre = ModelPreprocessing.For(modelConfig, m, configPath ?? modelPath);
                pre = Override(pre, parse.GetValue(resize), parse.GetValue(crop), parse.GetValue(mean), parse.GetValue(std), parse.GetValue(channelOrder));
                CheckSize(pre, m.InputShape[1], m.InputShape[2]);
                var dataset = ImageDataset.Open(imagesPath, modelConfig.Labels);
                plan.Inputs("--images", dataset.Items.Select(i => i.Path)).Check();
                source = new ImageInputSource(dataset, pre, m.InputShape[1], m.InputShape[2]);
                // Names and labels in order, then the bytes of every image (a file that cannot be read is a per-sample failure, not part of the signature).
                hashed.AddRange(dataset.Items.Select(i => $"{i.Path}:{i.Label}"));
                hashed.Add(ContentHash.OfFiles(dataset.Items.Select(i => i.Path).Where(File.Exists)));
            }
            else throw new InputDataException("Give --images DIR (or CSV) or --inputs X.npy.");
            if (source.Count == 0)
            {
                (source as IDisposable)?.Dispose();
                throw new InputDataException($"no samples in {parse.GetValue(inputs) ?? parse.GetValue(images)}: nothing to explain.");
            }

            using (disposable)
            {
                var baselineText = parse.GetValue(baseline)!;
                if (explainer is IntegratedGradients)
                {
                    var igOptions = options.IntegratedGradients with { Baseline = ParseBaseline(baselineText, out var file) };
                    if (file is not null)
                    {
                        igOptions = igOptions with { BaselineValues = ReadBaseline(file, m.InputShape, source.Count) };
                        hashed.Add(ContentHash.OfFile(file));
                    }
                    if (igOptions.Baseline == BaselineKind.Black && pre is not null)
                        igOptions = igOptions with { BlackValues = [.. Enumerable.Range(0, m.InputShape[0]).Select(c => (0f - pre.Mean[Math.Min(c, pre.Mean.Length - 1)]) / pre.Std[Math.Min(c, pre.Std.Length - 1)])] };
                    explainer = new IntegratedGradients(igOptions);
                }
                var signature = Signature(modelPath, methodName, options, settings, parse.GetValue(target)!, baselineText, parse.GetValue(images) ?? parse.GetValue(inputs)!, pre, hashed);
                ExplainSummary summary;
                using (var progress = new ConsoleProgress(context, $"explain ({methodName})", source.Count))
                    summary = ExplainRun.Run(m, explainer!, source, TargetRule.Parse(parse.GetValue(target)!), settings, outPath, predPath,
                        parse.GetValue(overlays), signature, Positive(parse.GetValue(chunk), "--chunk"), progress, force: parse.GetValue(force));
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

    private static int Positive(int v, string name) => v > 0 ? v : throw new InputDataException($"{name} must be a positive integer.");

    private static IntegrationRule ParseRule(string s) => s switch
    {
        "riemann_right" => IntegrationRule.RiemannRight,
        "riemann_left" => IntegrationRule.RiemannLeft,
        "riemann_middle" => IntegrationRule.RiemannMiddle,
        "riemann_trapezoid" => IntegrationRule.RiemannTrapezoid,
        "riemann_trapezoid_captum" => IntegrationRule.RiemannTrapezoidCaptum,
        _ => IntegrationRule.GaussLegendre,
    };

    private static BaselineKind ParseBaseline(string s, out string? file)
    {
        file = null;
        switch (s.ToLowerInvariant())
        {
            case "zero": return BaselineKind.Zero;
            case "black": return BaselineKind.Black;
            case "uniform": return BaselineKind.Uniform;
            case "gaussian": return BaselineKind.Gaussian;
        }
        if (s.EndsWith(".npy", StringComparison.OrdinalIgnoreCase)) { file = s; return BaselineKind.File; }
        throw new InputDataException($"--baseline '{s}': use zero, black, uniform, gaussian or a FILE.npy.");
    }

    private static Preprocessing Override(Preprocessing p, string? resize, string? crop, string? mean, string? std, string? order)
    {
        int? Size(string? s, int? current, string name) => s is null ? current
            : s.Equals("none", StringComparison.OrdinalIgnoreCase) ? null
            : int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v > 0 ? v
            : throw new InputDataException($"{name} '{s}': a positive pixel count or 'none'.");
        float[] Floats(string s, string name, bool positive)
        {
            var values = s.Split(',').Select(x => float.TryParse(x, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && float.IsFinite(f) ? f
                : throw new InputDataException($"{name} '{s}': comma-separated numbers.")).ToArray();
            if (values.Length != 1 && values.Length != p.Channels)
                throw new InputDataException($"{name} '{s}': {values.Length} values, but the model takes {p.Channels} channel{(p.Channels == 1 ? "" : "s")}; give one value or one per channel.");
            if (positive && values.Any(v => !(v > 0))) throw new InputDataException($"{name} '{s}': values must be positive.");
            return values;
        }
        var r = p;
        // --resize/--crop replace the config's geometry, including the default of resizing straight to the model's size.
        if (resize is not null || crop is not null) r = r with { Size = null, Resize = Size(resize, p.Resize, "--resize"), Crop = Size(crop, p.Crop, "--crop") };
        if (mean is not null) r = r with { Mean = Floats(mean, "--mean", positive: false) };
        if (std is not null) r = r with { Std = Floats(std, "--std", positive: true) };
        if (order is not null) r = r with { ChannelOrder = order is "rgb" or "bgr" ? order : throw new InputDataException("--channel-order: rgb or bgr.") };
        return r;
    }

    /// <summary>A resize/crop that cannot end at the model's input size is an error naming both sizes.</summary>
    private static void CheckSize(Preprocessing p, int h, int w)
    {
        if (p.Size is { Length: 2 } s)
        {
            if (s[0] != h || s[1] != w) throw new InputDataException($"Images are resized to {s[0]}×{s[1]}, but the model takes {h}×{w}.");
            return;
        }
        if (p.Crop is int c)
        {
            if (c != h || c != w) throw new InputDataException($"--crop/crop {c} gives {c}×{c} images, but the model takes {h}×{w}; crop to the model's size.");
            if (p.Resize is int r && r < c) throw new InputDataException($"--resize/resize {r} is smaller than the crop {c}×{c} the model takes ({h}×{w}); resize to at least {c}.");
            return;
        }
        if (p.Resize is int only && (only != h || only != w))
            throw new InputDataException($"--resize/resize {only} without a crop gives {only}×(longer side) images, but the model takes {h}×{w}; add --crop {Math.Min(h, w)}.");
    }

    /// <summary>Reads a baseline NPY: C×H×W (shared) or N×C×H×W (one per sample), checked against the model and the data.</summary>
    private static float[] ReadBaseline(string file, IReadOnlyList<int> input, int samples)
    {
        if (!File.Exists(file)) throw new InputDataException($"--baseline {file}: file not found.");
        using var r = Sightline.IO.NpyReader.Open(file);
        var s = r.Shape;
        bool chw = s.Length == 3 && s.SequenceEqual(input);
        bool nchw = s.Length == 4 && s.Skip(1).SequenceEqual(input) && (s[0] == samples || s[0] == 1);
        if (!chw && !nchw)
            throw new InputDataException($"--baseline {file}: shape ({string.Join(", ", s)}); expected {string.Join("×", input)} (C×H×W) or {samples}×{string.Join("×", input)} (one per sample).");
        return r.ReadAll<float>();
    }

    private static string Signature(string model, string method, ExplainerOptions o, ExplainSettings s, string target, string baseline, string data, Preprocessing? pre, IEnumerable<string?> hashed)
    {
        var text = string.Join("|", ContentHash.OfFile(model), method, o, s with { BatchSize = 0, MemoryBudgetBytes = 0 }, target, baseline, Path.GetFullPath(data), pre?.ToString() ?? "tensors");
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes(text));
        foreach (var h in hashed) sha.AppendData(Encoding.UTF8.GetBytes("|" + (h ?? "-")));
        return Convert.ToHexString(sha.GetHashAndReset());
    }
}
