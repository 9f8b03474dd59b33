using System.Globalization;
using System.Text;
using System.Text.Json;
using Sightline.Metrics;
using Sightline.Statistics;

namespace Sightline.Alignment;

/// <summary>Options of <see cref="AlignmentSummary.Build"/>.</summary>
/// <param name="Resamples">Bootstrap resamples for the 95% CIs.</param>
/// <param name="Seed">Bootstrap seed.</param>
/// <param name="ImageIds">Image id per row (optional): SemScore's per-image average (PIA) when several targets share an image.</param>
/// <param name="ClassRank">How many classes SemScore's top/bottom class ranking lists.</param>
public sealed record SummaryOptions(int Resamples = 1000, ulong Seed = 42, int[]? ImageIds = null, int ClassRank = 5);

/// <summary>One class's mean SSS, for SemScore's class ranking.</summary>
/// <param name="Class">Class label.</param>
/// <param name="Mean">Mean SSS over the class's predictions.</param>
/// <param name="N">Defined predictions of the class.</param>
public sealed record ClassMean(int Class, double Mean, int N);

/// <summary>
/// SemScore's aggregation levels (Leong et al., NeurIPS 2025 workshop; reference JovinLeong/SemScore): PPA = mean over
/// all predictions; PIA = mean over images of each image's mean prediction SSS; class ranking = the classes with the
/// lowest (top, least spurious) and highest (bottom) mean SSS; screening rate = images that reached scoring / images
/// (spec §6: screen_count / n_samples, where a sample is an image). Without image ids every row is its own image; with
/// them, an image is screened when at least one of its rows reached scoring (non-empty mask), and the rate is those
/// distinct images / all distinct images. Unscreened rows carry no SSS, so they feed neither PPA, PIA nor the ranking.
/// </summary>
/// <param name="Ppa">Prediction-pooled average.</param>
/// <param name="Pia">Per-image average; without image ids every row is its own image, so PIA = PPA.</param>
/// <param name="Top">Least spurious classes.</param>
/// <param name="Bottom">Most spurious classes.</param>
/// <param name="ScreeningRate">Screened images / images.</param>
/// <param name="Dropped">Undefined predictions (screened rows whose SSS is NaN) dropped from the averages.</param>
public sealed record SemScoreLevels(double Ppa, double Pia, IReadOnlyList<ClassMean> Top, IReadOnlyList<ClassMean> Bottom, double ScreeningRate, int Dropped);

