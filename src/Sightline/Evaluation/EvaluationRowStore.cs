using System.Globalization;
using System.Text;
using System.Text.Json;
using Sightline.IO;
using Sightline.Results;

namespace Sightline.Evaluation;

/// <summary>
/// The resumable row store of an evaluation run (the same protocol as <see cref="ResumableStack"/>): while the run is
/// unfinished, rows live in <c>OUT.rows.partial</c> (CSV: index, target, the metric columns with round-trip doubles,
/// reason) and curves in <c>OUT.curves.partial</c> (float32, sample-major); each chunk is appended and flushed, and only
/// then the progress file <c>OUT.progress.json</c> (signature, samples done, samples failed) is replaced atomically. On a
/// re-run with the same signature the partial files are cut back to the committed samples and the run continues after
/// them, so a kill -9 at any point loses nothing and duplicates nothing; another signature starts afresh. <see cref="Complete"/>
/// hands the rows to the caller, which writes the final outputs atomically (table, curves, summary); the signature is
/// then recorded in <c>OUT.sightline.json</c>, so the same command on a finished run reports <see cref="IsComplete"/>
/// (unless forced). The store holds <c>OUT.lock</c> while open.
/// </summary>
public sealed class EvaluationRowStore : IEvaluationSink, IDisposable
{
    private readonly string _path, _rowsPartial, _curvesPartial, _progressPath, _sidecarPath, _signature;
    private readonly EvaluationLayout _layout;
    private readonly int _samples;
    private StreamWriter? _rows;
    private FileStream? _curves;
    private OutputLock? _lock;

    private EvaluationRowStore(string path, EvaluationLayout layout, int samples, string signature, bool force, IReadOnlyList<string> alsoRequired)
    {
        _path = path;
        _rowsPartial = path + ".rows.partial";
        _curvesPartial = path + ".curves.partial";
        _progressPath = path + ".progress.json";
        _sidecarPath = path + ".sightline.json";
        _signature = signature;
        _layout = layout;
        _samples = samples;
        if (!force && File.Exists(path) && alsoRequired.All(File.Exists) && Read(_sidecarPath) is { } finished
            && finished.Signature == signature && finished.Done == samples)
        {
            IsComplete = true;
            Done = samples;
            Failed = finished.Failed;
            return;
        }
        var header = Header(layout);
        int done = 0, failed = 0;
        if (!force && Read(_progressPath) is { } state && state.Signature == signature && File.Exists(_rowsPartial)
            && (layout.CurveValues == 0 || File.Exists(_curvesPartial)))
        {
            var kept = File.ReadLines(_rowsPartial).Take(state.Done + 1).ToList();
            long curveBytes = (long)state.Done * layout.CurveValues * sizeof(float);
            bool curvesOk = layout.CurveValues == 0 || new FileInfo(_curvesPartial).Length >= curveBytes;
            if (kept.Count == state.Done + 1 && kept[0] == header && curvesOk)
            {
                done = state.Done;
                failed = state.Failed;
                File.WriteAllText(_rowsPartial, string.Join("\n", kept) + "\n");
            }
        }
        if (done == 0) File.WriteAllText(_rowsPartial, header + "\n");
        _rows = new StreamWriter(new FileStream(_rowsPartial, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false)) { NewLine = "\n" };
        if (layout.CurveValues > 0)
        {
            _curves = new FileStream(_curvesPartial, done == 0 ? FileMode.Create : FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
            _curves.SetLength((long)done * layout.CurveValues * sizeof(float));
        }
        Done = done;
        Failed = failed;
        if (done == 0) SaveProgress();
    }

    /// <summary>
    /// Opens or resumes the store of <paramref name="path"/> for a run of <paramref name="samples"/> samples.
    /// <paramref name="alsoRequired"/> are the other final outputs (curves, summary) that must exist for a finished run to
    /// count as complete; <paramref name="force"/> starts afresh.
    /// </summary>
    /// <exception cref="InputDataException">Another run holds the output's lock, or the partial files cannot be written.</exception>
    public static EvaluationRowStore Open(string path, EvaluationLayout layout, int samples, string signature, bool force = false, IReadOnlyList<string>? alsoRequired = null)
    {
        AtomicFile.EnsureFolder(path);
        var held = OutputLock.Acquire(path);
        try
        {
            return new EvaluationRowStore(path, layout, samples, signature, force, alsoRequired ?? []) { _lock = held };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            held.Dispose();
            throw AtomicFile.CannotWrite(Path.GetFullPath(path) + ".rows.partial", e);
        }
        catch
        {
            held.Dispose();
            throw;
        }
    }

    /// <summary>True when <c>OUT</c> already holds the finished run of this signature.</summary>
    public bool IsComplete { get; private set; }

    /// <inheritdoc/>
    public int Done { get; private set; }

    /// <summary>Failed samples among <see cref="Done"/> (NaN + reason for every metric).</summary>
    public int Failed { get; private set; }

    /// <summary>"k of n samples are saved in OUT.rows.partial; run the same command again to resume" for an unfinished run that committed rows; null otherwise.</summary>
    public string? ResumeHint => !IsComplete && Done > 0
        ? $"{Done} of {_samples} samples are saved in {_rowsPartial}; run the same command again to resume"
        : null;

    /// <inheritdoc/>
    public void Append(EvaluationChunk chunk)
    {
        if (IsComplete || _rows is null) throw new InvalidOperationException($"{_path} is already complete; nothing can be appended.");
        if (chunk.Start != Done) throw new InvalidOperationException($"Chunk starts at {chunk.Start}, but {Done} samples are stored.");
        int width = _layout.Columns.Count;
        var sb = new StringBuilder();
        for (int i = 0; i < chunk.Count; i++)
        {
            sb.Clear();
            sb.Append((chunk.Start + i).ToString(CultureInfo.InvariantCulture)).Append(',').Append(chunk.Targets[i].ToString(CultureInfo.InvariantCulture));
            for (int c = 0; c < width; c++) sb.Append(',').Append(ResultWriter.FormatDouble(chunk.Values[i * width + c]));
            sb.Append(',').Append(chunk.Reasons[i] is { } r ? ResultWriter.Quote(r) : "");
            _rows.WriteLine(sb);
        }
        _rows.Flush();
        _rows.BaseStream.Flush();
        if (_curves is not null)
        {
            _curves.Position = (long)Done * _layout.CurveValues * sizeof(float);
            _curves.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(chunk.Curves.AsSpan(0, chunk.Count * _layout.CurveValues)));
            _curves.Flush(flushToDisk: true);
        }
        Done += chunk.Count;
        Failed += chunk.Failed.Count(f => f);
        SaveProgress();
    }

