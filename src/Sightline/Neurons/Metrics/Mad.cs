using Sightline.Metrics;

namespace Sightline.Neurons.Metrics;

/// <summary>
/// Mean activation difference: mad = Σaᵢ Ĉᵢ / max(m₁,1) − Σaᵢ(1−Ĉᵢ) / max(m₀,1), raw activations against Ĉ = 1[c ≥ 0.5]. No α.
/// One sparse product of Ĉ with A: O(Σ_t m₁·n). Oikarinen, Yan, Weng, ICML 2025 (Table 1).
/// </summary>
[Metric("mad", MetricFamily.Neuron, ScoreDirection.HigherIsBetter, Order = 16, Minimum = double.NegativeInfinity, Maximum = double.PositiveInfinity, Summary = "Mean activation on concept positives minus on negatives.", Citation = "Oikarinen, Yan, Weng, ICML 2025")]
public sealed class Mad(NeuronMetricOptions options) : NeuronMetric(options)
{
    /// <summary>Creates the metric.</summary>
    public static INeuronMetric Create(NeuronMetricOptions options) => new Mad(options);

    /// <inheritdoc/>
    public override ScoreMatrix Evaluate(NeuronProbe probe)
    {
        int n = probe.Neurons, m = probe.Concepts;
        var cs = probe.ConceptSets();
        var inside = NeuronKernels.SparseRowSums(cs.Indices, null, probe.RowA, n);
        var total = new double[n];
        for (int k = 0; k < n; k++) total[k] = System.Numerics.Tensors.TensorPrimitives.Sum(probe.ActivationColumn(k));
        var v = new double[n * m];
        for (int t = 0; t < m; t++)
            for (int k = 0; k < n; k++)
            {
                double s = inside[t * n + k];
                v[k * m + t] = s / Math.Max(cs.Active[t], 1) - (total[k] - s) / Math.Max(cs.Inactive[t], 1);
            }
        return new ScoreMatrix(n, m, v);
    }
}
