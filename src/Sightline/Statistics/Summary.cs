namespace Sightline.Statistics;

/// <summary>
/// Descriptive statistics of one metric over samples: NaN values are dropped and counted.
/// </summary>
/// <param name="N">Number of defined (non-NaN) values.</param>
/// <param name="NanCount">Number of NaN values dropped.</param>
/// <param name="Mean">Arithmetic mean of the defined values (NaN when N = 0).</param>
/// <param name="Std">Sample standard deviation (n − 1 denominator; NaN when N &lt; 2).</param>
/// <param name="Median">Median (mean of the two middle values for even N).</param>
/// <param name="CiLow">Lower end of the seeded percentile-bootstrap 95% confidence interval of the mean.</param>
/// <param name="CiHigh">Upper end of that interval.</param>
public sealed record Summary(int N, int NanCount, double Mean, double Std, double Median, double CiLow, double CiHigh)
{
    /// <summary>
    /// Summarises <paramref name="values"/>. The 95% CI is the percentile bootstrap of the mean (Efron &amp; Tibshirani 1993):
    /// <paramref name="resamples"/> resamples of size N drawn with replacement from stream-seeded generators, CI = the
    /// 2.5th and 97.5th percentiles (linear interpolation) of the resampled means. Deterministic for a seed, and the same
    /// whatever the number of threads. With fewer than 2 values the CI is NaN.
    /// </summary>
    public static Summary Of(ReadOnlySpan<double> values, int resamples = 1000, ulong seed = 42)
    {
        var defined = new double[values.Length];
        int n = 0;
        foreach (var v in values) if (!double.IsNaN(v)) defined[n++] = v;
        int nan = values.Length - n;
        if (n == 0) return new Summary(0, nan, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        var x = defined.AsSpan(0, n);
        double mean = MeanOf(x);
        double ss = 0;
        foreach (var v in x) ss += (v - mean) * (v - mean);
        double std = n > 1 ? Math.Sqrt(ss / (n - 1)) : double.NaN;
        var sorted = x.ToArray();
        Array.Sort(sorted);
        double median = Quantile(sorted, 0.5);
        var (lo, hi) = n > 1 && resamples > 0 ? BootstrapMeanCi(sorted, resamples, seed) : (double.NaN, double.NaN);
        return new Summary(n, nan, mean, std, median, lo, hi);
    }

    /// <summary>Arithmetic mean (compensated summation).</summary>
    public static double MeanOf(ReadOnlySpan<double> x)
    {
        double sum = 0, c = 0;
        foreach (var v in x)
        {
            double y = v - c;
            double t = sum + y;
            c = t - sum - y;
            sum = t;
        }
        return sum / x.Length;
    }

    /// <summary>Quantile of sorted values with linear interpolation at q·(n − 1) (NumPy's default).</summary>
    public static double Quantile(ReadOnlySpan<double> sorted, double q)
    {
        if (sorted.IsEmpty) return double.NaN;
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos);
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }

    /// <summary>Percentile-bootstrap 95% CI of the mean of <paramref name="x"/>.</summary>
    public static (double Low, double High) BootstrapMeanCi(double[] x, int resamples, ulong seed)
    {
        var means = new double[resamples];
        int n = x.Length;
        Parallel.For(0, resamples, b =>
        {
            var rng = new SplitMix(SplitMix.Derive(seed, b));
            double sum = 0;
            for (int i = 0; i < n; i++) sum += x[rng.NextInt(n)];
            means[b] = sum / n;
        });
        Array.Sort(means);
        return (Quantile(means, 0.025), Quantile(means, 0.975));
    }
}
