using System.CommandLine;
using System.Globalization;
using Sightline.Alignment;
using Sightline.Data;
using Sightline.Explainers;
using Sightline.IO;
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
        var inputs = new Option<string?>("--inputs") { Description = "Or ready tensors: NPY of N×C×H×W float32, already preprocessed.", HelpName = "X.npy" };
        var output = new Option<string>("--out") { Description = "Activations NPY: |D| × n_neurons float32 (rows = images, or image locations with --reduce none). A CSV of row metadata (row,image,path,y,x) is written beside it.", Required = true, HelpName = "A.npy" };
        var reduce = new Option<string>("--reduce") { Description = "Spatial reduction of C×h×w layers: mean, max, or none (every location is a probing input). A 2-D per-sample output is read as tokens × features (T×D: D neurons, T locations), as transformers lay it out.", DefaultValueFactory = _ => "mean", HelpName = "mean|max|none" };
        reduce.AcceptOnlyFromAmong("mean", "max", "none");
        var batch = new Option<int>("--batch-size") { Description = "Images per model call (and per committed chunk, the unit of resuming).", DefaultValueFactory = _ => 32, HelpName = "n" };
        var command = new Command("extract", "Extract a layer's activations (neurons) for a probing set, batched, streamed to NPY, resumable.")
        {
            model, config, layer, images, inputs, output, reduce, batch,
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
            CheckLayer(modelPath, layerName);
            using var ort = OnnxRuntimeModel.Open(modelPath, [layerName]);
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
            if (parse.GetValue(inputs) is not null && parse.GetValue(config) is not null)
                throw new InputDataException("--config sets the preprocessing of --images; --inputs are already preprocessed: leave one of them out.");
            if (parse.GetValue(inputs) is { } ip) { var npy = new NpyInputSource(ip); source = npy; owned = npy; }
            else if (parse.GetValue(images) is { } dir)
            {
                // As in 'explain': --config, else the config beside the model, else the defaults.
                var configPath = parse.GetValue(config);
                if (configPath is not null && !File.Exists(configPath)) throw new InputDataException($"--config {configPath}: file not found.");
                var modelConfig = configPath is null ? ModelConfig.ForModel(modelPath) : ModelConfig.Load(configPath);
                source = new ImageInputSource(ImageDataset.Open(dir), ModelPreprocessing.For(modelConfig, ort, configPath ?? modelPath), ort.InputShape[1], ort.InputShape[2]);
            }
            else throw new InputDataException("Give --images DIR (or CSV) or --inputs X.npy.");
            using (owned)
            {
                int n = source.Count, hw = h * w, per = ConceptSources.RowsPerImage(mode, h, w);
                var signature = $"{Path.GetFullPath(modelPath)}|{new FileInfo(modelPath).Length}|{layerName}|{mode}|{source.Count}|{source.PathOf(0)}";
                var rowsCsv = Path.ChangeExtension(outPath, ".rows.csv");
                using var stack = ResumableStack.Open(outPath, [n * per, c], signature, rowsCsv, "row,image,path,y,x");
                int size = source.Shape[0] * source.Shape[1] * source.Shape[2];
                var x = new float[batchSize * size];
                var reduced = new float[batchSize * per * c];
                var native = new float[c * hw];
                using var progress = new ConsoleProgress(context, "extract", n);
                if (stack.Done % per != 0) throw new InputDataException($"{outPath}: an earlier run stopped inside an image; delete {outPath}.progress.json to start again.");
                for (int start = stack.Done / per; start < n; start += batchSize)
                {
                    int m = Math.Min(batchSize, n - start);
                    BeforeBatch.Value?.Invoke(start);
                    source.Load(start, m, x);
                    var act = ort.Activations(layerName, x.AsSpan(0, m * size), m, out _);
                    var rows = new List<string>(m * per);
                    for (int i = 0; i < m; i++)
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
                    stack.Append(reduced.AsSpan(0, m * per * c), rows);
                    progress.Report(start + m);
                }
                stack.Complete();
                context.Out.WriteLine($"Extracted {n * per} × {c} activations of '{layerName}' ({mode.ToString().ToLowerInvariant()}) → {outPath}, {rowsCsv}");
            }
            return ExitCodes.Ok;
        });
        return command;
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
        var masks = new Option<string?>("--masks") { Description = "Folder of PNG label maps (one per probing image, ordinal file order = image order); class ids 1..K are concepts, 0 background.", HelpName = "DIR" };
        var encoding = new Option<string>("--encoding") { Description = "Label map encoding: auto, grayscale, palette (255 = ignore), rgb (G·256 + R).", DefaultValueFactory = _ => "auto", HelpName = "enc" };
        encoding.AcceptOnlyFromAmong("auto", "grayscale", "palette", "rgb");
        var labels = new Option<string?>("--labels") { Description = "Or class labels (NPY of N integers) → one-hot concepts.", HelpName = "L.npy" };
        var classes = new Option<int>("--classes") { Description = "Number of concepts K (label maps: ids 1..K; labels: 0..K−1).", Required = true, HelpName = "K" };
        var mode = new Option<string>("--mode") { Description = "From masks: presence (any pixel), fraction (share of pixels), or location (share per cell of an --grid h,w matching 'extract --reduce none').", DefaultValueFactory = _ => "presence", HelpName = "presence|fraction|location" };
        mode.AcceptOnlyFromAmong("presence", "fraction", "location");
        var grid = new Option<string?>("--grid") { Description = "Activation grid h,w for --mode location.", HelpName = "h,w" };
        var output = new Option<string>("--out") { Description = "Concept labels NPY: |D| × K float32 in [0,1].", Required = true, HelpName = "C.npy" };
        var command = new Command("concepts", "Build concept labels (|D| × K) from segmentation masks or class labels.") { masks, encoding, labels, classes, mode, grid, output };
        command.SetAction(parse =>
        {
            int k = parse.GetValue(classes) > 0 ? parse.GetValue(classes) : throw new InputDataException("--classes must be positive.");
            var outPath = parse.GetValue(output)!;
            if (parse.GetValue(labels) is { } lp)
            {
                var l = NpySampleSource.ReadIntegers(lp);
                Npy.Write<float>(outPath, ConceptSources.OneHot(l, k), l.Length, k);
                context.Out.WriteLine($"Wrote {l.Length} × {k} one-hot concepts → {outPath}");
                return ExitCodes.Ok;
            }
            var dir = parse.GetValue(masks) ?? throw new InputDataException("Give --masks DIR or --labels L.npy.");
            if (!Directory.Exists(dir)) throw new InputDataException($"{dir}: no such folder.");
            var files = Directory.GetFiles(dir, "*.png").OrderBy(f => f, StringComparer.Ordinal).ToArray();
            if (files.Length == 0) throw new InputDataException($"{dir}: no PNG label maps.");
            var enc = Enum.Parse<MaskEncoding>(parse.GetValue(encoding)!, ignoreCase: true);
            string m = parse.GetValue(mode)!;
            int gh = 1, gw = 1;
            if (m == "location")
            {
                var g = (parse.GetValue(grid) ?? throw new InputDataException("--mode location needs --grid h,w (the activation grid).")).Split(',');
                if (g.Length != 2 || !int.TryParse(g[0], out gh) || !int.TryParse(g[1], out gw) || gh < 1 || gw < 1)
                    throw new InputDataException("--grid must be h,w with positive integers.");
            }
            int per = m == "location" ? gh * gw : 1;
            var rows = new float[files.Length * per * k];
            Parallel.For(0, files.Length, i =>
            {
                var map = LabelMap.Read(files[i], enc);
                ConceptSources.FromLabelMap(map.Labels, map.Height, map.Width, k, map.IgnoreLabel, m, gh, gw, rows.AsSpan(i * per * k, per * k));
            });
            Npy.Write<float>(outPath, rows, files.Length * per, k);
            context.Out.WriteLine($"Wrote {files.Length * per} × {k} concept labels ({m}) from {files.Length} masks → {outPath}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
