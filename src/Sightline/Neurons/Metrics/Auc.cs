using Sightline.Metrics;

namespace Sightline.Neurons.Metrics;

/// <summary>
/// AUC of the concept's soft labels at separating the neuron's active inputs (Mann–Whitney):
/// auc = [Σ_{i:Âᵢ=1} r(c)ᵢ − n₁(n₁−1)/2] / max(n₁n₀, 1) with r = 0-based midranks (P(c₊ &gt; c₋) + ½P(c₊ = c₋)); an empty class gives 0.
/// The rank sums for all pairs are one sparse product of Â with the rank matrix of C: O(m·N log N + Σ_k n₁·m).
/// The reference breaks ties with 10⁻⁷ noise instead of midranks (see <see cref="RankTies"/>).
/// Oikarinen, Yan, Weng, ICML 2025 (Table 1).
/// </summary>
[Metric("auc", MetricFamily.Neuron, ScoreDirection.HigherIsBetter, Order = 8, Summary = "AUC of the soft concept labels against the top-α neuron set.", Citation = "Oikarinen, Yan, Weng, ICML 2025")]
public sealed class Auc(NeuronMetricOptions options) : NeuronMetric(options)
{
    /// <summary>Creates the metric.</summary>
    public static INeuronMetric Create(NeuronMetricOptions options) => new Auc(options);

    /// <inheritdoc/>
    public override ScoreMatrix Evaluate(NeuronProbe probe)
    {
        var ns = probe.BinaryNeuronSets(Options.EffectiveAlpha(), Name);
        var sums = NeuronKernels.SparseRowSums(ns.Positives, null, probe.RankRows(true, Options.Ties, Options.Seed), probe.Concepts);
        int m = probe.Concepts;
        for (int k = 0; k < probe.Neurons; k++)
        {
            double n1 = ns.Positives[k].Length, n0 = ns.Inactive[k];
            for (int t = 0; t < m; t++) sums[k * m + t] = (sums[k * m + t] - n1 * (n1 - 1) / 2) / Math.Max(n1 * n0, 1);
        }
        return new ScoreMatrix(probe.Neurons, m, sums);
    }
}
