using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sightline.Evaluation;
using Sightline.Explainers;
using Sightline.IO;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Sightline.Studies;

/// <summary>
/// Reads a study file (YAML, or JSON when the file is <c>.json</c> or starts with <c>{</c>) into a
/// <see cref="StudyDefinition"/> and validates it: every problem is an <see cref="InputDataException"/> of one line that
/// names the file and the key (<c>study.yaml: models[1].path: file not found</c>). Unknown keys are errors, so a typo
/// never silently means a default. The layout:
/// <code>
/// study: planted-cue                      # name (the rows' study column)
/// data: {images: data/test}               # or {inputs: X.npy, labels: y.npy}; optional limit: N
/// masks:                                  # named mask sets: NPY or PNG folders (align's encodings)
///   object: {path: masks/object}
///   square: {path: masks/square.npy, role: spurious}
/// targets: predicted                      # predicted | label | mask_classes (or {kind: mask_classes, from: SET, offset: 1})
/// models:
///   - {name: clean, path: models/clean.onnx}
/// methods:
///   - saliency
///   - {name: gradcam, layer: /features/relu2/Relu_output_0}
///   - {name: ig16, method: integrated_gradients, steps: 16}
/// metrics: [sss, iou, pointing_game]      # names or family words
/// params: [iou.binarize=std:1]            # --param style
/// statistics: {bootstrap: 1000, permutations: 2000, seed: 42, class_rank: 5, feature_ranking: [iou, pointing_game]}
/// run: {chunk: 64, batch_size: 0, seed: 0, examples: 4}
/// </code>
/// </summary>
public static class StudyFile
{
    private static readonly string[] TopKeys = ["study", "data", "masks", "targets", "models", "methods", "metrics", "params", "statistics", "run"];
    private static readonly string[] MethodOptionKeys =
    [
        "steps", "rule", "baseline", "noise_level", "samples", "window", "stride", "occlusion_baseline", "rise_masks", "rise_p",
        "rise_cell", "abs", "channel_reduce", "cam_style", "seed", "normalise",
    ];

