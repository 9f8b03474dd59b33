using Sightline.Neurons;

namespace Sightline.Tests.Neurons;

public sealed class NeuronKernelsTests
{
    // (1/N)·Σ z(x)z(y) with z = (x − x̄)/max(s, 1e-9), s the unbiased std (spec §4), written out here rather than taken from the library.
    private static double NaiveCorrelation(double[] x, double[] y)
    {
        int n = x.Length;
        double mx = x.Average(), my = y.Average();
        double sx = Math.Sqrt(x.Sum(v => (v - mx) * (v - mx)) / (n - 1)), sy = Math.Sqrt(y.Sum(v => (v - my) * (v - my)) / (n - 1));
        double s = 0;
        for (int i = 0; i < n; i++) s += (x[i] - mx) / Math.Max(sx, 1e-9) * ((y[i] - my) / Math.Max(sy, 1e-9));
        return s / n;
    }

    [Fact]
    public void Blocked_gemm_equals_the_naive_product_for_shapes_that_are_not_multiples_of_the_block()
    {
        Gen.Select(Gen.Int[1, 11], Gen.Int[1, 9], Gen.Int[1, 300], Gen.Int).Sample((n, m, len, seed) =>
        {
            var rng = new Random(seed);
            var a = Enumerable.Range(0, n * len).Select(_ => rng.NextDouble() - 0.5).ToArray();
            var b = Enumerable.Range(0, m * len).Select(_ => rng.NextDouble() - 0.5).ToArray();
            var r = NeuronKernels.MultiplyColumns(a, n, b, m, len);
            for (int k = 0; k < n; k++)
                for (int t = 0; t < m; t++)
                {
                    double s = 0;
                    for (int i = 0; i < len; i++) s += a[k * len + i] * b[t * len + i];
                    if (Math.Abs(s - r[k * m + t]) > 1e-9) return false;
                }
            return true;
        }, iter: 100);
    }

