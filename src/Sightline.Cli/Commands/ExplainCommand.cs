using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Sightline.Data;
using Sightline.Explainers;
using Sightline.Models;

namespace Sightline.Cli.Commands;

/// <summary><c>sightline explain</c>: attribution maps for an ONNX image classifier.</summary>
public static class ExplainCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Build(CliContext context)
    {
        var model = new Option<string>("--model") { Description = "The classifier: an ONNX file (N×C×H×W float input, N×K output). A JSON config beside it (<model>.json or model.json) sets preprocessing.", Required = true, HelpName = "m.onnx" };
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
        var rule = new Option<string>("--ig-rule") { Description = "integrated_gradients: gausslegendre (Captum default), riemann_right, riemann_left, riemann_middle, riemann_trapezoid.", DefaultValueFactory = _ => "gausslegendre", HelpName = "rule" };
        rule.AcceptOnlyFromAmong("gausslegendre", "riemann_right", "riemann_left", "riemann_middle", "riemann_trapezoid");
        var baseline = new Option<string>("--baseline") { Description = "integrated_gradients baseline: zero, black (a black image after preprocessing), uniform, gaussian, or FILE.npy.", DefaultValueFactory = _ => "zero", HelpName = "kind|FILE.npy" };
        var noise = new Option<double>("--noise-level") { Description = "smoothgrad: σ as a fraction of each input's value range.", DefaultValueFactory = _ => 0.15, HelpName = "σ" };
        var samples = new Option<int>("--samples") { Description = "smoothgrad: noisy samples per input.", DefaultValueFactory = _ => 25, HelpName = "n" };
        var window = new Option<int>("--window") { Description = "occlusion: window side in pixels.", DefaultValueFactory = _ => 8, HelpName = "px" };
        var stride = new Option<int>("--stride") { Description = "occlusion: stride in pixels.", DefaultValueFactory = _ => 4, HelpName = "px" };
        var occBaseline = new Option<float>("--occlusion-baseline") { Description = "occlusion: value written into the window (model-input space).", DefaultValueFactory = _ => 0f, HelpName = "v" };
        var riseMasks = new Option<int>("--rise-masks") { Description = "rise: number of random masks.", DefaultValueFactory = _ => 2000, HelpName = "n" };
        var riseP = new Option<double>("--rise-p") { Description = "rise: probability that a grid cell is kept.", DefaultValueFactory = _ => 0.5, HelpName = "p" };
        var riseCell = new Option<int>("--rise-cell") { Description = "rise: mask grid size (cells per side).", DefaultValueFactory = _ => 8, HelpName = "s" };
        var seed = new Option<int>("--seed") { Description = "Seed of stochastic methods (smoothgrad, rise, random baselines).", DefaultValueFactory = _ => 0 };
        var resize = new Option<string?>("--resize") { Description = "Resize the shorter side to this many pixels ('none' to skip); overrides the model config.", HelpName = "px|none" };
        var crop = new Option<string?>("--crop") { Description = "Centre-crop side ('none' to skip); overrides the model config.", HelpName = "px|none" };
        var mean = new Option<string?>("--mean") { Description = "Per-channel mean after scaling, e.g. 0.485,0.456,0.406 (ImageNet default).", HelpName = "m,m,m" };
        var std = new Option<string?>("--std") { Description = "Per-channel std, e.g. 0.229,0.224,0.225 (ImageNet default).", HelpName = "s,s,s" };
        var channelOrder = new Option<string?>("--channel-order") { Description = "Channel order fed to the model: rgb (default) or bgr.", HelpName = "rgb|bgr" };

        var command = new Command("explain", "Explain an ONNX image classifier: attribution maps (N×H×W NPY), predictions.csv and optional overlays.")
        {
            model, images, inputs, labels, method, layer, listLayers, output, predictions, overlays, target, backend, batchSize, chunk,
            channelReduce, camStyle, noAbs, steps, rule, baseline, noise, samples, window, stride, occBaseline, riseMasks, riseP, riseCell, seed,
            resize, crop, mean, std, channelOrder,
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
            using var loaded = ModelBackends.Open(modelPath, parse.GetValue(backend)!, needGradients: !listing && explainer!.NeedsGradients);
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

            var settings = new ExplainSettings
            {
                BatchSize = Math.Max(0, parse.GetValue(batchSize)),
                ChannelReduce = Enum.Parse<ChannelReduce>(parse.GetValue(channelReduce)!, ignoreCase: true),
                CamStyle = parse.GetValue(camStyle) switch { "captum" => CamStyle.Captum, "seed" => CamStyle.Seed, _ => CamStyle.GradCam },
                Seed = parse.GetValue(seed),
            };
            var m = loaded.Model;
            IInputSource source;
            IDisposable? disposable = null;
            Preprocessing? pre = null;
            if (parse.GetValue(inputs) is { } inputsPath)
            {
                var lab = parse.GetValue(labels) is { } lp ? Sightline.Alignment.NpySampleSource.ReadIntegers(lp) : null;
                var npy = new NpyInputSource(inputsPath, lab);
                source = npy;
                disposable = npy;
            }
            else if (parse.GetValue(images) is { } imagesPath)
            {
                pre = ModelBackends.Preprocessing(modelPath, m) with { };
                pre = Override(pre, parse.GetValue(resize), parse.GetValue(crop), parse.GetValue(mean), parse.GetValue(std), parse.GetValue(channelOrder));
                source = new ImageInputSource(ImageDataset.Open(imagesPath), pre, m.InputShape[1], m.InputShape[2]);
            }
            else throw new InputDataException("Give --images DIR (or CSV) or --inputs X.npy.");

            using (disposable)
            {
                var baselineText = parse.GetValue(baseline)!;
                if (explainer is IntegratedGradients)
                {
                    var igOptions = options.IntegratedGradients with { Baseline = ParseBaseline(baselineText, out var file) };
                    if (file is not null)
                    {
                        using var r = Sightline.IO.NpyReader.Open(file);
                        igOptions = igOptions with { BaselineValues = r.ReadAll<float>() };
                    }
                    if (igOptions.Baseline == BaselineKind.Black && pre is not null)
                        igOptions = igOptions with { BlackValues = [.. Enumerable.Range(0, m.InputShape[0]).Select(c => (0f - pre.Mean[Math.Min(c, pre.Mean.Length - 1)]) / pre.Std[Math.Min(c, pre.Std.Length - 1)])] };
                    explainer = new IntegratedGradients(igOptions);
                }
                var signature = Signature(modelPath, methodName, options, settings, parse.GetValue(target)!, baselineText, parse.GetValue(images) ?? parse.GetValue(inputs)!, pre);
                ExplainSummary summary;
                using (var progress = new ConsoleProgress(context, $"explain ({methodName})", source.Count))
                    summary = ExplainRun.Run(m, explainer!, source, TargetRule.Parse(parse.GetValue(target)!), settings, outPath, predPath,
                        parse.GetValue(overlays), signature, Positive(parse.GetValue(chunk), "--chunk"), progress);
                var resumedNote = summary.Resumed > 0 ? $" (resumed: {summary.Resumed} already done)" : "";
                context.Out.WriteLine($"Explained {summary.Samples} samples with {methodName} on {loaded.Backend} in {summary.Seconds:0.0} s{resumedNote} → {outPath}, {predPath}");
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
        float[] Floats(string s, string name) => [.. s.Split(',').Select(x => float.TryParse(x, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) ? f : throw new InputDataException($"{name} '{s}': comma-separated numbers."))];
        var r = p with { Resize = Size(resize, p.Resize, "--resize"), Crop = Size(crop, p.Crop, "--crop") };
        if (mean is not null) r = r with { Mean = Floats(mean, "--mean") };
        if (std is not null) r = r with { Std = Floats(std, "--std") };
        if (order is not null) r = r with { ChannelOrder = order is "rgb" or "bgr" ? order : throw new InputDataException("--channel-order: rgb or bgr.") };
        return r;
    }

    private static string Signature(string model, string method, ExplainerOptions o, ExplainSettings s, string target, string baseline, string data, Preprocessing? pre)
    {
        var info = new FileInfo(model);
        var text = string.Join("|", Path.GetFullPath(model), info.Length, info.LastWriteTimeUtc.Ticks, method, o, s with { BatchSize = 0, MemoryBudgetBytes = 0 }, target, baseline, Path.GetFullPath(data), pre);
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}
