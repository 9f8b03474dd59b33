using Sightline.Metrics;

namespace Sightline.Neurons.Metrics;

/// <summary>
/// Harmonic-mean combination recall_auc = H(recall, auc) with H(x, y) = 2xy/(x + y), unguarded (H(0, 0) = NaN), from the appendix of
/// Oikarinen, Yan, Weng, ICML 2025. The options (α, ties) are passed to both parts.
/// </summary>
[Metric("recall_auc", MetricFamily.Neuron, ScoreDirection.HigherIsBetter, Order = 23, Summary = "Harmonic mean of recall and auc.", Citation = "Oikarinen, Yan, Weng, ICML 2025 (appendix)")]
public sealed class RecallAuc(NeuronMetricOptions options) : NeuronMetric(options)
{
    /// <summary>Creates the metric.</summary>
    public static INeuronMetric Create(NeuronMetricOptions options) => new RecallAuc(options);

    /// <inheritdoc/>
    public override ScoreMatrix Evaluate(NeuronProbe probe) =>
        ScoreMatrix.Combine(new Recall(Options).Evaluate(probe), new Auc(Options).Evaluate(probe), Harmonic);
}
