using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Sightline.Data;
using Sightline.Explainers;
using Sightline.IO;
using Sightline.Models;

namespace Sightline.Cli.Commands;

/// <summary>The inputs an explain or evaluate run reads: the source, what to dispose, the image preprocessing and what the signature hashes.</summary>
/// <param name="Source">The samples.</param>
/// <param name="Disposable">Owned by the caller (an open NPY), or null.</param>
/// <param name="Preprocessing">The image preprocessing (null for ready tensors).</param>
/// <param name="Hashed">Contents and names the run signature covers.</param>
internal sealed record LoadedInputs(IInputSource Source, IDisposable? Disposable, Preprocessing? Preprocessing, List<string?> Hashed);

/// <summary>
/// The options <c>explain</c> and <c>evaluate</c> share (model, inputs, method and its options, back end, budget,
/// preprocessing), declared once, with the code that reads them: explainer options, settings, inputs (tensors or
/// images, with the path plan and the content hashes of the signature) and the integrated-gradients baseline.
/// </summary>
internal sealed class ExplainOptionSet
{
    /// <summary>Declares the options; <paramref name="evaluate"/> makes --model optional (for --list-metrics), --method default to none and --chunk to 64.</summary>
    public ExplainOptionSet(bool evaluate)
    {
        Evaluate = evaluate;

        Model = new Option<string?>("--model") { Description = "The classifier: an ONNX file (N×C×H×W or N×H×W×C float input, N×K output). A config beside it (<model>.json/.yaml or model.json/.yaml) sets preprocessing.", Required = !evaluate, HelpName = "m.onnx" };
        Config = new Option<string?>("--config") { Description = "Model config (JSON or YAML: input_size, resize, crop, mean, std, channel_order, scale, layout, labels) instead of the one beside the model.", HelpName = "FILE" };
        Images = new Option<string?>("--images") { Description = "Images: a folder with one subfolder per class, a flat folder, or a CSV of path,label.", HelpName = "DIR|CSV" };
        Inputs = new Option<string?>("--inputs") { Description = "Ready tensors instead of images: NPY of N×C×H×W float32, already preprocessed.", HelpName = "X.npy" };
        Labels = new Option<string?>("--labels") { Description = "Labels for --inputs (NPY of N integers).", HelpName = "labels.npy" };
        Method = new Option<string?>("--method") { Description = $"Attribution method: {string.Join(", ", ExplainerCatalog.Names)}.", HelpName = "name" };
        if (!evaluate) Method.DefaultValueFactory = _ => "saliency";
        Layer = new Option<string?>("--layer") { Description = "Layer for CAM methods: an ONNX node output name (see --list-layers).", HelpName = "NAME" };
        Backend = new Option<string>("--backend") { Description = "Model back end: 'auto' (ONNX Runtime for methods without gradients, incl. eigencam and scorecam; TorchSharp for gradients), 'onnxruntime' or 'torch'.", DefaultValueFactory = _ => "auto", HelpName = "auto|onnxruntime|torch" };
        Backend.AcceptOnlyFromAmong("auto", "onnxruntime", "torch");
        BatchSize = new Option<int>("--batch-size") { Description = "Rows per model call (integration steps, noise samples, occlusion windows, RISE masks, Score-CAM channels); 0 = automatic from a 256 MiB budget (inputs, plus the model's intermediate values for gradient methods).", DefaultValueFactory = _ => 0, HelpName = "n" };
        Chunk = new Option<int>("--chunk") { Description = "Samples explained and committed per step (the unit of resuming).", DefaultValueFactory = _ => evaluate ? 64 : 16, HelpName = "n" };
        ChannelReduce = new Option<string>("--channel-reduce") { Description = "Channel reduction of pixel attributions: sum (signed, default), max, mean, none.", DefaultValueFactory = _ => "sum", HelpName = "sum|max|mean|none" };
        ChannelReduce.AcceptOnlyFromAmong("sum", "max", "mean", "none");
        CamStyle = new Option<string>("--cam-style") { Description = "CAM post-processing: gradcam (pytorch-grad-cam: ReLU, min–max, bilinear, min–max), captum (signed, unnormalised, nearest) or seed (Explanation Alignment: signed, unnormalised, bilinear with half-pixel centres).", DefaultValueFactory = _ => "gradcam", HelpName = "gradcam|captum|seed" };
        CamStyle.AcceptOnlyFromAmong("gradcam", "captum", "seed");
        NoAbs = new Option<bool>("--no-abs") { Description = "saliency: keep the gradient's sign (default |∂y/∂x|)." };
        Steps = new Option<int>("--steps") { Description = "integrated_gradients: integration steps.", DefaultValueFactory = _ => 50, HelpName = "n" };
        Rule = new Option<string>("--ig-rule") { Description = "integrated_gradients: gausslegendre (Captum default), riemann_right, riemann_left, riemann_middle, riemann_trapezoid (textbook: weights 1/(n−1), halved at the ends, summing to 1), riemann_trapezoid_captum (Captum's riemann_trapezoid: the same points, weights 1/n halved at the ends, summing to (n−1)/n).", DefaultValueFactory = _ => "gausslegendre", HelpName = "rule" };
        Rule.AcceptOnlyFromAmong("gausslegendre", "riemann_right", "riemann_left", "riemann_middle", "riemann_trapezoid", "riemann_trapezoid_captum");
        Baseline = new Option<string>("--baseline") { Description = "integrated_gradients baseline: zero, black (a black image after preprocessing; with --inputs, each sample's minimum value), uniform, gaussian, or FILE.npy (C×H×W, or N×C×H×W: one per sample).", DefaultValueFactory = _ => "zero", HelpName = "kind|FILE.npy" };
        Noise = new Option<double>("--noise-level") { Description = "smoothgrad: σ as a fraction of each input's value range.", DefaultValueFactory = _ => 0.15, HelpName = "σ" };
        Samples = new Option<int>("--samples") { Description = "smoothgrad: noisy samples per input.", DefaultValueFactory = _ => 25, HelpName = "n" };
        Window = new Option<int>("--window") { Description = "occlusion: window side in pixels.", DefaultValueFactory = _ => 8, HelpName = "px" };
        Stride = new Option<int>("--stride") { Description = "occlusion: stride in pixels.", DefaultValueFactory = _ => 4, HelpName = "px" };
        OccBaseline = new Option<float>("--occlusion-baseline") { Description = "occlusion: value written into the window (model-input space).", DefaultValueFactory = _ => 0f, HelpName = "v" };
        RiseMasks = new Option<int>("--rise-masks") { Description = "rise: number of random masks.", DefaultValueFactory = _ => 2000, HelpName = "n" };
        RiseP = new Option<double>("--rise-p") { Description = "rise: probability that a grid cell is kept.", DefaultValueFactory = _ => 0.5, HelpName = "p" };
        RiseCell = new Option<int>("--rise-cell") { Description = "rise: mask grid size (cells per side).", DefaultValueFactory = _ => 8, HelpName = "s" };
        Seed = new Option<int>("--seed") { Description = "Seed of stochastic methods (smoothgrad, rise, random baselines).", DefaultValueFactory = _ => 0 };
        Resize = new Option<string?>("--resize") { Description = "Resize the shorter side to this many pixels ('none' to skip); overrides the model config. With --crop, must end at the model's input size.", HelpName = "px|none" };
        Crop = new Option<string?>("--crop") { Description = "Centre-crop side ('none' to skip); overrides the model config. Must equal the model's input size.", HelpName = "px|none" };
        Mean = new Option<string?>("--mean") { Description = "Per-channel mean after scaling, e.g. 0.485,0.456,0.406 (ImageNet default); one value or one per channel.", HelpName = "m,m,m" };
        Std = new Option<string?>("--std") { Description = "Per-channel std (> 0), e.g. 0.229,0.224,0.225 (ImageNet default); one value or one per channel.", HelpName = "s,s,s" };
        ChannelOrder = new Option<string?>("--channel-order") { Description = "Channel order fed to the model: rgb (default) or bgr.", HelpName = "rgb|bgr" };
        Force = new Option<bool>("--force") { Description = "Recompute even when --out is already complete (or partly done) for the same command and data." };
    }

