using Sightline.Metrics;

namespace Sightline.Neurons.Metrics;

/// <summary>
/// Precision (concept as prediction): TP / max(m₁, 1); a concept without positives gives 0. Oikarinen, Yan, Weng, "Evaluating Neuron Explanations", ICML 2025 (Table 1; reference code Neuron_Eval).
/// </summary>
[Metric("precision", MetricFamily.Neuron, ScoreDirection.HigherIsBetter, Order = 2, Minimum = 0, Maximum = 1, Summary = "Precision (concept as prediction).", Citation = "Oikarinen, Yan, Weng, ICML 2025")]
public sealed class Precision(NeuronMetricOptions options) : SetMetric(options)
{
    /// <summary>Creates the metric.</summary>
    public static INeuronMetric Create(NeuronMetricOptions options) => new Precision(options);

    /// <inheritdoc/>
    protected override double Formula(double tp, double n1, double m1, double n) => tp / Math.Max(m1, 1);
}
