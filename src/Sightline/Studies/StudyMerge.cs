using System.Globalization;
using DuckDB.NET.Data;
using Sightline.Evaluation;
using Sightline.IO;
using Sightline.Metrics;
using Sightline.Results;
using Sightline.Statistics;

namespace Sightline.Studies;

/// <summary>The outcome of <see cref="StudyMerge.Run"/>.</summary>
/// <param name="Rows">Rows in <c>scores.parquet</c>.</param>
/// <param name="Units">Units merged.</param>
/// <param name="Files">The files written.</param>
public sealed record StudyMergeResult(long Rows, int Units, IReadOnlyList<string> Files);

/// <summary>
/// <c>study merge</c>: combines a study's chunks (every shard's) with DuckDB (<c>read_parquet</c> over the chunk glob)
/// into <c>DIR/scores.parquet</c>, ordered by model, method, mask set, sample, target and metric in study order (so
/// the file does not depend on how the work was sharded), and computes the aggregates under <c>DIR/aggregates/</c>,
/// each as Parquet, CSV and JSON:
/// <list type="bullet">
/// <item><c>summary</c>: per model × method × mask set × metric: mean, std, median, seeded percentile-bootstrap 95% CI
/// of the mean (Efron &amp; Tibshirani 1993), n (defined predictions) and the NaN count; status rows (no valid class,
/// unloadable sample) are not predictions and are left out.</item>
/// <item><c>semscore</c>: SemScore's levels (Leong et al. 2025, spec §6) for the same groups: PPA (mean over all
/// predictions), PIA (mean over images of each image's mean), screening rate (samples that reached scoring / samples),
/// undefined predictions.</item>
/// <item><c>classes</c>: per group and class (target): n, class mean and rank (1 = best by the metric's direction; for
/// SSS the least spurious), with the top and bottom <c>class_rank</c> classes flagged.</item>
/// <item><c>comparisons</c>: every model pair per method × mask set × metric, on the samples (and, with mask_classes,
/// targets) both scored: mean difference a − b, paired bootstrap 95% CI, sign-flip permutation p (Good 2005) and the
/// Holm (1979) step-down adjusted p over the pairs of that method × mask set × metric.</item>
/// <item><c>feature_ranking</c>: per model × method and ranking metric (EA_IoU = <c>iou</c>, EA_PG = <c>pointing_game</c>
/// by default; Explanation Alignment §7.3), the mask sets ordered best first with mean and CI, and whether each is
/// distinguishable from the next (paired bootstrap CI of their difference on the shared samples excludes 0).</item>
/// <item><c>accuracy</c>: per model, the share of samples whose prediction equals the label, with a bootstrap CI.</item>
/// </list>
/// </summary>
public static class StudyMerge
{
    /// <summary>The aggregate tables, in order.</summary>
    public static IReadOnlyList<string> Tables { get; } = ["summary", "semscore", "classes", "comparisons", "feature_ranking", "accuracy"];

