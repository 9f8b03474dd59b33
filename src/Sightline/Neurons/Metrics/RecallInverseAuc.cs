using Sightline.Metrics;

namespace Sightline.Neurons.Metrics;

/// <summary>
/// Harmonic-mean combination recall_inv_auc = H(recall, inverse_auc) with H(x, y) = 2xy/(x + y), unguarded (H(0, 0) = NaN), from the appendix of
/// Oikarinen, Yan, Weng, ICML 2025. The options (α, ties) are passed to both parts.
/// </summary>
[Metric("recall_inv_auc", MetricFamily.Neuron, ScoreDirection.HigherIsBetter, Order = 24, Summary = "Harmonic mean of recall and inverse_auc.", Citation = "Oikarinen, Yan, Weng, ICML 2025 (appendix)")]
public sealed class RecallInverseAuc(NeuronMetricOptions options) : NeuronMetric(options)
{
    /// <summary>Creates the metric.</summary>
    public static INeuronMetric Create(NeuronMetricOptions options) => new RecallInverseAuc(options);

    /// <inheritdoc/>
    public override ScoreMatrix Evaluate(NeuronProbe probe) =>
        ScoreMatrix.Combine(new Recall(Options).Evaluate(probe), new InverseAuc(Options).Evaluate(probe), Harmonic);
}
