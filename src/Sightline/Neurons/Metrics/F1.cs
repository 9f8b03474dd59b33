using Sightline.Metrics;

namespace Sightline.Neurons.Metrics;

/// <summary>
/// F1 score: 2TP / (2TP + FP + FN) = 2TP/(n₁ + m₁); 0/0 gives NaN. Equals 2J/(1+J) with J = iou. Oikarinen, Yan, Weng, "Evaluating Neuron Explanations", ICML 2025 (Table 1; reference code Neuron_Eval).
/// </summary>
[Metric("f1", MetricFamily.Neuron, ScoreDirection.HigherIsBetter, Order = 3, Minimum = 0, Maximum = 1, Summary = "F1 score.", Citation = "Oikarinen, Yan, Weng, ICML 2025")]
public sealed class F1(NeuronMetricOptions options) : SetMetric(options)
{
    /// <summary>Creates the metric.</summary>
    public static INeuronMetric Create(NeuronMetricOptions options) => new F1(options);

    /// <inheritdoc/>
    protected override double Formula(double tp, double n1, double m1, double n) => 2 * tp / (n1 + m1);
}
