using System.Text;
using Sightline.Alignment;
using Sightline.Data;
using Sightline.Metrics;
using Sightline.Statistics;
using static Sightline.Reports.Format;

namespace Sightline.Reports;

/// <summary>Options of <see cref="HtmlReport"/>.</summary>
public sealed record ReportOptions
{
    /// <summary>The report's title; null = "Sightline report: FOLDER".</summary>
    public string? Title { get; init; }

    /// <summary>How many examples the examples grid shows (half best, half worst when scores rank them).</summary>
    public int Examples { get; init; } = 8;

    /// <summary>Bootstrap resamples for CIs the report computes itself (when a group has scores but no summary file).</summary>
    public int Resamples { get; init; } = 1000;
}

/// <summary>
/// Builds one self-contained HTML report from a results folder (<see cref="ResultsScanner"/>): every image is an
/// embedded PNG data URI or inline SVG, with no scripts, fonts, style sheets or links outside the file. Sections (by
/// id): <c>warnings</c> (first, listing whatever could not be shown: unreadable files, missing or mismatched maps,
/// images that do not decode), <c>verdict</c>, <c>headline</c>, <c>per-class</c>, <c>classes</c>, <c>distributions</c>,
/// <c>comparison</c>, <c>examples</c> (with the viridis legend <c>colormap</c>) and <c>text</c> (text explanations:
/// words coloured by attribution, the settings, faithfulness curves); a section without data is left out.
/// </summary>
public static class HtmlReport
{
    /// <summary>Scans <paramref name="resultsDir"/>, builds the report and writes it to <paramref name="outPath"/>.</summary>
    /// <returns>What was found, and the warnings the page shows (unreadable files, missing maps, undecodable images).</returns>
    /// <exception cref="InputDataException">Nothing reportable was found; the message lists the expected files.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static ReportResult Write(string resultsDir, string outPath, ReportOptions options)
    {
        var inputs = ResultsScanner.Scan(resultsDir);
        if (inputs.IsEmpty)
            throw new InputDataException($"{inputs.Root}: no results found (searched {ResultsScanner.MaxDepth} folder levels). Expected {ResultsScanner.ExpectedFiles}."
                + (inputs.Skipped.Count > 0 ? " Unreadable: " + string.Join("; ", inputs.Skipped) : ""));
        var (html, warnings) = Render(inputs, options);
        Sightline.IO.AtomicFile.WriteAllText(outPath, html);
        return new ReportResult(inputs, warnings);
    }

    /// <summary>Builds the report's HTML.</summary>
    public static string Build(ReportInputs inputs, ReportOptions options) => Render(inputs, options).Html;

    /// <summary>
    /// Builds the report's HTML and lists what it could not show: the scanner's unreadable files and, found while
    /// drawing, saliency or mask files that cannot be read or do not match, and images that do not decode. The same
    /// list opens the page (section <c>warnings</c>), so nothing is dropped without a visible note.
    /// </summary>
    public static (string Html, IReadOnlyList<string> Warnings) Render(ReportInputs inputs, ReportOptions options)
    {
        var warnings = new List<string>(inputs.Skipped);
        var title = options.Title ?? $"Sightline report: {Path.GetFileName(inputs.Root.TrimEnd('/', '\\'))}";
        var stats = GroupStatistics(inputs, options);
        var colors = SeriesColors(stats.Select(s => s.Key).Concat(inputs.ScoreGroups.Select(g => g.Key)));
        var sections = new List<(string Id, string Heading, string Body)>();
        void Add(string id, string heading, string? body)
        {
            if (!string.IsNullOrEmpty(body)) sections.Add((id, heading, body));
        }
        var roles = MaskRoles(inputs);
        Add("verdict", "Verdict", Verdict(inputs.Comparison));
        Add("headline", "Headline numbers", Headline(stats, roles));
        Add("per-class", "Per-class means", PerClass(inputs.Summaries));
        Add("classes", "Predictions per class", Classes(inputs.ExplainOutputs));
        Add("distributions", "Score distributions", Distributions(inputs.ScoreGroups, colors, roles));
        Add("comparison", "Model comparison", Comparison(stats, inputs.Comparison, colors, roles));
        Add("examples", "Examples", Examples(inputs, options.Examples, roles, warnings));
        Add("text", "Text explanations", TextSection.Build(inputs));
        if (warnings.Count > 0) sections.Insert(0, ("warnings", "Warnings", Warnings(warnings)));

        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
          .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
          .Append($"<title>{Html(title)}</title>\n<style>{Css}{TextSection.Css}</style>\n</head>\n<body>\n<header>\n<h1>{Html(title)}</h1>\n")
          .Append($"<p class=\"source\">Results folder: <code>{Html(inputs.Root)}</code>. Generated by <code>sightline report</code>.</p>\n<nav><ul>");
        foreach (var (id, heading, _) in sections) sb.Append($"<li><a href=\"#{id}\">{Html(heading)}</a></li>");
        sb.Append("</ul></nav>\n</header>\n<main>\n");
        foreach (var (id, heading, body) in sections)
            sb.Append($"<section id=\"{id}\">\n<h2>{Html(heading)}</h2>\n{body}\n</section>\n");
        sb.Append("</main>\n</body>\n</html>\n");
        return (sb.ToString(), warnings);
    }

