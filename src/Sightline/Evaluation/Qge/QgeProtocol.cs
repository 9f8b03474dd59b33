namespace Sightline.Evaluation.Qge;

/// <summary>One evaluated explanation in the QGE protocol: its metric score, its QGE, its pool and its pool z-score.</summary>
/// <param name="Psi">Ψ(e).</param>
/// <param name="Qge">Ψ(e) − Ψ(e_inv) (signed so that higher is better).</param>
/// <param name="Pool">Ψ over the N random rankings of the same sample (NaN scores allowed).</param>
public sealed record ProtocolCase(double Psi, double Qge, double[] Pool);

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
                var defined = cases[i].Pool.Where(v => !double.IsNaN(v)).ToArray();
                if (defined.Length == 0) { q[i] = double.NaN; continue; }
                double sum = 0;
                for (int j = 0; j < k; j++) sum += defined[rng.Next(defined.Length)];
                q[i] = cases[i].Psi - sum / k;
            }
            estimators.Add(($"qbas_{k}", q, 1 + k));
        }
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
