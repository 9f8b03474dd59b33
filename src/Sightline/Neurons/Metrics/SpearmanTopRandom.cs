using Sightline.Metrics;

namespace Sightline.Neurons.Metrics;

/// <summary>
/// Spearman correlation on k top-⌈αN⌉ plus k random inputs per neuron. See <see cref="TopRandomMetric"/> and <see cref="TopRandomSampler"/> (k = 25, α = 0.002 by default, seeded).
/// Oikarinen, Yan, Weng, ICML 2025; sampling after Bills et al., 2023.
/// </summary>
[Metric("spearman_top_random", MetricFamily.Neuron, ScoreDirection.HigherIsBetter, Order = 13, Minimum = -1, Maximum = 1, Summary = "Spearman correlation on k top-⌈αN⌉ plus k random inputs per neuron.", Citation = "Oikarinen, Yan, Weng, ICML 2025; Bills et al. 2023")]
public sealed class SpearmanTopRandom(NeuronMetricOptions options) : TopRandomMetric(options, binary: false, ranks: true)
{
    /// <summary>Creates the metric.</summary>
    public static INeuronMetric Create(NeuronMetricOptions options) => new SpearmanTopRandom(options);
}