    /// <summary>True for <c>evaluate</c>.</summary>
    public bool Evaluate { get; }

    /// <summary><c>--model</c>.</summary>
    public Option<string?> Model { get; }

    /// <summary><c>--config</c>.</summary>
    public Option<string?> Config { get; }

    /// <summary><c>--images</c>.</summary>
    public Option<string?> Images { get; }

    /// <summary><c>--inputs</c>.</summary>
    public Option<string?> Inputs { get; }

    /// <summary><c>--labels</c>.</summary>
    public Option<string?> Labels { get; }

    /// <summary><c>--method</c>.</summary>
    public Option<string?> Method { get; }

    /// <summary><c>--layer</c>.</summary>
    public Option<string?> Layer { get; }

    /// <summary><c>--backend</c>.</summary>
    public Option<string> Backend { get; }

    /// <summary><c>--batch-size</c>.</summary>
    public Option<int> BatchSize { get; }

    /// <summary><c>--chunk</c>.</summary>
    public Option<int> Chunk { get; }

    /// <summary><c>--channel-reduce</c>.</summary>
    public Option<string> ChannelReduce { get; }

    /// <summary><c>--cam-style</c>.</summary>
    public Option<string> CamStyle { get; }

    /// <summary><c>--no-abs</c>.</summary>
    public Option<bool> NoAbs { get; }

