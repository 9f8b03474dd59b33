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

    // Float32 activations of every kind the radix ranking special-cases: rounded (many ties), binary, constant, ReLU'd with
    // −0 and +0, negative and positive over a wide range, a few distinct huge and tiny values, and subnormals.
    private static (float[] A, float[] C) RandomFloats(int seed, int samples, int neurons, int concepts)
    {
        var rng = new Random(seed);
        var a = new float[samples * neurons];
        for (int i = 0; i < samples; i++)
            for (int k = 0; k < neurons; k++)
                a[i * neurons + k] = (k % 7) switch
                {
                    0 => MathF.Round((float)(rng.NextDouble() * 6 - 3), 1),
                    1 => rng.Next(2),
                    2 => -7.25f,
                    3 => rng.Next(3) == 0 ? -0f : MathF.Max(0, MathF.Round((float)(rng.NextDouble() * 4 - 2), 2)),
                    4 => (float)(rng.NextDouble() * 1e6 - 5e5),
                    5 => rng.Next(4) switch { 0 => float.MaxValue, 1 => -float.Epsilon, 2 => float.Epsilon, _ => -3e38f },
                    _ => (float)((rng.NextDouble() - 0.5) * 1e-30) * (float)1e-10,
                };
        var c = new float[samples * concepts];
        for (int i = 0; i < samples; i++)
            for (int t = 0; t < concepts; t++)
                c[i * concepts + t] = (t % 4) switch { 0 => 0, 1 => 1, 2 => (float)rng.NextDouble(), _ => rng.Next(7) == 0 ? 1 : t % 8 == 3 ? -0f : 0 };
        return (a, c);
    }

    [Theory]
    [InlineData(11, 1, 1, 1)]
    [InlineData(12, 37, 5, 6)]
    [InlineData(13, 500, 16, 17)]
    [InlineData(14, 3000, 37, 40)]
    [InlineData(15, 2048, 33, 3)]
    public void Float32_inverse_auc_equals_the_previous_implementation_on_the_widened_values_bit_for_bit(int seed, int samples, int neurons, int concepts)
    {
        var (a, c) = RandomFloats(seed, samples, neurons, concepts);
        var single = NeuronProbe.FromRowMajor(a, c, samples, neurons, concepts);
        var wide = NeuronProbe.FromRowMajor([.. a.Select(x => (double)x)], [.. c.Select(x => (double)x)], samples, neurons, concepts);
        var expected = PreviousInverseAuc(wide);
        var actual = new InverseAuc(new NeuronMetricOptions()).Evaluate(single).Values;
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.DoubleToInt64Bits(expected[i]) == BitConverter.DoubleToInt64Bits(actual[i]), $"entry {i}: {actual[i]} vs previous {expected[i]}");
        // The double kernel on the same values (its float32 branch) agrees too.
        Assert.Equal(expected, new InverseAuc(new NeuronMetricOptions()).Evaluate(wide).Values);
    }

    [Fact]
    public void Float32_inverse_auc_beyond_32768_inputs_widens_and_still_matches()
    {
        var (a, c) = RandomFloats(21, 33_000, 3, 2);
        var single = NeuronProbe.FromRowMajor(a, c, 33_000, 3, 2);
        var wide = NeuronProbe.FromRowMajor([.. a.Select(x => (double)x)], [.. c.Select(x => (double)x)], 33_000, 3, 2);
        Assert.Equal(PreviousInverseAuc(wide), new InverseAuc(new NeuronMetricOptions()).Evaluate(single).Values);
    }

    [Fact]
    public void Every_neuron_metric_gives_the_same_values_on_float32_and_on_widened_double_inputs()
    {
        var (a, c) = RandomFloats(31, 300, 21, 18);
        for (int i = 0; i < a.Length; i++) a[i] = MathF.Abs(a[i]) < 1e-30f ? 0 : a[i]; // keep wpmi/correlation away from overflow
        var options = new NeuronMetricOptions { Alpha = 0.05 };
        foreach (var d in NeuronMetricRegistry.All)
        {
            var single = NeuronProbe.FromRowMajor(a, c, 300, 21, 18);
            var wide = NeuronProbe.FromRowMajor([.. a.Select(x => (double)x)], [.. c.Select(x => (double)x)], 300, 21, 18);
            var x = d.Create(options).Evaluate(single).Values;
            var y = d.Create(options).Evaluate(wide).Values;
            Assert.True(x.Length == y.Length, d.Name);
            for (int i = 0; i < x.Length; i++)
                Assert.True(BitConverter.DoubleToInt64Bits(x[i]) == BitConverter.DoubleToInt64Bits(y[i]), $"{d.Name} entry {i}: {x[i]} vs {y[i]}");
        }
    }

    [Theory]
    [InlineData(51, 300, 16)]
    [InlineData(52, 257, 33)]
    [InlineData(53, 1000, 400)]
    [InlineData(54, 40, 15)]
    public void Concept_rows_equal_the_one_positive_at_a_time_reference_with_invalid_labels_anywhere(int seed, int n, int m)
    {
        // Collect takes the AVX-512 compress path where the CPU has it (m ≥ 16), else the scalar one it is compared with.
        var rng = new Random(seed);
        var labels = new float[n * m];
        for (int i = 0; i < labels.Length; i++)
            labels[i] = rng.Next(5) switch { 0 => 1, 1 => (float)rng.NextDouble(), 2 => -0f, 3 => 0.5f, _ => 0 };
        for (int trial = 0; trial < 3; trial++)
        {
            var expected = ConceptRows.CollectScalar(labels, n, m);
            var actual = ConceptRows.Collect(labels, n, m);
            Assert.Equal(expected.RowStart, actual.RowStart);
            Assert.Equal(expected.RowSets.AsSpan(0, expected.RowStart[n]).ToArray(), actual.RowSets.AsSpan(0, actual.RowStart[n]).ToArray());
            Assert.Equal(expected.Counts, actual.Counts);
            Assert.Equal(expected.FirstInvalid, actual.FirstInvalid);
            Assert.Equal(trial == 0 ? -1 : labels.Length / 3, actual.FirstInvalid); // the NaN of the first trial stays the first
            // Next: an invalid label (NaN, then above 1) at a position that is neither a vector's start nor its end, and a later one.
            labels[labels.Length / 3 + 2 * trial] = trial == 0 ? float.NaN : 1.5f;
            labels[^1] = -0.25f;
        }
        Assert.True(ConceptRows.Collect(labels, n, m).Counts.Sum() > 0);
    }

    [Fact]
    public void The_float32_probe_collects_the_same_concept_sets_as_the_double_probe()
    {
        var (a, c) = RandomFloats(41, 211, 4, 37);
        c[5] = 0.5f; c[6] = 0.49999997f; c[40] = -0f;
        var single = NeuronProbe.FromRowMajor(a, c, 211, 4, 37).ConceptSets();
        var wide = NeuronProbe.FromRowMajor([.. a.Select(x => (double)x)], [.. c.Select(x => (double)x)], 211, 4, 37).ConceptSets();
        Assert.Equal(wide.Active, single.Active);
        Assert.Equal(wide.Inactive, single.Inactive);
        for (int t = 0; t < 37; t++) Assert.Equal(wide.Indices[t], single.Indices[t]);
        Assert.Contains(1, single.Indices[5]);
        Assert.DoesNotContain(1, single.Indices[6]);
    }

    [Fact]
    public void The_set_form_and_the_row_form_of_the_float32_kernel_agree_and_reject_bad_members()
    {
        var (a, _) = RandomFloats(51, 100, 19, 1);
        int[][] sets = [[0, 5, 99], [], [.. Enumerable.Range(0, 100)], [42]];
        var bySets = NeuronKernels.MidrankSetSums(a, 100, 19, sets);
        var wide = NeuronKernels.MidrankSetSums([.. a.Select(x => (double)x)], 100, 19, sets);
        Assert.Equal(wide, bySets);
        Assert.Throws<ArgumentOutOfRangeException>(() => NeuronKernels.MidrankSetSums(new float[] { 1, 2, 3 }, 3, 1, [[0, 3]]));
        Assert.Throws<ArgumentOutOfRangeException>(() => NeuronKernels.MidrankSetSums(new float[] { 1, 2, 3 }, 3, 1, new int[] { 0, 1, 1, 1 }, new int[] { 2 }, 2));
        Assert.Throws<ArgumentException>(() => NeuronKernels.MidrankSetSums(new float[] { 1, 2, 3 }, 3, 1, new int[] { 0, 1, 0, 1 }, new int[] { 0 }, 1));
    }

    [Fact]
    public void A_metric_found_by_its_class_name_is_the_catalogue_s_descriptor()
    {
        int found = 0;
        foreach (var d in NeuronMetricRegistry.BuiltIn)
            if (NeuronMetricRegistry.ByClassName(d.Name) is { } byName) { Assert.Same(d, byName); found++; }
        Assert.Same(NeuronMetricRegistry.BuiltIn.Single(d => d.Name == "inverse_auc"), NeuronMetricRegistry.ByClassName("INVERSE_AUC"));
        Assert.True(found >= NeuronMetricRegistry.BuiltIn.Count / 2, $"only {found} metrics found by class name");
        Assert.Null(NeuronMetricRegistry.ByClassName("neuron_probe"));
        Assert.Null(NeuronMetricRegistry.ByClassName("auc_")); // class Auc exists, but its metric is named auc
    }

    [Fact]
    public void The_built_in_class_lookup_finds_every_neuron_metric_the_catalogue_scan_finds_with_its_own_factory()
    {
        var scanned = Sightline.Evaluation.MetricCatalogue.Neuron.Select(e => e.Type).ToArray();
        Assert.True(scanned.Length >= 20, $"the scan found only {scanned.Length} neuron metrics");
        foreach (var type in scanned)
        {
            var entry = NeuronMetricRegistry.BuiltInClass(type.Name);
            Assert.True(entry.HasValue, $"{type.Name} is missing from NeuronMetricRegistry.BuiltInClass");
            Assert.Equal(type, entry.Value.Type);
            Assert.IsType(type, entry.Value.Create(new NeuronMetricOptions()));
        }
        Assert.Null(NeuronMetricRegistry.BuiltInClass("NeuronProbe"));
        Assert.Null(NeuronMetricRegistry.BuiltInClass("inverse_auc")); // class names, not metric names
    }

    [Theory]
    [InlineData(37, -1)]
    [InlineData(64, 5)]
    [InlineData(95, int.MinValue)]
    public void A_set_member_out_of_range_anywhere_in_a_long_row_list_is_refused_with_its_value(int at, int value)
    {
        // 96 inputs in one set each (sets 0..4): the bad member sits inside a vector of sixteen, at its start, or in the tail.
        int n = 96;
        var rowStart = Enumerable.Range(0, n + 1).ToArray();
        var rowSets = Enumerable.Range(0, n).Select(i => i % 5).ToArray();
        var a = Enumerable.Range(0, n).Select(i => (float)(i % 7)).ToArray();
        Assert.Equal(5, NeuronKernels.MidrankSetSums(a, n, 1, rowStart, rowSets, 5).Length);
        rowSets[at] = value;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => NeuronKernels.MidrankSetSums(a, n, 1, rowStart, rowSets, 5));
        Assert.Equal(value, e.ActualValue);
        Assert.Throws<ArgumentOutOfRangeException>(() => NeuronKernels.MidrankSetSums(a, n, 1, rowStart, rowSets, 0));
    }

    [Fact]
    public void Set_sums_of_midranks_match_a_hand_count()
    {
        // Column 0: (3, 1, 3, −0, 0) → midranks (3.5, 2, 3.5, 0.5, 0.5); column 1: (1, 2, 3, 4, 5) → (0, 1, 2, 3, 4).
        double[] rows = [3, 1, 1, 2, 3, 3, -0.0, 4, 0, 5];
        // −0 ties with +0 (input 3 alone gets 0.5, not 0).
        var s = NeuronKernels.MidrankSetSums(rows, 5, 2, [[0, 2], [3], []]);
        Assert.Equal(new double[] { 7, 0.5, 0, 2, 3, 0 }, s);
        Assert.Equal(s, NeuronKernels.MidrankSetSums([.. rows.Select(x => (float)x)], 5, 2, [[0, 2], [3], []]));
    }

    [Fact]
    public void A_set_member_outside_the_inputs_is_rejected_not_read()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => NeuronKernels.MidrankSetSums([1, 2, 3], 3, 1, [[0, 3]]));
        Assert.Throws<ArgumentOutOfRangeException>(() => NeuronKernels.MidrankSetSums([1, 2, 3], 3, 1, [[-1]]));
    }

    [Theory]
    [InlineData("dense")]     // every label positive: the set list outgrows its first guess at once
    [InlineData("late")]      // no positives in the first half, then all: the projection from the rows so far is 0
    [InlineData("growing")]   // density rising row by row: several projections, each too small
    public void Concept_rows_of_any_density_profile_match_the_double_probe_and_give_the_same_inverse_auc(string profile)
    {
        const int n = 500, k = 17, m = 37;
        var (a, _) = RandomFloats(61, n, k, m);
        var c = new float[n * m];
        var rng = new Random(7);
        for (int i = 0; i < n; i++)
            for (int t = 0; t < m; t++)
                c[i * m + t] = profile switch
                {
                    "dense" => 1f,
                    "late" => i < n / 2 ? 0f : 1f,
                    _ => rng.NextDouble() < (double)i / n ? 1f : 0f,
                };
        var single = NeuronProbe.FromRowMajor(a, c, n, k, m);
        var wide = NeuronProbe.FromRowMajor([.. a.Select(x => (double)x)], [.. c.Select(x => (double)x)], n, k, m);
        var rows = single.Rows();
        Assert.Equal(n + 1, rows.RowStart.Length);
        Assert.True(rows.RowSets.Length >= rows.RowStart[n]);
        var ws = wide.ConceptSets();
        var ss = single.ConceptSets();
        for (int t = 0; t < m; t++) Assert.Equal(ws.Indices[t], ss.Indices[t]);
        Assert.Equal(PreviousInverseAuc(wide), new InverseAuc(new NeuronMetricOptions()).Evaluate(single).Values);
    }

    [Fact]
    public void The_block_loop_runs_every_block_once_with_one_scratch_per_worker_and_gathers_failures()
    {
        const int count = 1000;
        var runs = new int[count];
        int scratches = 0;
        NeuronKernels.ForEachBlock(count, () => Interlocked.Increment(ref scratches), (b, _) => Interlocked.Increment(ref runs[b]));
        Assert.All(runs, r => Assert.Equal(1, r));
        Assert.InRange(scratches, 1, Environment.ProcessorCount);

        int none = 0;
        NeuronKernels.ForEachBlock(0, () => Interlocked.Increment(ref none), (_, _) => Interlocked.Increment(ref none));
        Assert.Equal(0, none);

        var e = Assert.Throws<AggregateException>(() => NeuronKernels.ForEachBlock(count, () => 0, (b, _) =>
        {
            if (b == 17) throw new InvalidOperationException("block 17");
        }));
        Assert.Contains(e.InnerExceptions, x => x is InvalidOperationException { Message: "block 17" });
    }
}
