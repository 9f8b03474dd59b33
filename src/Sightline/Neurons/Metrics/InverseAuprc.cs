using Sightline.Metrics;

namespace Sightline.Neurons.Metrics;

/// <summary>
/// inverse_auprc = AP(s = a (raw activations); y = Ĉ = 1[c ≥ 0.5]): average precision of the neuron at retrieving the concept's
/// positives (torcheval binary_auprc semantics, ties grouped); m₁ = 0 gives 0. No α. One descending sort per neuron, then a
/// single sweep over its tie groups that updates the running TP of every concept containing each input (closed form from
/// popcounts for 0/1 neurons): O(n·(N log N + Σ_t m₁)).
/// Oikarinen, Yan, Weng, ICML 2025 (Table 1).
/// </summary>
[Metric("inverse_auprc", MetricFamily.Neuron, ScoreDirection.HigherIsBetter, Order = 18, Summary = "Average precision of the activations at retrieving the concept's positives.", Citation = "Oikarinen, Yan, Weng, ICML 2025")]
public sealed class InverseAuprc(NeuronMetricOptions options) : NeuronMetric(options)
{
    /// <summary>Creates the metric.</summary>
    public static INeuronMetric Create(NeuronMetricOptions options) => new InverseAuprc(options);

    /// <inheritdoc/>
    public override ScoreMatrix Evaluate(NeuronProbe probe) => Auprc.AveragePrecisionMatrix(probe, null, scoresAreConcepts: false);
}
