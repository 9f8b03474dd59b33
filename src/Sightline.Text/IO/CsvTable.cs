using System.Text;

namespace Sightline.Text.IO;

/// <summary>A CSV file read whole (RFC 4180: quoted fields with "" escapes and embedded newlines; a header row).</summary>
public sealed class CsvTable
{
    /// <summary>Column names, as in the header.</summary>
    public required string[] Header { get; init; }

    /// <summary>Rows (each as long as the header).</summary>
    public required List<string[]> Rows { get; init; }

    /// <summary>The index of column <paramref name="name"/> (case-insensitive), or −1.</summary>
    public int Column(string name) => Array.FindIndex(Header, h => string.Equals(h.Trim(), name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The header for messages: the column names joined, cut at 120 characters.</summary>
    public string HeaderText
    {
        get
        {
            var text = string.Join(", ", Header);
            return text.Length <= 120 ? text : text[..119] + "…";
        }
    }

    /// <summary>
    /// Reads <paramref name="path"/>; <paramref name="option"/> names it in errors, <paramref name="expected"/> says what
    /// the option takes (a folder, a missing, empty or binary file are refused by <see cref="TextInputFile"/>).
    /// </summary>
    public static CsvTable Read(string path, string option, string expected = "a CSV file")
    {
        var text = TextInputFile.ReadAllText(path, option, expected);
        var records = Parse(text, path, option);
        if (records.Count == 0 || records.All(r => r.Length == 1 && r[0].Trim().Length == 0))
            throw new InputDataException($"{option} {path}: empty CSV (a header row is needed); give {expected}.");
        var header = records[0];
        var rows = new List<string[]>(records.Count - 1);
        for (int r = 1; r < records.Count; r++)
        {
            var rec = records[r];
            if (rec.Length == 1 && rec[0].Length == 0) continue; // blank line
            if (rec.Length != header.Length)
                throw new InputDataException($"{option} {path}: row {r + 1} has {rec.Length} fields, the header {header.Length}; quote fields that contain commas.");
            rows.Add(rec);
        }
        return new CsvTable { Header = header, Rows = rows };
    }

    /// <summary>The records of a CSV text.</summary>
    public static List<string[]> Parse(string text, string path, string option)
    {
        var records = new List<string[]>();
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false, any = false;
        int i = 0;
        if (text.Length > 0 && text[0] == '\uFEFF') i = 1;
        for (; i < text.Length; i++)
        {
            char c = text[i];
            any = true;
            if (quoted)
            {
                if (c == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                    else quoted = false;
                }
                else field.Append(c);
                continue;
            }
            switch (c)
            {
                case '"': quoted = true; break;
                case ',': fields.Add(field.ToString()); field.Clear(); break;
                case '\r': break;
                case '\n':
                    fields.Add(field.ToString()); field.Clear();
                    records.Add([.. fields]); fields.Clear(); any = false;
                    break;
                default: field.Append(c); break;
            }
        }
        if (quoted) throw new InputDataException($"{option} {path}: a quoted field is not closed.");
        if (any) { fields.Add(field.ToString()); records.Add([.. fields]); }
        return records;
    }
}
