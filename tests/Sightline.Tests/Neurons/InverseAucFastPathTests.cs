using Sightline.Neurons;
using Sightline.Neurons.Metrics;

namespace Sightline.Tests.Neurons;

/// <summary>
/// The radix-ranked, rank-matrix-free inverse_auc (<see cref="NeuronKernels.MidrankSetSums"/>) against the previous
/// implementation: midranks per column (<see cref="NeuronKernels.Ranks"/>), the transposed N × n rank matrix, and one sparse
/// product with the concept sets.
/// </summary>
public sealed class InverseAucFastPathTests
{
    private static double[] PreviousInverseAuc(NeuronProbe probe)
    {
        int N = probe.Samples, n = probe.Neurons, m = probe.Concepts;
        var cs = probe.ConceptSets();
        var rankCols = new double[N * n];
        for (int k = 0; k < n; k++) NeuronKernels.Ranks(probe.ActivationColumn(k), rankCols.AsSpan(k * N, N));
        var rankRows = new double[N * n];
        for (int k = 0; k < n; k++) for (int i = 0; i < N; i++) rankRows[i * n + k] = rankCols[k * N + i];
        var sums = NeuronKernels.SparseRowSums(cs.Indices, null, rankRows, n);
        var v = new double[n * m];
        for (int t = 0; t < m; t++)
        {
            double m1 = cs.Active[t], m0 = cs.Inactive[t];
            for (int k = 0; k < n; k++) v[k * m + t] = (sums[t * n + k] - m1 * (m1 - 1) / 2) / Math.Max(m1 * m0, 1);
        }
        return v;
    }

    // Activations with many ties (rounded, ReLU'd, ±0), some binary and some constant columns, concepts with empty and full sets.
    private static NeuronProbe RandomProbe(int seed, int samples, int neurons, int concepts)
    {
        var rng = new Random(seed);
        var a = new double[samples * neurons];
        for (int i = 0; i < samples; i++)
            for (int k = 0; k < neurons; k++)
                a[i * neurons + k] = (k % 5) switch
                {
                    0 => Math.Round(rng.NextDouble() * 6 - 3, 1),
                    1 => rng.Next(2),
                    2 => 7.25,
                    3 => rng.Next(3) == 0 ? -0.0 : Math.Max(0, Math.Round(rng.NextDouble() * 4 - 2, 2)),
                    _ => (float)(rng.NextDouble() * 1e6 - 5e5),
                };
        var c = new double[samples * concepts];
        for (int i = 0; i < samples; i++)
            for (int t = 0; t < concepts; t++)
                c[i * concepts + t] = (t % 4) switch { 0 => 0, 1 => 1, 2 => rng.NextDouble(), _ => rng.Next(7) == 0 ? 1 : 0 };
        return NeuronProbe.FromRowMajor(a, c, samples, neurons, concepts);
    }

    [Theory]
    [InlineData(1, 1, 1, 1)]
    [InlineData(2, 37, 5, 6)]
    [InlineData(3, 500, 13, 9)]
    [InlineData(4, 3000, 17, 8)]
    [InlineData(5, 2048, 8, 3)]
    public void Midrank_inverse_auc_equals_the_previous_implementation_bit_for_bit(int seed, int samples, int neurons, int concepts)
    {
        var probe = RandomProbe(seed, samples, neurons, concepts);
        var expected = PreviousInverseAuc(probe);
        var actual = new InverseAuc(new NeuronMetricOptions()).Evaluate(probe).Values;
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-12, $"entry {i}: {actual[i]} vs previous {expected[i]}");
            Assert.Equal(expected[i], actual[i]);
        }
    }

    [Fact]
    public void Set_sums_of_midranks_match_a_hand_count()
    {
        // Column 0: (3, 1, 3, −0, 0) → midranks (3.5, 2, 3.5, 0.5, 0.5); column 1: (1, 2, 3, 4, 5) → (0, 1, 2, 3, 4).
        double[] rows = [3, 1, 1, 2, 3, 3, -0.0, 4, 0, 5];
        // −0 ties with +0 (input 3 alone gets 0.5, not 0).
        var s = NeuronKernels.MidrankSetSums(rows, 5, 2, [[0, 2], [3], []]);
        Assert.Equal(new double[] { 7, 0.5, 0, 2, 3, 0 }, s);
    }

    [Fact]
    public void A_set_member_outside_the_inputs_is_rejected_not_read()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => NeuronKernels.MidrankSetSums([1, 2, 3], 3, 1, [[0, 3]]));
        Assert.Throws<ArgumentOutOfRangeException>(() => NeuronKernels.MidrankSetSums([1, 2, 3], 3, 1, [[-1]]));
    }
}
