using Sightline.Metrics;

namespace Sightline.Neurons.Metrics;

/// <summary>
/// AUC of the raw activations at separating the concept's positives Ĉ = 1[c ≥ 0.5]:
/// inverse_auc = [Σ_{i:Ĉᵢ=1} r(a)ᵢ − m₁(m₁−1)/2] / max(m₁m₀, 1), midranks; an empty class gives 0. No α.
/// With midranks, one radix sort per neuron and one vector sum per concept over eight neurons at a time
/// (<see cref="NeuronKernels.MidrankSetSums(double[], int, int, int[][])"/>; float32 activations are ranked as float32 with integer sums,
/// <see cref="NeuronKernels.MidrankSetSums(float[], int, int, int[][])"/>, the same values bit for bit): O(n·N + Σ_t m₁·n/8); with random ties, a sparse product of Ĉ with the rank matrix of A. Oikarinen, Yan, Weng, ICML 2025 (Table 1).
/// </summary>
[Metric("inverse_auc", MetricFamily.Neuron, ScoreDirection.HigherIsBetter, Order = 9, Summary = "AUC of the activations against the concept's positives.", Citation = "Oikarinen, Yan, Weng, ICML 2025")]
public sealed class InverseAuc(NeuronMetricOptions options) : NeuronMetric(options)
{
    /// <summary>Creates the metric.</summary>
    public static INeuronMetric Create(NeuronMetricOptions options) => new InverseAuc(options);

    /// <inheritdoc/>
    public override ScoreMatrix Evaluate(NeuronProbe probe)
    {
        int n = probe.Neurons, m = probe.Concepts;
        var v = new double[n * m];
        if (Options.Ties == RankTies.Midrank && probe.Single)
        {
            // Float32 activations: ranked as float32 against Ĉ by input, collected while the labels were checked.
            var rows = probe.Rows();
            var s = NeuronKernels.MidrankSetSums(probe.RowA32, probe.Samples, n, rows.RowStart, rows.RowSets, m);
            for (int k = 0; k < n; k++)
                for (int t = 0; t < m; t++)
                {
                    double m1 = rows.Counts[t], m0 = probe.Samples - rows.Counts[t];
                    v[k * m + t] = (s[k * m + t] - m1 * (m1 - 1) / 2) / Math.Max(m1 * m0, 1);
                }
            return new ScoreMatrix(n, m, v);
        }
        var cs = probe.ConceptSets();
        if (Options.Ties == RankTies.Midrank)
        {
            // S[k, t] = Σ_{i:Ĉᵢ=1} r(a_k)ᵢ without the N × n rank matrix (the same sums, bit for bit).
            var s = NeuronKernels.MidrankSetSums(probe.RowA, probe.Samples, n, cs.Indices);
            for (int k = 0; k < n; k++)
                for (int t = 0; t < m; t++)
                {
                    double m1 = cs.Active[t], m0 = cs.Inactive[t];
                    v[k * m + t] = (s[k * m + t] - m1 * (m1 - 1) / 2) / Math.Max(m1 * m0, 1);
                }
            return new ScoreMatrix(n, m, v);
        }
        var sums = NeuronKernels.SparseRowSums(cs.Indices, null, probe.RankRows(false, Options.Ties, Options.Seed), n);
        for (int t = 0; t < m; t++)
        {
            double m1 = cs.Active[t], m0 = cs.Inactive[t];
            for (int k = 0; k < n; k++) v[k * m + t] = (sums[t * n + k] - m1 * (m1 - 1) / 2) / Math.Max(m1 * m0, 1);
        }
        return new ScoreMatrix(n, m, v);
    }
}
