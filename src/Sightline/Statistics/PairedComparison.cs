namespace Sightline.Statistics;

/// <summary>
/// Paired comparison of two models (or methods) scored on the same samples: the mean difference d̄ = mean(a − b)
/// over samples where both are defined, its percentile-bootstrap 95% CI, and the two-sided p-value of a paired
/// sign-flip permutation test (Good 2005): p = (1 + #{k : |mean(ε_k·d)| ≥ |d̄|}) / (1 + K) with random signs ε_k.
/// </summary>
/// <param name="N">Pairs where both values are defined.</param>
/// <param name="MeanDifference">mean(a − b).</param>
/// <param name="CiLow">Lower 95% bootstrap bound of the mean difference.</param>
/// <param name="CiHigh">Upper 95% bootstrap bound.</param>
/// <param name="PValue">Two-sided permutation p-value.</param>
public sealed record PairedComparison(int N, double MeanDifference, double CiLow, double CiHigh, double PValue)
{
    /// <summary>Compares <paramref name="a"/> with <paramref name="b"/> (same length, paired by index).</summary>
    public static PairedComparison Of(ReadOnlySpan<double> a, ReadOnlySpan<double> b, int resamples = 1000, int permutations = 2000, ulong seed = 42)
    {
        if (a.Length != b.Length) throw new ArgumentException($"Paired samples differ in length: {a.Length} vs {b.Length}.");
        var d = new List<double>(a.Length);
        for (int i = 0; i < a.Length; i++)
            if (!double.IsNaN(a[i]) && !double.IsNaN(b[i])) d.Add(a[i] - b[i]);
        int n = d.Count;
        if (n == 0) return new PairedComparison(0, double.NaN, double.NaN, double.NaN, double.NaN);
        var diffs = d.ToArray();
        double mean = Summary.MeanOf(diffs);
        var (lo, hi) = n > 1 ? Summary.BootstrapMeanCi(diffs, resamples, seed) : (double.NaN, double.NaN);
        double observed = Math.Abs(mean);
        int extreme = 0;
        var counts = new int[permutations];
        Parallel.For(0, permutations, k =>
        {
            var rng = new SplitMix(SplitMix.Derive(seed ^ 0x5151ul, k));
            double sum = 0;
            for (int i = 0; i < n; i++)
            {
                ulong bits = rng.NextUInt64();
                sum += (bits & 1) == 0 ? diffs[i] : -diffs[i];
            }
            // Tolerance for floating ties with the observed statistic.
            counts[k] = Math.Abs(sum / n) >= observed - 1e-12 * Math.Max(1, observed) ? 1 : 0;
        });
        foreach (var c in counts) extreme += c;
        double p = (1.0 + extreme) / (1.0 + permutations);
        return new PairedComparison(n, mean, lo, hi, p);
    }
}