    /// <summary><c>--steps</c>.</summary>
    public Option<int> Steps { get; }

    /// <summary><c>--ig-rule</c>.</summary>
    public Option<string> Rule { get; }

    /// <summary><c>--baseline</c>.</summary>
    public Option<string> Baseline { get; }

    /// <summary><c>--noise-level</c>.</summary>
    public Option<double> Noise { get; }

    /// <summary><c>--samples</c>.</summary>
    public Option<int> Samples { get; }

    /// <summary><c>--window</c>.</summary>
    public Option<int> Window { get; }

    /// <summary><c>--stride</c>.</summary>
    public Option<int> Stride { get; }

    /// <summary><c>--occlusion-baseline</c>.</summary>
    public Option<float> OccBaseline { get; }

    /// <summary><c>--rise-masks</c>.</summary>
    public Option<int> RiseMasks { get; }

    /// <summary><c>--rise-p</c>.</summary>
    public Option<double> RiseP { get; }

    /// <summary><c>--rise-cell</c>.</summary>
    public Option<int> RiseCell { get; }

    /// <summary><c>--seed</c>.</summary>
    public Option<int> Seed { get; }

    /// <summary><c>--resize</c>.</summary>
    public Option<string?> Resize { get; }

    /// <summary><c>--crop</c>.</summary>
    public Option<string?> Crop { get; }

    /// <summary><c>--mean</c>.</summary>
    public Option<string?> Mean { get; }

    /// <summary><c>--std</c>.</summary>
    public Option<string?> Std { get; }

    /// <summary><c>--channel-order</c>.</summary>
    public Option<string?> ChannelOrder { get; }

    /// <summary><c>--force</c>.</summary>
    public Option<bool> Force { get; }

    /// <summary>The options listed before the command's own ones (model, inputs, method).</summary>
    public IEnumerable<Option> Head => [Model, Config, Images, Inputs, Labels, Method, Layer];

    /// <summary>The options listed after the command's own ones (back end, budget, method options, preprocessing).</summary>
    public IEnumerable<Option> Tail => [Backend, BatchSize, Chunk, ChannelReduce, CamStyle, NoAbs, Steps, Rule, Baseline, Noise, Samples, Window, Stride, OccBaseline, RiseMasks, RiseP, RiseCell, Seed, Resize, Crop, Mean, Std, ChannelOrder, Force];

    /// <summary>The method's options from the command line (layer, saliency sign, IG, SmoothGrad, occlusion, RISE).</summary>
    public ExplainerOptions ReadExplainerOptions(ParseResult parse) => new()
    {
        Layer = parse.GetValue(Layer),
        SaliencyAbsolute = !parse.GetValue(NoAbs),
        IntegratedGradients = new IntegratedGradientsOptions { Steps = Positive(parse.GetValue(Steps), "--steps"), Rule = IntegrationRules.Parse(parse.GetValue(Rule)!) },
        SmoothGrad = new SmoothGradOptions(parse.GetValue(Noise), Positive(parse.GetValue(Samples), "--samples")),
        Occlusion = new OcclusionOptions(Positive(parse.GetValue(Window), "--window"), Positive(parse.GetValue(Stride), "--stride"), parse.GetValue(OccBaseline)),
        Rise = new RiseOptions(Positive(parse.GetValue(RiseMasks), "--rise-masks"), parse.GetValue(RiseP), Positive(parse.GetValue(RiseCell), "--rise-cell")),
    };