    /// <summary>Merges the store in <paramref name="dir"/>.</summary>
    /// <exception cref="InputDataException">No store, or units still missing (the message says how many and which).</exception>
    public static StudyMergeResult Run(string dir)
    {
        var store = StudyStore.Read(dir);
        var m = store.Manifest;
        var done = store.DoneUnits();
        if (done.Count < m.Units)
        {
            var have = done.ToHashSet();
            var missing = Enumerable.Range(0, m.Units).Where(u => !have.Contains(u)).ToList();
            throw new InputDataException($"{dir}: {missing.Count} of {m.Units} work units are not stored yet (e.g. unit{(missing.Count == 1 ? "" : "s")} {string.Join(", ", missing.Take(5))}); run 'sightline study run {m.StudyFile} --out {dir}' (or the missing shards: unit u belongs to shard u mod N) and merge again.");
        }
        var stats = Statistics(m);
        string glob = Path.Combine(store.ChunkDirectory, "u*.parquet");
        var scores = Path.Combine(store.Directory, "scores.parquet");
        var files = new List<string>();
        using var connection = new DuckDBConnection("DataSource=:memory:");
        connection.Open();
        Execute(connection, $"CREATE VIEW rows AS SELECT * FROM read_parquet({Quote(glob)})");
        var order = $"list_position({List(m.Models)}, model), list_position({List(m.Methods)}, method), coalesce(list_position({List(m.MaskSets)}, mask_set), 1000000), sample, target, coalesce(list_position({List(m.Metrics)}, metric), 1000000), metric";
        var temp = Path.Combine(store.Directory, $".scores.parquet.{Environment.ProcessId}.tmp");
        try
        {
            Execute(connection, $"COPY (SELECT * FROM rows ORDER BY {order}) TO {Quote(temp)} (FORMAT PARQUET, COMPRESSION ZSTD)");
            AtomicFile.Commit(temp, scores);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
        files.Add(scores);
        long total = Scalar(connection, $"SELECT count(*) FROM read_parquet({Quote(scores)})");

        var aggregates = new Aggregates(m, stats);
        // One block per (method, metric), all models and mask sets: what the comparisons and the feature ranking pair.
        using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = $"SELECT method, metric, model, mask_set, sample, target, value, reason FROM read_parquet({Quote(scores)}) ORDER BY list_position({List(m.Methods)}, method), coalesce(list_position({List(m.Metrics)}, metric), 1000000), metric, list_position({List(m.Models)}, model), coalesce(list_position({List(m.MaskSets)}, mask_set), 1000000), sample, target";
            using var reader = cmd.ExecuteReader();
            Block? block = null;
            while (reader.Read())
            {
                string method = reader.GetString(0), metric = reader.GetString(1);
                if (block is null || block.Method != method || block.Metric != metric)
                {
                    if (block is not null) aggregates.Add(block);
                    block = new Block(method, metric);
                }
                string model = reader.GetString(2), mask = reader.IsDBNull(3) ? "" : reader.GetString(3);
                block.Add(model, mask, reader.GetInt64(4), reader.GetInt64(5), reader.IsDBNull(6) ? double.NaN : reader.GetDouble(6), reader.IsDBNull(7) ? null : reader.GetString(7));
            }
            if (block is not null) aggregates.Add(block);
        }
        using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = $"SELECT model, sample, any_value(label), any_value(predicted) FROM read_parquet({Quote(scores)}) WHERE predicted >= 0 GROUP BY model, sample ORDER BY list_position({List(m.Models)}, model), sample";
            using var reader = cmd.ExecuteReader();
            while (reader.Read()) aggregates.AddPrediction(reader.GetString(0), reader.GetInt64(2), reader.GetInt64(3));
        }
        var folder = Path.Combine(store.Directory, "aggregates");
        foreach (var (name, table) in aggregates.Build())
            foreach (var ext in new[] { ".parquet", ".csv", ".json" })
            {
                var path = Path.Combine(folder, name + ext);
                ResultWriter.Write(table, path);
                files.Add(path);
            }
        return new StudyMergeResult(total, done.Count, files);
    }

    /// <summary>The statistics settings recorded in the manifest.</summary>
    public static StudyStatistics Statistics(StudyManifest m)
    {
        var s = m.Definition["statistics"];
        return s is null ? new StudyStatistics(1000, 2000, 42, 5, ["iou", "pointing_game"])
            : new StudyStatistics((int)s["bootstrap"]!, (int)s["permutations"]!, (ulong)s["seed"]!, (int)s["class_rank"]!,
                [.. s["feature_ranking"]!.AsArray().Select(x => (string)x!)]);
    }

    /// <summary>The direction of a metric column (its catalogue entry, or that of its longest name prefix), or null.</summary>
    public static ScoreDirection? Direction(string column)
    {
        CatalogueEntry? best = null;
        foreach (var e in MetricCatalogue.Evaluate)
            if ((column == e.Name || column.StartsWith(e.Name + "_", StringComparison.Ordinal)) && (best is null || e.Name.Length > best.Name.Length)) best = e;
        return best?.Info.Direction;
    }

    /// <summary>True for a status row (a sample without predictions), which aggregates leave out.</summary>
    public static bool IsStatus(string? reason) =>
        reason is not null && (reason == StudyRunner.NoValidClass || reason.StartsWith(StudyRunner.LoadFailed, StringComparison.Ordinal) || reason == EvaluationPipeline.NonFiniteInput);

    private static string Quote(string s) => "'" + s.Replace("'", "''") + "'";

    private static string List(IEnumerable<string> items) => "[" + string.Join(", ", items.Select(Quote)) + "]::VARCHAR[]";

    private static void Execute(DuckDBConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        try { cmd.ExecuteNonQuery(); }
        catch (DuckDBException e) { throw new InputDataException($"study merge: DuckDB could not read the chunks ({e.Message.ReplaceLineEndings(" ")}); a chunk file may be damaged: delete it and run its shard again."); }
    }

    private static long Scalar(DuckDBConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>The rows of one method and metric column: per (model, mask set) the values keyed by (sample, target).</summary>
    private sealed class Block(string method, string metric)
    {
        public string Method { get; } = method;
        public string Metric { get; } = metric;
        public readonly Dictionary<(string Model, string Mask), Group> Groups = [];

        public void Add(string model, string mask, long sample, long target, double value, string? reason)
        {
            if (!Groups.TryGetValue((model, mask), out var g)) Groups[(model, mask)] = g = new Group();
            if (IsStatus(reason))
            {
                g.StatusSamples.Add(sample);
                return;
            }
            g.Samples.Add(sample);
            g.Targets.Add(target);
            g.Values.Add(value);
        }
    }

    private sealed class Group
    {
        public readonly List<long> Samples = [], Targets = [];
        public readonly List<double> Values = [];
        public readonly HashSet<long> StatusSamples = [];
    }

    /// <summary>Accumulates the aggregate tables block by block.</summary>
    private sealed class Aggregates(StudyManifest m, StudyStatistics stats)
    {
        private readonly bool _byTarget = m.Targets == nameof(StudyTargetKind.MaskClasses);
        private readonly Table _summary = new("model", "method", "mask_set", "role", "metric", "direction", "mean", "ci_low", "ci_high", "std", "median", "n", "nan");
        private readonly Table _semscore = new("model", "method", "mask_set", "metric", "ppa", "pia", "screening_rate", "samples", "screened", "predictions", "undefined");
        private readonly Table _classes = new("model", "method", "mask_set", "metric", "class", "n", "mean", "rank", "top", "bottom");
        private readonly Table _comparisons = new("method", "mask_set", "role", "metric", "model_a", "model_b", "n", "mean_difference", "ci_low", "ci_high", "p_value", "p_holm", "significant", "better");
        private readonly Table _ranking = new("model", "method", "metric", "rank", "mask_set", "role", "mean", "ci_low", "ci_high", "n", "next_mask_set", "difference_to_next", "difference_ci_low", "difference_ci_high", "p_next", "distinguishable_from_next");
        private readonly Dictionary<string, (int N, int Correct, List<double> Hits)> _accuracy = [];

        private string Role(string mask) => m.MaskSets.ToList().IndexOf(mask) is int i and >= 0 ? m.MaskRoles[i] : "";

        public void Add(Block b)
        {
            var direction = Direction(b.Metric);
            var dirText = direction switch { ScoreDirection.HigherIsBetter => "higher", ScoreDirection.LowerIsBetter => "lower", _ => "" };
            var summaries = new Dictionary<(string, string), Summary>();
            foreach (var model in m.Models)
                foreach (var mask in m.MaskSets.Append(""))
                {
                    if (!b.Groups.TryGetValue((model, mask), out var g)) continue;
                    var values = g.Values.ToArray();
                    var s = Summary.Of(values, stats.Bootstrap, stats.Seed);
                    summaries[(model, mask)] = s;
                    _summary.Row(model, b.Method, mask, Role(mask), b.Metric, dirText, s.Mean, s.CiLow, s.CiHigh, s.Std, s.Median, (long)s.N, (long)s.NanCount);
                    SemScore(b, model, mask, g, direction);
                }
            Compare(b, direction);
            Rank(b, direction, summaries);
        }

        private void SemScore(Block b, string model, string mask, Group g, ScoreDirection? direction)
        {
            var screened = new HashSet<long>(g.Samples);
            int samples = screened.Union(g.StatusSamples).Count();
            var perImage = new SortedDictionary<long, (double Sum, int N)>();
            var perClass = new SortedDictionary<long, (double Sum, int N)>();
            int undefined = 0;
            double sum = 0;
            int count = 0;
            for (int i = 0; i < g.Values.Count; i++)
            {
                double v = g.Values[i];
                // Every class with a prediction is listed; one whose predictions are all undefined has mean NaN (ranked last).
                if (!perClass.ContainsKey(g.Targets[i])) perClass[g.Targets[i]] = (0, 0);
                if (double.IsNaN(v)) { undefined++; continue; }
                sum += v;
                count++;
                perImage[g.Samples[i]] = perImage.TryGetValue(g.Samples[i], out var a) ? (a.Sum + v, a.N + 1) : (v, 1);
                perClass[g.Targets[i]] = perClass.TryGetValue(g.Targets[i], out var c) ? (c.Sum + v, c.N + 1) : (v, 1);
            }
            double ppa = count == 0 ? double.NaN : sum / count;
            double pia = perImage.Count == 0 ? double.NaN : perImage.Values.Average(x => x.Sum / x.N);
            _semscore.Row(model, b.Method, mask, b.Metric, ppa, pia, samples == 0 ? double.NaN : (double)screened.Count / samples, (long)samples, (long)screened.Count, (long)g.Values.Count, (long)undefined);
            var classes = perClass.Select(kv => (Class: kv.Key, N: kv.Value.N, Mean: kv.Value.N == 0 ? double.NaN : kv.Value.Sum / kv.Value.N)).ToList();
            // Best first: SemScore's "top" classes are the least spurious (lowest SSS); ties by class id; undefined means last.
            var ordered = (direction == ScoreDirection.HigherIsBetter ? classes.OrderByDescending(c => Key(c.Mean, true)) : classes.OrderBy(c => Key(c.Mean, false))).ThenBy(c => c.Class).ToList();
            int defined = ordered.Count(c => !double.IsNaN(c.Mean));
            for (int r = 0; r < ordered.Count; r++)
            {
                bool ok = r < defined;
                _classes.Row(model, b.Method, mask, b.Metric, ordered[r].Class, (long)ordered[r].N, ordered[r].Mean, (long)(r + 1),
                    ok && r < stats.ClassRank ? "true" : "false", ok && r >= defined - stats.ClassRank ? "true" : "false");
            }
        }

        private (double[] A, double[] B) Paired(Group a, Group b)
        {
            var index = new Dictionary<(long, long), double>();
            for (int i = 0; i < b.Values.Count; i++) index[(b.Samples[i], _byTarget ? b.Targets[i] : 0)] = b.Values[i];
            var va = new List<double>();
            var vb = new List<double>();
            for (int i = 0; i < a.Values.Count; i++)
                if (index.TryGetValue((a.Samples[i], _byTarget ? a.Targets[i] : 0), out var v))
                {
                    va.Add(a.Values[i]);
                    vb.Add(v);
                }
            return ([.. va], [.. vb]);
        }

        private void Compare(Block b, ScoreDirection? direction)
        {
            foreach (var mask in m.MaskSets.Append(""))
            {
                var rows = new List<(string A, string B, PairedComparison C)>();
                for (int i = 0; i < m.Models.Count; i++)
                    for (int j = i + 1; j < m.Models.Count; j++)
                    {
                        if (!b.Groups.TryGetValue((m.Models[i], mask), out var ga) || !b.Groups.TryGetValue((m.Models[j], mask), out var gb)) continue;
                        var (va, vb) = Paired(ga, gb);
                        rows.Add((m.Models[i], m.Models[j], PairedComparison.Of(va, vb, stats.Bootstrap, stats.Permutations, stats.Seed)));
                    }
                var holm = HolmAdjusted([.. rows.Select(r => r.C.PValue)]);
                bool spurious = Role(mask) == "spurious";
                for (int k = 0; k < rows.Count; k++)
                {
                    var (a, bb, c) = rows[k];
                    string better = "";
                    if (direction is { } d && double.IsFinite(c.MeanDifference) && c.MeanDifference != 0)
                    {
                        bool aHigher = c.MeanDifference > 0;
                        bool higherBetter = (d == ScoreDirection.HigherIsBetter) != spurious;
                        better = aHigher == higherBetter ? a : bb;
                    }
                    _comparisons.Row(b.Method, mask, Role(mask), b.Metric, a, bb, (long)c.N, c.MeanDifference, c.CiLow, c.CiHigh, c.PValue, holm[k],
                        holm[k] < 0.05 ? "true" : "false", better);
                }
            }
        }

        private void Rank(Block b, ScoreDirection? direction, Dictionary<(string, string), Summary> summaries)
        {
            if (!stats.FeatureRanking.Contains(b.Metric) || m.MaskSets.Count < 2) return;
            foreach (var model in m.Models)
            {
                var sets = m.MaskSets.Where(s => summaries.ContainsKey((model, s))).Select(s => (Set: s, S: summaries[(model, s)])).ToList();
                var ordered = (direction == ScoreDirection.LowerIsBetter ? sets.OrderBy(x => Key(x.S.Mean, false)) : sets.OrderByDescending(x => Key(x.S.Mean, true)))
                    .ThenBy(x => m.MaskSets.ToList().IndexOf(x.Set)).ToList();
                for (int r = 0; r < ordered.Count; r++)
                {
                    var (set, s) = ordered[r];
                    if (r + 1 < ordered.Count)
                    {
                        var next = ordered[r + 1].Set;
                        var (va, vb) = PairedSameItems(b.Groups[(model, set)], b.Groups[(model, next)]);
                        var c = PairedComparison.Of(va, vb, stats.Bootstrap, stats.Permutations, stats.Seed);
                        bool distinct = c.CiLow > 0 || c.CiHigh < 0;
                        _ranking.Row(model, b.Method, b.Metric, (long)(r + 1), set, Role(set), s.Mean, s.CiLow, s.CiHigh, (long)s.N, next, c.MeanDifference, c.CiLow, c.CiHigh, c.PValue, distinct ? "true" : "false");
                    }
                    else _ranking.Row(model, b.Method, b.Metric, (long)(r + 1), set, Role(set), s.Mean, s.CiLow, s.CiHigh, (long)s.N, null, double.NaN, double.NaN, double.NaN, double.NaN, "");
                }
            }
        }

        private static double Key(double mean, bool descending) => double.IsNaN(mean) ? (descending ? double.NegativeInfinity : double.PositiveInfinity) : mean;

        /// <summary>Two mask sets of one model share items (the same map scored against both): pair by (sample, target).</summary>
        private static (double[] A, double[] B) PairedSameItems(Group a, Group b)
        {
            var index = new Dictionary<(long, long), double>();
            for (int i = 0; i < b.Values.Count; i++) index[(b.Samples[i], b.Targets[i])] = b.Values[i];
            var va = new List<double>();
            var vb = new List<double>();
            for (int i = 0; i < a.Values.Count; i++)
                if (index.TryGetValue((a.Samples[i], a.Targets[i]), out var v)) { va.Add(a.Values[i]); vb.Add(v); }
            return ([.. va], [.. vb]);
        }

        public void AddPrediction(string model, long label, long predicted)
        {
            if (!_accuracy.TryGetValue(model, out var a)) a = (0, 0, []);
            if (label >= 0)
            {
                a.N++;
                if (label == predicted) a.Correct++;
                a.Hits.Add(label == predicted ? 1 : 0);
            }
            _accuracy[model] = a;
        }

        public IEnumerable<(string Name, ResultTable Table)> Build()
        {
            var accuracy = new Table("model", "n", "correct", "accuracy", "ci_low", "ci_high");
            foreach (var model in m.Models)
            {
                var (n, correct, hits) = _accuracy.TryGetValue(model, out var a) ? a : (0, 0, new List<double>());
                var s = Summary.Of([.. hits], stats.Bootstrap, stats.Seed);
                accuracy.Row(model, (long)n, (long)correct, n == 0 ? double.NaN : (double)correct / n, s.CiLow, s.CiHigh);
            }
            yield return ("summary", _summary.Build());
            yield return ("semscore", _semscore.Build());
            yield return ("classes", _classes.Build());
            yield return ("comparisons", _comparisons.Build());
            yield return ("feature_ranking", _ranking.Build());
            yield return ("accuracy", accuracy.Build());
        }
    }

    /// <summary>
    /// Holm's step-down adjusted p-values (Holm 1979): sort the m p-values ascending, p̃₍ᵢ₎ = max over j ≤ i of
    /// min(1, (m − j + 1)·p₍ⱼ₎); NaN p-values stay NaN and do not count in m.
    /// </summary>
    public static double[] HolmAdjusted(IReadOnlyList<double> p)
    {
        var result = Enumerable.Repeat(double.NaN, p.Count).ToArray();
        var order = Enumerable.Range(0, p.Count).Where(i => !double.IsNaN(p[i])).OrderBy(i => p[i]).ThenBy(i => i).ToList();
        double running = 0;
        for (int r = 0; r < order.Count; r++)
        {
            running = Math.Max(running, Math.Min(1, (order.Count - r) * p[order[r]]));
            result[order[r]] = running;
        }
        return result;
    }

    /// <summary>A small column builder for the aggregate tables: strings, longs and doubles by position.</summary>
    private sealed class Table(params string[] names)
    {
        private readonly List<object?[]> _rows = [];

        public void Row(params object?[] values)
        {
            if (values.Length != names.Length) throw new InvalidOperationException($"{values.Length} values for {names.Length} columns.");
            _rows.Add(values);
        }

        public ResultTable Build()
        {
            var t = new ResultTable();
            for (int c = 0; c < names.Length; c++)
            {
                var sample = _rows.Select(r => r[c]).FirstOrDefault(v => v is not null);
                t.Add(sample switch
                {
                    double => new DoubleColumn(names[c], [.. _rows.Select(r => r[c] is double d ? d : double.NaN)]),
                    long => new Int64Column(names[c], [.. _rows.Select(r => r[c] is long l ? l : 0)]),
                    _ => (ResultColumn)new StringColumn(names[c], [.. _rows.Select(r => r[c] as string)]),
                });
            }
            return t;
        }
    }
}
