using Sightline.Metrics;
using Sightline.Models;

namespace Sightline.Evaluation.Qge;

/// <summary>One evaluated explanation in the QGE protocol: its metric score, its QGE, its pool and its pool z-score.</summary>
/// <param name="Psi">Ψ(e).</param>
/// <param name="Qge">Ψ(e) − Ψ(e_inv) (signed so that higher is better).</param>
/// <param name="Pool">Ψ over the N random rankings of the same sample (NaN scores allowed).</param>
/// <param name="Baseline">Ψ over up to <see cref="QgeProtocol.MaxK"/> further random rankings, disjoint from the pool, for q_bas^K (its first K); null: q_bas^K draws K pool scores with replacement.</param>
public sealed record ProtocolCase(double Psi, double Qge, double[] Pool, double[]? Baseline = null);

/// <summary>How well one estimator tracks the latent z-score.</summary>
/// <param name="Estimator">Its name: <c>psi</c>, <c>qge</c>, <c>qbas_1</c> … <c>qbas_10</c>.</param>
/// <param name="KendallTau">Kendall τ-b between the estimator and z over all cases.</param>
/// <param name="SpearmanRho">Spearman ρ between the estimator and z.</param>
/// <param name="CorrectOrderings">The share of random pairs of cases (z different) that the estimator orders as z does.</param>
/// <param name="StratumAuc">ROC-AUC per z-stratum (<see cref="QgeProtocol.Strata"/>): cases in the stratum against cases with z &lt; 0.5; NaN when a side is empty.</param>
/// <param name="Evaluations">Evaluations of Ψ per case the estimator costs (QGE 2, q_bas^K 1+K, Ψ alone 1).</param>
public sealed record EstimatorQuality(string Estimator, double KendallTau, double SpearmanRho, double CorrectOrderings, double[] StratumAuc, int Evaluations);

/// <summary>
/// The evaluation protocol of QGE (Eiras-Franco, Hedström, Höhne, AAAI 2025; eval-project): for every case the ground
/// truth is the z-score of Ψ(e) within the pool of Ψ over N random rankings of the same sample, z = (Ψ(e) − mean)/std
/// (population std, NaN pool scores left out); each estimator — Ψ itself, QGE and q_bas^K = Ψ(e) − mean of K pool scores
/// drawn with replacement (K = 1..10, seeded) — is scored by Kendall τ and Spearman ρ with z over all cases, the share of
/// correctly ordered random pairs, and ROC-AUC for telling cases in each z-stratum [0.5,1), [1,1.5), [1.5,2), [2,2.5),
/// [2.5,∞) from unexceptional ones (z &lt; 0.5). The paper reports Δτ = τ(QGE) − τ(q_bas^1). Its full text was not
/// available to us: the strata's negatives (z &lt; 0.5) are our reading of "detecting exceptional explanations".
/// </summary>
public static class QgeProtocol
{
    /// <summary>The z-strata lower bounds; the last stratum is open.</summary>
    public static IReadOnlyList<double> Strata { get; } = [0.5, 1, 1.5, 2, 2.5];

    /// <summary>The largest K of q_bas^K.</summary>
    public const int MaxK = 10;

    /// <summary>The z-score of each case within its pool (NaN when the pool has under two defined scores or no spread).</summary>
    public static double Z(ProtocolCase c)
    {
        double sum = 0, sq = 0;
        int k = 0;
        foreach (var v in c.Pool) if (!double.IsNaN(v)) { sum += v; k++; }
        if (k < 2) return double.NaN;
        double mean = sum / k;
        foreach (var v in c.Pool) if (!double.IsNaN(v)) sq += (v - mean) * (v - mean);
        double sd = Math.Sqrt(sq / k);
        return sd > 0 ? (c.Psi - mean) / sd : double.NaN;
    }

