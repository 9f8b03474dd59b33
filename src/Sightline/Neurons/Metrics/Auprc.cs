using Sightline.Metrics;

namespace Sightline.Neurons.Metrics;

/// <summary>
/// auprc = AP(s = c (soft labels); y = Â): the average precision (torcheval binary_auprc: each distinct score one threshold,
/// AP = Σ_k (R_k − R_{k−1})·P_k) of the concept labels at retrieving the neuron's top-α inputs; no positive gives 0.
/// For a 0/1 concept column it is the closed form (TP/n₁)(TP/m₁) + ((n₁ − TP)/n₁)(n₁/N) from the popcount TP matrix; otherwise
/// one descending sort per concept column, then one sweep over its tie groups updating every neuron set containing each input:
/// O(m·(N log N + Σ_k n₁)). Oikarinen, Yan, Weng, ICML 2025 (Table 1).
/// </summary>
[Metric("auprc", MetricFamily.Neuron, ScoreDirection.HigherIsBetter, Order = 17, Summary = "Average precision of the soft concept labels at retrieving the top-α neuron set.", Citation = "Oikarinen, Yan, Weng, ICML 2025")]
public sealed class Auprc(NeuronMetricOptions options) : NeuronMetric(options)
{
    /// <summary>Creates the metric.</summary>
    public static INeuronMetric Create(NeuronMetricOptions options) => new Auprc(options);

    /// <inheritdoc/>
    public override ScoreMatrix Evaluate(NeuronProbe probe) =>
        AveragePrecisionMatrix(probe, Options.EffectiveAlpha(), scoresAreConcepts: true);

    /// <summary>
    /// AP for every pair in one pass per score column: sort the column descending once, walk its tie groups, and for each input
    /// add it to the running TP of every label set containing it (the sets inverted into per-input lists); at the end of each
    /// group every touched set gains (new positives / p)·TP / (items so far). O(N log N + N + Σ|sets|) per score column instead
    /// of a sort and binary searches per pair. 0/1 score columns keep the closed form from the popcount TP matrix.
    /// </summary>
    internal static ScoreMatrix AveragePrecisionMatrix(NeuronProbe probe, double? alpha, bool scoresAreConcepts)
    {
        int n = probe.Neurons, m = probe.Concepts, N = probe.Samples;
        var v = new double[n * m];
        // auprc: positives = neuron set, scores = concept column. inverse_auprc: positives = concept set Ĉ, scores = activations.
        var ns = scoresAreConcepts ? probe.BinaryNeuronSets(alpha, "auprc") : probe.NeuronSets(alpha);
        var cs = probe.ConceptSets();
        var binaryScores = probe.BinaryColumns(scoresAreConcepts);
        var tp = binaryScores.Any(b => b) ? probe.TruePositives(scoresAreConcepts ? alpha : null) : null;
        var scoreOnes = scoresAreConcepts ? cs.Active : probe.NeuronSets(null).Active;
        var scoreCols = scoresAreConcepts ? probe.ColC : probe.ColA;
        var sets = scoresAreConcepts ? ns.Positives : cs.Indices;
        int scoreCount = scoresAreConcepts ? m : n, setCount = sets.Length;
        int OutIndex(int s, int set) => scoresAreConcepts ? set * m + s : s * m + set;
        // Inverted lists: for each input, the label sets containing it (CSR).
        var start = new int[N + 1];
        foreach (var set in sets) foreach (int i in set) start[i + 1]++;
        for (int i = 0; i < N; i++) start[i + 1] += start[i];
        var members = new int[start[N]];
        var fill = (int[])start.Clone();
        for (int q = 0; q < setCount; q++) foreach (int i in sets[q]) members[fill[i]++] = q;
        Parallel.For(0, scoreCount, () => (Keys: new double[N], Order: new int[N], Tp: new int[setCount], New: new int[setCount], Ap: new double[setCount], Touched: new List<int>()), (s, _, buf) =>
        {
            if (tp is not null && binaryScores[s])
            {
                double q = scoreOnes[s];
                for (int set = 0; set < setCount; set++)
                {
                    double p = sets[set].Length, x = tp[OutIndex(s, set)];
                    v[OutIndex(s, set)] = p == 0 ? 0 : (q > 0 ? x / p * (x / q) : 0) + (p - x) / p * (p / N);
                }
                return buf;
            }
            var col = scoreCols.AsSpan(s * N, N);
            for (int i = 0; i < N; i++) { buf.Keys[i] = -col[i]; buf.Order[i] = i; }
            Array.Sort(buf.Keys, buf.Order);
            Array.Clear(buf.Tp); Array.Clear(buf.Ap);
            int g = 0;
            while (g < N)
            {
                int e = g + 1;
                while (e < N && buf.Keys[e] == buf.Keys[g]) e++;
                for (int r = g; r < e; r++)
                {
                    int i = buf.Order[r];
                    for (int j = start[i]; j < start[i + 1]; j++)
                    {
                        int set = members[j];
                        if (buf.New[set]++ == 0) buf.Touched.Add(set);
                    }
                }
                foreach (int set in buf.Touched)
                {
                    int add = buf.New[set];
                    buf.Tp[set] += add;
                    buf.Ap[set] += (double)add / sets[set].Length * buf.Tp[set] / e;
                    buf.New[set] = 0;
                }
                buf.Touched.Clear();
                g = e;
            }
            for (int set = 0; set < setCount; set++) v[OutIndex(s, set)] = buf.Ap[set]; // empty set: 0
            return buf;
        }, _ => { });
        return new ScoreMatrix(n, m, v);
    }

    /// <summary>The previous per-pair implementation (sort the positives' scores, binary-search each threshold in the sorted
    /// column), kept as an independent check of <see cref="AveragePrecisionMatrix"/>.</summary>
    internal static ScoreMatrix AveragePrecisionMatrixBySearch(NeuronProbe probe, double? alpha, bool scoresAreConcepts)
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
