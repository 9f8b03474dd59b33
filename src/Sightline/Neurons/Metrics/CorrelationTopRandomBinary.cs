using Sightline.Metrics;

namespace Sightline.Neurons.Metrics;

/// <summary>
/// Correlation on k active (aᵢ = 1) plus k random inputs, for binary neurons. See <see cref="TopRandomMetric"/> and <see cref="TopRandomSampler"/> (k = 25, α = 0.002 by default, seeded).
/// Oikarinen, Yan, Weng, ICML 2025; sampling after Bills et al., 2023.
/// </summary>
[Metric("correlation_top_random_binary", MetricFamily.Neuron, ScoreDirection.HigherIsBetter, Order = 19, Minimum = -1, Maximum = 1, Summary = "Correlation on k active (aᵢ = 1) plus k random inputs, for binary neurons.", Citation = "Oikarinen, Yan, Weng, ICML 2025; Bills et al. 2023")]
public sealed class CorrelationTopRandomBinary(NeuronMetricOptions options) : TopRandomMetric(options, binary: true, ranks: false)
{
    /// <summary>Creates the metric.</summary>
    public static INeuronMetric Create(NeuronMetricOptions options) => new CorrelationTopRandomBinary(options);
}