    /// <summary>
    /// Reads the committed rows (all samples) back as a table (<c>index</c>, <c>target</c>, the metric columns,
    /// <c>reason</c>) with the curves (N × <see cref="EvaluationLayout.CurveValues"/>), hands them to
    /// <paramref name="write"/> (which writes the final outputs, each atomically), then records the signature and removes
    /// the partial files. Does nothing when <see cref="IsComplete"/>.
    /// </summary>
    public void Complete(Action<ResultTable, float[]> write)
    {
        if (IsComplete) return;
        if (Done != _samples) throw new InvalidOperationException($"{_path}: {Done} of {_samples} samples stored; the run is not complete.");
        _rows?.Dispose();
        _rows = null;
        float[] curves = [];
        if (_curves is not null)
        {
            curves = new float[(long)_samples * _layout.CurveValues];
            _curves.Position = 0;
            _curves.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(curves.AsSpan()));
            _curves.Dispose();
            _curves = null;
        }
        var table = ReadTable();
        File.Delete(_sidecarPath);
        write(table, curves);
        AtomicFile.WriteAllText(_sidecarPath, JsonSerializer.Serialize(new State(_signature, Done, Failed)));
        foreach (var f in new[] { _progressPath, _rowsPartial, _curvesPartial }) File.Delete(f);
        IsComplete = true;
    }

    private ResultTable ReadTable()
    {
        int width = _layout.Columns.Count, n = _samples;
        var index = new long[n];
        var targets = new long[n];
        var values = _layout.Columns.Select(_ => new double[n]).ToArray();
        var reasons = new string?[n];
        int r = 0;
        foreach (var line in File.ReadLines(_rowsPartial).Skip(1))
        {
            if (r == n) break;
            int pos = 0;
            string Next()
            {
                int comma = line.IndexOf(',', pos);
                var field = line[pos..comma];
                pos = comma + 1;
                return field;
            }
            index[r] = long.Parse(Next(), CultureInfo.InvariantCulture);
            targets[r] = long.Parse(Next(), CultureInfo.InvariantCulture);
            for (int c = 0; c < width; c++) values[c][r] = ParseDouble(Next());
            var rest = line[pos..];
            reasons[r] = rest.Length == 0 ? null : rest.StartsWith('"') ? rest[1..^1].Replace("\"\"", "\"") : rest;
            r++;
        }
        if (r != n) throw new InvalidOperationException($"{_rowsPartial}: {r} rows, {n} expected.");
        var table = new ResultTable();
        table.Add(new Int64Column("index", index));
        table.Add(new Int64Column("target", targets));
        for (int c = 0; c < width; c++) table.Add(new DoubleColumn(_layout.Columns[c], values[c]));
        table.Add(new StringColumn("reason", reasons));
        return table;
    }

    private static double ParseDouble(string s) => s switch
    {
        "NaN" => double.NaN,
        "inf" => double.PositiveInfinity,
        "-inf" => double.NegativeInfinity,
        _ => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    private static string Header(EvaluationLayout layout) =>
        string.Join(',', new[] { "index", "target" }.Concat(layout.Columns).Append("reason").Select(ResultWriter.Quote));

    private void SaveProgress() => AtomicFile.WriteAllText(_progressPath, JsonSerializer.Serialize(new State(_signature, Done, Failed)));

    private static State? Read(string file)
    {
        if (!File.Exists(file)) return null;
        try { return JsonSerializer.Deserialize<State>(File.ReadAllText(file)); }
        catch (JsonException) { return null; }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _rows?.Dispose();
        _rows = null;
        _curves?.Dispose();
        _curves = null;
        if (!IsComplete && Done == 0)
            foreach (var f in new[] { _rowsPartial, _curvesPartial, _progressPath })
            {
                try { File.Delete(f); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            }
        _lock?.Dispose();
        _lock = null;
    }

    private sealed record State(string Signature, int Done, int Failed);
}
