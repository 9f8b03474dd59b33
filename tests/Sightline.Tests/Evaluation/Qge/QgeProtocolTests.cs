using Sightline.Evaluation.Qge;

namespace Sightline.Tests.Evaluation.Qge;

public sealed class QgeProtocolTests
{
    [Fact]
    public void Z_score_uses_the_population_std_and_skips_nan()
    {
        var c = new ProtocolCase(4, 0, [1, 2, 3, double.NaN]);
        Assert.Equal((4 - 2) / Math.Sqrt(2 / 3.0), QgeProtocol.Z(c), 12);
        Assert.True(double.IsNaN(QgeProtocol.Z(new ProtocolCase(1, 0, [2, 2, 2]))));
    }

    [Fact]
    public void Auc_counts_ties_as_half()
    {
        Assert.Equal(1.0, QgeProtocol.Auc([3, 4], [1, 2]));
        Assert.Equal(0.5, QgeProtocol.Auc([1], [1]));
        Assert.Equal(0.625, QgeProtocol.Auc([2, 3], [1, 3]));
        Assert.True(double.IsNaN(QgeProtocol.Auc([], [1])));
    }

    [Fact]
    public void An_estimator_equal_to_z_is_perfect_and_qbas_improves_with_k()
    {
        var rng = new Random(5);
        var cases = new List<ProtocolCase>();
        for (int i = 0; i < 300; i++)
        {
            // Each sample has its own pool location: Ψ alone is confounded by it, Ψ − pool mean is not.
            double offset = rng.NextDouble() * 10;
            var pool = Enumerable.Range(0, 200).Select(_ => offset + rng.NextDouble() * 2 - 1).ToArray();
            double psi = offset + (rng.NextDouble() * 4 - 1) * 0.58;
            var c0 = new ProtocolCase(psi, 0, pool);
            double z = QgeProtocol.Z(c0);
            cases.Add(c0 with { Qge = z });
        }
        var q = QgeProtocol.Analyse(cases).ToDictionary(e => e.Estimator);
        Assert.Equal(1.0, q["qge"].KendallTau, 12);
        Assert.Equal(1.0, q["qge"].SpearmanRho, 12);
        Assert.Equal(1.0, q["qge"].CorrectOrderings, 12);
        Assert.All(q["qge"].StratumAuc.Where(a => !double.IsNaN(a)), a => Assert.Equal(1.0, a, 12));
        Assert.True(q["qbas_10"].KendallTau > q["qbas_1"].KendallTau);
        Assert.True(q["qbas_1"].KendallTau > q["psi"].KendallTau);
        Assert.Equal(2, q["qge"].Evaluations);
        Assert.Equal(11, q["qbas_10"].Evaluations);
        Assert.Equal(12, q.Count);
    }

    [Fact]
    public void Analysis_is_seeded()
    {
        var cases = Enumerable.Range(0, 50).Select(i => new ProtocolCase(i % 7, i % 5, [.. Enumerable.Range(0, 20).Select(j => (double)((i * j) % 11))])).ToList();
        var a = QgeProtocol.Analyse(cases, seed: 3);
        var b = QgeProtocol.Analyse(cases, seed: 3);
        Assert.Equal(a.Select(e => e.KendallTau), b.Select(e => e.KendallTau));
        Assert.Equal(a.Select(e => e.CorrectOrderings), b.Select(e => e.CorrectOrderings));
    }
}

public sealed class QgeCheckTests
{
    [Fact]
    public void Cases_orient_lower_is_better_metrics_so_that_z_above_zero_is_better_than_random()
    {
        // sss (lower is better) on maps concentrated inside the mask: better than random → z > 0, QGE > 0.
        int n = 6;
        var rng = new Random(8);
        var masks = Enumerable.Range(0, n * 16).Select(i => (byte)(i % 16 < 8 ? 1 : 0)).ToArray();
        var maps = Enumerable.Range(0, n * 16).Select(i => masks[i] == 1 ? 0.7f + 0.3f * (float)rng.NextDouble() : 0.1f * (float)rng.NextDouble()).ToArray();
        var batch = EvalBatches.Make(1, 4, 4, new float[n * 16], maps, new int[n], masks: masks, seed: 2);
        var metric = Sightline.Evaluation.MetricCatalogue.GetEvaluate("sss").Create([new("sss_threshold", "none")]);
        var cases = QgeCheck.Cases(metric, batch, 100);
        Assert.Equal(n, cases.Count);
        Assert.All(cases, c => { Assert.True(QgeProtocol.Z(c) > 0); Assert.True(c.Qge > 0); Assert.Equal(100, c.Pool.Length); });
    }
}
