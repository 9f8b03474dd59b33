using Sightline.Metrics;

namespace Sightline.Neurons.Metrics;

/// <summary>
/// Intersection over union (Network Dissection): TP / (n₁ + m₁ − TP); 0/0 gives NaN; default α = 0.01, the only metric with a default α. Oikarinen, Yan, Weng, "Evaluating Neuron Explanations", ICML 2025 (Table 1; reference code Neuron_Eval).
/// </summary>
[Metric("iou", MetricFamily.Neuron, ScoreDirection.HigherIsBetter, Order = 4, Minimum = 0, Maximum = 1, Summary = "Intersection over union (Network Dissection).", Citation = "Oikarinen, Yan, Weng, ICML 2025")]
public sealed class Iou(NeuronMetricOptions options) : SetMetric(options)
{
    /// <summary>Creates the metric.</summary>
    public static INeuronMetric Create(NeuronMetricOptions options) => new Iou(options);

    /// <inheritdoc/>
    protected override double? DefaultAlpha => 0.01;

    /// <inheritdoc/>
    protected override double Formula(double tp, double n1, double m1, double n) => tp / (n1 + m1 - tp);
}