    /// <summary>
    /// Scores Ψ, QGE and q_bas^1..10 against z over <paramref name="cases"/> (cases with NaN z or NaN estimator are left
    /// out of that estimator's figures). <paramref name="seed"/> fixes the q_bas draws and the random pairs
    /// (<paramref name="pairs"/> of them).
    /// </summary>
    public static IReadOnlyList<EstimatorQuality> Analyse(IReadOnlyList<ProtocolCase> cases, ulong seed = 42, int pairs = 10_000)
    {
        var z = cases.Select(Z).ToArray();
        var estimators = new List<(string Name, double[] Values, int Cost)>
        {
            ("psi", [.. cases.Select(c => c.Psi)], 1),
            ("qge", [.. cases.Select(c => c.Qge)], 2),
        };
        var rng = new Random(unchecked((int)(seed ^ (seed >> 32))));
        for (int k = 1; k <= MaxK; k++)
        {
            var q = new double[cases.Count];
            for (int i = 0; i < cases.Count; i++)
            {
                if (cases[i].Baseline is { } b) { q[i] = QBas(cases[i].Psi, b, k); continue; }
                var defined = cases[i].Pool.Where(v => !double.IsNaN(v)).ToArray();
                if (defined.Length == 0) { q[i] = double.NaN; continue; }
                double sum = 0;
                for (int j = 0; j < k; j++) sum += defined[rng.Next(defined.Length)];
                q[i] = cases[i].Psi - sum / k;
            }
            estimators.Add(($"qbas_{k}", q, 1 + k));
        }
        return Score(estimators, z, seed, pairs);
    }

    /// <summary>q_bas^K = Ψ(e) − mean of the first <paramref name="k"/> defined scores of <paramref name="baseline"/> (NaN when none is defined).</summary>
    public static double QBas(double psi, ReadOnlySpan<double> baseline, int k)
    {
        double sum = 0;
        int c = 0;
        for (int j = 0; j < baseline.Length && j < k; j++) if (!double.IsNaN(baseline[j])) { sum += baseline[j]; c++; }
        return c == 0 ? double.NaN : psi - sum / c;
    }

    /// <summary>
    /// Scores each estimator (name, one value per case, evaluations of Ψ it costs) against the ground truth
    /// <paramref name="z"/>: Kendall τ-b, Spearman ρ, the share of correctly ordered random pairs and the ROC-AUC per
    /// z-stratum; cases with NaN z or NaN estimator value are left out of that estimator's figures.
    /// </summary>
    public static IReadOnlyList<EstimatorQuality> Score(IReadOnlyList<(string Name, double[] Values, int Cost)> estimators, double[] z, ulong seed = 42, int pairs = 10_000)
    {
        var result = new List<EstimatorQuality>();
        foreach (var (name, values, cost) in estimators)
        {
            var keep = Enumerable.Range(0, z.Length).Where(i => !double.IsNaN(z[i]) && !double.IsNaN(values[i])).ToArray();
            double[] zs = [.. keep.Select(i => z[i])], es = [.. keep.Select(i => values[i])];
            var auc = new double[Strata.Count];
            for (int s = 0; s < Strata.Count; s++)
            {
                double lo = Strata[s], hi = s + 1 < Strata.Count ? Strata[s + 1] : double.PositiveInfinity;
                var pos = keep.Where(i => z[i] >= lo && z[i] < hi).Select(i => values[i]).ToArray();
                var neg = keep.Where(i => z[i] < Strata[0]).Select(i => values[i]).ToArray();
                auc[s] = Auc(pos, neg);
            }
            result.Add(new EstimatorQuality(name, Similarity.Kendall(es, zs), Similarity.Spearman(es, zs), CorrectShare(es, zs, pairs, seed), auc, cost));
        }
        return result;
    }

    /// <summary>Mann–Whitney ROC-AUC of <paramref name="positives"/> against <paramref name="negatives"/> (ties count ½); NaN when either is empty.</summary>
    public static double Auc(ReadOnlySpan<double> positives, ReadOnlySpan<double> negatives)
    {
        if (positives.IsEmpty || negatives.IsEmpty) return double.NaN;
        var all = new double[positives.Length + negatives.Length];
        positives.CopyTo(all);
        negatives.CopyTo(all.AsSpan(positives.Length));
        var ranks = Similarity.Ranks(all);
        double sum = 0;
        for (int i = 0; i < positives.Length; i++) sum += ranks[i];
        double np = positives.Length, nn = negatives.Length;
        return (sum - np * (np + 1) / 2) / (np * nn);
    }

