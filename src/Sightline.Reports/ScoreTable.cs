using System.Globalization;
using System.Text;
using System.Text.Json;
using Parquet;

namespace Sightline.Reports;

/// <summary>A CSV file read as text cells (RFC 4180 quoting), header row first.</summary>
internal sealed class CsvTable
{
    public required List<string> Columns { get; init; }
    public required List<string[]> Rows { get; init; }

    public static CsvTable Read(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8);
        var records = Parse(reader).ToList();
        if (records.Count == 0) return new CsvTable { Columns = [], Rows = [] };
        var header = records[0].Select(h => h.Trim()).ToList();
        var rows = records.Skip(1).Where(r => !(r.Count == 1 && r[0].Length == 0)).Select(r =>
        {
            var row = new string[header.Count];
            for (int i = 0; i < row.Length; i++) row[i] = i < r.Count ? r[i] : "";
            return row;
        }).ToList();
        return new CsvTable { Columns = header, Rows = rows };
    }

    public Dictionary<string, Array> ToColumns()
    {
        var result = new Dictionary<string, Array>(StringComparer.Ordinal);
        for (int c = 0; c < Columns.Count; c++)
        {
            var values = new string[Rows.Count];
            for (int r = 0; r < Rows.Count; r++) values[r] = Rows[r][c];
            result.TryAdd(Columns[c], values);
        }
        return result;
    }

    private static IEnumerable<List<string>> Parse(TextReader reader)
    {
        var record = new List<string>();
        var cell = new StringBuilder();
        bool quoted = false, any = false;
        int ch;
        while ((ch = reader.Read()) >= 0)
        {
            any = true;
            char c = (char)ch;
            if (quoted)
            {
                if (c == '"')
                {
                    if (reader.Peek() == '"') { reader.Read(); cell.Append('"'); }
                    else quoted = false;
                }
                else cell.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { record.Add(cell.ToString()); cell.Clear(); }
            else if (c == '\r') { }
            else if (c == '\n')
            {
                record.Add(cell.ToString());
                cell.Clear();
                yield return record;
                record = [];
                any = false;
            }
            else cell.Append(c);
        }
        if (any)
        {
            record.Add(cell.ToString());
            yield return record;
        }
    }
}

/// <summary>Reads per-sample score tables (CSV, Parquet, JSON rows) into <see cref="ScoreGroup"/>s.</summary>
internal static class ScoreTable
{
    public static bool Recognise(IReadOnlyCollection<string> columns, HashSet<string> metricNames) =>
        columns.Contains("index") && columns.Any(metricNames.Contains);

    public static Dictionary<string, Array> ReadParquet(string path) => ReadParquetAsync(path).GetAwaiter().GetResult();

