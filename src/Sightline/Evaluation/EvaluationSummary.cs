using System.Text.Json;
using Sightline.Metrics;
using Sightline.Results;
using Sightline.Statistics;

namespace Sightline.Evaluation;

/// <summary>
/// Aggregates of an evaluation run, as <c>align</c> writes them (<see cref="Alignment.AlignmentSummary"/>): per metric
/// column a <see cref="Summary"/> (mean, std, n, NaN count, median, seeded bootstrap 95% CI of the mean) and the metric's
/// direction, with the run's settings (model, method, seed, target, every metric's options).
/// </summary>
/// <param name="Samples">Samples scored.</param>
/// <param name="FailedSamples">Samples that failed (NaN for every metric).</param>
/// <param name="Columns">Column name → (metric, summary), in output order.</param>
public sealed record EvaluationSummary(int Samples, int FailedSamples, IReadOnlyList<(string Column, IEvaluationMetric Metric, Summary Summary)> Columns)
{
    /// <summary>Summarises the metric columns of <paramref name="table"/> (as the row store returns it).</summary>
    public static EvaluationSummary Build(ResultTable table, EvaluationLayout layout, int failed, int resamples = 1000, ulong seed = 42)
    {
        var list = new List<(string, IEvaluationMetric, Summary)>();
        for (int m = 0; m < layout.Metrics.Count; m++)
        {
            int end = m + 1 < layout.Metrics.Count ? layout.Offsets[m + 1] : layout.Columns.Count;
            for (int c = layout.Offsets[m]; c < end; c++)
            {
                var name = layout.Columns[c];
                var values = ((DoubleColumn)table[name]!).Values;
                list.Add((name, layout.Metrics[m], Summary.Of(values, resamples, seed)));
            }
        }
        return new EvaluationSummary(table.RowCount, failed, list);
    }

    /// <summary>
    /// Writes the summary as JSON (NaN as null): <c>samples</c>, <c>failed_samples</c>, <c>settings</c> (the given
    /// <paramref name="settings"/> and, under <c>metric_options</c>, every metric's options via
    /// <see cref="MetricParameters.Describe"/>), then <c>metrics</c>: per column mean, std, n, nan, median, ci95, direction.
    /// </summary>
    public void WriteJson(string path, IReadOnlyDictionary<string, string> settings)
    {
        Sightline.IO.AtomicFile.Write(path, stream =>
        {
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            w.WriteStartObject();
            w.WriteNumber("samples", Samples);
            w.WriteNumber("failed_samples", FailedSamples);
            w.WriteStartObject("settings");
            foreach (var (k, v) in settings) w.WriteString(k, v);
            w.WriteStartObject("metric_options");
            foreach (var metric in Columns.Select(c => c.Metric).Distinct())
            {
                w.WriteStartObject(metric.Name);
                foreach (var (k, v) in MetricParameters.Describe(metric.Options)) w.WriteString(k, v);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteStartObject("metrics");
            foreach (var (column, metric, s) in Columns)
            {
                w.WriteStartObject(column);
                Num(w, "mean", s.Mean);
                Num(w, "std", s.Std);
                w.WriteNumber("n", s.N);
                w.WriteNumber("nan", s.NanCount);
                Num(w, "median", s.Median);
                w.WriteStartArray("ci95");
                if (double.IsFinite(s.CiLow)) w.WriteNumberValue(s.CiLow); else w.WriteNullValue();
                if (double.IsFinite(s.CiHigh)) w.WriteNumberValue(s.CiHigh); else w.WriteNullValue();
                w.WriteEndArray();
                w.WriteString("direction", metric.Info.Direction == ScoreDirection.HigherIsBetter ? "higher_is_better" : "lower_is_better");
                w.WriteString("family", metric.Info.Family.ToString().ToLowerInvariant());
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    private static void Num(Utf8JsonWriter w, string name, double v)
    {
        if (double.IsFinite(v)) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }
}
