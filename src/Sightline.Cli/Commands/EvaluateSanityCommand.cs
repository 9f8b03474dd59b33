using System.CommandLine;
using System.Globalization;
using Sightline.Evaluation;
using Sightline.Evaluation.Qge;
using Sightline.Results;

namespace Sightline.Cli.Commands;

/// <summary>
/// <c>sightline evaluate-sanity</c>: necessary conditions for explanation-quality metrics (<see cref="MetricSanity"/>),
/// after the missing-labels and extra-labels tests Oikarinen, Yan and Weng (ICML 2025) apply to neuron-explanation
/// metrics: per metric the missing-evidence, extra-evidence and inverse tests, their pass rates and a verdict.
/// </summary>
public static class EvaluateSanityCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Build(CliContext context)
    {
        var e = new EvaluationOptions();
        e.Metrics.Description = "Metrics to test: comma-separated names, a family or all (see 'sightline evaluate --list-metrics').";
        var percent = new Option<double>("--percent") { Description = "p: the share of the map's values (percent of its A·H·W values) the missing- and extra-evidence tests move.", DefaultValueFactory = _ => 10, HelpName = "p" };
        var epsilon = new Option<double>("--epsilon") { Description = "ε: a sample counts as worse when its direction-adjusted change, divided by the metric's range (its declared bounds, or the observed spread of Ψ(e) when they are infinite), is below −ε.", DefaultValueFactory = _ => 0.001, HelpName = "ε" };
        var passPercent = new Option<double>("--pass-percent") { Description = "A test passes when at least this percentage of its samples gets worse (as the neuron-metric sanity tests, 90).", DefaultValueFactory = _ => 90, HelpName = "%" };
        var pool = new Option<int>("--pool") { Description = "Random rankings per sample that decide which samples the inverse test counts (those whose e beats the pool mean). N evaluations of Ψ per sample.", DefaultValueFactory = _ => 100, HelpName = "N" };
        var output = new Option<string?>("--out") { Description = "The verdicts, one row per metric: metric, samples, missing_evidence_worse, extra_evidence_worse (percent of samples), inverse_eligible, inverse_better (percent), missing_evidence_pass, extra_evidence_pass, inverse_pass, verdict: .csv, .json or .parquet.", HelpName = "sanity.csv" };
        var samples = new Option<string?>("--rows") { Description = "The per-sample scores (resumable): m, m_missing, m_extra, m_inverse, m_pool_mean per metric. Default: beside --out, named <out>.samples.<ext>.", HelpName = "s.csv" };

        var command = new Command("evaluate-sanity", string.Join(" ",
            "Sanity tests for explanation metrics. Oikarinen, Yan and Weng (ICML 2025) showed that many metrics of neuron explanations fail two necessary conditions: a metric must score an explanation worse when it misses evidence and when it adds evidence that is not there. The same holds for saliency metrics, and no toolkit checks it.",
            "Per metric and sample: (1) missing evidence: the top p% of e's values are set to the map's minimum, so the evidence they carried is gone: a reliable metric scores e' worse; (2) extra evidence: the same mass goes to p% random pixels the model does not need (drawn among the half with the lowest |gradient|): the explanation now points at irrelevant features, so the score must get worse; (3) inverse: for the samples whose e beats the mean of the metric over random rankings, Ψ(e) must beat Ψ(e_inv), the value-swapped map (QGE's inverse).",
            "A test passes when at least --pass-percent of the samples get worse by more than ε of the metric's range; a metric that fails any test cannot tell good explanations from bad ones in that respect. Needs the model's gradients (TorchSharp) for test 2."));
        foreach (var option in e.Head) command.Add(option);
        foreach (var option in e.Scoring.Concat([percent, epsilon, passPercent, pool, output, samples])) command.Add(option);
        foreach (var option in e.Tail) command.Add(option);

        command.SetAction(parse =>
        {
            var outPath = parse.GetValue(output) ?? throw new InputDataException("--out sanity.csv (or .json, .parquet) is required: the verdicts.");
            ResultWriter.FormatOf(outPath);
            var samplesPath = parse.GetValue(samples) ?? QgeCheckCommand.SamplesPath(outPath);
            double p = parse.GetValue(percent), eps = parse.GetValue(epsilon), pass = parse.GetValue(passPercent);
            int n = parse.GetValue(pool);
            if (!(p > 0 && p < 100)) throw new InputDataException($"--percent {p.ToString(CultureInfo.InvariantCulture)}: give a percentage in (0, 100), e.g. 10.");
            if (!(eps >= 0) || double.IsInfinity(eps)) throw new InputDataException($"--epsilon {eps.ToString(CultureInfo.InvariantCulture)}: ε must be a finite number ≥ 0 (default 0.001).");
            if (!(pass > 0 && pass <= 100)) throw new InputDataException($"--pass-percent {pass.ToString(CultureInfo.InvariantCulture)}: give a percentage in (0, 100].");
            if (n < 1) throw new InputDataException($"--pool {n}: give at least 1 random ranking per sample (default 100).");
            var settings = new MetricSanityOptions { Percent = p, Epsilon = eps, PassPercent = pass, Pool = n };
            var chosen = e.ReadMetrics(parse).Select(m => (IEvaluationMetric)new SanityMetric(m, settings)).ToList();
            IReadOnlyList<MetricSanityResult>? verdicts = null; // computed once, when the rows are complete: written, then reported
            return EvaluationRun.Execute(context, parse, e, new EvaluationRunSpec
            {
                Command = "evaluate-sanity",
                Metrics = chosen,
                Gradients = true,
                RowsOption = "--rows",
                RowsPath = samplesPath,
                Outputs = [("--out", outPath)],
                Signature = [string.Create(CultureInfo.InvariantCulture, $"evaluate-sanity;p={p};pool={n}")],
                Write = r => ResultWriter.Write(VerdictTable(verdicts = Results(r, settings)), outPath),
                Report = r => Report(verdicts ?? Results(r, settings), outPath),
            });
        });
        return command;
    }

    private static IReadOnlyList<MetricSanityResult> Results(EvaluationRunResult run, MetricSanityOptions settings)
    {
        var layout = run.Layout;
        var results = new List<MetricSanityResult>();
        for (int mi = 0; mi < layout.Metrics.Count; mi++)
        {
            var c = layout.Columns[layout.Offsets[mi]];
            var cols = SanityMetric.Suffixes.Select(s => ((DoubleColumn)run.Table[c + s]!).Values).ToArray();
            results.Add(MetricSanity.Summarise(layout.Metrics[mi].Name, layout.Metrics[mi].Info, cols[0], cols[1], cols[2], cols[3], cols[4], settings));
        }
        return results;
    }

    private static string Verdict(MetricSanityResult r)
    {
        if (r.Passes) return "pass";
        var failed = new List<string>();
        if (!r.MissingPass) failed.Add("missing-evidence");
        if (!r.ExtraPass) failed.Add("extra-evidence");
        if (!r.InversePass) failed.Add(r.InverseEligible == 0 ? "inverse (no sample beats random)" : "inverse");
        return "fail: " + string.Join(", ", failed);
    }

    private static ResultTable VerdictTable(IReadOnlyList<MetricSanityResult> results)
    {
        static string? Bool(bool b) => b ? "true" : "false";
        return new ResultTable()
            .Add(new StringColumn("metric", [.. results.Select(r => (string?)r.Metric)]))
            .Add(new Int64Column("samples", [.. results.Select(r => (long)r.Samples)]))
            .Add(new DoubleColumn("missing_evidence_worse", [.. results.Select(r => r.MissingWorse)]))
            .Add(new DoubleColumn("extra_evidence_worse", [.. results.Select(r => r.ExtraWorse)]))
            .Add(new Int64Column("inverse_eligible", [.. results.Select(r => (long)r.InverseEligible)]))
            .Add(new DoubleColumn("inverse_better", [.. results.Select(r => r.InverseBetter)]))
            .Add(new StringColumn("missing_evidence_pass", [.. results.Select(r => Bool(r.MissingPass))]))
            .Add(new StringColumn("extra_evidence_pass", [.. results.Select(r => Bool(r.ExtraPass))]))
            .Add(new StringColumn("inverse_pass", [.. results.Select(r => Bool(r.InversePass))]))
            .Add(new StringColumn("verdict", [.. results.Select(r => (string?)Verdict(r))]));
    }

    private static IEnumerable<string> Report(IReadOnlyList<MetricSanityResult> results, string outPath)
    {
        yield return $"{"metric",-34} {"missing %",9} {"extra %",8} {"inverse %",9}  verdict";
        foreach (var r in results)
            yield return string.Create(CultureInfo.InvariantCulture, $"{r.Metric,-34} {r.MissingWorse,9:0.0} {r.ExtraWorse,8:0.0} {r.InverseBetter,9:0.0}  {Verdict(r)}");
        yield return $"% = samples that got worse (inverse: of the {results.Sum(r => r.InverseEligible)} eligible cases over all metrics, those where Ψ(e) beat Ψ(e_inv)); verdicts in {outPath}.";
    }
}
