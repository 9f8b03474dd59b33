using System.Globalization;
using System.Text.Json;
using Sightline.IO;
using Sightline.Results;
using Sightline.Text.Explainers;

namespace Sightline.Text.IO;

/// <summary>
/// <c>attributions.csv</c> (spec §4 of the issue): one row per (prompt, player) with <c>prompt_index</c> (0-based),
/// <c>player_index</c> (1-based, TokenSHAP's convention; for SemeX the word position + 1), <c>player</c>, <c>value</c>
/// (ψ; SemeX's non-concept words −1; empty when undefined) and <c>reason</c>; plus the JSONL sidecar
/// <c>&lt;out&gt;.coalitions.jsonl</c>, one line per prompt with the cleaned prompt, the explainer, the target, the stored
/// full-prompt response, the replacements, φ and every coalition (indexes, content, response, value, skip: TokenSHAP's
/// results table), so nothing computed is thrown away.
/// </summary>
public static class AttributionsFile
{
    /// <summary>The sidecar path for <paramref name="output"/>: the output with its extension replaced by <c>.coalitions.jsonl</c>.</summary>
    public static string SidecarFor(string output) => Path.ChangeExtension(output, ".coalitions.jsonl");

    /// <summary>Writes the table (format by extension) and the sidecar, each atomically.</summary>
    public static void Write(IReadOnlyList<TextExplanation> explanations, string output)
    {
        var rows = explanations.SelectMany(e => e.Players.Select(p => (e, p))).ToList();
        var table = new ResultTable()
            .Add(new Int64Column("prompt_index", [.. rows.Select(r => (long)r.e.PromptIndex)]))
            .Add(new Int64Column("player_index", [.. rows.Select(r => (long)r.p.Position + 1)]))
            .Add(new StringColumn("player", [.. rows.Select(r => (string?)r.p.Text)]))
            .Add(new DoubleColumn("value", [.. rows.Select(r => r.p.Score)]))
            .Add(new StringColumn("reason", [.. rows.Select(r => double.IsNaN(r.p.Score) ? r.e.Reason ?? "undefined" : null)]));
        if (ResultWriter.FormatOf(output) == ResultFormat.Csv)
        {
            // CSV: an undefined value is an empty field (the reason says why), not "NaN".
            AtomicFile.WriteAllLines(output, rows.Select(r => string.Join(',',
                    r.e.PromptIndex.ToString(CultureInfo.InvariantCulture), (r.p.Position + 1).ToString(CultureInfo.InvariantCulture), ResultWriter.Quote(r.p.Text),
                    double.IsNaN(r.p.Score) ? "" : ResultWriter.FormatDouble(r.p.Score),
                    double.IsNaN(r.p.Score) ? ResultWriter.Quote(r.e.Reason ?? "undefined") : ""))
                .Prepend("prompt_index,player_index,player,value,reason"));
        }
        else ResultWriter.Write(table, output);
        var lines = explanations.Select(e => JsonSerializer.Serialize(new
        {
            prompt_index = e.PromptIndex,
            prompt = e.Prompt,
            explainer = e.Explainer,
            target = e.Target,
            response = e.Response,
            reason = e.Reason,
            players = e.Players.Select(p => p.Text),
            concepts = e.Players.Where(p => p.IsConcept).Select(p => p.Position + 1),
            replacements = e.Replacements,
            phi = e.Phi?.Select(x => double.IsFinite(x) ? (double?)x : null),
            coalitions = e.Coalitions.Select(c => new { indexes = c.Indexes, kind = c.Kind, bits = c.Bits, content = c.Content, response = c.Response, similarity = c.Value, skip = c.Skip }),
        }));
        AtomicFile.WriteAllLines(SidecarFor(output), lines);
    }

    /// <summary>One prompt's attributions as read back.</summary>
    /// <param name="PromptIndex">0-based prompt index.</param>
    /// <param name="Words">Players in position order.</param>
    /// <param name="Scores">Their values (NaN when empty).</param>
    /// <param name="Reason">The first reason given, or null.</param>
    public sealed record Entry(int PromptIndex, string[] Words, double[] Scores, string? Reason)
    {
        /// <summary>Whether every score is finite (downstream metrics skip the others).</summary>
        public bool Valid => Scores.Length > 0 && Scores.All(double.IsFinite);
    }

    /// <summary>The sidecar's per-prompt fields used downstream.</summary>
    /// <param name="Prompt">The cleaned prompt.</param>
    /// <param name="Explainer">The explainer's name.</param>
    /// <param name="Response">The stored full-prompt response.</param>
    public sealed record Sidecar(string Prompt, string Explainer, string? Response);

    /// <summary>What <c>--attributions</c> takes, for messages.</summary>
    public const string AttributionsExpected = "the attributions .csv that 'sightline text explain --out' wrote";

    /// <summary>Reads an attributions CSV (<paramref name="option"/> names it in errors), grouped by prompt in file order.</summary>
    public static List<Entry> Read(string path, string option = "--attributions")
    {
        TextInputFile.CheckFile(path, option, AttributionsExpected);
        if (!path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
            throw new InputDataException($"{option} {path}: the evaluations read the CSV form of the attributions; run 'text explain' with --out NAME.csv.");
        var t = CsvTable.Read(path, option, AttributionsExpected);
        int pi = t.Column("prompt_index"), ki = t.Column("player_index"), w = t.Column("player"), v = t.Column("value"), r = t.Column("reason");
        if (pi < 0 || ki < 0 || w < 0 || v < 0)
            throw new InputDataException($"{option} {path}: not an attributions table (needs prompt_index, player_index, player, value; has {t.HeaderText}); give {AttributionsExpected}.");
        var groups = new List<Entry>();
        foreach (var g in t.Rows.GroupBy(row => ParseInt(row[pi], path, option)))
        {
            var ordered = g.OrderBy(row => ParseInt(row[ki], path, option)).ToList();
            groups.Add(new Entry(g.Key, [.. ordered.Select(row => row[w])],
                [.. ordered.Select(row => row[v].Length == 0 ? double.NaN : ParseDouble(row[v], path, option))],
                r >= 0 ? ordered.Select(row => row[r]).FirstOrDefault(x => x.Length > 0) : null));
        }
        return groups;
    }

    /// <summary>Reads the sidecar of <paramref name="attributions"/> (by prompt index), or null when there is none.</summary>
    public static Dictionary<int, Sidecar>? ReadSidecar(string attributions)
    {
        var path = SidecarFor(attributions);
        if (!File.Exists(path)) return null;
        var map = new Dictionary<int, Sidecar>();
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (text.Trim().Length == 0) continue;
            try
            {
                using var doc = JsonDocument.Parse(text);
                var root = doc.RootElement;
                map[root.GetProperty("prompt_index").GetInt32()] = new Sidecar(root.GetProperty("prompt").GetString()!, root.GetProperty("explainer").GetString()!,
                    root.TryGetProperty("response", out var resp) && resp.ValueKind == JsonValueKind.String ? resp.GetString() : null);
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new InputDataException($"{path}: line {line} is not a coalitions record ({ex.Message.TrimEnd('.')}).");
            }
        }
        return map;
    }

    private static int ParseInt(string s, string path, string option) =>
        int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var x) ? x : throw new InputDataException($"{option} {path}: '{s}' is not an integer index.");

    private static double ParseDouble(string s, string path, string option) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) ? x
        : s.Equals("nan", StringComparison.OrdinalIgnoreCase) ? double.NaN
        : throw new InputDataException($"{option} {path}: '{s}' is not a number.");
}
