using System.CommandLine;
using System.Globalization;
using Sightline.Alignment;
using Sightline.Data;
using Sightline.Explainers;
using Sightline.IO;
using Sightline.Models;
using Sightline.Neurons;
using Sightline.Onnx.Runtime;
using Sightline.Results;

namespace Sightline.Cli.Commands;

/// <summary><c>sightline neurons extract</c> and <c>sightline neurons concepts</c>: activations and concept labels from real models and data.</summary>
public static class NeuronsDataCommands
{
    /// <summary>Test hook: called with the first image index of each batch before it runs (e.g. to cancel after k batches and
    /// check that a second run resumes). Flows with the calling context only.</summary>
    internal static readonly AsyncLocal<Action<int>?> BeforeBatch = new();

    /// <summary><c>neurons extract</c>: a layer's activations for every probing image, streamed to NPY and resumable.</summary>
    public static Command BuildExtract(CliContext context)
    {
        var model = new Option<string>("--model") { Description = "ONNX model (run on ONNX Runtime). A config beside it (<model>.json/.yaml or model.json/.yaml) sets the preprocessing of --images.", Required = true, HelpName = "m.onnx" };
        var config = new Option<string?>("--config") { Description = "Model config for --images (JSON or YAML; extract uses resize, crop, mean, std, channel_order, scale) instead of the one beside the model.", HelpName = "FILE" };
        var layer = new Option<string>("--layer") { Description = "ONNX node output whose channels are the neurons (see 'sightline explain --list-layers').", Required = true, HelpName = "NAME" };
        var images = new Option<string?>("--images") { Description = "Probing images: a folder (class subfolders or flat) or a CSV of path,label.", HelpName = "DIR|CSV" };
        var inputs = new Option<string?>("--inputs") { Description = "Or ready tensors: NPY of N×C×H×W float32, already preprocessed (C×H×W also for an N×H×W×C model, which is fed them transposed).", HelpName = "X.npy" };
        var output = new Option<string>("--out") { Description = "Activations NPY: |D| × n_neurons float32 (rows = images, or image locations with --reduce none). A CSV of row metadata (row,image,path,y,x) is written beside it.", Required = true, HelpName = "A.npy" };
        var reduce = new Option<string>("--reduce") { Description = "Spatial reduction of C×h×w layers: mean, max, or none (every location is a probing input). A 2-D per-sample output is read as tokens × features (T×D: D neurons, T locations), as transformers lay it out.", DefaultValueFactory = _ => "mean", HelpName = "mean|max|none" };
        reduce.AcceptOnlyFromAmong("mean", "max", "none");
        var batch = new Option<int>("--batch-size") { Description = "Images per model call (and per committed chunk, the unit of resuming).", DefaultValueFactory = _ => 32, HelpName = "n" };
        var force = new Option<bool>("--force") { Description = "Recompute even when --out is already complete (or partly done) for the same model, options and data." };
        var command = new Command("extract", "Extract a layer's activations (neurons) for a probing set, batched, streamed to NPY, resumable: run the same command again after a kill to continue. A run resumes (or, when finished, is not redone) only if the model, its config, the options and the content of every input are unchanged; the content check costs one sequential read of the inputs (XxHash128, several GB/s).")
        {
            model, config, layer, images, inputs, output, reduce, batch, force,
        };
        command.SetAction(parse =>
        {
            var modelPath = parse.GetValue(model)!;
            if (!File.Exists(modelPath)) throw new InputDataException($"{modelPath}: model file not found.");
            var layerName = parse.GetValue(layer)!;
            var outPath = parse.GetValue(output)!;
            if (!outPath.EndsWith(".npy", StringComparison.OrdinalIgnoreCase)) throw new InputDataException($"--out {outPath}: activations are written as NPY.");
            int batchSize = parse.GetValue(batch) > 0 ? parse.GetValue(batch) : throw new InputDataException("--batch-size must be positive.");
            var mode = parse.GetValue(reduce) switch { "max" => SpatialReduce.Max, "none" => SpatialReduce.None, _ => SpatialReduce.Mean };
            var inputsPath = parse.GetValue(inputs);
            var imagesPath = parse.GetValue(images);
            if (inputsPath is not null && imagesPath is not null) throw new InputDataException("Give either --images DIR (or CSV) or --inputs X.npy, not both.");
            if (inputsPath is null && imagesPath is null) throw new InputDataException("Give --images DIR (or CSV) or --inputs X.npy.");
            var rowsCsv = Path.ChangeExtension(outPath, ".rows.csv");
            // As in 'explain': --config, else the config beside the model, else the defaults.
            if (inputsPath is not null && parse.GetValue(config) is not null)
                throw new InputDataException("--config sets the preprocessing of --images; --inputs are already preprocessed: leave one of them out.");
            var configPath = parse.GetValue(config);
            if (configPath is not null && !File.Exists(configPath)) throw new InputDataException($"--config {configPath}: file not found.");
            configPath ??= ModelConfig.FindFor(modelPath);
            var dataset = imagesPath is null ? null : ImageDataset.Open(imagesPath);
            var plan = new PathPlan().Input("--model", modelPath).Input(parse.GetValue(config) is null ? "the model config" : "--config", configPath).Input("--inputs", inputsPath).Input("--images", imagesPath);
            if (dataset is not null) plan.Inputs("--images", dataset.Items.Select(i => i.Path));
            plan.Output("--out", outPath).Output("the rows CSV of --out", rowsCsv)
                .Output("the partial file of --out", outPath + ".partial").Output("the partial rows CSV of --out", rowsCsv + ".partial")
                .Output("the progress file of --out", outPath + ".progress.json").Output("the run record of --out", outPath + ".sightline.json")
                .Check();
            CheckLayer(modelPath, layerName);
            var modelConfig = configPath is null ? ModelConfig.Default : ModelConfig.Load(configPath);
            // Only the layer's activations are read: a backbone whose final output is a feature map is fine here.
            using var ort = OnnxRuntimeModel.Open(modelPath, [layerName], new OnnxRuntimeOptions { AnyOutputShape = true });
            if (ort.InputShape.Count != 3)
                throw new InputDataException($"{modelPath}: the model takes per-sample inputs of shape ({string.Join(", ", ort.InputShape)}); neurons extract feeds images, C×H×W (or H×W×C).");
            var layout = modelConfig.Layout ?? NhwcModel.Detect(ort.InputShape);
            // Inputs are C×H×W everywhere, as in explain; an N×H×W×C model is presented as N×C×H×W and its inputs transposed.
            var m = NhwcModel.Wrap(ort, layout);
            var shape = ort.LayerShape(layerName).ToArray();
            var (c, h, w) = shape.Length switch
            {
                3 => (shape[0], shape[1], shape[2]),
                1 => (shape[0], 1, 1),
                2 => (shape[1], shape[0], 1), // tokens: T×D → D neurons, T locations
                _ => throw new InputDataException($"Layer '{layerName}' has per-sample shape ({string.Join(", ", shape)}); expected C, C×h×w or T×D."),
            };
            bool tokens = shape.Length == 2;
            IInputSource source;
            IDisposable? owned = null;
            if (inputsPath is not null) { var npy = new NpyInputSource(inputsPath); source = npy; owned = npy; }
            else source = new ImageInputSource(dataset!, ModelPreprocessing.For(modelConfig, m, configPath ?? modelPath), m.InputShape[1], m.InputShape[2]);
            using (owned)
            {
                if (source.Count == 0) throw new InputDataException($"no samples in {inputsPath ?? imagesPath}: nothing to extract.");
                InputShapes.Check(m, source);
                if (source is ImageInputSource images) images.CheckSizes();
                int n = source.Count, hw = h * w, per = ConceptSources.RowsPerImage(mode, h, w);
                // A batch never needs more images than there are; beyond that its buffers would only be refused as too large.
                batchSize = Math.Min(batchSize, n);
                if ((long)n * per * c > int.MaxValue || (long)batchSize * source.Shape[0] * source.Shape[1] * source.Shape[2] > Array.MaxLength)
                    throw new InputDataException($"{n} images × {per} rows × {c} neurons of '{layerName}' do not fit one activation matrix (or --batch-size {batchSize} is too large); use fewer images, --reduce mean or a smaller --batch-size.");
                var signature = Signature(modelPath, configPath, inputsPath is not null ? [inputsPath] : [.. dataset!.Items.Select(i => i.Path)],
                    $"{layerName}|{mode}|{layout}|{n}|{per}|{c}", Enumerable.Range(0, n).Select(source.PathOf));
                using var stack = ResumableStack.Open(outPath, [n * per, c], signature, rowsCsv, "row,image,path,y,x", parse.GetValue(force));
                if (stack.IsComplete)
                {
                    context.Out.WriteLine($"Already complete: {outPath} holds all {n * per} × {c} activations of '{layerName}' ({mode.ToString().ToLowerInvariant()}) for this model and data; nothing recomputed.");
                    return ExitCodes.Ok;
                }
                if (stack.Done % per != 0) throw new InputDataException($"{outPath}: an earlier run stopped inside an image; delete {outPath}.progress.json to start again.");
                int resumed = stack.Done / per;
                int size = source.Shape[0] * source.Shape[1] * source.Shape[2];
                var x = new float[batchSize * size];
                var hwc = layout == InputLayout.Nhwc ? new float[batchSize * size] : null;
                var reduced = new float[batchSize * per * c];
                var native = new float[c * hw];
                using var progress = new ConsoleProgress(context, "extract", n);
                progress.Report(resumed);
                try
                {
                    for (int start = resumed; start < n; start += batchSize)
                    {
                        int count = Math.Min(batchSize, n - start);
                        BeforeBatch.Value?.Invoke(start);
                        source.Load(start, count, x);
                        for (int i = 0; i < count; i++)
                            if (!AllFinite(x.AsSpan(i * size, size)))
                                throw new InputDataException($"{source.PathOf(start + i)}: the input holds NaN or ∞, which would give NaN activations for every neuron; replace those values (or drop the sample) and run again.");
                        ReadOnlySpan<float> batchInputs = x.AsSpan(0, count * size);
                        if (hwc is not null)
                        {
                            ToChannelsLast(batchInputs, count, m.InputShape[0], m.InputShape[1] * m.InputShape[2], hwc);
                            batchInputs = hwc.AsSpan(0, count * size);
                        }
                        var act = ort.Activations(layerName, batchInputs, count, out _);
                        var rows = new List<string>(count * per);
                        for (int i = 0; i < count; i++)
                        {
                            var a = act.AsSpan(i * c * hw, c * hw);
                            if (tokens)
                            {
                                for (int t = 0; t < hw; t++) for (int k = 0; k < c; k++) native[k * hw + t] = a[t * c + k];
                                a = native;
                            }
                            ConceptSources.Reduce(a, c, hw, mode, reduced.AsSpan(i * per * c, per * c));
                            for (int p = 0; p < per; p++)
                                rows.Add(string.Join(',', ((long)(start + i) * per + p).ToString(CultureInfo.InvariantCulture), (start + i).ToString(CultureInfo.InvariantCulture),
                                    ResultWriter.Quote(source.PathOf(start + i)), mode == SpatialReduce.None ? (p / w).ToString(CultureInfo.InvariantCulture) : "", mode == SpatialReduce.None ? (p % w).ToString(CultureInfo.InvariantCulture) : ""));
                        }
                        stack.Append(reduced.AsSpan(0, count * per * c), rows);
                        progress.Report(start + count);
                    }
                    stack.Complete();
                }
                catch (Exception e) when (e is InputDataException or IOException or UnauthorizedAccessException && stack.ResumeHint is { } hint)
                {
                    // Committed chunks are kept: say how to resume them.
                    var message = e is InputDataException ? e.Message : AtomicFile.CannotWrite(Path.GetFullPath(outPath) + ".partial", e).Message;
                    throw new InputDataException($"{message.TrimEnd('.')}; {hint}.", e);
                }
                catch (Exception e) when (e is not OperationCanceledException && stack.ResumeHint is { } hint)
                {
                    e.Data["sightline.resume"] = hint;
                    throw;
                }
                var resumedNote = resumed > 0 ? $" (resumed: {resumed} of {n} already done)" : "";
                context.Out.WriteLine($"Extracted {n * per} × {c} activations of '{layerName}' ({mode.ToString().ToLowerInvariant()}){resumedNote} → {outPath}, {rowsCsv}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// The resume signature of an extract run: the content (XxHash128) of the model, its config and every input file,
    /// the options that shape the output, and the display path of every sample (the rows CSV lists them). One
    /// sequential read of the inputs, so a resumed run never mixes chunks of other data, and a finished run whose inputs
    /// changed recomputes.
    /// </summary>
    private static string Signature(string modelPath, string? configPath, IReadOnlyList<string> inputFiles, string options, IEnumerable<string> samplePaths)
    {
        var contents = ContentHash.OfFiles([modelPath, .. inputFiles]);
        var config = configPath is null ? "no-config" : ContentHash.OfFile(configPath);
        var names = Convert.ToHexStringLower(System.IO.Hashing.XxHash128.Hash(System.Text.Encoding.UTF8.GetBytes(string.Join('\n', samplePaths))));
        return $"extract|{contents}|{config}|{names}|{options}";
    }

    private static bool AllFinite(ReadOnlySpan<float> x)
    {
        // x − x is 0 for finite values and NaN for NaN and ±∞, so the sum is NaN exactly when one value is not finite.
        float acc = 0;
        foreach (var v in x) acc += v - v;
        return acc == 0;
    }

    // Copies batch·C·H·W values into batch·H·W·C order for an N×H×W×C model.
    private static void ToChannelsLast(ReadOnlySpan<float> chw, int batch, int c, int hw, Span<float> hwc)
    {
        for (int n = 0; n < batch; n++)
        {
            int o = n * c * hw;
            for (int ch = 0; ch < c; ch++)
                for (int p = 0; p < hw; p++) hwc[o + p * c + ch] = chw[o + ch * hw + p];
        }
    }

    /// <summary>
    /// Rejects a <c>--layer</c> that is not a node output of the model's main graph before ONNX Runtime sees it, with the closest
    /// candidate names (<see cref="Sightline.Models.LayerNames.Closest"/>) so a typo is a one-line fix.
    /// </summary>
    /// <exception cref="InputDataException">The name is not a node output.</exception>
    internal static void CheckLayer(string modelPath, string layerName)
    {
        var graph = Sightline.Onnx.Graph.OnnxModelProto.Load(modelPath).Graph;
        var names = graph.Nodes.SelectMany(n => n.Outputs).Where(o => o.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (names.Contains(layerName, StringComparer.Ordinal)) return;
        var close = Sightline.Models.LayerNames.Closest(layerName, names);
        throw new InputDataException($"--layer '{layerName}' is not a node output of {modelPath} ({names.Count} candidates). Closest: {string.Join(", ", close)}. List all with 'sightline explain --model {modelPath} --list-layers'.");
    }

    /// <summary><c>neurons concepts</c>: concept label matrices from segmentation masks or class labels.</summary>
    public static Command BuildConcepts(CliContext context)
    {
        var masks = new Option<string?>("--masks") { Description = "Folder of PNG label maps (one per probing image, ordinal file order = image order). Class id t+1 is column t (ids 1..K are the concepts), 0 is background; any other id is refused unless --ignore-ids names it.", HelpName = "DIR" };
        var encoding = new Option<string>("--encoding") { Description = "Label map encoding: auto, grayscale, palette (255 = ignore), rgb (G·256 + R).", DefaultValueFactory = _ => "auto", HelpName = "enc" };
        encoding.AcceptOnlyFromAmong("auto", "grayscale", "palette", "rgb");
        var labels = new Option<string?>("--labels") { Description = "Or class labels (NPY of N integers) → one-hot concepts: label l is column l (0..K−1).", HelpName = "L.npy" };
        var classes = new Option<int>("--classes") { Description = "Number of concepts K (label maps: ids 1..K → columns 0..K−1; labels: 0..K−1).", Required = true, HelpName = "K" };
        var ignoreIds = new Option<string?>("--ignore-ids") { Description = "Comma-separated ids to skip (e.g. 255 for VOC boundaries): their pixels are left out of every count, a label among them gives an all-zero row.", HelpName = "a,b,..." };
        var mode = new Option<string>("--mode") { Description = "From masks: presence (any pixel), fraction (share of pixels), or location (share per cell of an --grid h,w matching 'extract --reduce none').", DefaultValueFactory = _ => "presence", HelpName = "presence|fraction|location" };
        mode.AcceptOnlyFromAmong("presence", "fraction", "location");
        var grid = new Option<string?>("--grid") { Description = "Activation grid h,w for --mode location.", HelpName = "h,w" };
        var output = new Option<string>("--out") { Description = "Concept labels NPY: |D| × K float32 in [0,1].", Required = true, HelpName = "C.npy" };
        var command = new Command("concepts", "Build concept labels (|D| × K) from segmentation masks or class labels.") { masks, encoding, labels, classes, ignoreIds, mode, grid, output };
        command.SetAction(parse =>
        {
            int k = parse.GetValue(classes) > 0 ? parse.GetValue(classes) : throw new InputDataException("--classes must be positive.");
            var outPath = parse.GetValue(output)!;
            if (!outPath.EndsWith(".npy", StringComparison.OrdinalIgnoreCase)) throw new InputDataException($"--out {outPath}: concept labels are written as NPY; give a .npy file name.");
            var labelsPath = parse.GetValue(labels);
            var dir = parse.GetValue(masks);
            if (labelsPath is not null && dir is not null) throw new InputDataException("Give either --masks DIR or --labels L.npy, not both.");
            if (labelsPath is null && dir is null) throw new InputDataException("Give --masks DIR or --labels L.npy.");
            var ignored = ParseIds(parse.GetValue(ignoreIds));
            if (labelsPath is not null)
            {
                if (parse.GetResult(grid) is not null || parse.GetResult(mode) is { Implicit: false } || parse.GetResult(encoding) is { Implicit: false })
                    throw new InputDataException("--mode, --grid and --encoding describe label maps (--masks); --labels gives one one-hot row per label.");
                new PathPlan().Input("--labels", labelsPath).Output("--out", outPath).Check();
                var l = NpySampleSource.ReadIntegers(labelsPath);
                if (l.Length == 0) throw new InputDataException($"no samples in {labelsPath}: it holds no labels.");
                CheckSize(l.Length, 1, k);
                for (int i = 0; i < l.Length; i++)
                    if ((l[i] < 0 || l[i] >= k) && !ignored.Contains(l[i]))
                        throw new InputDataException($"{labelsPath}: label {l[i]} of sample {i} is outside 0..{k - 1} (--classes {k}); raise --classes, or name it in --ignore-ids to give that sample no concept.");
                var onehot = ConceptSources.OneHot(l, k, ignored);
                AtomicFile.Write(outPath, stream => Npy.Write<float>(stream, onehot, l.Length, k));
                context.Out.WriteLine($"Wrote {l.Length} × {k} one-hot concepts → {outPath}");
                return ExitCodes.Ok;
            }
            if (!Directory.Exists(dir)) throw new InputDataException($"--masks {dir}: no such folder.");
            var files = Directory.GetFiles(dir!, "*.png").OrderBy(f => f, StringComparer.Ordinal).ToArray();
            if (files.Length == 0) throw new InputDataException($"no samples in {dir}: it holds no PNG label maps.");
            new PathPlan().Input("--masks", dir).Inputs("--masks", files).Output("--out", outPath).Check();
            var enc = parse.GetValue(encoding)! switch { "grayscale" => MaskEncoding.Grayscale, "palette" => MaskEncoding.Palette, "rgb" => MaskEncoding.Rgb, _ => MaskEncoding.Auto };
            string m = parse.GetValue(mode)!;
            int gh = 1, gw = 1;
            if (m == "location")
            {
                var g = (parse.GetValue(grid) ?? throw new InputDataException("--mode location needs --grid h,w (the activation grid).")).Split(',');
                if (g.Length != 2 || !int.TryParse(g[0], NumberStyles.None, CultureInfo.InvariantCulture, out gh) || !int.TryParse(g[1], NumberStyles.None, CultureInfo.InvariantCulture, out gw) || gh < 1 || gw < 1)
                    throw new InputDataException("--grid must be h,w with positive integers.");
            }
            else if (parse.GetValue(grid) is not null) throw new InputDataException($"--grid is for --mode location; --mode {m} gives one row per mask.");
            long perLong = (long)gh * gw;
            CheckSize(files.Length, perLong, k);
            int per = (int)perLong;
            var rows = new float[files.Length * per * k];
            var errors = new string?[files.Length];
            Parallel.For(0, files.Length, i =>
            {
                try
                {
                    var map = LabelMap.Read(files[i], enc);
                    int bad = ConceptSources.FromLabelMap(map.Labels, map.Height, map.Width, k, map.IgnoreLabel, m, gh, gw, rows.AsSpan(i * per * k, per * k), ignored);
                    if (bad >= 0)
                        errors[i] = $"{files[i]}: class id {bad} is not a concept of --classes {k} (id t+1 is column t, ids 1..{k}; 0 is background); raise --classes, or name it in --ignore-ids to leave its pixels out.";
                }
                catch (InputDataException e)
                {
                    errors[i] = e.Message;
                }
            });
            if (errors.FirstOrDefault(e => e is not null) is { } first)
            {
                int more = errors.Count(e => e is not null) - 1;
                throw new InputDataException(more == 0 ? first : $"{first} (and {more} more mask{(more == 1 ? "" : "s")} like it)");
            }
            AtomicFile.Write(outPath, stream => Npy.Write<float>(stream, rows, files.Length * per, k));
            context.Out.WriteLine($"Wrote {files.Length * per} × {k} concept labels ({m}) from {files.Length} masks → {outPath}");
            return ExitCodes.Ok;
        });
        return command;
    }

    // The concept matrix must fit one array: --classes 2000000000 (or a huge --grid) is refused, not an overflow.
    private static void CheckSize(int samples, long perSample, int classes)
    {
        long rows = samples * perSample;
        if (rows * classes > Array.MaxLength || rows > int.MaxValue)
            throw new InputDataException($"--classes {classes}: {rows} rows × {classes} concepts = {rows * classes} labels do not fit one concept matrix (at most {Array.MaxLength}); give the real number of classes (or a smaller --grid).");
    }

    private static int[] ParseIds(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return [];
        var ids = new List<int>();
        foreach (var part in text.Split(','))
        {
            if (!int.TryParse(part.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int id))
                throw new InputDataException($"--ignore-ids '{text}': '{part.Trim()}' is not an integer id; give comma-separated ids, e.g. 255.");
            ids.Add(id);
        }
        return [.. ids.Distinct()];
    }
}
