using System.CommandLine;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Sightline.Alignment;
using Sightline.Evaluation;
using Sightline.Explainers;
using Sightline.IO;
using Sightline.Metrics;
using Sightline.Models;
using Sightline.Results;

namespace Sightline.Cli.Commands;

/// <summary>
/// <c>sightline evaluate</c>: scores attributions (given as NPY or computed with a method) of an ONNX classifier with
/// the metric catalogue, one row per sample, resumable; optional curves (NPZ) and summary (JSON).
/// </summary>
public static class EvaluateCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Build(CliContext context)
    {
        var e = new EvaluationOptions();
        var output = new Option<string?>("--out") { Description = "Scores, one row per sample (index, target, one column per metric column, reason): .csv, .json or .parquet.", HelpName = "scores.csv" };
        var curves = new Option<string?>("--curves") { Description = "Also write the curve metrics' per-sample curves as NPZ (one N×steps float32 array per curve metric, named by the metric).", HelpName = "curves.npz" };
        var summary = new Option<string?>("--summary") { Description = "Also write a JSON summary: per metric column mean, std, median, bootstrap 95% CI, n, NaN count, direction; and the settings (model, method, seed, every metric's options).", HelpName = "summary.json" };
        var listMetrics = new Option<bool>("--list-metrics") { Description = "Print the metric catalogue (name, family, direction, needs, cost in model rows per sample, parameters with defaults) and exit." };

        var command = new Command("evaluate", "Score attributions of an ONNX image classifier with the metric catalogue (Quantus's families and align's localisation metrics): one row per sample, resumable.");
        foreach (var option in e.Head) command.Add(option);
        foreach (var option in e.Scoring.Concat([output, curves, summary, listMetrics])) command.Add(option);
        foreach (var option in e.Tail) command.Add(option);
        var qgeOptions = new QgeCliOptions();
        qgeOptions.AddTo(command);

        command.SetAction(parse =>
        {
            if (parse.GetValue(listMetrics))
            {
                foreach (var line in CatalogueTable()) context.Out.WriteLine(line);
                return ExitCodes.Ok;
            }
            if (parse.GetValue(e.Explain.Model) is null) throw new InputDataException("--model m.onnx is required (unless --list-metrics).");
            var chosen = e.ReadMetrics(parse);
            var qge = qgeOptions.Parse(parse);
            if (qge is not null) chosen = [.. chosen.Select(c => (IEvaluationMetric)new Sightline.Evaluation.Qge.QgeMetric(c, qge))];
            var outPath = parse.GetValue(output) ?? throw new InputDataException("--out scores.csv (or .json, .parquet) is required.");
            var curvesPath = parse.GetValue(curves);
            if (curvesPath is not null && !curvesPath.EndsWith(".npz", StringComparison.OrdinalIgnoreCase))
                throw new InputDataException($"--curves {curvesPath}: curves are written as NPZ; give a .npz file name.");
            var summaryPath = parse.GetValue(summary);
            if (summaryPath is not null && !summaryPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
                throw new InputDataException($"--summary {summaryPath}: the summary is JSON; give a .json file name.");
            return EvaluationRun.Execute(context, parse, e, new EvaluationRunSpec
            {
                Command = "evaluate",
                Metrics = chosen,
                RowsPath = outPath,
                Outputs = [("--curves", curvesPath), ("--summary", summaryPath)],
                Signature = [$"curves={curvesPath is not null};summary={summaryPath is not null}", qge is null ? "qge=none" : $"qge={qge}"],
                Write = r =>
                {
                    if (curvesPath is not null) WriteCurves(curvesPath, r.Layout, r.Curves, r.Table.RowCount);
                    if (summaryPath is null) return;
                    var settingsText = new Dictionary<string, string>(r.Settings)
                    {
                        ["qge"] = qge is null ? "none" : MetricParameters.SnakeCase(qge.Method.ToString()),
                        ["qge_normalise"] = (qge?.NormaliseSign ?? false) ? "true" : "false",
                        ["random_baseline"] = (qge?.RandomBaseline ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture),
                        ["random_ranking"] = qge is { Ranking: Sightline.Evaluation.Qge.RankingKind.Chunky } rq ? $"chunky:{rq.Chunk}" : "random",
                        ["qge_pool"] = (qge?.Pool ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    };
                    EvaluationSummary.Build(r.Table, r.Layout, r.Failed).WriteJson(summaryPath, settingsText);
                },
            });
        });
        return command;
    }

    /// <summary>Writes one N×length float32 array per curve metric of <paramref name="layout"/>, named by the metric.</summary>
    internal static void WriteCurves(string path, EvaluationLayout layout, float[] curves, int n)
    {
        var entries = new List<NpzEntry>();
        int offset = 0, width = layout.CurveValues;
        foreach (var (name, length) in layout.Curves)
        {
            var a = new float[n * length];
            for (int i = 0; i < n; i++) curves.AsSpan(i * width + offset, length).CopyTo(a.AsSpan(i * length, length));
            entries.Add(NpzEntry.Create(name, a, n, length));
            offset += length;
        }
        Npz.Write(path, entries);
    }

    /// <summary>
    /// Binds the <c>--param</c> settings onto the chosen metrics: <c>METRIC.KEY=VALUE</c> for one metric (which must be
    /// among --metrics), <c>*.KEY=VALUE</c> for every chosen metric that has KEY (at least one must), in command-line order.
    /// </summary>
    /// <exception cref="InputDataException">A malformed setting, a metric not chosen, a key no metric has, a bad value.</exception>
    internal static IReadOnlyList<IEvaluationMetric> BindParameters(IReadOnlyList<CatalogueEntry> entries, IReadOnlyList<string> settings) =>
        MetricParameters.BindAll(entries, settings, "--param");

    /// <summary>
    /// The catalogue as a Markdown table, one row per metric <c>evaluate</c> offers, from the classes' metadata: name,
    /// family, direction, needs, cost (model rows per sample), parameters with their defaults. The README's table is this
    /// output.
    /// </summary>
    public static IReadOnlyList<string> CatalogueTable()
    {
        var lines = new List<string>
        {
            "| metric | family | direction | needs | cost (rows/sample) | parameters (defaults) |",
            "|---|---|---|---|---|---|",
        };
        foreach (var e in MetricCatalogue.Evaluate)
        {
            var info = e.Info;
            var needs = Enum.GetValues<MetricNeeds>().Where(f => f != MetricNeeds.None && info.Needs.HasFlag(f)).Select(f => MetricParameters.SnakeCase(f.ToString())).ToList();
            if (e.Kind == MetricKind.MapMask && !needs.Contains("masks")) needs.Insert(0, "masks");
            var parameters = string.Join(", ", MetricParameters.Describe(e.DefaultOptions()).Select(kv => $"{kv.Key}={kv.Value}"));
            lines.Add($"| `{e.Name}` | {info.Family.ToString().ToLowerInvariant()} | {(info.Direction == ScoreDirection.HigherIsBetter ? "higher" : "lower")} | {(needs.Count == 0 ? "—" : string.Join(", ", needs))} | {(info.Cost.Length == 0 ? "0" : info.Cost)} | {parameters} |");
        }
        return lines;
    }
}
