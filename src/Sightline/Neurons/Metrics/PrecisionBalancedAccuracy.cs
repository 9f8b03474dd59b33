using Sightline.Metrics;

namespace Sightline.Neurons.Metrics;

/// <summary>
/// Harmonic-mean combination precision_bal_acc = H(precision, balanced_accuracy) with H(x, y) = 2xy/(x + y), unguarded (H(0, 0) = NaN), from the appendix of
/// Oikarinen, Yan, Weng, ICML 2025. The options (α, ties) are passed to both parts.
/// </summary>
[Metric("precision_bal_acc", MetricFamily.Neuron, ScoreDirection.HigherIsBetter, Order = 25, Summary = "Harmonic mean of precision and balanced_accuracy.", Citation = "Oikarinen, Yan, Weng, ICML 2025 (appendix)")]
public sealed class PrecisionBalancedAccuracy(NeuronMetricOptions options) : NeuronMetric(options)
{
    /// <summary>Creates the metric.</summary>
    public static INeuronMetric Create(NeuronMetricOptions options) => new PrecisionBalancedAccuracy(options);

    /// <inheritdoc/>
    public override ScoreMatrix Evaluate(NeuronProbe probe) =>
        ScoreMatrix.Combine(new Precision(Options).Evaluate(probe), new BalancedAccuracy(Options).Evaluate(probe), Harmonic);
}
