using Sightline.Metrics;

namespace Sightline.Neurons.Metrics;

/// <summary>
/// Weighted pointwise mutual information (MILAN/CLIP-Dissect style): wpmi = (1/max(n₁,1))·Σᵢ Âᵢ ln max(cᵢ, 10⁻⁸) − λ·ln c̄ with the
/// soft labels c and c̄ their mean; λ default 1 (λ = 0 is "simulation cross-entropy"). ln c̄ is unguarded, so an all-zero concept
/// gives +∞ for λ &gt; 0. With α disabled the weights are the raw aᵢ. One sparse product of Â with ln C: O(Σ_k n₁·m).
/// Oikarinen, Yan, Weng, ICML 2025 (Table 1).
/// </summary>
[Metric("wpmi", MetricFamily.Neuron, ScoreDirection.HigherIsBetter, Order = 15, Minimum = double.NegativeInfinity, Maximum = double.PositiveInfinity, Summary = "Weighted pointwise mutual information (λ).", Citation = "Oikarinen, Yan, Weng, ICML 2025")]
public sealed class Wpmi(NeuronMetricOptions options) : NeuronMetric(options)
{
    /// <summary>Creates the metric.</summary>
    public static INeuronMetric Create(NeuronMetricOptions options) => new Wpmi(options);

    /// <inheritdoc/>
    public override ScoreMatrix Evaluate(NeuronProbe probe)
    {
        int N = probe.Samples, n = probe.Neurons, m = probe.Concepts;
        var ns = probe.BinaryNeuronSets(Options.EffectiveAlpha(), Name);
        var logs = probe.Cached("log-concepts", () =>
        {
            var l = new double[probe.RowC.Length];
            for (int i = 0; i < l.Length; i++) l[i] = Math.Log(Math.Max(probe.RowC[i], 1e-8));
            return l;
        });
        var sums = NeuronKernels.SparseRowSums(ns.Indices, ns.Weights, logs, m);
        var logMean = new double[m];
        for (int t = 0; t < m; t++) logMean[t] = Math.Log(System.Numerics.Tensors.TensorPrimitives.Sum(probe.ConceptColumn(t)) / N);
        for (int k = 0; k < n; k++)
            for (int t = 0; t < m; t++)
                sums[k * m + t] = sums[k * m + t] / Math.Max(ns.Active[k], 1) - Options.Lambda * logMean[t];
        return new ScoreMatrix(n, m, sums);
    }
}
