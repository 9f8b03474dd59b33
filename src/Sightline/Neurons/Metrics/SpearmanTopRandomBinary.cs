using Sightline.Metrics;

namespace Sightline.Neurons.Metrics;

/// <summary>
/// Spearman correlation on k active (aᵢ = 1) plus k random inputs, for binary neurons. See <see cref="TopRandomMetric"/> and <see cref="TopRandomSampler"/> (k = 25, α = 0.002 by default, seeded).
/// Oikarinen, Yan, Weng, ICML 2025; sampling after Bills et al., 2023.
/// </summary>
[Metric("spearman_top_random_binary", MetricFamily.Neuron, ScoreDirection.HigherIsBetter, Order = 20, Minimum = -1, Maximum = 1, Summary = "Spearman correlation on k active (aᵢ = 1) plus k random inputs, for binary neurons.", Citation = "Oikarinen, Yan, Weng, ICML 2025; Bills et al. 2023")]
public sealed class SpearmanTopRandomBinary(NeuronMetricOptions options) : TopRandomMetric(options, binary: true, ranks: true)
{
    /// <summary>Creates the metric.</summary>
    public static INeuronMetric Create(NeuronMetricOptions options) => new SpearmanTopRandomBinary(options);
}