    /// <summary>Reads and validates <paramref name="path"/>.</summary>
    /// <exception cref="InputDataException">A missing or unparsable file, a missing, unknown or invalid key.</exception>
    public static StudyDefinition Load(string path)
    {
        if (!File.Exists(path)) throw new InputDataException($"{path}: study file not found.");
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new InputDataException($"{path}: cannot read the study file ({e.Message})."); }
        return Parse(text, path);
    }

    /// <summary>Parses study text; <paramref name="path"/> names it in messages and anchors relative paths.</summary>
    public static StudyDefinition Parse(string text, string path)
    {
        var root = ToJson(text, path) as JsonObject ?? throw new InputDataException($"{path}: a study file is a mapping of keys (study, data, masks, targets, models, methods, metrics, ...).");
        var r = new Reader(path);
        r.Keys(root, "", TopKeys);
        string dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        string Resolve(string p) => System.IO.Path.GetFullPath(System.IO.Path.IsPathRooted(p) ? p : System.IO.Path.Combine(dir, p));

        var name = r.String(r.Required(root, "study", ""), "study");
        if (name.Length == 0 || name.Any(c => char.IsControl(c))) throw r.Error("study", "give the study a name (one line of text).");

        // data
        var dataNode = r.Object(r.Required(root, "data", ""), "data");
        r.Keys(dataNode, "data", ["images", "inputs", "labels", "limit"]);
        string? images = r.OptionalString(dataNode, "images", "data"), inputs = r.OptionalString(dataNode, "inputs", "data"), labels = r.OptionalString(dataNode, "labels", "data");
        if ((images is null) == (inputs is null)) throw r.Error("data", "give either images (a folder or CSV) or inputs (an NPY of ready tensors), not both and not neither.");
        if (labels is not null && inputs is null) throw r.Error("data.labels", "labels apply to inputs (NPY); image labels come from the class folders or the CSV.");
        int? limit = dataNode["limit"] is null ? null : r.Int(dataNode["limit"], "data.limit", min: 1);
        var data = new StudyData(images is null ? null : Resolve(images), inputs is null ? null : Resolve(inputs), labels is null ? null : Resolve(labels), limit);
        if (data.Images is { } im && !File.Exists(im) && !Directory.Exists(im)) throw r.Error("data.images", $"{im}: no such folder or CSV file.");
        if (data.Inputs is { } inp && !File.Exists(inp)) throw r.Error("data.inputs", $"{inp}: file not found.");
        if (data.Labels is { } lab && !File.Exists(lab)) throw r.Error("data.labels", $"{lab}: file not found.");

        // masks
        var masks = new List<StudyMaskSet>();
        if (root["masks"] is { } masksNode)
        {
            var mo = r.Object(masksNode, "masks");
            foreach (var (setName, node) in mo)
            {
                string at = $"masks.{setName}";
                if (!IsName(setName)) throw r.Error(at, "mask set names are letters, digits, '_', '-' or '.'.");
                var o = node is JsonValue ? new JsonObject { ["path"] = node.DeepClone() } : r.Object(node, at);
                r.Keys(o, at, ["path", "encoding", "classes", "ignore", "resize", "role"]);
                var p = Resolve(r.String(r.Required(o, "path", at), at + ".path"));
                if (!File.Exists(p) && !Directory.Exists(p)) throw r.Error(at + ".path", $"{p}: no such NPY file or PNG folder.");
                var encText = r.OptionalString(o, "encoding", at) ?? "auto";
                if (!Enum.TryParse<MaskEncoding>(encText, true, out var enc) || int.TryParse(encText, out _))
                    throw r.Error(at + ".encoding", $"'{encText}': use auto, binary, grayscale, palette or rgb.");
                IReadOnlyList<int>? classes = o["classes"] is { } cn ? r.IntList(cn, at + ".classes") : null;
                bool overrideIgnore = o.ContainsKey("ignore");
                int? ignore = null;
                if (overrideIgnore && o["ignore"] is { } ig && !(ig is JsonValue v && v.TryGetValue<string>(out var s) && s.Equals("none", StringComparison.OrdinalIgnoreCase)))
                    ignore = r.Int(ig, at + ".ignore", min: int.MinValue);
                bool resize = o["resize"] is { } rz && r.Bool(rz, at + ".resize");
                var role = r.OptionalString(o, "role", at) ?? "object";
                if (role is not ("object" or "spurious")) throw r.Error(at + ".role", $"'{role}': use object (attention wanted) or spurious (a planted cue).");
                masks.Add(new StudyMaskSet(setName, p, enc, classes, overrideIgnore, ignore, resize, role, PerTarget: false));
            }
        }

        // targets
        StudyTargets targets;
        var tn = root["targets"];
        if (tn is null or JsonValue)
        {
            var kind = tn is null ? "predicted" : r.String(tn, "targets");
            targets = new StudyTargets(TargetKind(r, kind), null, 1);
        }
        else
        {
            var to = r.Object(tn, "targets");
            r.Keys(to, "targets", ["kind", "from", "offset"]);
            targets = new StudyTargets(TargetKind(r, r.String(r.Required(to, "kind", "targets"), "targets.kind")), r.OptionalString(to, "from", "targets"),
                to["offset"] is { } off ? r.Int(off, "targets.offset", min: int.MinValue) : 1);
        }
        if (targets.Kind == StudyTargetKind.MaskClasses)
        {
            if (masks.Count == 0) throw r.Error("targets", "mask_classes takes the classes from a mask set's label maps: add masks.");
            var from = targets.From ?? masks[0].Name;
            int index = masks.FindIndex(m => m.Name == from);
            if (index < 0) throw r.Error("targets.from", $"'{from}' is not a mask set ({string.Join(", ", masks.Select(m => m.Name))}).");
            if (masks[index].Encoding == MaskEncoding.Binary) throw r.Error($"masks.{from}.encoding", "mask_classes needs label maps, but binary encoding keeps no class ids.");
            masks[index] = masks[index] with { PerTarget = true };
            targets = targets with { From = from };
        }
        else if (targets.From is not null) throw r.Error("targets.from", "applies to mask_classes only.");

        // models
        var modelsNode = r.Array(r.Required(root, "models", ""), "models");
        if (modelsNode.Count == 0) throw r.Error("models", "name at least one model.");
        var models = new List<StudyModel>();
        for (int i = 0; i < modelsNode.Count; i++)
        {
            string at = $"models[{i}]";
            var o = r.Object(modelsNode[i], at);
            r.Keys(o, at, ["name", "path", "config", "backend"]);
            var mp = Resolve(r.String(r.Required(o, "path", at), at + ".path"));
            if (!File.Exists(mp)) throw r.Error(at + ".path", $"{mp}: model file not found.");
            var mname = r.OptionalString(o, "name", at) ?? System.IO.Path.GetFileNameWithoutExtension(mp);
            if (!IsName(mname)) throw r.Error(at + ".name", $"'{mname}': model names are letters, digits, '_', '-' or '.'.");
            if (models.Any(m => m.Name == mname)) throw r.Error(at + ".name", $"'{mname}' names two models; give each a distinct name.");
            var config = r.OptionalString(o, "config", at) is { } c ? Resolve(c) : null;
            if (config is not null && !File.Exists(config)) throw r.Error(at + ".config", $"{config}: file not found.");
            var backend = r.OptionalString(o, "backend", at) ?? "auto";
            if (backend is not ("auto" or "onnxruntime" or "torch")) throw r.Error(at + ".backend", $"'{backend}': use auto, onnxruntime or torch.");
            models.Add(new StudyModel(mname, mp, config, backend));
        }

        // methods
        var methodsNode = r.Array(r.Required(root, "methods", ""), "methods");
        if (methodsNode.Count == 0) throw r.Error("methods", "name at least one method.");
        var methods = new List<StudyMethod>();
        for (int i = 0; i < methodsNode.Count; i++)
        {
            string at = $"methods[{i}]";
            var o = methodsNode[i] is JsonValue ? new JsonObject { ["name"] = methodsNode[i]!.DeepClone() } : r.Object(methodsNode[i], at);
            r.Keys(o, at, ["name", "method", "layer", "layers", .. MethodOptionKeys]);
            var label = r.String(r.Required(o, "name", at), at + ".name");
            var method = (r.OptionalString(o, "method", at) ?? label).ToLowerInvariant();
            if (!ExplainerCatalog.Names.Contains(method)) throw r.Error(at + (o.ContainsKey("method") ? ".method" : ".name"), $"unknown method '{method}'; known methods: {string.Join(", ", ExplainerCatalog.Names)} (a custom name needs method: NAME).");
            if (!IsName(label)) throw r.Error(at + ".name", $"'{label}': method names are letters, digits, '_', '-' or '.'.");
            if (methods.Any(m => m.Name == label)) throw r.Error(at + ".name", $"'{label}' names two methods; give each a distinct name (and method: the catalogue name).");
            var layer = r.OptionalString(o, "layer", at);
            var layers = new Dictionary<string, string>(StringComparer.Ordinal);
            if (o["layers"] is { } ln)
                foreach (var (model, node) in r.Object(ln, at + ".layers"))
                {
                    if (!models.Any(m => m.Name == model)) throw r.Error($"{at}.layers.{model}", $"'{model}' is not a model of the study ({string.Join(", ", models.Select(m => m.Name))}).");
                    layers[model] = r.String(node, $"{at}.layers.{model}");
                }
            if (ExplainerCatalog.CamNames.Contains(method))
                foreach (var m in models)
                    if (layer is null && !layers.ContainsKey(m.Name)) throw r.Error(at, $"method '{method}' needs a layer for model '{m.Name}': give layer: NAME or layers: {{{m.Name}: NAME}} (see 'sightline explain --list-layers').");
            var options = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var key in MethodOptionKeys)
                if (o[key] is { } v) options[key] = r.Scalar(v, $"{at}.{key}");
            // A baseline file (explain's --baseline FILE.npy) is resolved against the study file, like every path.
            if (options.TryGetValue("baseline", out var bt) && ExplainOptionValues.TryParseBaseline(bt, out _, out var baselineFile) && baselineFile is not null)
            {
                if (method != "integrated_gradients") throw r.Error($"{at}.baseline", $"a baseline file applies to integrated_gradients, not '{method}'.");
                var resolved = Resolve(baselineFile);
                if (!File.Exists(resolved)) throw r.Error($"{at}.baseline", $"{resolved}: file not found.");
                options["baseline"] = resolved;
            }
            var built = new StudyMethod(label, method, layer, layers, options);
            StudyMethods.CheckOptions(built, (key, message) => r.Error($"{at}.{key}", message));
            methods.Add(built);
        }

        // metrics
        var metricsNode = r.Required(root, "metrics", "");
        string metrics = metricsNode is JsonArray ma ? string.Join(",", ma.Select((x, i) => r.String(x, $"metrics[{i}]"))) : r.String(metricsNode, "metrics");
        var paramList = root["params"] is { } pn ? (pn is JsonArray pa ? pa.Select((x, i) => r.String(x, $"params[{i}]")).ToList() : [r.String(pn, "params")]) : new List<string>();
        try
        {
            var entries = MetricCatalogue.ParseEvaluate(metrics);
            MetricParameters.BindAll(entries, paramList, "params");
            if (masks.Count == 0 && entries.Any(e => e.Kind == MetricKind.MapMask || e.Info.Needs.HasFlag(Metrics.MetricNeeds.Masks)))
                throw r.Error("masks", $"metric '{entries.First(e => e.Kind == MetricKind.MapMask || e.Info.Needs.HasFlag(Metrics.MetricNeeds.Masks)).Name}' compares attributions with a ground truth: add a mask set.");
        }
        catch (InputDataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            bool isParam = e.Message.StartsWith("--param ", StringComparison.Ordinal) || e.Message.StartsWith("params ", StringComparison.Ordinal);
            throw r.Error(isParam ? "params" : "metrics", isParam ? e.Message[(e.Message.IndexOf(' ') + 1)..] : e.Message);
        }

        // statistics
        var stats = new StudyStatistics(1000, 2000, 42, 5, ["iou", "pointing_game"]);
        if (root["statistics"] is { } sn)
        {
            var so = r.Object(sn, "statistics");
            r.Keys(so, "statistics", ["bootstrap", "permutations", "seed", "class_rank", "feature_ranking"]);
            stats = new StudyStatistics(
                so["bootstrap"] is { } b ? r.Int(b, "statistics.bootstrap", min: 0) : stats.Bootstrap,
                so["permutations"] is { } pm ? r.Int(pm, "statistics.permutations", min: 0) : stats.Permutations,
                so["seed"] is { } sd ? (ulong)r.Int(sd, "statistics.seed", min: 0) : stats.Seed,
                so["class_rank"] is { } cr ? r.Int(cr, "statistics.class_rank", min: 0) : stats.ClassRank,
                so["feature_ranking"] is { } fr ? [.. r.Array(fr, "statistics.feature_ranking").Select((x, i) => r.String(x, $"statistics.feature_ranking[{i}]"))] : stats.FeatureRanking);
        }

        // run
        int chunk = 64, batch = 0, seed = 0, examples = 4;
        if (root["run"] is { } rn)
        {
            var ro = r.Object(rn, "run");
            r.Keys(ro, "run", ["chunk", "batch_size", "seed", "examples"]);
            if (ro["chunk"] is { } ch) chunk = r.Int(ch, "run.chunk", min: 1);
            if (ro["batch_size"] is { } bs) batch = r.Int(bs, "run.batch_size", min: 0);
            if (ro["seed"] is { } se) seed = r.Int(se, "run.seed", min: int.MinValue);
            if (ro["examples"] is { } ex) examples = r.Int(ex, "run.examples", min: 0);
        }

        return new StudyDefinition
        {
            Name = name, SourcePath = System.IO.Path.GetFullPath(path), Data = data, Masks = masks, Targets = targets, Models = models, Methods = methods,
            Metrics = metrics, Params = paramList, Statistics = stats, Chunk = chunk, BatchSize = batch, Seed = seed, Examples = examples,
        };
    }

    private static StudyTargetKind TargetKind(Reader r, string text) => text switch
    {
        "predicted" => StudyTargetKind.Predicted,
        "label" => StudyTargetKind.Label,
        "mask_classes" => StudyTargetKind.MaskClasses,
        _ => throw r.Error("targets", $"'{text}': use predicted, label or mask_classes."),
    };

    private static bool IsName(string s) => s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.');

    /// <summary>YAML (or JSON) text as a JSON tree: mappings → objects, sequences → arrays, scalars → strings (JSON keeps its numbers and booleans).</summary>
    private static JsonNode? ToJson(string text, string path)
    {
        var trimmed = text.TrimStart();
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || trimmed.StartsWith('{'))
        {
            try { return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }); }
            catch (JsonException e) { throw new InputDataException($"{path}:{(e.LineNumber ?? 0) + 1}: not valid JSON ({e.Message.Split(" LineNumber")[0].TrimEnd('.')})."); }
        }
        var yaml = new YamlStream();
        try { yaml.Load(new StringReader(text)); }
        catch (YamlException e) { throw new InputDataException($"{path}:{e.Start.Line}: not valid YAML ({(e.InnerException?.Message ?? e.Message).ReplaceLineEndings(" ")})."); }
        if (yaml.Documents.Count == 0) throw new InputDataException($"{path}: the study file is empty.");
        if (yaml.Documents.Count > 1) throw new InputDataException($"{path}: holds {yaml.Documents.Count} YAML documents; a study file is one.");
        return Convert(yaml.Documents[0].RootNode, path);
    }

    private static JsonNode? Convert(YamlNode node, string path)
    {
        switch (node)
        {
            case YamlMappingNode m:
                var o = new JsonObject();
                foreach (var (k, v) in m.Children)
                {
                    var key = (k as YamlScalarNode)?.Value ?? throw new InputDataException($"{path}:{k.Start.Line}: keys are plain names.");
                    if (o.ContainsKey(key)) throw new InputDataException($"{path}:{k.Start.Line}: key '{key}' appears twice.");
                    o[key] = Convert(v, path);
                }
                return o;
            case YamlSequenceNode s:
                var a = new JsonArray();
                foreach (var c in s.Children) a.Add(Convert(c, path));
                return a;
            case YamlScalarNode sc:
                if (sc.Style == YamlDotNet.Core.ScalarStyle.Plain && sc.Value is null or "" or "~" or "null") return null;
                return JsonValue.Create(sc.Value ?? "");
            default:
                throw new InputDataException($"{path}:{node.Start.Line}: unsupported YAML node (aliases and tags are not used in study files).");
        }
    }

    /// <summary>Typed access to the tree with one-line errors naming the key.</summary>
    private sealed class Reader(string path)
    {
        public InputDataException Error(string key, string message) => new($"{path}: {(key.Length == 0 ? "" : key + ": ")}{message.ReplaceLineEndings(" ")}");

        public void Keys(JsonObject o, string at, IReadOnlyList<string> known)
        {
            foreach (var (k, _) in o)
                if (!known.Contains(k)) throw Error(at.Length == 0 ? k : $"{at}.{k}", $"unknown key; known keys{(at.Length == 0 ? "" : " of " + at)}: {string.Join(", ", known)}.");
        }

        public JsonNode Required(JsonObject o, string key, string at) =>
            o[key] ?? throw Error(at.Length == 0 ? key : $"{at}.{key}", "missing (required).");

        public JsonObject Object(JsonNode? n, string at) => n as JsonObject ?? throw Error(at, "expected a mapping of keys.");

        public JsonArray Array(JsonNode? n, string at) => n as JsonArray ?? throw Error(at, "expected a list.");

        public string Scalar(JsonNode? n, string at) => n switch
        {
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
            JsonValue v when v.TryGetValue<double>(out var d) => d.ToString("R", CultureInfo.InvariantCulture),
            _ => throw Error(at, "expected a single value."),
        };

        public string String(JsonNode? n, string at) => Scalar(n, at).Trim();

        public string? OptionalString(JsonObject o, string key, string at) => o[key] is { } n ? String(n, $"{(at.Length == 0 ? "" : at + ".")}{key}") : null;

        public int Int(JsonNode? n, string at, int min)
        {
            var s = Scalar(n, at);
            if (!long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || v < min || v > int.MaxValue)
                throw Error(at, $"'{s}': expected an integer{(min > int.MinValue ? $" ≥ {min}" : "")}.");
            return (int)v;
        }

        public bool Bool(JsonNode? n, string at) => Scalar(n, at).ToLowerInvariant() switch
        {
            "true" or "yes" or "on" => true,
            "false" or "no" or "off" => false,
            var s => throw Error(at, $"'{s}': expected true or false."),
        };

        public IReadOnlyList<int> IntList(JsonNode n, string at) => n is JsonArray a
            ? [.. a.Select((x, i) => Int(x, $"{at}[{i}]", int.MinValue))]
            : [.. String(n, at).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => Int(JsonValue.Create(s), at, int.MinValue))];
    }
}
