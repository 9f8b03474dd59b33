using System.Globalization;
using System.Text.Json;
using Sightline.Metrics;

namespace Sightline.Reports;

/// <summary>
/// Finds reportable files in an <c>align</c>, <c>explain</c> or <c>demo</c> output folder (recursively, up to
/// <see cref="MaxDepth"/> levels below it): per-sample score tables (CSV, Parquet or a JSON array of rows with an
/// <c>index</c> column and registered metric columns), summary JSON files (a top-level <c>metrics</c> object),
/// <c>comparison.json</c>, <c>examples.json</c>, an explain run's <c>predictions.csv</c> with its <c>overlays/</c>, and
/// the outputs of <c>sightline text</c>: attributions tables (with their <c>.coalitions.jsonl</c> sidecar and run record)
/// and faithfulness curves.
/// Files that cannot be read are listed in <see cref="ReportInputs.Skipped"/> instead of failing the report.
/// </summary>
public static class ResultsScanner
{
    /// <summary>How many folder levels below the results folder are searched.</summary>
    public const int MaxDepth = 3;

    /// <summary>Columns that split a score table into groups, in the order they form the group's name.</summary>
    public static readonly IReadOnlyList<string> GroupColumns = ["model", "method", "mask"];

    /// <summary>The files a results folder is expected to hold (for error messages).</summary>
    public const string ExpectedFiles =
        "per-sample scores (*.csv, *.parquet or a *.json array of rows, with an 'index' column and metric columns such as iou, sss, pointing_game), " +
        "summaries (*.json with a top-level 'metrics' object, from 'sightline align --summary'), comparison.json, examples.json, " +
        "an explain run's predictions.csv (with overlays/NNNNNN.png), " +
        "or a text run's attributions.csv (prompt_index, player_index, player, value; 'sightline text explain') and faithfulness curves (prompt_index, sim_0.0 … sim_1.0; 'sightline text faithfulness')";

    /// <summary>Scans <paramref name="root"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static ReportInputs Scan(string root)
    {
        root = Path.GetFullPath(root);
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"{root}: results folder not found.");
        var files = Walk(root, 0, [Real(root)]).OrderBy(f => Path.GetRelativePath(root, f), StringComparer.Ordinal).ToList();
        var skipped = new List<string>();
        var groups = new List<ScoreGroup>();
        var summaries = new List<SummaryFile>();
        var exampleSets = new List<ExampleSet>();
        var explains = new List<ExplainOutput>();
        var texts = new List<TextAttributions>();
        var curves = new List<TextCurve>();
        ComparisonFile? comparison = null;
        var metricNames = MetricRegistry.MapMask.Select(d => d.Name).ToHashSet(StringComparer.Ordinal);

