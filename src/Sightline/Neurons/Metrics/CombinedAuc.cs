using Sightline.Metrics;

namespace Sightline.Neurons.Metrics;

/// <summary>
/// Harmonic-mean combination combined_auc = H(auc, inverse_auc) with H(x, y) = 2xy/(x + y), unguarded (H(0, 0) = NaN), from the appendix of
/// Oikarinen, Yan, Weng, ICML 2025. The options (α, ties) are passed to both parts.
/// </summary>
[Metric("combined_auc", MetricFamily.Neuron, ScoreDirection.HigherIsBetter, Order = 21, Summary = "Harmonic mean of auc and inverse_auc.", Citation = "Oikarinen, Yan, Weng, ICML 2025 (appendix)")]
public sealed class CombinedAuc(NeuronMetricOptions options) : NeuronMetric(options)
{
    /// <summary>Creates the metric.</summary>
    public static INeuronMetric Create(NeuronMetricOptions options) => new CombinedAuc(options);

    /// <inheritdoc/>
    public override ScoreMatrix Evaluate(NeuronProbe probe) =>
        ScoreMatrix.Combine(new Auc(Options).Evaluate(probe), new InverseAuc(Options).Evaluate(probe), Harmonic);
}
