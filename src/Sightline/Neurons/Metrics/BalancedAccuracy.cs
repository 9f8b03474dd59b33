using Sightline.Metrics;

namespace Sightline.Neurons.Metrics;

/// <summary>
/// Balanced accuracy with the neuron as ground truth: ½[TP/max(n₁,1) + TN/max(n₀,1)]. Oikarinen, Yan, Weng, "Evaluating Neuron Explanations", ICML 2025 (Table 1; reference code Neuron_Eval).
/// </summary>
[Metric("balanced_accuracy", MetricFamily.Neuron, ScoreDirection.HigherIsBetter, Order = 6, Minimum = 0, Maximum = 1, Summary = "Balanced accuracy with the neuron as ground truth.", Citation = "Oikarinen, Yan, Weng, ICML 2025")]
public sealed class BalancedAccuracy(NeuronMetricOptions options) : SetMetric(options)
{
    /// <summary>Creates the metric.</summary>
    public static INeuronMetric Create(NeuronMetricOptions options) => new BalancedAccuracy(options);

    /// <inheritdoc/>
    protected override double Formula(double tp, double n1, double m1, double n) => 0.5 * (tp / Math.Max(n1, 1) + (n - n1 - m1 + tp) / Math.Max(n - n1, 1));
}