        // The demo writes the same table as CSV and Parquet: read one of them.
        var csvStems = files.Where(f => f.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)).Select(StemPath).ToHashSet(StringComparer.Ordinal);

        foreach (var file in files)
        {
            string ext = Path.GetExtension(file).ToLowerInvariant();
            try
            {
                switch (ext)
                {
                    case ".csv":
                        var table = CsvTable.Read(file);
                        if (IsPredictions(table)) explains.Add(ReadExplain(file, table));
                        else if (TextResultsReader.IsAttributions(table)) texts.Add(TextResultsReader.ReadAttributions(file, table, skipped, root));
                        else if (TextResultsReader.IsCurve(table)) curves.Add(TextResultsReader.ReadCurve(file, table));
                        else if (ScoreTable.Recognise(table.Columns, metricNames)) groups.AddRange(ScoreTable.Groups(file, table.ToColumns(), metricNames));
                        break;
                    case ".parquet" or ".pq":
                        if (csvStems.Contains(StemPath(file))) break;
                        var columns = ScoreTable.ReadParquet(file);
                        if (ScoreTable.Recognise([.. columns.Keys], metricNames)) groups.AddRange(ScoreTable.Groups(file, columns, metricNames));
                        break;
                    case ".json":
                        ReadJson(file, metricNames, groups, summaries, exampleSets, ref comparison);
                        break;
                }
            }
            catch (Exception e) when (e is IOException or JsonException or FormatException or InvalidDataException or InputDataException or InvalidOperationException or NotSupportedException or UnauthorizedAccessException)
            {
                skipped.Add($"{Path.GetRelativePath(root, file).Replace('\\', '/')}: {e.Message.TrimEnd('.')}{LeftOut(file, e)}");
            }
        }
        NameGroups(root, groups);
        NameSummaries(root, summaries);
        var alignMaps = FindAlignMaps(root, summaries, groups, skipped);
        return new ReportInputs(root, groups, summaries, comparison, exampleSets, explains, alignMaps, skipped, texts, curves);
    }

    private static bool IsAncestor(string ancestor, string path) =>
        path.StartsWith(ancestor.EndsWith(Path.DirectorySeparatorChar) ? ancestor : ancestor + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>What the report loses when <paramref name="file"/> cannot be read (the scanner's own messages say it already).</summary>
    private static string LeftOut(string file, Exception e) => e.Message.Contains("left out", StringComparison.Ordinal) ? "." : Path.GetFileName(file) switch
    {
        "comparison.json" => "; the verdict and paired comparisons are left out.",
        "examples.json" => "; its examples are left out.",
        _ => "; what it holds is left out.",
    };

    /// <summary>The full path of <paramref name="dir"/> with every symbolic link on it resolved.</summary>
    private static string Real(string dir)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir));
        var parent = Path.GetDirectoryName(full);
        var resolved = parent is null ? full : Path.Combine(Real(parent), Path.GetFileName(full));
        return new DirectoryInfo(resolved).LinkTarget is { } target
            ? Real(Path.IsPathRooted(target) ? target : Path.Combine(Path.GetDirectoryName(resolved)!, target))
            : resolved;
    }

    /// <summary>
    /// The files under <paramref name="dir"/>, <see cref="MaxDepth"/> levels deep. A folder reached twice (a symbolic
    /// link to a folder already walked) or a link to the results folder or one of its parents is skipped: walking it would
    /// count the same results several times, or report results from outside the folder.
    /// </summary>
    private static IEnumerable<string> Walk(string dir, int depth, HashSet<string> seen)
    {
        IEnumerable<string> files;
        try { files = Directory.EnumerateFiles(dir).ToList(); }
        catch (UnauthorizedAccessException) { yield break; }
        foreach (var f in files)
            if (!Path.GetFileName(f).StartsWith('.')) yield return f;
        if (depth >= MaxDepth) yield break;
        foreach (var sub in Directory.EnumerateDirectories(dir))
        {
            var name = Path.GetFileName(sub);
            // Overlay and example folders hold only images; skip hidden folders and caches.
            if (name.StartsWith('.') || name is "overlays" or "obj" or "bin" or "node_modules") continue;
            var real = Real(sub);
            if (!seen.Add(real) || seen.Any(s => IsAncestor(real, s))) continue;
            foreach (var f in Walk(sub, depth + 1, seen)) yield return f;
        }
    }

    private static bool IsPredictions(CsvTable table) =>
        table.Columns.Contains("index") && table.Columns.Contains("predicted") && table.Columns.Contains("probability");

    private static string StemPath(string file) => Path.Combine(Path.GetDirectoryName(file)!, Path.GetFileNameWithoutExtension(file));

    private static void ReadJson(string file, HashSet<string> metricNames, List<ScoreGroup> groups, List<SummaryFile> summaries,
        List<ExampleSet> exampleSets, ref ComparisonFile? comparison)
    {
        // Model weights and other large JSON files are not results; a summary is small.
        if (new FileInfo(file).Length > 256L << 20) return;
        using var doc = JsonDocument.Parse(File.ReadAllBytes(file), new JsonDocumentOptions { AllowTrailingCommas = true });
        var root = doc.RootElement;
        if (root.ValueKind == JsonValueKind.Array)
        {
            var columns = ScoreTable.FromJsonRows(root);
            if (columns is not null && ScoreTable.Recognise([.. columns.Keys], metricNames)) groups.AddRange(ScoreTable.Groups(file, columns, metricNames));
            else if (Path.GetFileName(file) is "comparison.json" or "examples.json") throw new InvalidDataException($"a JSON array, not an object; it is left out");
            return;
        }
        if (root.ValueKind != JsonValueKind.Object)
        {
            if (Path.GetFileName(file) is "comparison.json" or "examples.json") throw new InvalidDataException($"a JSON {root.ValueKind.ToString().ToLowerInvariant()}, not an object; it is left out");
            return;
        }
        if (root.TryGetProperty("metrics", out var metrics) && metrics.ValueKind == JsonValueKind.Object)
            summaries.Add(ReadSummary(file, root, metrics));
        else if (root.TryGetProperty("comparisons", out var rows) && rows.ValueKind == JsonValueKind.Array)
            comparison ??= ReadComparison(file, root, rows);
        else if (root.TryGetProperty("examples", out var examples) && examples.ValueKind == JsonValueKind.Array)
            exampleSets.Add(ReadExamples(file, root, examples));
        else if (Path.GetFileName(file) is "comparison.json" or "examples.json")
            throw new InvalidDataException(Path.GetFileName(file) == "comparison.json"
                ? "no 'comparisons' array (expected the file 'sightline demo' writes); the verdict and paired comparisons are left out"
                : "no 'examples' array (expected the file 'sightline demo' writes); its examples are left out");
    }

    private static SummaryFile ReadSummary(string file, JsonElement root, JsonElement metrics)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.TryGetProperty("settings", out var s) && s.ValueKind == JsonValueKind.Object)
            foreach (var p in s.EnumerateObject()) settings[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
        var list = metrics.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Object).Select(p => Stats(p.Name, p.Value)).ToList();
        // Without one per-metric statistics object the summary would be reported as an empty table.
        if (list.Count == 0)
            throw new InvalidDataException("its 'metrics' object holds no per-metric statistics (objects with mean, std, n, ... as 'sightline align --summary' writes); it is left out");

        Dictionary<string, IReadOnlyDictionary<string, MetricStats>>? perClass = null;
        if (root.TryGetProperty("per_class", out var pc) && pc.ValueKind == JsonValueKind.Object)
        {
            perClass = [];
            foreach (var m in pc.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Object))
                perClass[m.Name] = m.Value.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Object)
                    .ToDictionary(c => c.Name, c => Stats(m.Name, c.Value));
        }

        Dictionary<string, string>? semscore = null;
        if (root.TryGetProperty("semscore", out var ss) && ss.ValueKind == JsonValueKind.Object)
        {
            semscore = [];
            // An empty class ranking (no class had a defined score) is left out, not printed as an empty list.
            foreach (var p in ss.EnumerateObject().Where(p => p.Value.ValueKind != JsonValueKind.Array || p.Value.GetArrayLength() > 0))
            {
                semscore[p.Name] = p.Value.ValueKind switch
                {
                    JsonValueKind.Number => p.Value.GetRawText().IndexOfAny(['.', 'e', 'E']) < 0 ? p.Value.GetRawText() : Format.Number(p.Value.GetDouble()),
                    JsonValueKind.Null => "NaN",
                    JsonValueKind.Array => string.Join(", ", p.Value.EnumerateArray().Select(c =>
                        c.ValueKind == JsonValueKind.Object && c.TryGetProperty("class", out var k)
                            ? $"{k.GetRawText()} ({Format.Number(Double(c, "mean"))})" : c.GetRawText())),
                    JsonValueKind.String => p.Value.GetString()!,
                    _ => p.Value.GetRawText(),
                };
            }
        }

        Dictionary<string, int>? cases = null;
        if (root.TryGetProperty("si_case_counts", out var cc) && cc.ValueKind == JsonValueKind.Object)
            cases = cc.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Number).ToDictionary(p => p.Name, p => p.Value.GetInt32());

        string? group = root.TryGetProperty("group", out var g) && g.ValueKind == JsonValueKind.String ? g.GetString() : settings.GetValueOrDefault("group");
        settings.TryGetValue("model", out var model);
        settings.TryGetValue("method", out var method);
        settings.TryGetValue("mask", out var mask);
        if (group is not null && model is null && group.Split('/') is { Length: 3 } parts) (model, method, mask) = (parts[0], parts[1], parts[2]);
        var key = new GroupKey(group ?? "", model, method, mask);
        int? samples = root.TryGetProperty("samples", out var n) && n.ValueKind == JsonValueKind.Number ? n.GetInt32() : null;
        List<string>? classNames = root.TryGetProperty("class_names", out var cn) && cn.ValueKind == JsonValueKind.Array
            ? [.. cn.EnumerateArray().Select(c => c.ValueKind == JsonValueKind.String ? c.GetString()! : c.GetRawText())] : null;
        return new SummaryFile(file, key, list, perClass, semscore, cases, settings, samples, classNames);
    }

    private static MetricStats Stats(string metric, JsonElement e)
    {
        double lo = double.NaN, hi = double.NaN;
        if (e.TryGetProperty("ci95", out var ci) && ci.ValueKind == JsonValueKind.Array && ci.GetArrayLength() == 2)
        {
            lo = ci[0].ValueKind == JsonValueKind.Number ? ci[0].GetDouble() : double.NaN;
            hi = ci[1].ValueKind == JsonValueKind.Number ? ci[1].GetDouble() : double.NaN;
        }
        string? direction = e.TryGetProperty("direction", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : MetricInfo.Direction(metric);
        return new MetricStats(metric, Double(e, "mean"), Double(e, "std"), (int)Double(e, "n", 0), (int)Double(e, "nan", 0), Double(e, "median"), lo, hi, direction);
    }

    private static double Double(JsonElement e, string name, double fallback = double.NaN) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : fallback;

    private static string? String(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.ValueKind == JsonValueKind.Null ? null : v.GetRawText() : null;

    private static ComparisonFile ReadComparison(string file, JsonElement root, JsonElement rows)
    {
        var list = new List<ComparisonRow>();
        foreach (var r in rows.EnumerateArray().Where(r => r.ValueKind == JsonValueKind.Object))
        {
            double lo = double.NaN, hi = double.NaN;
            if (r.TryGetProperty("ci95", out var ci) && ci.ValueKind == JsonValueKind.Array && ci.GetArrayLength() == 2)
            {
                lo = ci[0].ValueKind == JsonValueKind.Number ? ci[0].GetDouble() : double.NaN;
                hi = ci[1].ValueKind == JsonValueKind.Number ? ci[1].GetDouble() : double.NaN;
            }
            list.Add(new ComparisonRow(String(r, "metric") ?? "?", String(r, "mask"), String(r, "method"), String(r, "a") ?? "a", String(r, "b") ?? "b",
                (int)Double(r, "n", 0), Double(r, "mean_difference"), lo, hi, Double(r, "p_value"), String(r, "mask_role")));
        }
        var accuracy = new Dictionary<string, IReadOnlyDictionary<string, double>>(StringComparer.Ordinal);
        if (root.TryGetProperty("accuracy", out var acc) && acc.ValueKind == JsonValueKind.Object)
            foreach (var m in acc.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Object))
                accuracy[m.Name] = m.Value.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Number).ToDictionary(p => p.Name, p => p.Value.GetDouble());
        bool? passed = null;
        var lines = new List<string>();
        if (root.TryGetProperty("verdict", out var v) && v.ValueKind == JsonValueKind.Object)
        {
            if (v.TryGetProperty("passed", out var p) && p.ValueKind is JsonValueKind.True or JsonValueKind.False) passed = p.GetBoolean();
            if (v.TryGetProperty("lines", out var l) && l.ValueKind == JsonValueKind.Array)
                lines.AddRange(l.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString()! : x.GetRawText()));
        }
        return new ComparisonFile(file, list, accuracy, passed, lines);
    }

    private static ExampleSet ReadExamples(string file, JsonElement root, JsonElement examples)
    {
        var dir = Path.GetDirectoryName(file)!;
        string? Resolve(string? relative) => string.IsNullOrEmpty(relative) ? null : Path.GetFullPath(Path.Combine(dir, relative));
        var list = new List<Example>();
        foreach (var e in examples.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object))
        {
            var panels = new List<ExamplePanel>();
            if (e.TryGetProperty("panels", out var ps) && ps.ValueKind == JsonValueKind.Array)
                foreach (var p in ps.EnumerateArray().Where(p => p.ValueKind == JsonValueKind.Object))
                {
                    var scores = new Dictionary<string, double>(StringComparer.Ordinal);
                    if (p.TryGetProperty("scores", out var sc) && sc.ValueKind == JsonValueKind.Object)
                        foreach (var kv in sc.EnumerateObject())
                            scores[kv.Name] = kv.Value.ValueKind == JsonValueKind.Number ? kv.Value.GetDouble() : double.NaN;
                    if (Resolve(String(p, "image")) is { } image)
                        panels.Add(new ExamplePanel(String(p, "model") ?? "", String(p, "method") ?? "", image, scores));
                }
            long index = (long)Double(e, "index", list.Count);
            list.Add(new Example(index, String(e, "title") ?? $"sample {index}", Resolve(String(e, "input")), Resolve(String(e, "mask")), panels, String(e, "rank")));
        }
        string? legend = root.TryGetProperty("legend", out var lg) && lg.ValueKind == JsonValueKind.String ? lg.GetString() : null;
        string? ranking = root.TryGetProperty("ranking", out var rk) && rk.ValueKind == JsonValueKind.Object ? String(rk, "description") ?? String(rk, "key") : null;
        return new ExampleSet(file, legend, list, ranking);
    }

    private static ExplainOutput ReadExplain(string file, CsvTable table)
    {
        var rows = new List<Prediction>();
        int Col(string name) => table.Columns.IndexOf(name);
        int ii = Col("index"), pi = Col("path"), li = Col("label"), di = Col("predicted"), bi = Col("probability"), ti = Col("target");
        foreach (var r in table.Rows)
        {
            long L(int i) => i >= 0 && long.TryParse(r[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : -1;
            double D(int i) => i >= 0 && double.TryParse(r[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN;
            rows.Add(new Prediction(L(ii), pi >= 0 ? r[pi] : "", L(li), L(di), D(bi), L(ti)));
        }
        var overlays = Path.Combine(Path.GetDirectoryName(file)!, "overlays");
        return new ExplainOutput(file, rows, Directory.Exists(overlays) ? overlays : null);
    }

    private static void NameGroups(string root, List<ScoreGroup> groups)
    {
        // Unnamed groups (no model/method/mask columns) take their file's name; when two files share a name, the path.
        for (int i = 0; i < groups.Count; i++)
        {
            if (groups[i].Key.Name.Length > 0) continue;
            string stem = Path.GetFileNameWithoutExtension(groups[i].Path);
            bool clash = groups.Count(g => g.Key.Name.Length == 0 && Path.GetFileNameWithoutExtension(g.Path) == stem) > 1;
            groups[i] = groups[i] with { Key = groups[i].Key with { Name = clash ? Path.ChangeExtension(Path.GetRelativePath(root, groups[i].Path), null).Replace('\\', '/') : stem } };
        }
    }

    private static void NameSummaries(string root, List<SummaryFile> summaries)
    {
        for (int i = 0; i < summaries.Count; i++)
        {
            if (summaries[i].Key.Name.Length > 0) continue;
            string stem = Path.GetFileNameWithoutExtension(summaries[i].Path);
            bool clash = summaries.Count(s => s.Key.Name.Length == 0 && Path.GetFileNameWithoutExtension(s.Path) == stem) > 1;
            summaries[i] = summaries[i] with { Key = summaries[i].Key with { Name = clash ? Path.ChangeExtension(Path.GetRelativePath(root, summaries[i].Path), null).Replace('\\', '/') : stem } };
        }
    }

    private static List<AlignMaps> FindAlignMaps(string root, List<SummaryFile> summaries, List<ScoreGroup> groups, List<string> skipped)
    {
        var result = new List<AlignMaps>();
        foreach (var s in summaries)
        {
            if (!s.Settings.TryGetValue("saliency", out var saliency) || !s.Settings.TryGetValue("masks", out var masks)) continue;
            var dir = Path.GetDirectoryName(s.Path)!;
            string? Find(string p)
            {
                // An NPZ entry is written FILE.npz:NAME; look for the file, keep the entry.
                int colon = p.LastIndexOf(':');
                string file = p, entry = "";
                if (colon > 0 && p[..colon].EndsWith(".npz", StringComparison.OrdinalIgnoreCase)) (file, entry) = (p[..colon], p[colon..]);
                foreach (var candidate in new[] { file, Path.Combine(dir, file), Path.Combine(root, file) })
                    if (File.Exists(candidate)) return Path.GetFullPath(candidate) + entry;
                return null;
            }
            var scores = groups.FirstOrDefault(g => g.Key.Model is null && Path.GetDirectoryName(g.Path) == dir);
            var (sal, msk) = (Find(saliency), Find(masks));
            string summary = Path.GetRelativePath(root, s.Path).Replace('\\', '/');
            string where = $"looked for it as given, beside {summary} and in the results folder";
            if (sal is null) skipped.Add($"{summary}: no heat maps: the saliency file '{saliency}' it records was not found ({where}); copy it there or rerun align.");
            else if (msk is null && masks.Length > 0 && new[] { masks, Path.Combine(dir, masks), Path.Combine(root, masks) }.Any(Directory.Exists))
                skipped.Add($"{summary}: no heat maps: its masks are the PNG folder '{masks}'; the report draws heat maps from NPY/NPZ masks only.");
            else if (msk is null) skipped.Add($"{summary}: no heat maps: the mask file '{masks}' it records was not found ({where}); copy it there or rerun align.");
            else if (scores is null) skipped.Add($"{summary}: no heat maps: no per-sample score table (align --out) beside it to rank the samples by.");
            else result.Add(new AlignMaps(sal, msk, scores));
        }
        return result;
    }
}
