using Sightline.Metrics;

namespace Sightline.Neurons.Metrics;

/// <summary>
/// auprc = AP(s = c (soft labels); y = Â): the average precision (torcheval binary_auprc: each distinct score one threshold,
/// AP = Σ_k (R_k − R_{k−1})·P_k) of the concept labels at retrieving the neuron's top-α inputs; no positive gives 0.
/// For a 0/1 concept column it is the closed form (TP/n₁)(TP/m₁) + ((n₁ − TP)/n₁)(n₁/N) from the popcount TP matrix; otherwise
/// per pair the n₁ positive scores are sorted and each threshold's count is a binary search in the sorted column:
/// O(m·N log N + n·m·n₁ log n₁). Oikarinen, Yan, Weng, ICML 2025 (Table 1).
/// </summary>
[Metric("auprc", MetricFamily.Neuron, ScoreDirection.HigherIsBetter, Summary = "Average precision of the soft concept labels at retrieving the top-α neuron set.", Citation = "Oikarinen, Yan, Weng, ICML 2025")]
public sealed class Auprc(NeuronMetricOptions options) : NeuronMetric(options)
{
    /// <summary>Creates the metric.</summary>
    public static INeuronMetric Create(NeuronMetricOptions options) => new Auprc(options);

    /// <inheritdoc/>
    public override ScoreMatrix Evaluate(NeuronProbe probe) =>
        AveragePrecisionMatrix(probe, Options.EffectiveAlpha(), scoresAreConcepts: true);

    internal static ScoreMatrix AveragePrecisionMatrix(NeuronProbe probe, double? alpha, bool scoresAreConcepts)
    {
        int n = probe.Neurons, m = probe.Concepts, N = probe.Samples;
        var v = new double[n * m];
        // auprc: positives = neuron set, scores = concept column. inverse_auprc: positives = concept set Ĉ, scores = activations.
        var ns = scoresAreConcepts ? probe.BinaryNeuronSets(alpha, "auprc") : probe.NeuronSets(alpha);
        var cs = probe.ConceptSets();
        var binaryScores = probe.BinaryColumns(scoresAreConcepts);
        bool needTp = scoresAreConcepts ? ns.Weights is null : true;
        var tp = needTp && binaryScores.Any(b => b) ? probe.TruePositives(scoresAreConcepts ? alpha : null) : null;
        var scoreOnes = scoresAreConcepts ? cs.Active : probe.NeuronSets(null).Active;
        var sorted = probe.SortedColumns(scoresAreConcepts);
        var scoreCols = scoresAreConcepts ? probe.ColC : probe.ColA;
        Parallel.For(0, n, k =>
        {
            var buffer = new List<double>();
            for (int t = 0; t < m; t++)
            {
                int s = scoresAreConcepts ? t : k;
                var positives = scoresAreConcepts ? ns.Positives[k] : cs.Indices[t];
                double p = positives.Length;
                if (p == 0) { v[k * m + t] = 0; continue; }
                if (tp is not null && binaryScores[s])
                {
                    double x = tp[k * m + t], q = scoreOnes[s];
                    v[k * m + t] = (q > 0 ? x / p * (x / q) : 0) + (p - x) / p * (p / N);
                    continue;
                }
                buffer.Clear();
                var col = scoreCols.AsSpan(s * N, N);
                foreach (int i in positives) buffer.Add(col[i]);
                var arr = buffer.ToArray();
                v[k * m + t] = NeuronKernels.AveragePrecision(arr, sorted.AsSpan(s * N, N));
            }
        });
        return new ScoreMatrix(n, m, v);
    }
}
