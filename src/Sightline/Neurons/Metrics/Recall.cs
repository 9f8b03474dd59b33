using Sightline.Metrics;

namespace Sightline.Neurons.Metrics;

/// <summary>
/// Recall (neuron as ground truth): TP / n₁; unguarded, so n₁ = 0 (possible only with α disabled) gives NaN. Oikarinen, Yan, Weng, "Evaluating Neuron Explanations", ICML 2025 (Table 1; reference code Neuron_Eval).
/// </summary>
[Metric("recall", MetricFamily.Neuron, ScoreDirection.HigherIsBetter, Order = 1, Minimum = 0, Maximum = 1, Summary = "Recall (neuron as ground truth).", Citation = "Oikarinen, Yan, Weng, ICML 2025")]
public sealed class Recall(NeuronMetricOptions options) : SetMetric(options)
{
    /// <summary>Creates the metric.</summary>
    public static INeuronMetric Create(NeuronMetricOptions options) => new Recall(options);

    /// <inheritdoc/>
    protected override double Formula(double tp, double n1, double m1, double n) => tp / n1;
}
