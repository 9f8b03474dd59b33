using System.Globalization;
using System.Text.Json;

namespace Sightline.Reports;

/// <summary>One player (token or word) of a text explanation as <c>attributions.csv</c> holds it.</summary>
/// <param name="Index">1-based player index (<c>player_index</c>).</param>
/// <param name="Text">The token or word (<c>player</c>).</param>
/// <param name="Value">ψ (<c>value</c>); −1 for a SemeX word that is not a concept; NaN when empty (undefined).</param>
public sealed record TextPlayer(int Index, string Text, double Value);

/// <summary>One prompt of a text run: its players in order, and what the coalitions sidecar says about it.</summary>
/// <param name="PromptIndex">0-based prompt index.</param>
/// <param name="Players">Players by <see cref="TextPlayer.Index"/>.</param>
/// <param name="Reason">Why the explanation is undefined, when it is.</param>
/// <param name="Prompt">The cleaned prompt (sidecar), when known.</param>
/// <param name="Target">The target the similarity was taken to (an aspect, a reference or the full-prompt reply), when known.</param>
/// <param name="Response">The stored full-prompt response, when known.</param>
/// <param name="Coalitions">How many coalitions were evaluated (sidecar), when known.</param>
public sealed record TextPromptAttribution(int PromptIndex, IReadOnlyList<TextPlayer> Players, string? Reason, string? Prompt, string? Target, string? Response, int? Coalitions);

/// <summary>
/// The outputs of a <c>sightline text explain</c> (or <c>text demo</c>) run: <c>attributions.csv</c> (columns
/// <c>prompt_index</c>, <c>player_index</c>, <c>player</c>, <c>value</c>, <c>reason</c>), its <c>.coalitions.jsonl</c>
/// sidecar and its run record <c>.sightline.json</c> with the settings.
/// </summary>
/// <param name="Path">The attributions file.</param>
/// <param name="Explainer">The explainer's name (sidecar or settings), when known.</param>
/// <param name="Prompts">The prompts in file order.</param>
/// <param name="Settings">The run's settings (option → value) from its run record; empty when there is none.</param>
public sealed record TextAttributions(string Path, string? Explainer, IReadOnlyList<TextPromptAttribution> Prompts, IReadOnlyList<KeyValuePair<string, string?>> Settings);

/// <summary>
/// A faithfulness curve file of <c>sightline text faithfulness</c> (or <c>text demo</c>): per prompt the similarity
/// sim_k for k = 0, 0.1, …, 1 (columns <c>sim_0.0</c> … <c>sim_1.0</c>), with the attributions it was computed from
/// when its run record names them.
/// </summary>
/// <param name="Path">The curve file.</param>
/// <param name="K">The k of each column.</param>
/// <param name="Curves">Per prompt: its index and sim_k (NaN where undefined).</param>
/// <param name="Attributions">The <c>--attributions</c> file of its run record, resolved (null when unknown or not found).</param>
/// <param name="Settings">The run's settings from its run record.</param>
public sealed record TextCurve(string Path, double[] K, IReadOnlyList<(int PromptIndex, double[] Sims)> Curves, string? Attributions, IReadOnlyList<KeyValuePair<string, string?>> Settings)
{
    /// <summary>The mean curve over the prompts whose every sim_k is defined (NaN when none is).</summary>
    public double[] Mean()
    {
        var complete = Curves.Where(c => c.Sims.All(double.IsFinite)).ToList();
        return [.. K.Select((_, i) => complete.Count == 0 ? double.NaN : complete.Average(c => c.Sims[i]))];
    }
}

/// <summary>Recognises and reads the outputs of <c>sightline text</c> for the report (no dependency on Sightline.Text: the file formats are the contract).</summary>
internal static class TextResultsReader
{
    public static bool IsAttributions(CsvTable t) =>
        new[] { "prompt_index", "player_index", "player", "value" }.All(t.Columns.Contains);

    public static bool IsCurve(CsvTable t) =>
        t.Columns.Contains("prompt_index") && t.Columns.Contains("sim_0.0") && t.Columns.Contains("sim_1.0");

    private static double Parse(string s) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN;

    private static int ParseIndex(string s, string what, string file) =>
        int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw new InvalidDataException($"{what} '{s}' is not an integer; the text run in {System.IO.Path.GetFileName(file)} is left out");

