using Sightline.Metrics;

namespace Sightline.Neurons.Metrics;

/// <summary>
/// Harmonic-mean combination combined_balanced_acc = H(balanced_accuracy, inverse_balanced_accuracy) with H(x, y) = 2xy/(x + y), unguarded (H(0, 0) = NaN), from the appendix of
/// Oikarinen, Yan, Weng, ICML 2025. The options (α, ties) are passed to both parts.
/// </summary>
[Metric("combined_balanced_acc", MetricFamily.Neuron, ScoreDirection.HigherIsBetter, Order = 22, Summary = "Harmonic mean of balanced_accuracy and inverse_balanced_accuracy.", Citation = "Oikarinen, Yan, Weng, ICML 2025 (appendix)")]
public sealed class CombinedBalancedAccuracy(NeuronMetricOptions options) : NeuronMetric(options)
{
    /// <summary>Creates the metric.</summary>
    public static INeuronMetric Create(NeuronMetricOptions options) => new CombinedBalancedAccuracy(options);

    /// <inheritdoc/>
    public override ScoreMatrix Evaluate(NeuronProbe probe) =>
        ScoreMatrix.Combine(new BalancedAccuracy(Options).Evaluate(probe), new InverseBalancedAccuracy(Options).Evaluate(probe), Harmonic);
}