    /// <summary>The model config: --config, else the one beside the model, else the default; and its path.</summary>
    public (Sightline.Onnx.Runtime.ModelConfig Config, string? Path) ReadConfig(ParseResult parse, string modelPath)
    {
        var configPath = parse.GetValue(Config);
        if (configPath is not null && !File.Exists(configPath)) throw new InputDataException($"--config {configPath}: file not found.");
        configPath ??= Sightline.Onnx.Runtime.ModelConfig.FindFor(modelPath);
        return (configPath is null ? Sightline.Onnx.Runtime.ModelConfig.Default : Sightline.Onnx.Runtime.ModelConfig.Load(configPath), configPath);
    }

    /// <summary>Checks the combinations and ranges of the shared options (inputs, budget, method options).</summary>
    public void Validate(ParseResult parse)
    {
        if (parse.GetValue(Inputs) is not null && parse.GetValue(Images) is not null)
            throw new InputDataException($"--inputs and --images both given: {(Evaluate ? "evaluate" : "explain")} either ready tensors (--inputs X.npy) or images (--images DIR|CSV), not both.");
        if (parse.GetValue(Labels) is not null && parse.GetValue(Inputs) is null)
            throw new InputDataException("--labels applies to --inputs X.npy; image labels come from the class folders or the CSV of --images.");
        if (parse.GetValue(BatchSize) < 0) throw new InputDataException($"--batch-size {parse.GetValue(BatchSize)}: give a positive number of rows per model call, or 0 for automatic.");
        if (!(parse.GetValue(Noise) >= 0) || !double.IsFinite(parse.GetValue(Noise)))
            throw new InputDataException($"--noise-level {parse.GetValue(Noise).ToString(CultureInfo.InvariantCulture)}: σ is a fraction of the input's value range, ≥ 0 (default 0.15).");
        if (!(parse.GetValue(RiseP) > 0 && parse.GetValue(RiseP) <= 1))
            throw new InputDataException($"--rise-p {parse.GetValue(RiseP).ToString(CultureInfo.InvariantCulture)}: the probability that a cell is kept lies in (0, 1].");
        if (!float.IsFinite(parse.GetValue(OccBaseline))) throw new InputDataException("--occlusion-baseline must be a finite number.");
    }

