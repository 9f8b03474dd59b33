using Sightline.Metrics;

namespace Sightline.Neurons.Metrics;

/// <summary>
/// Spearman correlation = correlation(r(a), r(c)) on 0-based ranks (midranks by default; the (N−1)/N factor of
/// <see cref="Correlation"/> included). With midranks it equals correlation on 0/1 data; the reference breaks ties with
/// random noise instead (<see cref="RankTies.Random"/> approximates it). A sort per column plus one GEMM: O((n+m)·N log N + n·m·N).
/// Oikarinen, Yan, Weng, ICML 2025 (Table 1).
/// </summary>
[Metric("spearman", MetricFamily.Neuron, ScoreDirection.HigherIsBetter, Order = 12, Minimum = -1, Maximum = 1, Summary = "Spearman rank correlation of activations and labels.", Citation = "Oikarinen, Yan, Weng, ICML 2025")]
public sealed class Spearman(NeuronMetricOptions options) : NeuronMetric(options)
{
    /// <summary>Creates the metric.</summary>
    public static INeuronMetric Create(NeuronMetricOptions options) => new Spearman(options);

    /// <inheritdoc/>
    public override ScoreMatrix Evaluate(NeuronProbe probe) =>
        Correlation.StandardisedProduct(probe, probe.RankColumns(false, Options.Ties, Options.Seed), probe.RankColumns(true, Options.Ties, Options.Seed));
}