    private static double CorrectShare(double[] e, double[] z, int pairs, ulong seed)
    {
        int n = z.Length;
        if (n < 2) return double.NaN;
        var rng = new Random(unchecked((int)seed) ^ 0x5bd1e995);
        int counted = 0, correct = 0;
        for (int p = 0, attempts = 0; p < pairs && attempts < pairs * 10; attempts++)
        {
            int i = rng.Next(n), j = rng.Next(n);
            if (i == j || z[i] == z[j]) continue;
            p++;
            counted++;
            if (Math.Sign(e[i] - e[j]) == Math.Sign(z[i] - z[j])) correct++;
        }
        return counted == 0 ? double.NaN : (double)correct / counted;
    }
}

/// <summary>Builds the protocol's cases (Ψ(e), QGE, pool) of one metric on one batch: the expensive part of <c>qge-check</c>.</summary>
public static class QgeCheck
{
    /// <summary>
    /// Ψ(e), QGE (signed higher-is-better, value swap unless <paramref name="method"/>) and Ψ over <paramref name="pool"/>
    /// random rankings (<paramref name="ranking"/>, <paramref name="chunk"/>) for every sample of <paramref name="batch"/>.
    /// </summary>
    public static IReadOnlyList<ProtocolCase> Cases(IEvaluationMetric metric, EvaluationBatch batch, int pool,
        InverseMethod method = InverseMethod.ValueSwap, RankingKind ranking = RankingKind.Random, int chunk = 4)
    {
        var gap = new QualityGap(metric, new QgeOptions { Method = method, NormaliseSign = true, Ranking = ranking, Chunk = chunk });
        var o = gap.Evaluate(batch);
        var scores = gap.RankingScores(batch, pool);
        int n = batch.Count, cols = o.Columns.Count;
        double sign = metric.Info.Direction == Metrics.ScoreDirection.LowerIsBetter ? -1 : 1;
        var cases = new ProtocolCase[n];
        for (int i = 0; i < n; i++)
        {
            var p = new double[pool];
            for (int r = 0; r < pool; r++) p[r] = sign * scores[(long)r * n + i];
            // Ψ and the pool are oriented like QGE (higher is better), so z > 0 means better than random.
            cases[i] = new ProtocolCase(sign * o.Values[i * cols], o.Values[i * cols + 2], p);
        }
        return cases;
    }
}

/// <summary>
/// One metric scored for the QGE protocol in the evaluation pipeline (the CLI's <c>qge-check</c>): per sample its main
/// column <c>m</c> = Ψ(e) and <c>m_inverse</c> = Ψ(e_inv) as the metric reports them, then, signed so that higher is
/// better for every metric, <c>m_qge</c> = s·(Ψ(e) − Ψ(e_inv)), <c>m_qbas_1</c> … <c>m_qbas_10</c> = s·(Ψ(e) − mean of Ψ over
/// the first K of 10 random rankings kept apart from the pool), <c>m_z</c> = s·(Ψ(e) − pool mean)/pool std over
/// <see cref="Pool"/> further random rankings (population std), and the pool's <c>m_pool_mean</c>, <c>m_pool_std</c>
/// (unsigned); s = −1 for lower-is-better metrics. e, e_inv and all 10 + N rankings of a chunk of samples go through
/// the metric in shared model calls (<see cref="QualityGap"/>). Curves are not kept.
/// </summary>
public sealed class QgeCheckMetric : IEvaluationMetric
{
    private readonly QualityGap _gap;

    /// <summary>Wraps <paramref name="inner"/> with a pool of <paramref name="pool"/> rankings.</summary>
    /// <exception cref="InputDataException">A pool under 2, a metric that re-explains (a random ranking has no explainer), sign flip for a metric that takes |a|.</exception>
    public QgeCheckMetric(IEvaluationMetric inner, int pool, InverseMethod method = InverseMethod.ValueSwap, RankingKind ranking = RankingKind.Random, int chunk = 4)
    {
        if (pool < 2) throw new InputDataException($"--pool {pool}: a z-score needs a pool of at least 2 random rankings (the paper uses 1000).");
        Inner = inner;
        Pool = pool;
        _gap = new QualityGap(inner, new QgeOptions { Method = method, NormaliseSign = true, Ranking = ranking, Chunk = chunk });
    }