    [Fact]
    public void Popcount_intersections_equal_naive_counts()
    {
        Gen.Select(Gen.Int[1, 9], Gen.Int[1, 7], Gen.Int[1, 200], Gen.Int).Sample((n, m, len, seed) =>
        {
            var rng = new Random(seed);
            var sa = Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, len).Where(_ => rng.Next(3) == 0).ToArray()).ToArray();
            var sb = Enumerable.Range(0, m).Select(_ => Enumerable.Range(0, len).Where(_ => rng.Next(2) == 0).ToArray()).ToArray();
            var r = NeuronKernels.IntersectionCounts([.. sa.Select(s => NeuronKernels.PackBits(s, len))], [.. sb.Select(s => NeuronKernels.PackBits(s, len))]);
            for (int k = 0; k < n; k++)
                for (int t = 0; t < m; t++)
                    if (r[k * m + t] != sa[k].Intersect(sb[t]).Count()) return false;
            return true;
        }, iter: 100);
    }

    private static readonly Gen<(double[][] A, double[][] C)> Data =
        Gen.Select(Gen.Int[2, 5], Gen.Int[1, 4], Gen.Int[5, 70], Gen.Int).Select((n, m, len, seed) =>
        {
            var rng = new Random(seed);
            var a = Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, len).Select(_ => Math.Round(rng.NextDouble() * 4, 1)).ToArray()).ToArray();
            var c = Enumerable.Range(0, m).Select(_ => Enumerable.Range(0, len).Select(_ => rng.Next(3) == 0 ? 1.0 : Math.Round(rng.NextDouble() * 0.8, 2)).ToArray()).ToArray();
            return (a, c);
        });

    // Naive per-pair reference formulas (spec §4), written independently of the library's vectorised paths.
    // alpha = null: α disabled, Â = a (0/1 activations).
    private static double Naive(string metric, double[] a, double[] c, double? alpha)
    {
        int N = a.Length;
        double[] ah;
        if (alpha is { } al)
        {
            int kTop = (int)Math.Ceiling(al * N);
            double tau = a.OrderByDescending(x => x).ElementAt(kTop - 1);
            ah = [.. a.Select(x => x >= tau ? 1.0 : 0)];
        }
        else ah = a;
        static double H(double x, double y) => 2 * x * y / (x + y);
        var ch = c.Select(x => x >= 0.5 ? 1.0 : 0).ToArray();
        double tp = 0, n1 = ah.Sum(), m1 = ch.Sum();
        for (int i = 0; i < N; i++) tp += ah[i] * ch[i];
        double tn = N - n1 - m1 + tp;
        double[] Mid(double[] x) => [.. x.Select(v => x.Count(w => w < v) + (x.Count(w => w == v) - 1) / 2.0)];
        double Ap(double[] s, double[] y)
        {
            double pos = y.Sum(), ap = 0;
            if (pos == 0) return 0;
            foreach (var v in s.Distinct().OrderByDescending(v => v))
            {
                double tpv = 0, cnt = 0, inGroup = 0;
                for (int i = 0; i < N; i++) if (s[i] >= v) { cnt++; tpv += y[i]; if (s[i] == v) inGroup += y[i]; }
                ap += inGroup / pos * (tpv / cnt);
            }
            return ap;
        }
        switch (metric)
        {
            case "recall": return tp / n1;
            case "f1": return 2 * tp / (2 * tp + (n1 - tp) + (m1 - tp));
            case "inverse_balanced_accuracy": return 0.5 * (tp / Math.Max(m1, 1) + tn / Math.Max(N - m1, 1));
            case "combined_auc": return H(Naive("auc", a, c, alpha), Naive("inverse_auc", a, c, alpha));
            case "combined_balanced_acc": return H(Naive("balanced_accuracy", a, c, alpha), Naive("inverse_balanced_accuracy", a, c, alpha));
            case "recall_auc": return H(Naive("recall", a, c, alpha), Naive("auc", a, c, alpha));
            case "recall_inv_auc": return H(Naive("recall", a, c, alpha), Naive("inverse_auc", a, c, alpha));
            case "precision_bal_acc": return H(Naive("precision", a, c, alpha), Naive("balanced_accuracy", a, c, alpha));
            case "precision_inverse_bal_acc": return H(Naive("precision", a, c, alpha), Naive("inverse_balanced_accuracy", a, c, alpha));
            case "precision": return tp / Math.Max(m1, 1);
            case "iou": return tp / (n1 + m1 - tp);
            case "accuracy": return (tp + tn) / N;
            case "balanced_accuracy": return 0.5 * (tp / Math.Max(n1, 1) + tn / Math.Max(N - n1, 1));
            case "auc": { var r = Mid(c); double s = 0; for (int i = 0; i < N; i++) s += ah[i] * r[i]; return (s - n1 * (n1 - 1) / 2) / Math.Max(n1 * (N - n1), 1); }
            case "inverse_auc": { var r = Mid(a); double s = 0; for (int i = 0; i < N; i++) s += ch[i] * r[i]; return (s - m1 * (m1 - 1) / 2) / Math.Max(m1 * (N - m1), 1); }
            case "auprc": return Ap(c, ah);
            case "inverse_auprc": return Ap(a, ch);
            case "correlation": return NaiveCorrelation(a, c);
            case "spearman": return NaiveCorrelation(Mid(a), Mid(c));
            case "cosine": { double d = 0; for (int i = 0; i < N; i++) d += a[i] * c[i]; return d / (Math.Max(Math.Sqrt(a.Sum(x => x * x)), 1e-9) * Math.Max(Math.Sqrt(c.Sum(x => x * x)), 1e-9)); }
            case "wpmi": { double s = 0; for (int i = 0; i < N; i++) s += ah[i] * Math.Log(Math.Max(c[i], 1e-8)); return s / Math.Max(n1, 1) - Math.Log(c.Average()); }
            case "mad": { double s = 0; for (int i = 0; i < N; i++) s += a[i] * ch[i]; return s / Math.Max(m1, 1) - (a.Sum() - s) / Math.Max(N - m1, 1); }
            default: throw new ArgumentException(metric);
        }
    }

    [Theory]
    [InlineData("recall")] [InlineData("precision")] [InlineData("iou")] [InlineData("accuracy")] [InlineData("balanced_accuracy")]
    [InlineData("auc")] [InlineData("inverse_auc")] [InlineData("auprc")] [InlineData("inverse_auprc")] [InlineData("correlation")]
    [InlineData("spearman")] [InlineData("cosine")] [InlineData("wpmi")] [InlineData("mad")]
    [InlineData("f1")] [InlineData("inverse_balanced_accuracy")] [InlineData("combined_auc")] [InlineData("combined_balanced_acc")]
    [InlineData("recall_auc")] [InlineData("recall_inv_auc")] [InlineData("precision_bal_acc")] [InlineData("precision_inverse_bal_acc")]
    public void Metric_matrices_agree_with_naive_per_pair_formulas_on_random_data(string metric)
    {
        Data.Sample(d => AgreesWithNaive(metric, d.A, d.C, new NeuronMetricOptions { Alpha = 0.2 }, 0.2), iter: 40);
    }

    [Theory]
    [InlineData("recall")] [InlineData("precision")] [InlineData("f1")] [InlineData("iou")] [InlineData("accuracy")]
    [InlineData("balanced_accuracy")] [InlineData("inverse_balanced_accuracy")] [InlineData("auc")] [InlineData("auprc")]
    [InlineData("wpmi")] [InlineData("combined_auc")] [InlineData("combined_balanced_acc")] [InlineData("recall_auc")]
    [InlineData("recall_inv_auc")] [InlineData("precision_bal_acc")] [InlineData("precision_inverse_bal_acc")]
    [InlineData("inverse_auc")] [InlineData("inverse_auprc")] [InlineData("spearman")]
    public void With_alpha_disabled_metrics_on_binary_activations_agree_with_naive_formulas(string metric)
    {
        Data.Sample(d =>
        {
            var binary = d.A.Select(col => col.Select(x => x >= 2 ? 1.0 : 0).ToArray()).ToArray();
            return AgreesWithNaive(metric, binary, d.C, new NeuronMetricOptions { Alpha = 0 }, null);
        }, iter: 30);
    }

    [Theory]
    [InlineData("spearman")] [InlineData("auc")] [InlineData("inverse_auc")] [InlineData("combined_auc")]
    public void With_random_ties_rank_metrics_on_tie_free_data_agree_with_naive_midrank_formulas(string metric)
    {
        Gen.Select(Gen.Int[2, 4], Gen.Int[1, 3], Gen.Int[5, 60], Gen.Int).Sample((n, m, len, seed) =>
        {
            var rng = new Random(seed);
            // Distinct values in every column: any tie rule gives the same ranks.
            double[] Perm() => [.. Enumerable.Range(0, len).OrderBy(_ => rng.Next()).Select(i => (i + 0.5) / len)];
            var a = Enumerable.Range(0, n).Select(_ => Perm()).ToArray();
            var c = Enumerable.Range(0, m).Select(_ => Perm()).ToArray();
            return AgreesWithNaive(metric, a, c, new NeuronMetricOptions { Alpha = 0.3, Ties = RankTies.Random, Seed = (ulong)seed }, 0.3);
        }, iter: 30);
    }

    [Fact]
    public void Random_ties_give_a_seeded_permutation_of_positions_that_keeps_the_order_of_distinct_values()
    {
        double[] x = [0, 1, 0, 1, 0, 0.5, 1, 0];
        var r1 = new double[x.Length]; var r2 = new double[x.Length];
        NeuronKernels.Ranks(x, r1, new Sightline.Statistics.SplitMix(7));
        NeuronKernels.Ranks(x, r2, new Sightline.Statistics.SplitMix(7));
        Assert.Equal(r1, r2);
        Assert.Equal(Enumerable.Range(0, x.Length).Select(i => (double)i), r1.OrderBy(v => v));
        for (int i = 0; i < x.Length; i++)
            for (int j = 0; j < x.Length; j++)
                if (x[i] < x[j]) Assert.True(r1[i] < r1[j]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Top_and_random_variants_equal_the_naive_correlation_on_the_sampled_subset(bool ranks)
    {
        Data.Sample(d =>
        {
            var o = new NeuronMetricOptions { TopRandomK = 4, TopRandomAlpha = 0.2, Seed = 11 };
            var probe = NeuronProbe.FromColumns(d.A, d.C);
            var s = NeuronMetricRegistry.Get(ranks ? "spearman_top_random" : "correlation_top_random").Create(o).Evaluate(probe);
            for (int k = 0; k < d.A.Length; k++)
            {
                var subset = TopRandomSampler.Sample(d.A[k], k, o, binary: false);
                if (subset.Length != Math.Min(4, (int)Math.Ceiling(0.2 * d.A[k].Length)) + Math.Min(4, d.A[k].Length)) return false;
                double[] Mid(double[] x) => [.. x.Select(v => x.Count(w => w < v) + (x.Count(w => w == v) - 1) / 2.0)];
                var a = subset.Select(i => d.A[k][i]).ToArray();
                for (int t = 0; t < d.C.Length; t++)
                {
                    var c = subset.Select(i => d.C[t][i]).ToArray();
                    double e = ranks ? NaiveCorrelation(Mid(a), Mid(c)) : NaiveCorrelation(a, c);
                    if (Math.Abs(e - s[k, t]) > 1e-9) return false;
                }
            }
            return true;
        }, iter: 30);
    }

    [Fact]
    public void Sampler_hand_case_draws_k_of_the_top_set_and_k_random_and_reference_compat_takes_every_positive()
    {
        // N = 20, a = 0..19; top ⌈0.5·20⌉ = 10 inputs are 10..19; k = 3 < 10, so 3 of them are drawn, then 3 of all 20.
        var a = Enumerable.Range(0, 20).Select(i => (double)i).ToArray();
        var o = new NeuronMetricOptions { TopRandomK = 3, TopRandomAlpha = 0.5, Seed = 42 };
        var s = TopRandomSampler.Sample(a, 0, o, binary: false);
        Assert.Equal(6, s.Length);
        Assert.All(s.Take(3), i => Assert.InRange(i, 10, 19));
        Assert.Equal(3, s.Take(3).Distinct().Count());
        Assert.Equal(3, s.Skip(3).Distinct().Count());
        Assert.Equal(s, TopRandomSampler.Sample(a, 0, o, binary: false));
        Assert.NotEqual(s, TopRandomSampler.Sample(a, 0, o with { Seed = 43 }, binary: false));
        // Binary: 8 ones; intended = 3 of the ones + 3 random; ReferenceCompat = all 8 ones + 3 random.
        var b = Enumerable.Range(0, 20).Select(i => i % 5 < 2 ? 1.0 : 0).ToArray();
        var intended = TopRandomSampler.Sample(b, 0, o, binary: true);
        Assert.Equal(6, intended.Length);
        Assert.All(intended.Take(3), i => Assert.Equal(1.0, b[i]));
        var compat = TopRandomSampler.Sample(b, 0, o with { ReferenceCompat = true }, binary: true);
        Assert.Equal(11, compat.Length);
        Assert.Equal(Enumerable.Range(0, 20).Where(i => b[i] == 1), compat.Take(8));
        // Hand value: concept = the ones; on the compat subset (8 ones + 3 random) correlation is that of a with itself there.
        var probe = NeuronProbe.FromColumns([b], [b]);
        var corr = NeuronMetricRegistry.Get("correlation_top_random_binary").Create(o with { ReferenceCompat = true }).Evaluate(probe)[0, 0];
        Assert.Equal(compat.All(i => b[i] == 1) ? 0 : 10.0 / 11, corr, 1e-12); // (L−1)/L unless the subset is constant
    }

    [Fact]
    public void Sweep_average_precision_equals_the_previous_per_pair_search_implementation()
    {
        Data.Sample(d =>
        {
            var probe = NeuronProbe.FromColumns(d.A, d.C);
            foreach (var (alpha, concepts) in new (double?, bool)[] { (null, false), (0.2, true), (0.5, true) })
            {
                var x = Sightline.Neurons.Metrics.Auprc.AveragePrecisionMatrix(probe, alpha, concepts).Values;
                var y = Sightline.Neurons.Metrics.Auprc.AveragePrecisionMatrixBySearch(probe, alpha, concepts).Values;
                for (int i = 0; i < x.Length; i++) if (Math.Abs(x[i] - y[i]) > 1e-12) return false;
            }
            return true;
        }, iter: 60);
    }

    private static bool AgreesWithNaive(string metric, double[][] a, double[][] c, NeuronMetricOptions options, double? alpha)
    {
        var probe = NeuronProbe.FromColumns(a, c);
        var s = NeuronMetricRegistry.Get(metric).Create(options).Evaluate(probe);
        for (int k = 0; k < a.Length; k++)
            for (int t = 0; t < c.Length; t++)
            {
                double e = Naive(metric, a[k], c[t], alpha), v = s[k, t];
                if (!(Math.Abs(e - v) <= 1e-9 || (double.IsNaN(e) && double.IsNaN(v)) || e == v)) return false;
            }
        return true;
    }

    [Fact]
    public void Bounded_metrics_stay_within_their_declared_range()
    {
        Data.Sample(d =>
        {
            var probe = NeuronProbe.FromColumns(d.A, d.C);
            foreach (var desc in NeuronMetricRegistry.BuiltIn.Where(x => double.IsFinite(x.Range)))
                foreach (var v in desc.Create(new NeuronMetricOptions { Alpha = 0.3 }).Evaluate(probe).Values)
                    if (!double.IsNaN(v) && (v < desc.Info.Minimum - 1e-9 || v > desc.Info.Maximum + 1e-9)) return false;
            return true;
        }, iter: 20);
    }

    [Fact]
    public void Rank_metrics_are_invariant_to_monotone_transforms_of_the_activations()
    {
        Data.Sample(d =>
        {
            var p1 = NeuronProbe.FromColumns(d.A, d.C);
            var p2 = NeuronProbe.FromColumns([.. d.A.Select(col => col.Select(x => Math.Exp(x) * 3 + 1).ToArray())], d.C);
            foreach (var name in new[] { "spearman", "inverse_auc", "inverse_auprc", "auc", "auprc", "iou", "f1" })
            {
                var m = NeuronMetricRegistry.Get(name).Create(new NeuronMetricOptions { Alpha = 0.25 });
                var x = m.Evaluate(p1).Values; var y = m.Evaluate(p2).Values;
                for (int i = 0; i < x.Length; i++) if (Math.Abs(x[i] - y[i]) > 1e-9 && !(double.IsNaN(x[i]) && double.IsNaN(y[i]))) return false;
            }
            return true;
        }, iter: 20);
    }

    [Fact]
    public void Correlation_and_cosine_are_symmetric_in_their_arguments()
    {
        Data.Sample(d =>
        {
            var c = d.C[0];
            var a = d.A[0];
            var m1 = NeuronMetricRegistry.Get("correlation").Create(NeuronMetricOptions.Default);
            double x = m1.Evaluate(NeuronProbe.FromColumns([a], [c]))[0, 0];
            double y = NeuronKernels.ReferenceCorrelation(c, a);
            return Math.Abs(x - y) < 1e-12;
        }, iter: 30);
    }

    [Fact]
    public void Top_and_random_subsets_are_seeded_and_hold_k_top_plus_k_random_inputs()
    {
        var a = Enumerable.Range(0, 10_000).Select(i => (double)(i * 7919 % 10_000)).ToArray();
        var o = new NeuronMetricOptions { Seed = 5 };
        var s1 = TopRandomSampler.Sample(a, 0, o, binary: false);
        Assert.Equal(s1, TopRandomSampler.Sample(a, 0, o, binary: false));
        Assert.Equal(45, s1.Length); // ⌈0.002·10000⌉ = 20 ≤ k = 25: all 20 top inputs plus 25 random
        Assert.All(s1.Take(20), i => Assert.True(a[i] >= 9980));
    }

    [Theory]
    [InlineData("correlation_top_random", false)]
    [InlineData("spearman_top_random", false)]
    [InlineData("correlation_top_random_binary", true)]
    [InlineData("spearman_top_random_binary", true)]
    public void Top_and_random_metrics_of_a_neuron_against_itself_are_the_subset_factor(string metric, bool binary)
    {
        // k = 3 < top set: continuous a = 0..19 with top ⌈0.5·20⌉ = 10, so the subset has 3 + 3 = 6 inputs; with the concept equal to
        // the (rescaled) activations, correlation and spearman on the subset are (L − 1)/L = 5/6 by hand (duplicates included).
        // Binary (8 ones) with ReferenceCompat: all 8 ones + 3 random = 11 inputs, (11 − 1)/11 unless all 11 are ones.
        double[] a = binary ? [.. Enumerable.Range(0, 20).Select(i => i % 5 < 2 ? 1.0 : 0)] : [.. Enumerable.Range(0, 20).Select(i => (double)i)];
        double[] c = [.. a.Select(v => v / a.Max())];
        var o = new NeuronMetricOptions { TopRandomK = 3, TopRandomAlpha = 0.5, Seed = 42, ReferenceCompat = binary };
        var subset = TopRandomSampler.Sample(a, 0, o, binary);
        double expected = subset.Select(i => a[i]).Distinct().Count() == 1 ? 0 : (subset.Length - 1.0) / subset.Length;
        Assert.Equal(binary ? 11 : 6, subset.Length);
        Assert.Equal(expected, NeuronMetricRegistry.Get(metric).Create(o).Evaluate(NeuronProbe.FromColumns([a], [c]))[0, 0], 1e-12);
    }
}
