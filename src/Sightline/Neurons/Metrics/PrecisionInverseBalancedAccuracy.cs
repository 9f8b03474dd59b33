using Sightline.Metrics;

namespace Sightline.Neurons.Metrics;

/// <summary>
/// Harmonic-mean combination precision_inverse_bal_acc = H(precision, inverse_balanced_accuracy) with H(x, y) = 2xy/(x + y), unguarded (H(0, 0) = NaN), from the appendix of
/// Oikarinen, Yan, Weng, ICML 2025. The options (α, ties) are passed to both parts.
/// </summary>
[Metric("precision_inverse_bal_acc", MetricFamily.Neuron, ScoreDirection.HigherIsBetter, Order = 26, Summary = "Harmonic mean of precision and inverse_balanced_accuracy.", Citation = "Oikarinen, Yan, Weng, ICML 2025 (appendix)")]
public sealed class PrecisionInverseBalancedAccuracy(NeuronMetricOptions options) : NeuronMetric(options)
{
    /// <summary>Creates the metric.</summary>
    public static INeuronMetric Create(NeuronMetricOptions options) => new PrecisionInverseBalancedAccuracy(options);

    /// <inheritdoc/>
    public override ScoreMatrix Evaluate(NeuronProbe probe) =>
        ScoreMatrix.Combine(new Precision(Options).Evaluate(probe), new InverseBalancedAccuracy(Options).Evaluate(probe), Harmonic);
}
