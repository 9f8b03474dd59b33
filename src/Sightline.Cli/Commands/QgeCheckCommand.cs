using System.CommandLine;
using System.Globalization;
using Sightline.Evaluation;
using Sightline.Evaluation.Qge;
using Sightline.Results;

namespace Sightline.Cli.Commands;

/// <summary>
/// <c>sightline qge-check</c>: the evaluation protocol of QGE (Eiras-Franco, Hedström, Höhne, AAAI 2025) on the user's
/// model and explanations: per sample and metric Ψ(e), QGE, q_bas^1..10 and the z-score of Ψ(e) within a pool of random
/// rankings; then, per metric, how well each estimator tracks z (Kendall τ, Spearman ρ, correctly ordered pairs, ROC-AUC
/// per z-stratum) and Δτ = τ(QGE) − τ(q_bas^1).
/// </summary>
public static class QgeCheckCommand
{
    /// <summary>The z-stratum column suffixes of the estimator table, in <see cref="QgeProtocol.Strata"/> order.</summary>
    internal static IReadOnlyList<string> StratumNames { get; } = ["0.5_1", "1_1.5", "1.5_2", "2_2.5", "2.5_inf"];

    /// <summary>Builds the command.</summary>
    public static Command Build(CliContext context)
    {
        var e = new EvaluationOptions();
        e.Metrics.Description = "Metrics to check: comma-separated names or a family (see 'sightline evaluate --list-metrics'); metrics that re-explain (robustness, randomisation) have no random-ranking pool and are refused.";
        var pool = new Option<int>("--pool") { Description = "Random rankings per sample whose scores give the ground truth z = (Ψ(e) − pool mean)/pool std (the paper uses 1000). Costly: N + 10 evaluations of Ψ per sample (10 more rankings, apart from the pool, give q_bas^1..10).", DefaultValueFactory = _ => 1000, HelpName = "N" };
        var inverse = new Option<string>("--qge") { Description = "The inverse of QGE: value_swap (reverse the order of the values, keep them) or sign_flip (−e; refused for metrics that take |a|).", DefaultValueFactory = _ => "value_swap", HelpName = "value_swap|sign_flip" };
        var ranking = new Option<string>("--random-ranking") { Description = "The random rankings of the pool and q_bas: random (a permutation of 0..d−1 over d−1) or chunky:C (one value per C×C cell).", DefaultValueFactory = _ => "random", HelpName = "random|chunky:C" };
        var output = new Option<string?>("--out") { Description = "The estimator table: per metric and estimator (psi, qge, qbas_1..qbas_10) its cost in evaluations, n, kendall_tau, spearman_rho, correct_pairs, auc_z_<stratum> (exceptional cases of the z-stratum against z < 0.5) with n_z_<stratum>, and delta_tau = τ − τ(qbas_1): .csv, .json or .parquet.", HelpName = "r.csv" };
        var samples = new Option<string?>("--rows") { Description = "The per-sample rows (resumable: a killed run continues here): m, m_inverse, m_qge, m_qbas_1..10, m_z, m_pool_mean, m_pool_std per metric, signed so that higher is better except m, m_inverse and the pool's mean and std. Default: beside --out, named <out>.samples.<ext>.", HelpName = "s.csv" };

        var command = new Command("qge-check", "Check QGE against the expensive ground truth on your model (Eiras-Franco, Hedström, Höhne, AAAI 2025): per sample and metric Ψ(e), QGE = Ψ(e) − Ψ(e_inv), q_bas^K = Ψ(e) − mean Ψ over K random rankings (K = 1..10) and z, the z-score of Ψ(e) among N random rankings; then per metric Kendall τ and Spearman ρ of each estimator with z, the share of correctly ordered random pairs, ROC-AUC for exceptional explanations per z-stratum [0.5,1) … [2.5,∞), and Δτ = τ(QGE) − τ(q_bas^1). QGE costs 2 evaluations, q_bas^K 1+K.");
        foreach (var option in e.Head) command.Add(option);
        foreach (var option in e.Scoring.Concat([pool, inverse, ranking, output, samples])) command.Add(option);
        foreach (var option in e.Tail) command.Add(option);

        command.SetAction(parse =>
        {
            var outPath = parse.GetValue(output) ?? throw new InputDataException("--out r.csv (or .json, .parquet) is required: the estimator table.");
            ResultWriter.FormatOf(outPath);
            var samplesPath = parse.GetValue(samples) ?? SamplesPath(outPath);
            int n = parse.GetValue(pool);
            if (n < 2) throw new InputDataException($"--pool {n}: a z-score needs a pool of at least 2 random rankings (the paper uses 1000).");
            var method = ParseInverse(parse.GetValue(inverse)!);
            var (kind, chunk) = QgeCliOptions.ParseRanking(parse.GetValue(ranking)!);
            var chosen = e.ReadMetrics(parse).Select(m => (IEvaluationMetric)new QgeCheckMetric(m, n, method, kind, chunk)).ToList();
            ResultTable? estimators = null; // computed once, when the rows are complete: written, then reported
            return EvaluationRun.Execute(context, parse, e, new EvaluationRunSpec
            {
                Command = "qge-check",
                Metrics = chosen,
                RowsOption = "--rows",
                RowsPath = samplesPath,
                Outputs = [("--out", outPath)],
                Signature = [$"qge-check;pool={n};inverse={method};ranking={kind}:{chunk}"],
                Write = r => ResultWriter.Write(estimators = EstimatorTable(r, parse.GetValue(e.Explain.Seed)), outPath),
                Report = r => Report(estimators ?? EstimatorTable(r, parse.GetValue(e.Explain.Seed)), outPath),
            });
        });
        return command;
    }

