using Sightline.Neurons;

namespace Sightline.Tests.Neurons;

public sealed class NeuronKernelsTests
{
    private static double NaiveCorrelation(double[] x, double[] y) => Sightline.Neurons.NeuronKernels.ReferenceCorrelation(x, y);

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
    private static double Naive(string metric, double[] a, double[] c, double alpha)
    {
        int N = a.Length;
        int kTop = (int)Math.Ceiling(alpha * N);
        double tau = a.OrderByDescending(x => x).ElementAt(kTop - 1);
        var ah = a.Select(x => x >= tau ? 1.0 : 0).ToArray();
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
    public void Metric_matrices_agree_with_naive_per_pair_formulas_on_random_data(string metric)
    {
        Data.Sample(d =>
        {
            var probe = NeuronProbe.FromColumns(d.A, d.C);
            var s = NeuronMetricRegistry.Get(metric).Create(new NeuronMetricOptions { Alpha = 0.2 }).Evaluate(probe);
            for (int k = 0; k < d.A.Length; k++)
                for (int t = 0; t < d.C.Length; t++)
                {
                    double e = Naive(metric, d.A[k], d.C[t], 0.2), v = s[k, t];
                    if (!(Math.Abs(e - v) <= 1e-9 || (double.IsNaN(e) && double.IsNaN(v)) || e == v)) return false;
                }
            return true;
        }, iter: 40);
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
}