    private static async Task<Dictionary<string, Array>> ReadParquetAsync(string path)
    {
        await using var stream = File.OpenRead(path);
        await using var reader = await ParquetReader.CreateAsync(stream);
        var parts = new Dictionary<string, List<Array>>(StringComparer.Ordinal);
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            int rows = checked((int)group.RowCount);
            foreach (var field in reader.Schema.DataFields)
            {
                if (field.IsArray) continue;
                Array? data = field.ClrType == typeof(string) ? await ReadStrings(group, field, rows)
                    : field.ClrType == typeof(double) ? await ReadNumbers<double>(group, field, rows, v => v)
                    : field.ClrType == typeof(float) ? await ReadNumbers<float>(group, field, rows, v => v)
                    : field.ClrType == typeof(long) ? await ReadNumbers<long>(group, field, rows, v => v)
                    : field.ClrType == typeof(int) ? await ReadNumbers<int>(group, field, rows, v => v)
                    : field.ClrType == typeof(bool) ? await ReadNumbers<bool>(group, field, rows, v => v ? 1 : 0)
                    : null;
                if (data is null) continue;
                if (!parts.TryGetValue(field.Name, out var list)) parts[field.Name] = list = [];
                list.Add(data);
            }
        }
        var result = new Dictionary<string, Array>(StringComparer.Ordinal);
        foreach (var (name, arrays) in parts)
        {
            int total = arrays.Sum(a => a.Length);
            var merged = Array.CreateInstance(arrays[0].GetType().GetElementType()!, total);
            int offset = 0;
            foreach (var a in arrays) { Array.Copy(a, 0, merged, offset, a.Length); offset += a.Length; }
            result[name] = merged;
        }
        return result;
    }

    private static async Task<Array> ReadStrings(ParquetRowGroupReader group, Parquet.Schema.DataField field, int rows)
    {
        var values = new string?[rows];
        await group.ReadAsync(field, values.AsMemory());
        return values;
    }

    private static async Task<Array> ReadNumbers<T>(ParquetRowGroupReader group, Parquet.Schema.DataField field, int rows, Func<T, double> convert) where T : struct
    {
        var result = new double[rows];
        if (field.IsNullable)
        {
            var values = new T?[rows];
            await group.ReadAsync<T>(field, values.AsMemory());
            for (int i = 0; i < rows; i++) result[i] = values[i] is { } v ? convert(v) : double.NaN;
        }
        else
        {
            var values = new T[rows];
            await group.ReadAsync<T>(field, values.AsMemory());
            for (int i = 0; i < rows; i++) result[i] = convert(values[i]);
        }
        return result;
    }

    /// <summary>Columns of a JSON array of row objects (numbers as double, strings as string, null as NaN/null), or null when it is not one.</summary>
    public static Dictionary<string, Array>? FromJsonRows(JsonElement array)
    {
        int n = array.GetArrayLength();
        if (n == 0 || array[0].ValueKind != JsonValueKind.Object) return null;
        var names = array[0].EnumerateObject().Select(p => p.Name).ToList();
        var result = new Dictionary<string, Array>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var kind = array.EnumerateArray().Select(r => r.TryGetProperty(name, out var v) ? v.ValueKind : JsonValueKind.Null)
                .FirstOrDefault(k => k != JsonValueKind.Null, JsonValueKind.Null);
            if (kind == JsonValueKind.Number)
            {
                var values = new double[n];
                int i = 0;
                foreach (var r in array.EnumerateArray())
                    values[i++] = r.ValueKind == JsonValueKind.Object && r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : double.NaN;
                result[name] = values;
            }
            else
            {
                var values = new string?[n];
                int i = 0;
                foreach (var r in array.EnumerateArray())
                    values[i++] = r.ValueKind == JsonValueKind.Object && r.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null
                        ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText() : null;
                result[name] = values;
            }
        }
        return result;
    }

    /// <summary>Splits a table into groups by its model/method/mask columns (a group with an empty name when it has none).</summary>
    public static IEnumerable<ScoreGroup> Groups(string path, Dictionary<string, Array> columns, HashSet<string> metricNames)
    {
        int n = columns["index"].Length;
        var index = new long[n];
        for (int i = 0; i < n; i++) index[i] = (long)GetDouble(columns["index"], i);
        var metrics = columns.Keys.Where(metricNames.Contains).ToList();
        var scoreColumns = metrics.ToDictionary(m => m, m =>
        {
            var v = new double[n];
            for (int i = 0; i < n; i++) v[i] = Score(path, columns[m], m, i);
            return v;
        });
        var present = ResultsScanner.GroupColumns.Where(columns.ContainsKey).ToList();
        var keys = new string?[n][];
        for (int i = 0; i < n; i++) keys[i] = [.. present.Select(c => GetString(columns[c], i))];
        var order = new List<string>();
        var rowsOf = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var parts = new Dictionary<string, string?[]>(StringComparer.Ordinal);
        for (int i = 0; i < n; i++)
        {
            string id = string.Join("/", keys[i].Select(k => k ?? ""));
            if (!rowsOf.TryGetValue(id, out var list)) { rowsOf[id] = list = []; order.Add(id); parts[id] = keys[i]; }
            list.Add(i);
        }
        foreach (var id in order)
        {
            var rows = rowsOf[id];
            string? Part(string column) => present.IndexOf(column) is int k and >= 0 && !string.IsNullOrEmpty(parts[id][k]) ? parts[id][k] : null;
            var name = present.Count == 0 ? "" : string.Join("/", parts[id].Where(p => !string.IsNullOrEmpty(p)));
            var key = new GroupKey(name, Part("model"), Part("method"), Part("mask"));
            var scores = metrics.ToDictionary(m => m, m => rows.Select(r => scoreColumns[m][r]).ToArray());
            yield return new ScoreGroup(key, [.. rows.Select(r => index[r])], scores, path);
        }
    }

    public static double GetDouble(Array column, int i) => column.GetValue(i) switch
    {
        null => double.NaN,
        double d => d,
        float f => f,
        long l => l,
        int k => k,
        short s => s,
        byte b => b,
        bool b => b ? 1 : 0,
        decimal m => (double)m,
        string s => ParseDouble(s),
        var o => ParseDouble(Convert.ToString(o, CultureInfo.InvariantCulture) ?? ""),
    };

    /// <summary>
    /// Cell <paramref name="i"/> of metric column <paramref name="name"/>: a number, or NaN for an empty cell, NaN or null
    /// (an undefined score). Any other text is refused: read as NaN it would silently drop the sample from every aggregate.
    /// </summary>
    /// <exception cref="InputDataException">The cell holds text that is not a number.</exception>
    private static double Score(string path, Array column, string name, int i)
    {
        double v = GetDouble(column, i);
        if (double.IsNaN(v) && column.GetValue(i) is string s && s.Trim() is { Length: > 0 } t && !t.Equals("nan", StringComparison.OrdinalIgnoreCase))
            throw new InputDataException($"{path}: row {i + 1} of metric column '{name}' holds '{(t.Length > 40 ? t[..40] + "…" : t)}', not a number; fix or remove that file (scores are numbers, an undefined score is empty or NaN).");
        return v;
    }

    public static string? GetString(Array column, int i) => column.GetValue(i) switch
    {
        null => null,
        string s => s,
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        var o => Convert.ToString(o, CultureInfo.InvariantCulture),
    };

    private static double ParseDouble(string s)
    {
        s = s.Trim();
        if (s.Length == 0) return double.NaN;
        if (s.Equals("inf", StringComparison.OrdinalIgnoreCase)) return double.PositiveInfinity;
        if (s.Equals("-inf", StringComparison.OrdinalIgnoreCase)) return double.NegativeInfinity;
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN;
    }
}
