using System.Globalization;
using System.Text;
using System.Text.Json;
using Parquet;
using Parquet.Schema;

namespace Sightline.Results;

/// <summary>Output formats chosen by a file's extension.</summary>
public enum ResultFormat
{
    /// <summary>Comma-separated values with a header row; NaN is written as <c>NaN</c>, an empty string cell as nothing.</summary>
    Csv,
    /// <summary>A JSON array of row objects; NaN is written as <c>null</c>.</summary>
    Json,
    /// <summary>Apache Parquet, one row group; float64/int64 columns, strings as optional UTF-8.</summary>
    Parquet,
}

/// <summary>
/// Writes a <see cref="ResultTable"/> to CSV, JSON or Parquet, chosen by the output file's extension
/// (<c>.csv</c>, <c>.json</c>, <c>.parquet</c>). The file is written to a temporary name next to the target and
/// renamed at the end, so a failed or killed run never leaves a half-written result file.
/// </summary>
public static class ResultWriter
{
    /// <summary>The format for a path, from its extension.</summary>
    /// <exception cref="InputDataException">The extension is not .csv, .json or .parquet.</exception>
    public static ResultFormat FormatOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".csv" => ResultFormat.Csv,
        ".json" => ResultFormat.Json,
        ".parquet" or ".pq" => ResultFormat.Parquet,
        var e => throw new InputDataException($"{path}: unknown output extension '{e}'; use .csv, .json or .parquet."),
    };

    /// <summary>Writes the table to <paramref name="path"/> in the format its extension names.</summary>
    public static void Write(ResultTable table, string path)
    {
        var format = FormatOf(path);
        // Temporary file in the destination folder, renamed when complete; I/O failures are one-line input errors.
        Sightline.IO.AtomicFile.Write(path, stream =>
        {
            switch (format)
            {
                case ResultFormat.Csv: WriteCsv(table, stream); break;
                case ResultFormat.Json: WriteJson(table, stream); break;
                default: WriteParquet(table, stream); break;
            }
        });
    }

    /// <summary>Formats a double for CSV: shortest round-trip form, <c>NaN</c>, <c>inf</c>, <c>-inf</c>.</summary>
    public static string FormatDouble(double v) =>
        double.IsNaN(v) ? "NaN" : double.IsPositiveInfinity(v) ? "inf" : double.IsNegativeInfinity(v) ? "-inf" : v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Writes CSV (RFC 4180 quoting).</summary>
    public static void WriteCsv(ResultTable table, Stream stream)
    {
        using var w = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
        w.WriteLine(string.Join(',', table.Columns.Select(c => Quote(c.Name))));
        var sb = new StringBuilder();
        for (int r = 0; r < table.RowCount; r++)
        {
            sb.Clear();
            for (int c = 0; c < table.Columns.Count; c++)
            {
                if (c > 0) sb.Append(',');
                switch (table.Columns[c])
                {
                    case DoubleColumn d: sb.Append(FormatDouble(d.Values[r])); break;
                    case Int64Column l: sb.Append(l.Values[r].ToString(CultureInfo.InvariantCulture)); break;
                    case StringColumn s: sb.Append(Quote(s.Values[r] ?? "")); break;
                }
            }
            w.WriteLine(sb);
        }
    }

    /// <summary>One CSV field, quoted per RFC 4180 when it holds a comma, quote or line break.</summary>
    public static string Quote(string s) =>
        s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;

    /// <summary>Writes a JSON array of row objects.</summary>
    public static void WriteJson(ResultTable table, Stream stream)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false });
        w.WriteStartArray();
        for (int r = 0; r < table.RowCount; r++)
        {
            w.WriteStartObject();
            foreach (var col in table.Columns)
            {
                switch (col)
                {
                    case DoubleColumn d:
                        if (double.IsFinite(d.Values[r])) w.WriteNumber(col.Name, d.Values[r]);
                        else w.WriteNull(col.Name);
                        break;
                    case Int64Column l: w.WriteNumber(col.Name, l.Values[r]); break;
                    case StringColumn s:
                        if (s.Values[r] is { } v) w.WriteString(col.Name, v);
                        else w.WriteNull(col.Name);
                        break;
                }
            }
            w.WriteEndObject();
            if (r % 4096 == 4095) w.Flush();
        }
        w.WriteEndArray();
    }

    /// <summary>Writes Parquet.</summary>
    public static void WriteParquet(ResultTable table, Stream stream) => WriteParquetAsync(table, stream).GetAwaiter().GetResult();

    private static async Task WriteParquetAsync(ResultTable table, Stream stream)
    {
        var fields = table.Columns.Select(c => c switch
        {
            DoubleColumn => (DataField)new DataField<double>(c.Name),
            Int64Column => new DataField<long>(c.Name),
            _ => new DataField<string>(c.Name, nullable: true),
        }).ToArray();
        var schema = new ParquetSchema(fields);
        await using var writer = await ParquetWriter.CreateAsync(schema, stream);
        using var group = writer.CreateRowGroup();
        for (int i = 0; i < fields.Length; i++)
        {
            switch (table.Columns[i])
            {
                case DoubleColumn d: await group.WriteAsync<double>(fields[i], d.Values); break;
                case Int64Column l: await group.WriteAsync<long>(fields[i], l.Values); break;
                case StringColumn s: await group.WriteAsync(fields[i], (IReadOnlyCollection<string>)s.Values!); break;
            }
        }
    }
}