    /// <summary>The wrapped metric Ψ.</summary>
    public IEvaluationMetric Inner { get; }

    /// <summary>Random rankings per sample in the z-score's pool.</summary>
    public int Pool { get; }

    /// <inheritdoc/>
    public MetricAttribute Info => Inner.Info;

    /// <inheritdoc/>
    public string Name => Inner.Name;

    /// <inheritdoc/>
    public MetricOptions Options => Inner.Options;

    /// <inheritdoc/>
    public bool UsesAbsolute => Inner.UsesAbsolute;

    /// <summary>The estimator columns after <c>m</c> and <c>m_inverse</c>, in order, with the evaluations of Ψ each costs.</summary>
    public static IReadOnlyList<(string Suffix, string Estimator, int Cost)> Estimators { get; } =
        [("", "psi", 1), ("_qge", "qge", 2), .. Enumerable.Range(1, QgeProtocol.MaxK).Select(k => ($"_qbas_{k}", $"qbas_{k}", 1 + k))];

    /// <inheritdoc/>
    public IReadOnlyList<string> Columns(EvaluationShape shape, IModel? model)
    {
        var c = Inner.Columns(shape, model)[0];
        return [c, c + "_inverse", c + "_qge", .. Enumerable.Range(1, QgeProtocol.MaxK).Select(k => $"{c}_qbas_{k}"), c + "_z", c + "_pool_mean", c + "_pool_std"];
    }

    /// <inheritdoc/>
    public int CurveLength(EvaluationShape shape) => 0;

    /// <inheritdoc/>
    public void Evaluate(EvaluationBatch batch, MetricOutput output)
    {
        int n = batch.Count, k = QgeProtocol.MaxK, ic = Inner.Columns(batch.Shape, batch.Model).Count;
        var gap = _gap.Evaluate(batch); // Ψ(e), Ψ(e_inv), QGE (normalised) per inner column
        int gc = gap.Columns.Count;
        // Rankings 0..N−1 are the pool; N..N+9 are q_bas's, apart from it: one pass of N + 10 rankings in shared model calls.
        var scores = _gap.RankingScores(batch, Pool + k);
        double sign = Info.Direction == ScoreDirection.LowerIsBetter ? -1 : 1;
        var baseline = new double[k];
        var pool = new double[Pool];
        for (int i = 0; i < n; i++)
        {
            double psi = gap.Values[i * gc];
            output.Set(i, 0, psi);
            output.Set(i, 1, gap.Values[i * gc + 1]);
            output.Set(i, 2, gap.Values[i * gc + 2]);
            for (int j = 0; j < k; j++) baseline[j] = scores[(long)(Pool + j) * n + i];
            for (int j = 1; j <= k; j++) output.Set(i, 2 + j, sign * QgeProtocol.QBas(psi, baseline, j));
            for (int r = 0; r < Pool; r++) pool[r] = scores[(long)r * n + i];
            var (mean, sd) = MeanStd(pool);
            // A pool without spread (up to rounding: e.g. a metric of the value multiset alone) has no z-score.
            output.Set(i, 3 + k, sd > 1e-12 * Math.Max(1, Math.Abs(mean)) ? sign * (psi - mean) / sd : double.NaN);
            output.Set(i, 4 + k, mean);
            output.Set(i, 5 + k, sd);
            output.Reasons[i] = gap.Reasons[i];
        }
    }

    /// <summary>Mean and population std of the defined values (NaN, NaN when none).</summary>
    private static (double Mean, double Std) MeanStd(ReadOnlySpan<double> v)
    {
        double sum = 0, sq = 0;
        int c = 0;
        foreach (var x in v) if (!double.IsNaN(x)) { sum += x; c++; }
        if (c == 0) return (double.NaN, double.NaN);
        double mean = sum / c;
        foreach (var x in v) if (!double.IsNaN(x)) sq += (x - mean) * (x - mean);
        return (mean, Math.Sqrt(sq / c));
    }
}