    /// <summary>The settings of the run record <c>FILE.sightline.json</c> beside <paramref name="file"/>, empty when none.</summary>
    public static List<KeyValuePair<string, string?>> Settings(string file)
    {
        var record = file + ".sightline.json";
        if (!File.Exists(record)) return [];
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(record));
            if (!doc.RootElement.TryGetProperty("settings", out var s) || s.ValueKind != JsonValueKind.Object) return [];
            return [.. s.EnumerateObject().Select(p => KeyValuePair.Create(p.Name, p.Value.ValueKind switch
            {
                JsonValueKind.String => p.Value.GetString(),
                JsonValueKind.Null => null,
                _ => p.Value.GetRawText(),
            }))];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    public static TextAttributions ReadAttributions(string file, CsvTable t, List<string> skipped, string root)
    {
        int pi = t.Columns.IndexOf("prompt_index"), ki = t.Columns.IndexOf("player_index"), wi = t.Columns.IndexOf("player"),
            vi = t.Columns.IndexOf("value"), ri = t.Columns.IndexOf("reason");
        var side = ReadSidecar(file, skipped, root);
        var settings = Settings(file);
        var prompts = new List<TextPromptAttribution>();
        foreach (var g in t.Rows.GroupBy(r => ParseIndex(r[pi], "prompt_index", file)))
        {
            var players = g.Select(r => new TextPlayer(ParseIndex(r[ki], "player_index", file), r[wi], r[vi].Length == 0 ? double.NaN : Parse(r[vi])))
                .OrderBy(p => p.Index).ToList();
            string? reason = ri >= 0 ? g.Select(r => r[ri]).FirstOrDefault(x => x.Length > 0) : null;
            var s = side.GetValueOrDefault(g.Key);
            prompts.Add(new TextPromptAttribution(g.Key, players, reason, s?.Prompt, s?.Target, s?.Response, s?.Coalitions));
        }
        string? explainer = side.Values.Select(s => s.Explainer).FirstOrDefault(e => e is not null)
            ?? settings.FirstOrDefault(s => s.Key == "--explainer").Value;
        return new TextAttributions(file, explainer, prompts, settings);
    }

    private sealed record SidecarLine(string? Prompt, string? Explainer, string? Target, string? Response, int? Coalitions);

    private static Dictionary<int, SidecarLine> ReadSidecar(string attributions, List<string> skipped, string root)
    {
        var path = System.IO.Path.ChangeExtension(attributions, ".coalitions.jsonl");
        var map = new Dictionary<int, SidecarLine>();
        if (!File.Exists(path)) return map;
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (text.Trim().Length == 0) continue;
            try
            {
                using var doc = JsonDocument.Parse(text);
                var r = doc.RootElement;
                string? S(string name) => r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
                int? coalitions = r.TryGetProperty("coalitions", out var c) && c.ValueKind == JsonValueKind.Array ? c.GetArrayLength() : null;
                map[r.GetProperty("prompt_index").GetInt32()] = new SidecarLine(S("prompt"), S("explainer"), S("target"), S("response"), coalitions);
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                skipped.Add($"{System.IO.Path.GetRelativePath(root, path).Replace('\\', '/')}: line {line} is not a coalitions record ({e.Message.TrimEnd('.')}); the prompts, targets and responses of the rest are left out.");
                return [];
            }
        }
        return map;
    }

    public static TextCurve ReadCurve(string file, CsvTable t)
    {
        var columns = t.Columns.Select((name, i) => (name, i)).Where(c => c.name.StartsWith("sim_", StringComparison.Ordinal))
            .Select(c => (c.i, k: Parse(c.name[4..]))).Where(c => double.IsFinite(c.k)).OrderBy(c => c.k).ToList();
        int pi = t.Columns.IndexOf("prompt_index");
        var curves = t.Rows.Select(r => (ParseIndex(r[pi], "prompt_index", file), columns.Select(c => r[c.i].Length == 0 ? double.NaN : Parse(r[c.i])).ToArray())).ToList();
        var settings = Settings(file);
        string? attributions = null;
        if (settings.FirstOrDefault(s => s.Key == "--attributions").Value is { Length: > 0 } given)
        {
            var dir = System.IO.Path.GetDirectoryName(file)!;
            // The path as given when run (relative to that run's working folder), else the file of that name beside the curve.
            foreach (var candidate in new[] { System.IO.Path.Combine(dir, given), System.IO.Path.Combine(dir, System.IO.Path.GetFileName(given)), given })
                if (File.Exists(candidate)) { attributions = System.IO.Path.GetFullPath(candidate); break; }
        }
        return new TextCurve(file, [.. columns.Select(c => c.k)], curves, attributions, settings);
    }
}
