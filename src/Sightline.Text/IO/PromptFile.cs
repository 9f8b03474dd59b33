using Sightline.Text.Explainers;

namespace Sightline.Text.IO;

/// <summary>
/// Prompts to explain: a <c>.txt</c> file with one prompt per line (blank lines skipped, but counted for nothing), or a
/// <c>.csv</c> with a <c>prompt</c> column and optional <c>aspect</c>, <c>reference</c>, <c>label</c> columns.
/// </summary>
public static class PromptFile
{
    /// <summary>What <c>--prompts</c> takes, for messages.</summary>
    public const string Expected = "a .txt file (one prompt per line) or a .csv file (a 'prompt' column)";

    /// <summary>Reads <paramref name="path"/> (<c>--prompts</c>).</summary>
    public static List<TextPrompt> Read(string path)
    {
        if (path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
        {
            var t = CsvTable.Read(path, "--prompts", Expected);
            int p = t.Column("prompt");
            if (p < 0) throw new InputDataException($"--prompts {path}: no 'prompt' column (columns: {t.HeaderText}); a .csv needs a header row with 'prompt' (optional 'aspect', 'reference', 'label').");
            int a = t.Column("aspect"), r = t.Column("reference"), l = t.Column("label");
            if (t.Rows.Count == 0) throw new InputDataException($"--prompts {path}: no prompts (a header row but no rows under it).");
            return [.. t.Rows.Select((row, i) => new TextPrompt(i, row[p], Cell(row, a), Cell(row, r), Cell(row, l)))];
        }
        var text = TextInputFile.ReadAllText(path, "--prompts", Expected);
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r'));
        var prompts = lines.Where(l => l.Trim().Length > 0).Select((l, i) => new TextPrompt(i, l)).ToList();
        if (prompts.Count == 0) throw new InputDataException($"--prompts {path}: no prompts (only blank lines; a .txt has one prompt per line).");
        return prompts;
    }

    private static string? Cell(string[] row, int i) => i >= 0 && row[i].Length > 0 ? row[i] : null;
}