    /// <summary>The default per-sample path beside <paramref name="outPath"/>: r.csv → r.samples.csv.</summary>
    internal static string SamplesPath(string outPath)
    {
        var ext = Path.GetExtension(outPath);
        return outPath[..^ext.Length] + ".samples" + ext;
    }

    private static InverseMethod ParseInverse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "value_swap" or "value-swap" => InverseMethod.ValueSwap,
        "sign_flip" or "sign-flip" => InverseMethod.SignFlip,
        _ => throw new InputDataException($"--qge '{text}': give value_swap or sign_flip."),
    };

    /// <summary>Per metric of the run and estimator: the protocol's figures from the complete per-sample rows.</summary>
    internal static ResultTable EstimatorTable(EvaluationRunResult run, int seed)
    {
        var metric = new List<string?>();
        var estimator = new List<string?>();
        var cost = new List<long>();
        var count = new List<long>();
        var tau = new List<double>();
        var rho = new List<double>();
        var pairs = new List<double>();
        var delta = new List<double>();
        var auc = StratumNames.Select(_ => new List<double>()).ToArray();
        var positives = StratumNames.Select(_ => new List<long>()).ToArray();
        var layout = run.Layout;
        for (int mi = 0; mi < layout.Metrics.Count; mi++)
        {
            var baseName = layout.Columns[layout.Offsets[mi]];
            double[] Col(string suffix) => ((DoubleColumn)(run.Table[baseName + suffix] ?? throw new InvalidOperationException($"column {baseName}{suffix} missing"))).Values;
            double sign = layout.Metrics[mi].Info.Direction == Metrics.ScoreDirection.LowerIsBetter ? -1 : 1;
            var z = Col("_z");
            var estimators = QgeCheckMetric.Estimators.Select(x => (x.Estimator, x.Suffix == "" ? [.. Col("").Select(v => sign * v)] : Col(x.Suffix), x.Cost)).ToList();
            var quality = QgeProtocol.Score(estimators, z, (ulong)(uint)seed);
            double tauQbas1 = quality.First(q => q.Estimator == "qbas_1").KendallTau;
            for (int k = 0; k < quality.Count; k++)
            {
                var q = quality[k];
                var values = estimators[k].Item2;
                metric.Add(layout.Metrics[mi].Name);
                estimator.Add(q.Estimator);
                cost.Add(q.Evaluations);
                count.Add(Enumerable.Range(0, z.Length).Count(i => !double.IsNaN(z[i]) && !double.IsNaN(values[i])));
                tau.Add(q.KendallTau);
                rho.Add(q.SpearmanRho);
                pairs.Add(q.CorrectOrderings);
                delta.Add(q.KendallTau - tauQbas1);
                for (int s = 0; s < StratumNames.Count; s++)
                {
                    auc[s].Add(q.StratumAuc[s]);
                    double lo = QgeProtocol.Strata[s], hi = s + 1 < QgeProtocol.Strata.Count ? QgeProtocol.Strata[s + 1] : double.PositiveInfinity;
                    positives[s].Add(Enumerable.Range(0, z.Length).Count(i => z[i] >= lo && z[i] < hi && !double.IsNaN(values[i])));
                }
            }
        }
        var table = new ResultTable()
            .Add(new StringColumn("metric", [.. metric]))
            .Add(new StringColumn("estimator", [.. estimator]))
            .Add(new Int64Column("evaluations", [.. cost]))
            .Add(new Int64Column("n", [.. count]))
            .Add(new DoubleColumn("kendall_tau", [.. tau]))
            .Add(new DoubleColumn("spearman_rho", [.. rho]))
            .Add(new DoubleColumn("correct_pairs", [.. pairs]))
            .Add(new DoubleColumn("delta_tau", [.. delta]));
        for (int s = 0; s < StratumNames.Count; s++) table.Add(new DoubleColumn($"auc_z_{StratumNames[s]}", [.. auc[s]]));
        for (int s = 0; s < StratumNames.Count; s++) table.Add(new Int64Column($"n_z_{StratumNames[s]}", [.. positives[s]]));
        return table;
    }

    private static IEnumerable<string> Report(ResultTable table, string outPath)
    {
        var metrics = ((StringColumn)table["metric"]!).Values;
        var estimators = ((StringColumn)table["estimator"]!).Values;
        var tau = ((DoubleColumn)table["kendall_tau"]!).Values;
        var n = ((Int64Column)table["n"]!).Values;
        double Tau(string m, string est) => Enumerable.Range(0, metrics.Length).Where(i => metrics[i] == m && estimators[i] == est).Select(i => tau[i]).DefaultIfEmpty(double.NaN).First();
        yield return $"{"metric",-28} {"n",5} {"τ(Ψ)",7} {"τ(QGE)",7} {"τ(qbas1)",8} {"Δτ",7} {"τ(qbas10)",9}";
        foreach (var m in metrics.Distinct())
        {
            long count = Enumerable.Range(0, metrics.Length).Where(i => metrics[i] == m && estimators[i] == "qge").Select(i => n[i]).FirstOrDefault();
            double q = Tau(m!, "qge"), b1 = Tau(m!, "qbas_1");
            yield return string.Create(CultureInfo.InvariantCulture, $"{m,-28} {count,5} {Tau(m!, "psi"),7:0.000} {q,7:0.000} {b1,8:0.000} {q - b1,7:+0.000;-0.000} {Tau(m!, "qbas_10"),9:0.000}");
        }
        yield return $"QGE costs 2 evaluations of Ψ per sample, q_bas^1 2, q_bas^10 11; the full table (ρ, correct pairs, AUC per z-stratum) is in {outPath}.";
    }
}
