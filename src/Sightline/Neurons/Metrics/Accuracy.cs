using Sightline.Metrics;

namespace Sightline.Neurons.Metrics;

/// <summary>
/// Accuracy: (TP + TN) / N. Oikarinen, Yan, Weng, "Evaluating Neuron Explanations", ICML 2025 (Table 1; reference code Neuron_Eval).
/// </summary>
[Metric("accuracy", MetricFamily.Neuron, ScoreDirection.HigherIsBetter, Order = 5, Minimum = 0, Maximum = 1, Summary = "Accuracy.", Citation = "Oikarinen, Yan, Weng, ICML 2025")]
public sealed class Accuracy(NeuronMetricOptions options) : SetMetric(options)
{
    /// <summary>Creates the metric.</summary>
    public static INeuronMetric Create(NeuronMetricOptions options) => new Accuracy(options);

    /// <inheritdoc/>
    protected override double Formula(double tp, double n1, double m1, double n) => (tp + (n - n1 - m1 + tp)) / n;
}