    private const string Css =
        "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;color:#1d1d1f;margin:0 auto;max-width:1180px;padding:0 20px 40px}" +
        "h1{font-size:26px;margin:24px 0 4px}h2{font-size:20px;border-bottom:2px solid #0072B2;padding-bottom:4px;margin-top:36px}h3{font-size:15px;margin:18px 0 6px}" +
        ".source{color:#555;margin:0}nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:6px 16px}nav a{color:#0072B2;text-decoration:none}" +
        "table{border-collapse:collapse;margin:6px 0 12px;font-variant-numeric:tabular-nums}th,td{border-bottom:1px solid #ddd;padding:3px 10px;text-align:right}" +
        "th:first-child,td:first-child{text-align:left}th{background:#f3f5f8;font-weight:600}td.text,th.text{text-align:left}tr.significant td{font-weight:600}" +
        ".note{color:#555;font-size:13px}.figures{display:flex;flex-wrap:wrap;gap:8px 18px}figure{margin:0}figcaption{font-size:12px;color:#444;max-width:440px}" +
        "svg text{font:11px system-ui,Arial,sans-serif;fill:#222}svg .chart-title{font-weight:600;font-size:12px}svg .axis-label{font-size:11px;fill:#444}" +
        ".verdict{padding:10px 14px;border-radius:6px;margin:8px 0}.verdict.pass{background:#e6f4ea;border-left:5px solid #009E73}.verdict.fail{background:#fdecea;border-left:5px solid #D55E00}" +
        ".verdict p{margin:3px 0}.example{display:flex;flex-wrap:wrap;gap:10px;align-items:flex-start;border-top:1px solid #eee;padding:8px 0}" +
        ".example .cap{flex-basis:100%;font-weight:600}.tile{width:140px;font-size:11px;color:#333;overflow-wrap:anywhere}.tile img{width:128px;height:128px;object-fit:contain;image-rendering:pixelated;border:1px solid #ccc;display:block}" +
        ".tile .scores{margin:2px 0 0;padding:0;list-style:none}.rank{display:inline-block;padding:0 6px;border-radius:3px;color:#fff;font-size:11px;margin-right:6px}" +
        "tr.cue td{background:#fff6e5}span.ci{color:#666;font-size:12px}#headline-table td{white-space:nowrap}#headline-table th:nth-child(-n+3){text-align:left}" +
        ".rank.best{background:#009E73}.rank.worst{background:#D55E00}.rank.first{background:#555}details{margin:4px 0}.scroll{overflow-x:auto}summary{cursor:pointer;font-weight:600}" +
        "#warnings{background:#fff4d6;border-left:5px solid #E69F00;border-radius:6px;padding:2px 14px 8px}#warnings h2{border-bottom:none;margin-top:8px;color:#8a5a00}" +
        ".tile .unreadable{width:120px;height:120px;padding:3px;border:1px dashed #D55E00;background:#fdecea;color:#8a2b00;overflow:hidden}";

    // ---- statistics per group -------------------------------------------------------------------------------------

    private sealed record GroupStats(GroupKey Key, IReadOnlyList<MetricStats> Metrics, SummaryFile? Summary, bool Computed);

    private static List<GroupStats> GroupStatistics(ReportInputs inputs, ReportOptions options)
    {
        if (inputs.Summaries.Count > 0)
            return [.. inputs.Summaries.Select(s => new GroupStats(s.Key, s.Metrics, s, false))];
        // No summary files: aggregate the per-sample scores the same way 'align --summary' does.
        return [.. inputs.ScoreGroups.Select(g => new GroupStats(g.Key, [.. g.Scores.Select(kv =>
        {
            var s = Summary.Of(kv.Value, options.Resamples, 42);
            return new MetricStats(kv.Key, s.Mean, s.Std, s.N, s.NanCount, s.Median, s.CiLow, s.CiHigh, MetricInfo.Direction(kv.Key));
        })], null, true))];
    }

