namespace Sightline.Results;

/// <summary>A named column of a <see cref="ResultTable"/>: float64, int64 or string values.</summary>
public abstract class ResultColumn(string name)
{
    /// <summary>The stable column name (a metric name, <c>index</c>, <c>reason</c>, ...).</summary>
    public string Name { get; } = name;

    /// <summary>Number of rows.</summary>
    public abstract int Count { get; }
}

/// <summary>Float64 column; NaN marks an undefined value.</summary>
public sealed class DoubleColumn(string name, double[] values) : ResultColumn(name)
{
    /// <summary>The values.</summary>
    public double[] Values { get; } = values;

    /// <inheritdoc/>
    public override int Count => Values.Length;
}

/// <summary>Int64 column.</summary>
public sealed class Int64Column(string name, long[] values) : ResultColumn(name)
{
    /// <summary>The values.</summary>
    public long[] Values { get; } = values;

    /// <inheritdoc/>
    public override int Count => Values.Length;
}

/// <summary>String column; null is an empty cell.</summary>
public sealed class StringColumn(string name, string?[] values) : ResultColumn(name)
{
    /// <summary>The values.</summary>
    public string?[] Values { get; } = values;

    /// <inheritdoc/>
    public override int Count => Values.Length;
}

/// <summary>
/// Result rows in columnar form: one row per sample (and target, method, model when those vary), columns in a
/// stable order. Written as CSV, JSON or Parquet by <see cref="ResultWriter"/>.
/// </summary>
public sealed class ResultTable
{
    private readonly List<ResultColumn> _columns = [];

    /// <summary>The columns in output order.</summary>
    public IReadOnlyList<ResultColumn> Columns => _columns;

    /// <summary>Number of rows (0 when there are no columns).</summary>
    public int RowCount => _columns.Count == 0 ? 0 : _columns[0].Count;

    /// <summary>Appends a column; all columns must have the same length and distinct names.</summary>
    public ResultTable Add(ResultColumn column)
    {
        if (_columns.Count > 0 && column.Count != RowCount)
            throw new ArgumentException($"Column '{column.Name}' has {column.Count} rows, the table has {RowCount}.", nameof(column));
        if (_columns.Any(c => c.Name == column.Name))
            throw new ArgumentException($"Column '{column.Name}' already exists.", nameof(column));
        _columns.Add(column);
        return this;
    }

    /// <summary>The column with that name, or null.</summary>
    public ResultColumn? this[string name] => _columns.FirstOrDefault(c => c.Name == name);
}
