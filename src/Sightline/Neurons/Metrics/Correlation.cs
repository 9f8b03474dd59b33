using Sightline.Metrics;

namespace Sightline.Neurons.Metrics;

/// <summary>
/// The reference's correlation: (1/N)·Σᵢ z(a)ᵢ z(c)ᵢ with z = (x − x̄)/max(s, 10⁻⁹), s the unbiased standard deviation, so it
/// equals Pearson·(N−1)/N (not exact Pearson); a constant column gives 0. All pairs are one blocked double GEMM of the
/// standardised columns, Z_Aᵀ·Z_C / N: O(n·m·N). Oikarinen, Yan, Weng, ICML 2025 (Table 1).
/// </summary>
[Metric("correlation", MetricFamily.Neuron, ScoreDirection.HigherIsBetter, Order = 10, Minimum = -1, Maximum = 1, Summary = "Pearson-type correlation of activations and labels ((N−1)/N scaled, as the reference).", Citation = "Oikarinen, Yan, Weng, ICML 2025")]
public sealed class Correlation(NeuronMetricOptions options) : NeuronMetric(options)
{
    /// <summary>Creates the metric.</summary>
    public static INeuronMetric Create(NeuronMetricOptions options) => new Correlation(options);

    /// <inheritdoc/>
    public override ScoreMatrix Evaluate(NeuronProbe probe) => StandardisedProduct(probe, probe.ColA, probe.ColC);

    internal static ScoreMatrix StandardisedProduct(NeuronProbe probe, double[] colA, double[] colC)
    {
        int N = probe.Samples, n = probe.Neurons, m = probe.Concepts;
        var za = new double[colA.Length];
        var zc = new double[colC.Length];
        Parallel.For(0, n, k => NeuronKernels.Standardise(colA.AsSpan(k * N, N), za.AsSpan(k * N, N)));
        Parallel.For(0, m, t => NeuronKernels.Standardise(colC.AsSpan(t * N, N), zc.AsSpan(t * N, N)));
        var r = NeuronKernels.MultiplyColumns(za, n, zc, m, N);
        for (int i = 0; i < r.Length; i++) r[i] /= N;
        return new ScoreMatrix(n, m, r);
    }
}