    /// <summary>Mask name → role (<c>object</c> or <c>spurious</c>) as the summaries and comparisons record it.</summary>
    private static Dictionary<string, string> MaskRoles(ReportInputs inputs)
    {
        var roles = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var s in inputs.Summaries)
            if (s.Key.Mask is { } mask && s.MaskRole is { } role) roles.TryAdd(mask, role);
        foreach (var r in inputs.Comparison?.Rows ?? [])
            if (r.Mask is { } mask && r.MaskRole is { } role) roles.TryAdd(mask, role);
        return roles;
    }

    private static string? RoleOf(string? mask, Dictionary<string, string> roles) => mask is not null && roles.TryGetValue(mask, out var role) ? role : null;

    private static Dictionary<string, string> SeriesColors(IEnumerable<GroupKey> keys)
    {
        var colors = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var k in keys)
            if (!colors.ContainsKey(k.Series)) colors[k.Series] = SvgCharts.Palette[colors.Count % SvgCharts.Palette.Count];
        return colors;
    }

    private static List<string> OrderMetrics(IEnumerable<string> metrics)
    {
        var distinct = metrics.Distinct().ToList();
        int Rank(string m)
        {
            int i = MetricRegistry.CatalogueOrder.ToList().IndexOf(m);
            return i < 0 ? int.MaxValue : i;
        }
        return [.. distinct.OrderBy(Rank).ThenBy(m => distinct.IndexOf(m))];
    }

    // ---- sections ---------------------------------------------------------------------------------------------------

    private static string? Verdict(ComparisonFile? comparison)
    {
        if (comparison is null || (comparison.VerdictLines.Count == 0 && comparison.Accuracy.Count == 0 && comparison.Passed is null)) return null;
        var sb = new StringBuilder();
        if (comparison.VerdictLines.Count > 0 || comparison.Passed is not null)
        {
            string cls = comparison.Passed == false ? "fail" : "pass";
            sb.Append($"<div class=\"verdict {cls}\">");
            if (comparison.Passed is { } p) sb.Append($"<p><strong>{(p ? "PASSED" : "NOT PASSED")}</strong></p>");
            foreach (var line in comparison.VerdictLines) sb.Append($"<p>{Html(line)}</p>");
            sb.Append("</div>\n");
        }
        if (comparison.Accuracy.Count > 0)
        {
            var conditions = comparison.Accuracy.Values.SelectMany(d => d.Keys).Distinct().ToList();
            sb.Append("<h3>Accuracy</h3>\n<table><thead><tr><th>model</th>");
            foreach (var c in conditions) sb.Append($"<th>{Html(c)}</th>");
            sb.Append("</tr></thead><tbody>");
            foreach (var (model, byCondition) in comparison.Accuracy)
            {
                sb.Append($"<tr><td>{Html(model)}</td>");
                foreach (var c in conditions) sb.Append($"<td>{(byCondition.TryGetValue(c, out var v) ? Percent(v) : "")}</td>");
                sb.Append("</tr>");
            }
            sb.Append("</tbody></table>\n");
        }
        return sb.ToString();
    }

    private static string? Headline(List<GroupStats> stats, Dictionary<string, string> roles)
    {
        if (stats.Count == 0) return null;
        var sb = new StringBuilder();
        if (stats.Any(s => s.Computed))
            sb.Append("<p class=\"note\">No summary files were found; these aggregates were computed from the per-sample scores (bootstrap 95% CI of the mean, 1000 resamples, seed 42).</p>\n");
        bool compact = stats.Count > 1;
        if (compact) sb.Append(CompactTable(stats, roles));
        if (compact) sb.Append("<details><summary>Per group: direction, n, NaN count, SemScore and Shared Interest cases</summary>\n");
        foreach (var g in stats)
        {
            string? role = RoleOf(g.Key.Mask, roles) ?? g.Summary?.MaskRole;
            sb.Append($"<h3>{Html(g.Key.Name)}</h3>\n");
            if (g.Summary?.Samples is int n) sb.Append($"<p class=\"note\">{n} samples.</p>");
            sb.Append("<table><thead><tr><th>metric</th><th class=\"text\">direction</th><th>mean</th><th>95% CI</th><th>n</th><th>NaN</th></tr></thead><tbody>");
            foreach (var m in g.Metrics)
                sb.Append($"<tr><td>{Html(m.Metric)}</td><td class=\"text\">{Html(MetricInfo.DirectionText(m.Direction, role))}</td><td>{Number(m.Mean)}</td><td>{Interval(m.CiLow, m.CiHigh)}</td><td>{m.N}</td><td>{m.NanCount}</td></tr>");
            sb.Append("</tbody></table>\n");
            if (g.Summary?.SemScore is { Count: > 0 } sem)
                sb.Append("<p class=\"note\">SemScore: ").Append(string.Join("; ", sem.Select(kv => $"{Html(kv.Key.Replace('_', ' '))} {Html(kv.Value)}"))).Append("</p>\n");
            if (g.Summary?.Cases is { Count: > 0 } cases)
                sb.Append("<p class=\"note\">Shared Interest cases: ").Append(string.Join(", ", cases.Select(kv => $"{Html(kv.Key)} {kv.Value}"))).Append("</p>\n");
        }
        if (compact) sb.Append("</details>\n");
        return sb.ToString();
    }

    /// <summary>One row per group (model × method × mask), one column per metric: mean and bootstrap 95% CI.</summary>
    private static string CompactTable(List<GroupStats> stats, Dictionary<string, string> roles)
    {
        var metrics = OrderMetrics(stats.SelectMany(s => s.Metrics.Select(m => m.Metric)));
        bool keyed = stats.All(s => s.Key.Model is not null);
        bool anyCue = stats.Any(s => (RoleOf(s.Key.Mask, roles) ?? s.Summary?.MaskRole) == MetricInfo.SpuriousRole);
        var sb = new StringBuilder("<p class=\"note\">Mean (three decimals) with its bootstrap 95% CI (two) per group and metric. Direction of each metric on an ordinary mask: ");
        sb.Append(string.Join(", ", metrics.Select(m => $"{Html(m)} {MetricInfo.DirectionText(MetricInfo.Direction(m))}")));
        if (anyCue) sb.Append(". <strong>Shaded rows are scored against a planted cue (mask role spurious): there every direction is reversed</strong>, since overlap with the cue means the model uses the shortcut");
        sb.Append(".</p>\n<div class=\"scroll\"><table id=\"headline-table\"><thead><tr>");
        sb.Append(keyed ? "<th>model</th><th class=\"text\">method</th><th class=\"text\">mask</th>" : "<th>group</th>");
        foreach (var m in metrics) sb.Append($"<th>{Html(m)}</th>");
        sb.Append("</tr></thead><tbody>");
        foreach (var g in stats)
        {
            string? role = RoleOf(g.Key.Mask, roles) ?? g.Summary?.MaskRole;
            bool cue = role == MetricInfo.SpuriousRole;
            sb.Append(cue ? "<tr class=\"cue\">" : "<tr>");
            sb.Append(keyed
                ? $"<td>{Html(g.Key.Model)}</td><td class=\"text\">{Html(g.Key.Method)}</td><td class=\"text\">{Html(g.Key.Mask)}{(cue ? " (cue)" : "")}</td>"
                : $"<td>{Html(g.Key.Name)}</td>");
            foreach (var name in metrics)
            {
                var m = g.Metrics.FirstOrDefault(x => x.Metric == name);
                sb.Append(m is null ? "<td></td>" : $"<td>{Short(m.Mean)} <span class=\"ci\">{(double.IsNaN(m.CiLow) ? "" : $"[{Short(m.CiLow, 2)}, {Short(m.CiHigh, 2)}]")}</span></td>");
            }
            sb.Append("</tr>");
        }
        return sb.Append("</tbody></table></div>\n").ToString();
    }

    private static string Short(double v, int decimals = 3) =>
        double.IsNaN(v) ? "NaN" : v.ToString(decimals == 2 ? "0.00" : "0.000", System.Globalization.CultureInfo.InvariantCulture);

    private static string? PerClass(IReadOnlyList<SummaryFile> summaries)
    {
        var with = summaries.Where(s => s.PerClass is { Count: > 0 }).ToList();
        if (with.Count == 0) return null;
        var sb = new StringBuilder("<p class=\"note\">Mean score per true class (n = defined scores of the first metric).</p>\n");
        for (int i = 0; i < with.Count; i++)
        {
            var perClass = with[i].PerClass!;
            var names = with[i].ClassNames;
            var metrics = OrderMetrics(perClass.Keys);
            var classes = perClass.Values.SelectMany(d => d.Keys).Distinct()
                .OrderBy(c => long.TryParse(c, out var v) ? v : long.MaxValue).ThenBy(c => c, StringComparer.Ordinal).ToList();
            sb.Append($"<details{(i == 0 ? " open" : "")}><summary>{Html(with[i].Key.Name)}</summary>\n<div class=\"scroll\"><table><thead><tr><th>class</th><th>n</th>");
            foreach (var m in metrics) sb.Append($"<th>{Html(m)}</th>");
            sb.Append("</tr></thead><tbody>");
            foreach (var c in classes)
            {
                int n = perClass[metrics[0]].TryGetValue(c, out var first) ? first.N : 0;
                string label = names is not null && int.TryParse(c, out var id) && id >= 0 && id < names.Count ? $"{c} {names[id]}" : c;
                sb.Append($"<tr><td>{Html(label)}</td><td>{n}</td>");
                foreach (var m in metrics) sb.Append($"<td>{(perClass[m].TryGetValue(c, out var s) ? Number(s.Mean) : "")}</td>");
                sb.Append("</tr>");
            }
            sb.Append("</tbody></table></div></details>\n");
        }
        return sb.ToString();
    }

    private static string? Classes(IReadOnlyList<ExplainOutput> explains)
    {
        if (explains.Count == 0) return null;
        var sb = new StringBuilder();
        foreach (var run in explains)
        {
            bool labelled = run.Rows.Any(r => r.Label >= 0);
            var classes = run.Rows.SelectMany(r => new[] { r.Label, r.Predicted }).Where(c => c >= 0).Distinct().Order().ToList();
            sb.Append($"<h3>{Html(Path.GetFileName(Path.GetDirectoryName(run.Path)))}/{Html(Path.GetFileName(run.Path))}</h3>\n");
            sb.Append($"<p class=\"note\">{run.Rows.Count} samples");
            if (labelled) sb.Append($", accuracy {Percent(run.Rows.Count(r => r.Label >= 0 && r.Label == r.Predicted) / (double)run.Rows.Count(r => r.Label >= 0))}");
            sb.Append(", mean probability of the prediction ").Append(Number(run.Rows.Select(r => r.Probability).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average())).Append(".</p>\n");
            sb.Append("<table><thead><tr><th>class</th>").Append(labelled ? "<th>true</th>" : "").Append("<th>predicted</th>").Append(labelled ? "<th>correct</th><th>recall</th>" : "").Append("</tr></thead><tbody>");
            foreach (var c in classes)
            {
                int truth = run.Rows.Count(r => r.Label == c), predicted = run.Rows.Count(r => r.Predicted == c), correct = run.Rows.Count(r => r.Label == c && r.Predicted == c);
                sb.Append($"<tr><td>{c}</td>").Append(labelled ? $"<td>{truth}</td>" : "").Append($"<td>{predicted}</td>")
                  .Append(labelled ? $"<td>{correct}</td><td>{(truth > 0 ? Percent((double)correct / truth) : "")}</td>" : "").Append("</tr>");
            }
            sb.Append("</tbody></table>\n");
        }
        return sb.ToString();
    }

    private static string? Distributions(IReadOnlyList<ScoreGroup> groups, Dictionary<string, string> colors, Dictionary<string, string> roles)
    {
        if (groups.Count == 0) return null;
        var sb = new StringBuilder("<p class=\"note\">Share of samples per score bin (10 bins; bounded metrics span their declared range). Undefined (NaN) scores are left out; n is the defined count. One colour per model/group.</p>\n");
        // With one panel per metric the figures share one row; with several (methods, masks) each metric gets its own.
        bool single = groups.Select(g => g.Key.Context).Distinct().Count() == 1;
        if (single) sb.Append("<div class=\"figures\">");
        foreach (var metric in OrderMetrics(groups.SelectMany(g => g.Metrics)))
        {
            var withMetric = groups.Where(g => g.Scores.ContainsKey(metric)).ToList();
            var values = withMetric.SelectMany(g => g.Scores[metric]).Where(double.IsFinite).ToList();
            if (values.Count == 0) continue;
            var (lo, hi) = MetricInfo.Bounds(metric) ?? (values.Min(), values.Max() > values.Min() ? values.Max() : values.Min() + 1);
            string direction = MetricInfo.DirectionText(MetricInfo.Direction(metric));
            bool anyCue = withMetric.Any(g => RoleOf(g.Key.Mask, roles) == MetricInfo.SpuriousRole);
            string heading = anyCue ? $"{direction}; reversed on the planted-cue mask" : direction;
            if (!single) sb.Append($"<h3>{Html(metric)} <span class=\"note\">({Html(heading)})</span></h3>\n<div class=\"figures\">");
            foreach (var context in withMetric.GroupBy(g => g.Key.Context))
            {
                var series = context.Select(g => (new ChartSeries(g.Key.Series, colors[g.Key.Series]), g.Scores[metric])).ToList();
                bool cue = context.Any(g => RoleOf(g.Key.Mask, roles) == MetricInfo.SpuriousRole);
                string title = context.Key.Length > 0 ? $"{metric}: {context.Key}{(cue ? " (cue)" : "")}" : metric;
                string axis = cue ? $"{metric} on the cue ({MetricInfo.DirectionText(MetricInfo.ForRole(MetricInfo.Direction(metric), MetricInfo.SpuriousRole))})" : $"{metric} score ({direction})";
                sb.Append("<figure>").Append(SvgCharts.Histogram(title, axis, series, lo, hi)).Append("</figure>");
            }
            if (!single) sb.Append("</div>\n");
        }
        if (single) sb.Append("</div>\n");
        return sb.ToString();
    }

    private static string? Comparison(List<GroupStats> stats, ComparisonFile? comparison, Dictionary<string, string> colors, Dictionary<string, string> roles)
    {
        if (stats.Count == 0 && comparison is not { Rows.Count: > 0 }) return null;
        var sb = new StringBuilder();
        if (stats.Count > 0)
        {
            sb.Append("<p class=\"note\">Mean score per metric and model with its bootstrap 95% CI (whiskers); one panel per explanation method and mask.</p>\n<div class=\"figures\">");
            foreach (var context in stats.GroupBy(s => s.Key.Context))
            {
                var metrics = OrderMetrics(context.SelectMany(s => s.Metrics.Select(m => m.Metric)));
                var members = context.ToList();
                var series = members.Select(s => new ChartSeries(s.Key.Series, colors[s.Key.Series])).ToList();
                string title = context.Key.Length > 0 ? $"means: {context.Key}" : "means";
                sb.Append("<figure>").Append(SvgCharts.GroupedBars(title, metrics, series, (c, s) =>
                    members[s].Metrics.FirstOrDefault(m => m.Metric == metrics[c]) is { } m ? new BarValue(m.Mean, m.CiLow, m.CiHigh) : null)).Append("</figure>");
            }
            sb.Append("</div>\n");
        }
        if (comparison is { Rows.Count: > 0 })
        {
            sb.Append("<h3>Paired comparisons</h3>\n<p class=\"note\">Mean of the per-sample difference a − b with its bootstrap 95% CI and a two-sided permutation p-value; rows whose CI excludes 0 are bold. ")
              .Append("“better” follows the metric's direction, reversed for a mask whose role is <em>spurious</em> (a planted cue, shaded): there more overlap means more use of the shortcut.</p>\n");
            sb.Append("<table><thead><tr><th>metric</th><th class=\"text\">method</th><th class=\"text\">mask</th><th class=\"text\">a</th><th class=\"text\">b</th><th>n</th><th>mean difference</th><th>95% CI</th><th>p</th><th class=\"text\">better</th></tr></thead><tbody>");
            foreach (var r in comparison.Rows)
            {
                bool significant = r.CiLow > 0 || r.CiHigh < 0;
                string? role = r.MaskRole ?? RoleOf(r.Mask, roles);
                bool cue = role == MetricInfo.SpuriousRole;
                bool lower = MetricInfo.ForRole(MetricInfo.Direction(r.Metric), role) == "lower_is_better";
                string better = !significant ? "—" : (r.MeanDifference > 0) != lower ? r.A : r.B;
                string classes = string.Join(" ", new[] { significant ? "significant" : null, cue ? "cue" : null }.Where(c => c is not null));
                sb.Append($"<tr{(classes.Length > 0 ? $" class=\"{classes}\"" : "")}><td>{Html(r.Metric)}</td><td class=\"text\">{Html(r.Method)}</td><td class=\"text\">{Html(r.Mask)}{(cue ? " (cue)" : "")}</td>")
                  .Append($"<td class=\"text\">{Html(r.A)}</td><td class=\"text\">{Html(r.B)}</td><td>{r.N}</td><td>{Number(r.MeanDifference)}</td><td>{Interval(r.CiLow, r.CiHigh)}</td><td>{PValue(r.PValue)}</td><td class=\"text\">{Html(better)}</td></tr>");
            }
            sb.Append("</tbody></table>\n");
        }
        return sb.ToString();
    }

    private static string Warnings(List<string> warnings)
    {
        var sb = new StringBuilder("<p>Parts of this report are missing or incomplete; what each file would have shown is left out:</p><ul>");
        foreach (var w in warnings) sb.Append($"<li>{Html(w)}</li>");
        return sb.Append("</ul>").ToString();
    }

    // ---- examples ---------------------------------------------------------------------------------------------------

    private static string? Examples(ReportInputs inputs, int count, Dictionary<string, string> roles, List<string> warnings)
    {
        if (count <= 0) return null;
        var sb = new StringBuilder();
        var images = new ImageEmbedder(inputs.Root, warnings);
        foreach (var set in inputs.ExampleSets) ExampleSetHtml(sb, inputs.Root, set, count, roles, images);
        int heatMaps = 0;
        foreach (var run in inputs.AlignMaps) heatMaps += AlignMapsHtml(sb, inputs.Root, run, count, warnings) ? 1 : 0;
        int overlays = 0;
        foreach (var run in inputs.ExplainOutputs.Where(e => e.OverlayDir is not null)) overlays += ExplainHtml(sb, inputs.Root, run, count, images) ? 1 : 0;
        if (sb.Length == 0) return null;
        // Say how each kind of picture was drawn: only explain's overlays are blended over the input.
        var caption = new StringBuilder("Heat maps are min–max scaled per image and coloured with viridis (0 = lowest, 1 = highest saliency of that image).");
        if (overlays > 0) caption.Append(" The explain overlays are blended over a grayscale copy of the input, so that input colours are not read as heat.");
        if (heatMaps > 0) caption.Append(" The align heat maps have no input image: they are drawn over a uniform gray, with the ground-truth mask outlined in white.");
        if (inputs.ExampleSets.Count > 0) caption.Append(" Example panels are drawn by the program that wrote their examples.json; its legend says how.");
        return "<figure id=\"colormap\">" + SvgCharts.ColorBar() + $"<figcaption>{Html(caption.ToString())}</figcaption></figure>\n" + sb;
    }

    /// <summary>The sub-heading of a set of pictures: what they are, and the folder they came from when it is not the results folder itself.</summary>
    private static string SetHeading(string root, string what, string file)
    {
        var folder = Path.GetRelativePath(root, Path.GetDirectoryName(file)!).Replace('\\', '/');
        return folder == "." ? what : $"{what}: {folder}";
    }

    /// <summary>A producer's phrase as a sentence: first letter capitalised, one full stop at the end.</summary>
    internal static string Sentence(string text)
    {
        text = text.Trim().TrimEnd('.', ';', ',', ':').TrimEnd();
        return text.Length == 0 ? "" : char.ToUpperInvariant(text[0]) + text[1..] + ".";
    }

    private static (List<(T Item, string Rank)> Chosen, bool Ranked) BestAndWorst<T>(IReadOnlyList<T> items, Func<T, double> score, bool lowerIsBetter, int count)
    {
        var scored = items.Select(i => (Item: i, Score: score(i))).Where(x => double.IsFinite(x.Score)).ToList();
        if (scored.Count == 0) return ([.. items.Take(count).Select(i => (i, "first"))], false);
        var ordered = (lowerIsBetter ? scored.OrderBy(x => x.Score) : scored.OrderByDescending(x => x.Score)).Select(x => x.Item).ToList();
        int best = Math.Min((count + 1) / 2, ordered.Count), worst = Math.Min(count - best, ordered.Count - best);
        var chosen = ordered.Take(best).Select(i => (i, "best")).ToList();
        chosen.AddRange(ordered.Skip(ordered.Count - worst).Reverse().Select(i => (i, "worst")));
        return (chosen, true);
    }

    private static void ExampleSetHtml(StringBuilder sb, string root, ExampleSet set, int count, Dictionary<string, string> roles, ImageEmbedder images)
    {
        if (set.Examples.Count == 0) return;
        if (set.Ranking is not null && set.Examples.All(e => e.Rank is "best" or "worst"))
        {
            // The producer ranked all its samples and kept both ends: keep its order, as many of each end as fit.
            int bestCount = (count + 1) / 2;
            var best = set.Examples.Where(e => e.Rank == "best").Take(bestCount).ToList();
            var worst = set.Examples.Where(e => e.Rank == "worst").Take(count - best.Count).ToList();
            sb.Append($"<h3>{Html(SetHeading(root, "Best and worst examples", set.Path))}</h3>\n<p class=\"note\">{Html(Sentence(set.Ranking))} Shown: {best.Count} best, then {worst.Count} worst{Source(root, set.Path)}.");
            if (set.Legend is not null) sb.Append(' ').Append(Html(Sentence(set.Legend)));
            sb.Append("</p>\n");
            foreach (var e in best.Concat(worst)) ExampleHtml(sb, e, e.Rank!, images);
            return;
        }
        // Rank by the first score of the first panel (its model and method), as the producer listed them.
        var firstPanel = set.Examples.SelectMany(e => e.Panels).FirstOrDefault(p => p.Scores.Count > 0);
        string? key = firstPanel?.Scores.Keys.First();
        double Score(Example e) => key is null ? double.NaN
            : (e.Panels.FirstOrDefault(p => p.Model == firstPanel!.Model && p.Method == firstPanel.Method && p.Scores.ContainsKey(key))
               ?? e.Panels.FirstOrDefault(p => p.Scores.ContainsKey(key))) is { } p ? p.Scores[key] : double.NaN;
        bool lower = key is not null && MetricInfo.ForRole(MetricInfo.Direction(key), RoleOf(MetricInfo.MaskOfKey(key), roles)) == "lower_is_better";
        var (chosen, ranked) = BestAndWorst(set.Examples, Score, lower, count);
        sb.Append($"<h3>{Html(SetHeading(root, ranked ? "Best and worst examples" : "Examples", set.Path))}</h3>\n<p class=\"note\">");
        sb.Append(ranked
            ? $"Best and worst cases first, ranked by <strong>{Html(key)}</strong> of {Html(firstPanel!.Model)}/{Html(firstPanel.Method)} ({MetricInfo.DirectionText(lower ? "lower_is_better" : "higher_is_better")}): {chosen.Count(c => c.Rank == "best")} best, then {chosen.Count(c => c.Rank == "worst")} worst, of {set.Examples.Count} examples{Source(root, set.Path)}."
            : $"The first {chosen.Count} of {set.Examples.Count} examples{Source(root, set.Path)} (no scores to rank them).");
        if (set.Legend is not null) sb.Append(' ').Append(Html(Sentence(set.Legend)));
        sb.Append("</p>\n");
        foreach (var (e, rank) in chosen) ExampleHtml(sb, e, rank, images);
    }

    private static string Source(string root, string file) => $" from <code>{Html(Path.GetRelativePath(root, file).Replace('\\', '/'))}</code>";

    private static void ExampleHtml(StringBuilder sb, Example e, string rank, ImageEmbedder images)
    {
        sb.Append($"<div class=\"example\"><div class=\"cap\"><span class=\"rank {rank}\">{rank}</span>#{e.Index}: {Html(e.Title)}</div>");
        if (e.Input is not null) Tile(sb, "input", images.Embed(e.Input), NoScores);
        if (e.Mask is not null) Tile(sb, "mask", images.Embed(e.Mask), NoScores);
        foreach (var p in e.Panels) Tile(sb, $"{p.Model} · {p.Method}", images.Embed(p.Image), p.Scores);
        sb.Append("</div>\n");
    }

    /// <returns>Whether heat maps were drawn; when not, why is added to <paramref name="warnings"/>.</returns>
    private static bool AlignMapsHtml(StringBuilder sb, string root, AlignMaps run, int count, List<string> warnings)
    {
        var group = run.Scores;
        var metric = OrderMetrics(group.Metrics).FirstOrDefault();
        if (metric is null) return false;
        string what = $"{Path.GetRelativePath(root, group.Path)}: no heat maps";
        NpySampleSource? maps = null, masks = null;
        try
        {
            maps = new NpySampleSource(run.Saliency);
            masks = new NpySampleSource(run.Masks);
        }
        catch (InputDataException e)
        {
            maps?.Dispose();
            warnings.Add($"{what} ({e.Message})");
            return false;
        }
        using (maps)
        using (masks)
        {
            if (maps.Shape.Count < 3 || masks.Shape.Count < 3)
            {
                warnings.Add($"{what} (saliency {Shape(maps.Shape)} or masks {Shape(masks.Shape)} is not N×H×W or N×C×H×W).");
                return false;
            }
            int h = maps.Shape[^2], w = maps.Shape[^1], n = maps.Shape[0];
            if (masks.Shape[^2] != h || masks.Shape[^1] != w || masks.Shape[0] != n)
            {
                warnings.Add($"{what} (saliency {Shape(maps.Shape)} and masks {Shape(masks.Shape)} differ in N, H or W; the maps were resized when scored, which the report does not redo).");
                return false;
            }
            int channels = maps.Shape.Count == 4 ? maps.Shape[1] : 1;
            var rows = Enumerable.Range(0, group.Index.Length).Where(r => group.Index[r] >= 0 && group.Index[r] < n).ToList();
            bool lower = MetricInfo.LowerIsBetter(metric);
            var (chosen, ranked) = BestAndWorst(rows, r => group.Scores[metric][r], lower, count);
            sb.Append($"<h3>{Html(group.Key.Name)}: heat maps</h3>\n<p class=\"note\">Saliency maps from <code>{Html(Path.GetFileName(run.Saliency))}</code> over a uniform gray background (no input image), white outline = ground-truth mask. ");
            sb.Append(ranked ? $"Best and worst cases first, ranked by <strong>{Html(metric)}</strong> ({MetricInfo.DirectionText(MetricInfo.Direction(metric))})." : "The first samples.").Append("</p>\n<div class=\"example\">");
            var plane = new float[channels * h * w];
            var mask = new float[h * w];
            foreach (var (r, rank) in chosen)
            {
                int i = (int)group.Index[r];
                maps.Read(i, plane);
                masks.Read(i, mask);
                var map = new float[h * w];
                for (int c = 0; c < channels; c++)
                    for (int p = 0; p < h * w; p++) map[p] += plane[c * h * w + p];
                var scores = group.Scores.ToDictionary(kv => kv.Key, kv => kv.Value[r]);
                Tile(sb, $"{rank} · #{i}", new Embedded("data:image/png;base64," + Convert.ToBase64String(HeatMap(map, mask, w, h)), null), scores);
            }
            sb.Append("</div>\n");
            return true;
        }
    }

    private static string Shape(IReadOnlyList<int> shape) => string.Join("×", shape);

    /// <summary>A heat map over gray with the mask's outline in white, upscaled (nearest) to at least 128 pixels.</summary>
    internal static byte[] HeatMap(float[] map, float[] mask, int w, int h)
    {
        var gray = new byte[w * h * 3];
        Array.Fill(gray, (byte)128);
        var rgba = new byte[w * h * 4];
        Colormap.Overlay(gray, map, w, h, rgba, alpha: 0.9);
        int scale = Math.Clamp((int)Math.Ceiling(128.0 / Math.Max(w, h)), 1, 32);
        int bw = w * scale, bh = h * scale;
        var big = new byte[bw * bh * 4];
        bool In(int x, int y) => x >= 0 && y >= 0 && x < w && y < h && mask[y * w + x] > 0.5f;
        for (int y = 0; y < bh; y++)
            for (int x = 0; x < bw; x++)
            {
                int sx = x / scale, sy = y / scale, d = (y * bw + x) * 4, s = (sy * w + sx) * 4;
                // Outline: the edge pixels (in the upscaled grid) of mask cells that border a cell outside the mask.
                bool edge = In(sx, sy) && ((x % scale == 0 && !In(sx - 1, sy)) || (x % scale == scale - 1 && !In(sx + 1, sy))
                    || (y % scale == 0 && !In(sx, sy - 1)) || (y % scale == scale - 1 && !In(sx, sy + 1)));
                if (edge) { big[d] = big[d + 1] = big[d + 2] = 255; big[d + 3] = 255; }
                else { big[d] = rgba[s]; big[d + 1] = rgba[s + 1]; big[d + 2] = rgba[s + 2]; big[d + 3] = 255; }
            }
        return Sightline.IO.Png.EncodeRgba8(bw, bh, big);
    }

    private static bool ExplainHtml(StringBuilder sb, string root, ExplainOutput run, int count, ImageEmbedder images)
    {
        var rows = run.Rows.OrderBy(r => r.Index).Where(r => File.Exists(Path.Combine(run.OverlayDir!, $"{r.Index:D6}.png"))).Take(count).ToList();
        if (rows.Count == 0) return false;
        sb.Append($"<h3>{Html(SetHeading(root, "Explain overlays", run.Path))}</h3>\n<p class=\"note\">The first {rows.Count} overlays by index from <code>{Html(Path.GetRelativePath(root, run.OverlayDir!).Replace('\\', '/'))}/</code>, with the predicted class and its probability (✓ correct, ✗ wrong when the label is known).</p>\n<div class=\"example\">");
        foreach (var r in rows)
        {
            string mark = r.Label < 0 ? "" : r.Label == r.Predicted ? " ✓" : $" ✗ (label {r.Label})";
            Tile(sb, $"#{r.Index}: predicted {r.Predicted}, p = {Number(r.Probability)}{mark}", images.Embed(Path.Combine(run.OverlayDir!, $"{r.Index:D6}.png")), NoScores);
        }
        sb.Append("</div>\n");
        return true;
    }

    private static readonly IReadOnlyDictionary<string, double> NoScores = new Dictionary<string, double>();

    /// <summary>An image as a data URI, or why it could not be embedded.</summary>
    internal sealed record Embedded(string? Uri, string? Problem);

    private static void Tile(StringBuilder sb, string caption, Embedded image, IReadOnlyDictionary<string, double> scores)
    {
        sb.Append("<div class=\"tile\">");
        sb.Append(image.Uri is null
            ? $"<div class=\"unreadable\" role=\"img\" aria-label=\"{Html(caption)}: image not shown\">⚠ {Html(image.Problem ?? "image missing")}</div>"
            : $"<img src=\"{image.Uri}\" alt=\"{Html(caption)}\">");
        sb.Append($"<div>{Breakable(caption)}</div>");
        if (scores.Count > 0)
        {
            sb.Append("<ul class=\"scores\">");
            // Every score: the producer chose them (the demo's include those against the planted square).
            foreach (var (k, v) in scores) sb.Append($"<li>{Breakable(k)} {Number(v)}</li>");
            sb.Append("</ul>");
        }
        sb.Append("</div>");
    }

    /// <summary>HTML-escaped text with a line-break opportunity after each underscore, so long metric names wrap inside a tile.</summary>
    private static string Breakable(string text) => Html(text).Replace("_", "_<wbr>");

    /// <summary>
    /// Embeds image files as data URIs, checking each one decodes: a PNG is decoded in full by <see cref="Sightline.IO.Png"/>
    /// (signature, chunk CRCs, complete image data) and embedded as it is; a JPEG is embedded as it is; other formats are
    /// decoded and re-encoded as PNG. A file that is missing or does not decode becomes a warning tile and a line in
    /// the page's warnings, never a broken-image icon.
    /// </summary>
    private sealed class ImageEmbedder(string root, List<string> warnings)
    {
        public Embedded Embed(string path)
        {
            var (uri, problem) = ImageUri(path);
            if (problem is not null) warnings.Add($"{Path.GetRelativePath(root, path).Replace('\\', '/')}: {problem}; shown as a warning tile.");
            return new Embedded(uri, problem);
        }
    }

    /// <summary>A data URI for an image file, or null and the reason when it is missing or does not decode.</summary>
    internal static (string? Uri, string? Problem) ImageUri(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return (null, "image file not found");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, $"image file cannot be read ({e.Message})");
        }
        try
        {
            if (bytes.Length >= 8 && bytes[0] == 0x89 && bytes[1] == (byte)'P' && bytes[2] == (byte)'N' && bytes[3] == (byte)'G')
            {
                Sightline.IO.Png.Decode(bytes, Path.GetFileName(path));
                return ("data:image/png;base64," + Convert.ToBase64String(bytes), null);
            }
            if (bytes.Length > 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF)
            {
                ImageDecoder.Decode(path); // a truncated JPEG is a warning, not a half-grey picture
                return ("data:image/jpeg;base64," + Convert.ToBase64String(bytes), null);
            }
            var image = ImageDecoder.Decode(path);
            return ("data:image/png;base64," + Convert.ToBase64String(Sightline.IO.Png.EncodeRgb8(image.Width, image.Height, image.Rgb)), null);
        }
        catch (InputDataException e)
        {
            // The decoder's message starts with the file name, which the warning already gives.
            string reason = e.Message.StartsWith(Path.GetFileName(path) + ": ", StringComparison.Ordinal) ? e.Message[(Path.GetFileName(path).Length + 2)..] : e.Message;
            return (null, "does not decode: " + reason.TrimEnd('.'));
        }
    }
}