    /// <summary>The --baseline file when it names an NPY, else null.</summary>
    public string? BaselineFile(ParseResult parse) =>
        parse.GetValue(Baseline) is { } bt && bt.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) ? bt : null;

    /// <summary>Adds the shared inputs to <paramref name="plan"/> (the image files are added by <see cref="OpenInputs"/>).</summary>
    public PathPlan PlanInputs(ParseResult parse, PathPlan plan, string modelPath, string? configPath) => plan
        .Input("--model", modelPath).Input("--config", configPath).Input("--inputs", parse.GetValue(Inputs)).Input("--labels", parse.GetValue(Labels))
        .Input("--images", parse.GetValue(Images)).Input("--baseline", BaselineFile(parse));

    /// <summary>The explainer settings (rows per call, channel reduction, CAM style, seed).</summary>
    public ExplainSettings ReadSettings(ParseResult parse) => new()
    {
        BatchSize = parse.GetValue(BatchSize),
        ChannelReduce = ExplainOptionValues.TryParseChannelReduce(parse.GetValue(ChannelReduce)!, out var reduce) ? reduce : throw new InputDataException($"--channel-reduce: use {ExplainOptionValues.ChannelReduceChoices}."),
        CamStyle = ExplainOptionValues.TryParseCamStyle(parse.GetValue(CamStyle)!, out var style) ? style : throw new InputDataException($"--cam-style: use {ExplainOptionValues.CamStyleChoices}."),
        Seed = parse.GetValue(Seed),
    };

    /// <summary>
    /// Opens the inputs (--inputs with optional --labels, or --images with the model's preprocessing and the overrides),
    /// finishes <paramref name="plan"/> with the image files and checks it, and collects what the signature hashes.
    /// </summary>
    /// <exception cref="InputDataException">Neither or an empty input, a bad preprocessing override, a path conflict.</exception>
    public LoadedInputs OpenInputs(ParseResult parse, PathPlan plan, Sightline.Onnx.Runtime.ModelConfig modelConfig, string? configPath, string modelPath, IModel m)
    {
        IInputSource source;
        IDisposable? disposable = null;
        Preprocessing? pre = null;
        var hashed = new List<string?>();
        if (parse.GetValue(Inputs) is { } inputsPath)
        {
            var labelsPath = parse.GetValue(Labels);
            var lab = labelsPath is not null ? Sightline.Alignment.NpySampleSource.ReadIntegers(labelsPath) : null;
            plan.Check();
            var npy = new NpyInputSource(inputsPath, lab);
            source = npy;
            disposable = npy;
            hashed.Add(ContentHash.OfFile(inputsPath));
            hashed.Add(labelsPath is null ? null : ContentHash.OfFile(labelsPath));
        }
        else if (parse.GetValue(Images) is { } imagesPath)
        {
            pre = ModelPreprocessing.For(modelConfig, m, configPath ?? modelPath);
            pre = Override(pre, parse.GetValue(Resize), parse.GetValue(Crop), parse.GetValue(Mean), parse.GetValue(Std), parse.GetValue(ChannelOrder));
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
            throw new InputDataException($"no samples in {parse.GetValue(Inputs) ?? parse.GetValue(Images)}: nothing to {(Evaluate ? "evaluate" : "explain")}.");
        }
        return new LoadedInputs(source, disposable, pre, hashed);
    }

    /// <summary>
    /// The explainer with its integrated-gradients baseline resolved (a --baseline file, checked against the model and the
    /// data and hashed into the signature; 'black' through the image preprocessing); other methods are returned as they are.
    /// </summary>
    public IExplainer FinishExplainer(IExplainer explainer, ParseResult parse, ExplainerOptions options, IModel m, LoadedInputs loaded)
    {
        if (explainer is not IntegratedGradients) return explainer;
        var igOptions = options.IntegratedGradients with { Baseline = ParseBaseline(parse.GetValue(Baseline)!, out var file) };
        if (file is not null)
        {
            igOptions = igOptions with { BaselineValues = ReadBaseline(file, m.InputShape, loaded.Source.Count) };
            loaded.Hashed.Add(ContentHash.OfFile(file));
        }
        if (igOptions.Baseline == BaselineKind.Black && loaded.Preprocessing is { } pre)
            igOptions = igOptions with { BlackValues = ExplainOptionValues.BlackValues(pre, m.InputShape[0]) };
        return new IntegratedGradients(igOptions);
    }

    /// <summary>The chunk size (a positive integer).</summary>
    public int ReadChunk(ParseResult parse) => Positive(parse.GetValue(Chunk), "--chunk");

    internal static int Positive(int v, string name) => v > 0 ? v : throw new InputDataException($"{name} must be a positive integer.");


    private static BaselineKind ParseBaseline(string s, out string? file) =>
        ExplainOptionValues.TryParseBaseline(s, out var kind, out file) ? kind : throw new InputDataException($"--baseline '{s}': use {ExplainOptionValues.BaselineChoices}.");

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
    private static float[] ReadBaseline(string file, IReadOnlyList<int> input, int samples) => ExplainOptionValues.ReadBaselineFile(file, input, samples, "--baseline");

    /// <summary>The run signature of explain's settings and data (evaluate adds its own parts).</summary>
    internal static string Signature(string model, string method, ExplainerOptions o, ExplainSettings s, string target, string baseline, string data, Preprocessing? pre, IEnumerable<string?> hashed)
    {
        var text = string.Join("|", ContentHash.OfFile(model), method, o, s with { BatchSize = 0, MemoryBudgetBytes = 0 }, target, baseline, Path.GetFullPath(data), pre?.ToString() ?? "tensors");
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes(text));
        foreach (var h in hashed) sha.AppendData(Encoding.UTF8.GetBytes("|" + (h ?? "-")));
        return Convert.ToHexString(sha.GetHashAndReset());
    }
}