/// <summary>
/// Aggregates of an alignment run: a <see cref="Summary"/> per metric (mean, std, n, NaN count, median, bootstrap 95% CI),
/// per class when labels are given, and SemScore's levels when <c>sss</c> was computed.
/// </summary>
public sealed record AlignmentSummary(
    int Samples, int FailedSamples, int ScreenedSamples,
    IReadOnlyDictionary<string, Summary> Metrics,
    IReadOnlyDictionary<string, IReadOnlyDictionary<int, Summary>>? PerClass,
    SemScoreLevels? SemScore,
    IReadOnlyDictionary<string, int>? Cases)
{
    /// <summary>Builds the summary of <paramref name="result"/>.</summary>
    public static AlignmentSummary Build(AlignmentResult result, int[]? labels, SummaryOptions options)
    {
        int n = result.Table.RowCount;
        if (options.ImageIds is not null && options.ImageIds.Length != n)
            throw new InputDataException($"--image-ids has {options.ImageIds.Length} entries but there are {n} samples.");
        var metrics = new Dictionary<string, Summary>();
        foreach (var (name, values) in result.Scores) metrics[name] = Summary.Of(values, options.Resamples, options.Seed);

        Dictionary<string, IReadOnlyDictionary<int, Summary>>? perClass = null;
        if (labels is not null)
        {
            perClass = [];
            var groups = Enumerable.Range(0, n).GroupBy(i => labels[i]).OrderBy(g => g.Key).ToArray();
            foreach (var (name, values) in result.Scores)
            {
                var byClass = new Dictionary<int, Summary>();
                foreach (var g in groups) byClass[g.Key] = Summary.Of(g.Select(i => values[i]).ToArray(), options.Resamples, options.Seed);
                perClass[name] = byClass;
            }
        }

        SemScoreLevels? levels = null;
        if (result.Scores.TryGetValue("sss", out var sss))
        {
            double ppa = metrics["sss"].Mean;
            double pia = ppa;
            if (options.ImageIds is not null)
            {
                var imageMeans = Enumerable.Range(0, n).Where(i => !double.IsNaN(sss[i]))
                    .GroupBy(i => options.ImageIds[i]).Select(g => g.Average(i => sss[i])).ToArray();
                pia = imageMeans.Length == 0 ? double.NaN : imageMeans.Average();
            }
            IReadOnlyList<ClassMean> top = [], bottom = [];
            if (labels is not null)
            {
                var means = Enumerable.Range(0, n).Where(i => !double.IsNaN(sss[i])).GroupBy(i => labels[i])
                    .Select(g => new ClassMean(g.Key, g.Average(i => sss[i]), g.Count())).ToArray();
                top = [.. means.OrderBy(c => c.Mean).ThenBy(c => c.Class).Take(options.ClassRank)];
                bottom = [.. means.OrderByDescending(c => c.Mean).ThenBy(c => c.Class).Take(options.ClassRank)];
            }
            bool Screened(int i) => result.Screened is null || result.Screened[i];
            double rate;
            if (n == 0) rate = double.NaN;
            else if (options.ImageIds is null) rate = (double)Enumerable.Range(0, n).Count(Screened) / n;
            else
            {
                var images = Enumerable.Range(0, n).GroupBy(i => options.ImageIds[i]).ToArray();
                rate = (double)images.Count(g => g.Any(Screened)) / images.Length;
            }
            int dropped = Enumerable.Range(0, n).Count(i => Screened(i) && double.IsNaN(sss[i]));
            levels = new SemScoreLevels(ppa, pia, top, bottom, rate, dropped);
        }

        Dictionary<string, int>? cases = null;
        if (result.Table["si_case"] is Results.StringColumn caseColumn)
            cases = caseColumn.Values.GroupBy(v => v ?? "undefined").OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count());

        return new AlignmentSummary(n, result.FailedSamples, result.ScreenedSamples, metrics, perClass, levels, cases);
    }

    /// <summary>
    /// A fixed-width table for the terminal: one row per metric; with labels, one row per class (rows, mean per metric);
    /// then SemScore's levels and the Shared Interest case counts.
    /// </summary>
    public string FormatTable()
    {
        var sb = new StringBuilder();
        int width = Math.Max(6, Metrics.Keys.DefaultIfEmpty("metric").Max(k => k.Length));
        sb.AppendLine($"{"metric".PadRight(width)}  {"mean",8}  {"95% CI",19}  {"std",8}  {"median",8}  {"n",7}  {"NaN",6}");
        foreach (var (name, s) in Metrics)
        {
            string ci = double.IsNaN(s.CiLow) ? "" : $"[{F(s.CiLow)}, {F(s.CiHigh)}]";
            sb.AppendLine($"{name.PadRight(width)}  {F(s.Mean),8}  {ci,19}  {F(s.Std),8}  {F(s.Median),8}  {s.N,7}  {s.NanCount,6}");
        }
        if (PerClass is not null && PerClass.Count > 0)
        {
            // One compact row per class: the class, its rows, and each metric's mean over the class's defined values.
            var names = PerClass.Keys.ToArray();
            var classes = PerClass[names[0]].Keys.ToArray();
            var widths = names.Select(k => Math.Max(8, k.Length)).ToArray();
            int classWidth = Math.Max(5, classes.Max(c => c.ToString(CultureInfo.InvariantCulture).Length));
            sb.Append($"{"class".PadRight(classWidth)}  {"n",7}");
            for (int m = 0; m < names.Length; m++) sb.Append("  ").Append(names[m].PadLeft(widths[m]));
            sb.AppendLine();
            foreach (int c in classes)
            {
                var first = PerClass[names[0]][c];
                sb.Append($"{c.ToString(CultureInfo.InvariantCulture).PadRight(classWidth)}  {first.N + first.NanCount,7}");
                for (int m = 0; m < names.Length; m++) sb.Append("  ").Append(F(PerClass[names[m]][c].Mean).PadLeft(widths[m]));
                sb.AppendLine();
            }
        }
        if (SemScore is { } l)
        {
            sb.AppendLine($"SemScore: PPA {F(l.Ppa)}, PIA {F(l.Pia)}, screening rate {F(l.ScreeningRate)}, undefined predictions {l.Dropped}");
            if (l.Top.Count > 0)
            {
                sb.AppendLine("  least spurious classes: " + string.Join(", ", l.Top.Select(c => $"{c.Class} {F(c.Mean)}")));
                sb.AppendLine("  most spurious classes:  " + string.Join(", ", l.Bottom.Select(c => $"{c.Class} {F(c.Mean)}")));
            }
        }
        if (Cases is not null) sb.AppendLine("Shared Interest cases: " + string.Join(", ", Cases.Select(kv => $"{kv.Key} {kv.Value}")));
        if (FailedSamples > 0) sb.AppendLine($"{FailedSamples} of {Samples} samples had non-finite maps and were not scored.");
        return sb.ToString();
    }

    private static string F(double v) => double.IsNaN(v) ? "NaN" : v.ToString("0.0000", CultureInfo.InvariantCulture);

    /// <summary>Writes the summary as JSON (NaN as null).</summary>
    public void WriteJson(string path, IReadOnlyDictionary<string, string>? settings = null)
    {
        Sightline.IO.AtomicFile.Write(path, stream =>
        {
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            w.WriteStartObject();
            w.WriteNumber("samples", Samples);
            w.WriteNumber("failed_samples", FailedSamples);
            w.WriteNumber("screened_samples", ScreenedSamples);
            if (settings is not null)
            {
                w.WriteStartObject("settings");
                foreach (var (k, v) in settings) w.WriteString(k, v);
                w.WriteEndObject();
            }
            w.WriteStartObject("metrics");
            foreach (var (name, s) in Metrics)
            {
                w.WritePropertyName(name);
                WriteSummary(w, s, name);
            }
            w.WriteEndObject();
            if (PerClass is not null)
            {
                w.WriteStartObject("per_class");
                foreach (var (name, byClass) in PerClass)
                {
                    w.WriteStartObject(name);
                    foreach (var (cls, s) in byClass)
                    {
                        w.WritePropertyName(cls.ToString(CultureInfo.InvariantCulture));
                        WriteSummary(w, s, null);
                    }
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            if (SemScore is { } l)
            {
                w.WriteStartObject("semscore");
                Num(w, "ppa", l.Ppa);
                Num(w, "pia", l.Pia);
                Num(w, "screening_rate", l.ScreeningRate);
                w.WriteNumber("undefined_predictions", l.Dropped);
                WriteClassList(w, "top_classes", l.Top);
                WriteClassList(w, "bottom_classes", l.Bottom);
                w.WriteEndObject();
            }
            if (Cases is not null)
            {
                w.WriteStartObject("si_case_counts");
                foreach (var (k, v) in Cases) w.WriteNumber(k, v);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        });
    }

    private static void WriteClassList(Utf8JsonWriter w, string name, IReadOnlyList<ClassMean> list)
    {
        w.WriteStartArray(name);
        foreach (var c in list)
        {
            w.WriteStartObject();
            w.WriteNumber("class", c.Class);
            Num(w, "mean", c.Mean);
            w.WriteNumber("n", c.N);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void WriteSummary(Utf8JsonWriter w, Summary s, string? metric)
    {
        w.WriteStartObject();
        Num(w, "mean", s.Mean);
        Num(w, "std", s.Std);
        w.WriteNumber("n", s.N);
        w.WriteNumber("nan", s.NanCount);
        Num(w, "median", s.Median);
        w.WriteStartArray("ci95");
        if (double.IsFinite(s.CiLow)) w.WriteNumberValue(s.CiLow); else w.WriteNullValue();
        if (double.IsFinite(s.CiHigh)) w.WriteNumberValue(s.CiHigh); else w.WriteNullValue();
        w.WriteEndArray();
        if (metric is not null && MetricRegistry.MapMask.FirstOrDefault(d => d.Name == metric) is { } d)
            w.WriteString("direction", d.Info.Direction == ScoreDirection.HigherIsBetter ? "higher_is_better" : "lower_is_better");
        w.WriteEndObject();
    }

    private static void Num(Utf8JsonWriter w, string name, double v)
    {
        if (double.IsFinite(v)) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }
}
