using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Sightline.Statistics;

namespace Sightline.Neurons;

/// <summary>The binarised (or raw-weighted) neuron side Â of one α, shared by every metric that uses it.</summary>
/// <param name="Indices">Per neuron, the inputs with Âᵢ ≠ 0 (ascending).</param>
/// <param name="Weights">Per neuron, the raw weights aᵢ of <paramref name="Indices"/> when α is disabled and a is not 0/1; null when all are 1.</param>
/// <param name="Active">n₁ = ΣÂᵢ per neuron.</param>
/// <param name="Inactive">n₀ per neuron: N − n₁ when binary; the count of exact zeros when raw weights are used.</param>
/// <param name="Positives">Per neuron, the inputs with Âᵢ = 1 exactly (the positive class of auc and auprc).</param>
/// <param name="Bits">Bit-packed <paramref name="Indices"/> when <paramref name="Weights"/> is null.</param>
public sealed record ActiveSets(int[][] Indices, double[][]? Weights, double[] Active, double[] Inactive, int[][] Positives, ulong[][]? Bits);

/// <summary>
/// The concept side Ĉ = 1[c ≥ 0.5] by input (compressed sparse rows): input i has the concepts
/// <c>RowSets[RowStart[i] .. RowStart[i + 1])</c>, ascending; <paramref name="Counts"/> holds m₁ per concept.
/// </summary>
/// <param name="RowStart">N + 1 offsets into <paramref name="RowSets"/>.</param>
/// <param name="RowSets">The concepts of every input, input by input (entries after <c>RowStart[N]</c> are unused space).</param>
/// <param name="Counts">m₁ = |{i : cᵢ ≥ 0.5}| per concept.</param>
/// <param name="FirstInvalid">The flat index of the first label that is NaN or outside [0, 1], or −1.</param>
internal sealed record ConceptRows(int[] RowStart, int[] RowSets, int[] Counts, int FirstInvalid)
{
    /// <summary>Collects Ĉ from row-major N × m labels and finds the first invalid label, in one vectorised pass.</summary>
    public static ConceptRows Collect(ReadOnlySpan<float> labels, int n, int m) =>
        Avx512F.IsSupported && m >= 16 ? CollectCompressed(labels, n, m) : CollectScalar(labels, n, m);

    // Collect one positive at a time (any vector width); the reference for CollectCompressed.
    internal static ConceptRows CollectScalar(ReadOnlySpan<float> labels, int n, int m)
    {
        var rowStart = new int[n + 1];
        var counts = new int[m];
        var sets = GC.AllocateUninitializedArray<int>(Math.Max(m, n * 4));
        int used = 0;
        int firstInvalid = -1;
        var half = Vector512.Create(0.5f);
        var one = Vector512.Create(1f);
        ref float l0 = ref MemoryMarshal.GetReference(labels);
        for (int i = 0; i < n; i++)
        {
            nuint row = (nuint)((long)i * m);
            EnsureRoom(ref sets, used, m, i, n);
            int t = 0;
            var valid = Vector512<float>.AllBitsSet;
            for (; t + 16 <= m; t += 16)
            {
                var v = Vector512.LoadUnsafe(ref l0, row + (nuint)t);
                // v ≥ 0 and v ≤ 1 are both false for NaN.
                valid &= Vector512.GreaterThanOrEqual(v, Vector512<float>.Zero) & Vector512.LessThanOrEqual(v, one);
                ulong bits = Vector512.GreaterThanOrEqual(v, half).ExtractMostSignificantBits();
                while (bits != 0)
                {
                    int c = t + BitOperations.TrailingZeroCount(bits);
                    sets[used++] = c;
                    counts[c]++;
                    bits &= bits - 1;
                }
            }
            FinishRow(labels, row, t, m, valid == Vector512<float>.AllBitsSet, sets, ref used, counts, ref firstInvalid);
            rowStart[i + 1] = used;
        }
        return new ConceptRows(rowStart, sets, counts, firstInvalid);
    }

    // Collect with AVX-512, branch-free: each sixteen labels' concept indices with c ≥ 0.5 are packed by one compress
    // (vpcompressd, into a register, then one full store that the next store partly overwrites), and the per-concept counts
    // are vector sums of the comparison masks (−1 per positive) instead of one increment per positive.
    internal static ConceptRows CollectCompressed(ReadOnlySpan<float> labels, int n, int m)
    {
        var rowStart = new int[n + 1];
        int vectors = m / 16;
        var negCounts = new Vector512<int>[vectors]; // −m₁ of concepts 16v .. 16v + 15
        var counts = new int[m];
        // Room for one row plus the 16 that a full vector store may write past the row's last index.
        int slack = m + 16;
        var sets = GC.AllocateUninitializedArray<int>(Math.Max(slack, n * 4));
        int used = 0;
        int firstInvalid = -1;
        var half = Vector512.Create(0.5f);
        var one = Vector512.Create(1f);
        var iota = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        var sixteen = Vector512.Create(16);
        ref float l0 = ref MemoryMarshal.GetReference(labels);
        ref Vector512<int> c0 = ref MemoryMarshal.GetArrayDataReference(negCounts);
        for (int i = 0; i < n; i++)
        {
            nuint row = (nuint)((long)i * m);
            EnsureRoom(ref sets, used, slack, i, n);
            ref int s0 = ref MemoryMarshal.GetArrayDataReference(sets);
            var valid = Vector512<float>.AllBitsSet;
            var index = iota;
            for (int v = 0; v < vectors; v++)
            {
                var x = Vector512.LoadUnsafe(ref l0, row + (nuint)(v * 16));
                valid &= Vector512.GreaterThanOrEqual(x, Vector512<float>.Zero) & Vector512.LessThanOrEqual(x, one); // false for NaN
                var positive = Vector512.GreaterThanOrEqual(x, half).AsInt32();
                Unsafe.Add(ref c0, v) += positive;
                Avx512F.Compress(Vector512<int>.Zero, positive, index).StoreUnsafe(ref s0, (nuint)used);
                used += BitOperations.PopCount(positive.ExtractMostSignificantBits());
                index += sixteen;
            }
            FinishRow(labels, row, vectors * 16, m, valid == Vector512<float>.AllBitsSet, sets, ref used, counts, ref firstInvalid);
            rowStart[i + 1] = used;
        }
        // StoreUnsafe, not CopyTo: a call to Vector512's CopyTo keeps the method out of an AVX-512 ReadyToRun image.
        for (int v = 0; v < vectors; v++) (-negCounts[v]).StoreUnsafe(ref counts[v * 16]);
        return new ConceptRows(rowStart, sets, counts, firstInvalid);
    }

    // Makes room for `room` more indices after `used`: grown to what the rows so far (i of n) project for all of them
    // (plus a tenth), so that dense labels take one or two copies instead of a doubling per size; the space after the
    // last row stays unused.
    private static void EnsureRoom(ref int[] sets, int used, int room, int i, int n)
    {
        if (sets.Length - used >= room) return;
        long projected = i == 0 ? 0 : (long)((double)used / i * n * 1.1);
        int grown = (int)Math.Min(Array.MaxLength, Math.Max(Math.Max((long)sets.Length * 2, used + (long)room), projected));
        var larger = GC.AllocateUninitializedArray<int>(grown);
        sets.AsSpan(0, used).CopyTo(larger);
        sets = larger;
    }

    // Labels t0 .. m − 1 of the row starting at flat index `row`, one at a time (positives appended and counted); then, if
    // the row holds an invalid label (or its vectors did: !vectorsValid) and none was found before, the first one's index.
    private static void FinishRow(ReadOnlySpan<float> labels, nuint row, int t0, int m, bool vectorsValid, int[] sets, ref int used, int[] counts, ref int firstInvalid)
    {
        bool ok = vectorsValid;
        for (int t = t0; t < m; t++)
        {
            float x = labels[(int)row + t];
            ok &= x >= 0 && x <= 1; // false for NaN
            if (x >= 0.5f) { sets[used++] = t; counts[t]++; }
        }
        if (ok || firstInvalid >= 0) return;
        for (int j = 0; j < m; j++)
        {
            float x = labels[(int)row + j];
            if (!(x >= 0 && x <= 1)) { firstInvalid = (int)row + j; return; }
        }
    }
}

/// <summary>
/// A probing set D with N inputs: activations A ∈ ℝ^{N×n_neurons} (column k = a_k) and concept labels C ∈ [0,1]^{N×n_concepts}
/// (column t = c_t), the input of every neuron metric (Oikarinen, Yan, Weng, ICML 2025, §2 of the spec). Holds both row-major
/// and column-major copies in double, and caches derived quantities (binarisations, TP counts, ranks, sorted columns) so
/// that metrics sharing them compute them once. Thread-safe.
/// </summary>
public sealed class NeuronProbe
{
    private readonly ConcurrentDictionary<string, Lazy<object>> _cache = new();

    private readonly Lazy<double[]> _rowA, _rowC, _colA, _colC;

    private NeuronProbe(double[]? rowA, double[]? rowC, ReadOnlyMemory<float> rowA32, ReadOnlyMemory<float> rowC32, ConceptRows? rows, int samples, int neurons, int concepts)
    {
        Samples = samples; Neurons = neurons; Concepts = concepts;
        RowA32 = rowA32; RowC32 = rowC32; Single = rowA is null;
        _rows = rows;
        // Float32 inputs stay float32 (the values of float32 files, half the memory); the double copies are made when a
        // metric first needs them, as are the column-major copies (inverse_auc, for one, needs none of them).
        _rowA = rowA is not null ? new(rowA) : new(() => Widen(rowA32.Span), LazyThreadSafetyMode.ExecutionAndPublication);
        _rowC = rowC is not null ? new(rowC) : new(() => Widen(rowC32.Span), LazyThreadSafetyMode.ExecutionAndPublication);
        _colA = new(() => Transpose(RowA, samples, neurons), LazyThreadSafetyMode.ExecutionAndPublication);
        _colC = new(() => Transpose(RowC, samples, concepts), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>N = |D|.</summary>
    public int Samples { get; }

    /// <summary>Number of neurons (columns of A).</summary>
    public int Neurons { get; }

    /// <summary>Number of concepts (columns of C).</summary>
    public int Concepts { get; }

    internal double[] RowA => _rowA.Value;
    internal double[] RowC => _rowC.Value;

    /// <summary>True when the probe was built from float32 values (<see cref="RowA32"/>, <see cref="RowC32"/>).</summary>
    internal bool Single { get; }

    /// <summary>The row-major float32 activations when <see cref="Single"/> (empty otherwise).</summary>
    internal ReadOnlyMemory<float> RowA32 { get; }

    /// <summary>The row-major float32 concept labels when <see cref="Single"/> (empty otherwise).</summary>
    internal ReadOnlyMemory<float> RowC32 { get; }

    private ConceptRows? _rows;
    internal double[] ColA => _colA.Value;
    internal double[] ColC => _colC.Value;

    /// <summary>a_k as a span of length N.</summary>
    public ReadOnlySpan<double> ActivationColumn(int neuron) => ColA.AsSpan(neuron * Samples, Samples);

    /// <summary>c_t as a span of length N.</summary>
    public ReadOnlySpan<double> ConceptColumn(int concept) => ColC.AsSpan(concept * Samples, Samples);

    /// <summary>Builds a probe from row-major N × n_neurons activations and N × n_concepts concept labels (as stored in NPY files), copied.</summary>
    /// <exception cref="InputDataException">A length does not match the shape, an activation is NaN or infinite, or a concept
    /// label is NaN or outside [0, 1].</exception>
    public static NeuronProbe FromRowMajor(ReadOnlySpan<float> activations, ReadOnlySpan<float> concepts, int samples, int neurons, int conceptCount) =>
        FromRowMajor(activations.ToArray(), concepts.ToArray(), samples, neurons, conceptCount);

    /// <summary>
    /// Builds a probe from row-major float32 arrays (taken over, not copied; they must not change afterwards). Every metric
    /// computes in double as with <see cref="FromRowMajor(double[], double[], int, int, int)"/> and gives the same values
    /// (float32 widens to double exactly); inverse_auc ranks the float32 values directly.
    /// </summary>
    /// <exception cref="InputDataException">See <see cref="FromRowMajor(ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int)"/>.</exception>
    public static NeuronProbe FromRowMajor(float[] activations, float[] concepts, int samples, int neurons, int conceptCount) =>
        FromRowMajor((ReadOnlyMemory<float>)activations, concepts, samples, neurons, conceptCount);

    /// <summary>
    /// Builds a probe over row-major float32 memory (for example a memory-mapped file), not copied: it must stay valid and
    /// unchanged while the probe is used. See <see cref="FromRowMajor(float[], float[], int, int, int)"/>. The checks run
    /// on both cores, the labels' check in the same pass that collects each input's concepts (Ĉ = 1[c ≥ 0.5]).
    /// </summary>
    /// <exception cref="InputDataException">See <see cref="FromRowMajor(ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int)"/>.</exception>
    public static NeuronProbe FromRowMajor(ReadOnlyMemory<float> activations, ReadOnlyMemory<float> concepts, int samples, int neurons, int conceptCount)
    {
        CheckShape(activations.Length, concepts.Length, samples, neurons, conceptCount);
        int badA = -1;
        ConceptRows? rows = null;
        // The two passes side by side: one on a pool thread, one here (Task.Run rather than Parallel.Invoke, whose first
        // use in a process costs a few milliseconds of start-up before either pass begins).
        var check = Task.Run(() => { badA = FirstNonFinite(activations.Span); }); // an Action: Task<int> would be jitted at start-up
        rows = ConceptRows.Collect(concepts.Span, samples, conceptCount);
        check.GetAwaiter().GetResult();
        if (badA >= 0) throw NotFinite(activations.Span[badA], badA, neurons);
        if (rows!.FirstInvalid >= 0) throw NotALabel(concepts.Span[rows.FirstInvalid], rows.FirstInvalid, conceptCount);
        return new NeuronProbe(null, null, activations, concepts, rows, samples, neurons, conceptCount);
    }

    // The index of the first NaN or ±∞, or −1: one vectorised pass (exponent bits all ones), then a scalar search.
    private static int FirstNonFinite(ReadOnlySpan<float> x)
    {
        var bits = MemoryMarshal.Cast<float, uint>(x);
        var exp = Vector512.Create(0x7F80_0000u);
        var any = Vector512<uint>.Zero;
        int i = 0;
        ref uint b0 = ref MemoryMarshal.GetReference(bits);
        for (; i + 64 <= bits.Length; i += 64)
        {
            var v0 = Vector512.LoadUnsafe(ref b0, (nuint)i) & exp;
            var v1 = Vector512.LoadUnsafe(ref b0, (nuint)i + 16) & exp;
            var v2 = Vector512.LoadUnsafe(ref b0, (nuint)i + 32) & exp;
            var v3 = Vector512.LoadUnsafe(ref b0, (nuint)i + 48) & exp;
            any |= Vector512.Equals(v0, exp) | Vector512.Equals(v1, exp) | Vector512.Equals(v2, exp) | Vector512.Equals(v3, exp);
        }
        if (any == Vector512<uint>.Zero)
        {
            for (; i < x.Length; i++) if (!float.IsFinite(x[i])) return i;
            return -1;
        }
        for (i = 0; i < x.Length; i++) if (!float.IsFinite(x[i])) return i;
        return -1;
    }

    private static void CheckShape(long activations, long concepts, int samples, int neurons, int conceptCount)
    {
        if (samples < 1) throw new InputDataException("The probing set is empty (N = 0 inputs).");
        if (activations != (long)samples * neurons)
            throw new InputDataException($"Activations hold {activations} values, expected N × n_neurons = {samples} × {neurons}.");
        if (concepts != (long)samples * conceptCount)
            throw new InputDataException($"Concept labels hold {concepts} values, expected N × n_concepts = {samples} × {conceptCount}.");
    }

    private static InputDataException NotFinite(double value, int i, int neurons) =>
        new($"Activations: value {value} at input {i / Math.Max(1, neurons)}, neuron {i % Math.Max(1, neurons)} is not finite; remove or replace NaN/∞ first.");

    private static InputDataException NotALabel(double value, int i, int conceptCount) =>
        new($"Concept labels: value {value} at input {i / Math.Max(1, conceptCount)}, concept {i % Math.Max(1, conceptCount)} is not in [0, 1]; labels must be binary or probabilities.");

    private static double[] Widen(ReadOnlySpan<float> values)
    {
        var r = GC.AllocateUninitializedArray<double>(values.Length);
        TensorPrimitives.ConvertTruncating<float, double>(values, r); // exact: every float32 is a double
        return r;
    }

    /// <summary>Builds a probe from row-major double arrays (taken over, not copied).</summary>
    /// <exception cref="InputDataException">See <see cref="FromRowMajor(ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int)"/>.</exception>
    public static NeuronProbe FromRowMajor(double[] activations, double[] concepts, int samples, int neurons, int conceptCount)
    {
        CheckShape(activations.Length, concepts.Length, samples, neurons, conceptCount);
        // Vectorised checks first; the element loops below only run to name the offending value.
        bool valid = TensorPrimitives.IsFiniteAll<double>(activations);
        for (int i = 0; !valid && i < activations.Length; i++)
            if (!double.IsFinite(activations[i])) throw NotFinite(activations[i], i, neurons);
        // Min/Max propagate NaN, which fails both comparisons.
        valid = concepts.Length == 0 || (TensorPrimitives.Min<double>(concepts) >= 0 && TensorPrimitives.Max<double>(concepts) <= 1);
        for (int i = 0; !valid && i < concepts.Length; i++)
            if (!(concepts[i] >= 0 && concepts[i] <= 1)) throw NotALabel(concepts[i], i, conceptCount);
        return new NeuronProbe(activations, concepts, default, default, null, samples, neurons, conceptCount);
    }

    /// <summary>Builds a probe from columns (each of length N): activation columns a_k and concept columns c_t.</summary>
    /// <exception cref="InputDataException">Columns of different lengths, or invalid values.</exception>
    public static NeuronProbe FromColumns(IReadOnlyList<double[]> activationColumns, IReadOnlyList<double[]> conceptColumns)
    {
        int n = activationColumns.Count > 0 ? activationColumns[0].Length : conceptColumns.Count > 0 ? conceptColumns[0].Length : 0;
        if (activationColumns.Concat(conceptColumns).Any(col => col.Length != n))
            throw new InputDataException("All activation and concept columns must have the same length N = |D|.");
        int k = activationColumns.Count, m = conceptColumns.Count;
        var a = new double[n * k];
        var c = new double[n * m];
        for (int j = 0; j < k; j++) for (int i = 0; i < n; i++) a[i * k + j] = activationColumns[j][i];
        for (int j = 0; j < m; j++) for (int i = 0; i < n; i++) c[i * m + j] = conceptColumns[j][i];
        return FromRowMajor(a, c, n, k, m);
    }

    /// <summary>
    /// Top-α binarisation of one column: k = ⌈α·N⌉ (IEEE product, no epsilon), τ = the k-th largest value (duplicates counted),
    /// Âᵢ = 1[aᵢ ≥ τ], so ties at the cut-off are included and ΣÂ ≥ k is possible. Returns the ascending indices of Âᵢ = 1.
    /// </summary>
    public static int[] TopAlpha(ReadOnlySpan<double> a, double alpha)
    {
        if (!(alpha > 0 && alpha <= 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "α must be in (0, 1].");
        int n = a.Length;
        int k = (int)Math.Min(n, Math.Ceiling(alpha * n));
        if (k <= 0) return [];
        var copy = a.ToArray();
        double tau = Select(copy, n - k); // (n−k)-th smallest (0-based) = k-th largest
        var list = new List<int>(k + 8);
        for (int i = 0; i < n; i++) if (a[i] >= tau) list.Add(i);
        return [.. list];
    }

    // Hoare quickselect: the value that would sit at index r of the ascending sort. O(N) expected.
    private static double Select(double[] x, int r)
    {
        int lo = 0, hi = x.Length - 1;
        var rng = new SplitMix(0x5EED);
        while (lo < hi)
        {
            double pivot = x[lo + rng.NextInt(hi - lo + 1)];
            int i = lo, j = hi;
            while (i <= j)
            {
                while (x[i] < pivot) i++;
                while (x[j] > pivot) j--;
                if (i <= j) { (x[i], x[j]) = (x[j], x[i]); i++; j--; }
            }
            if (r <= j) hi = j;
            else if (r >= i) lo = i;
            else return x[r];
        }
        return x[r];
    }

    internal T Cached<T>(string key, Func<T> factory) where T : class =>
        (T)_cache.GetOrAdd(key, _ => new Lazy<object>(() => factory(), LazyThreadSafetyMode.ExecutionAndPublication)).Value;

    /// <summary>The neuron side Â for α (null = disabled: raw weights), cached.</summary>
    public ActiveSets NeuronSets(double? alpha) => Cached($"neuron-sets:{alpha?.ToString("R") ?? "raw"}", () =>
    {
        int n = Neurons, N = Samples;
        var idx = new int[n][];
        var w = new double[n][];
        var active = new double[n];
        var inactive = new double[n];
        var pos = new int[n][];
        bool weighted = false;
        Parallel.For(0, n, k =>
        {
            var col = ActivationColumn(k);
            if (alpha is { } al)
            {
                idx[k] = TopAlpha(col, al);
                active[k] = idx[k].Length;
                inactive[k] = N - idx[k].Length;
                pos[k] = idx[k];
                w[k] = [];
            }
            else
            {
                var li = new List<int>(); var lw = new List<double>(); var lp = new List<int>();
                double sum = 0; int zeros = 0;
                for (int i = 0; i < N; i++)
                {
                    double v = col[i];
                    if (v == 0) { zeros++; continue; }
                    li.Add(i); lw.Add(v); sum += v;
                    if (v == 1) lp.Add(i);
                }
                idx[k] = [.. li]; w[k] = [.. lw]; pos[k] = [.. lp];
                active[k] = sum; inactive[k] = zeros;
            }
        });
        if (alpha is null) weighted = w.Any(ws => ws.Any(v => v != 1));
        ulong[][]? bits = weighted ? null : [.. idx.Select(ix => NeuronKernels.PackBits(ix, N))];
        return new ActiveSets(idx, weighted ? w : null, active, inactive, pos, bits);
    });

    /// <summary>
    /// The neuron side Â for a metric that treats it as a set or a class (set metrics, auc, auprc, wpmi and their combinations).
    /// With α disabled Â = a, which the framework defines only for 0/1 activations (spec §3: "meaningful only for a ∈ {0,1}"):
    /// with other values the counts are not counts and auc/auprc leave [0, 1] (a = (1, ½, ½, 0), c = (0.9, 0.8, 0.7, 0.1) would
    /// give auc = 3), so such input is rejected.
    /// </summary>
    /// <exception cref="InputDataException">α is disabled and a neuron column holds a value other than 0 or 1.</exception>
    public ActiveSets BinaryNeuronSets(double? alpha, string metric)
    {
        if (alpha is null)
        {
            var binary = BinaryColumns(false);
            int k = Array.IndexOf(binary, false);
            if (k >= 0)
            {
                var col = ActivationColumn(k);
                int i = 0;
                while (col[i] == 0 || col[i] == 1) i++;
                throw new InputDataException($"Metric '{metric}' with α disabled (--alpha none) needs 0/1 activations, but neuron {k} has {col[i].ToString(System.Globalization.CultureInfo.InvariantCulture)} at input {i}; give an α (e.g. --alpha 0.005) to binarise by top-α.");
            }
        }
        return NeuronSets(alpha);
    }

    /// <summary>The concept side Ĉ = 1[c ≥ 0.5]: per concept the positive inputs, m₁, m₀ = N − m₁ and bit-packed sets; cached.</summary>
    public ActiveSets ConceptSets() => Cached("concept-sets", () =>
    {
        int m = Concepts, N = Samples;
        var idx = new int[m][];
        var active = new double[m];
        var inactive = new double[m];
        // One pass over the row-major labels (no column-major copy needed, float32 labels not widened); each list stays ascending.
        var lists = new List<int>[m];
        for (int t = 0; t < m; t++) lists[t] = [];
        if (Single)
        {
            // The inputs' concept lists (collected while checking the labels) turned into the concepts' input lists.
            var r = Rows();
            for (int t = 0; t < m; t++) lists[t] = new List<int>(r.Counts[t]);
            for (int i = 0; i < N; i++)
                for (int p = r.RowStart[i]; p < r.RowStart[i + 1]; p++) lists[r.RowSets[p]].Add(i);
        }
        else CollectPositives(RowC, N, m, lists);
        for (int t = 0; t < m; t++)
        {
            idx[t] = [.. lists[t]];
            active[t] = idx[t].Length;
            inactive[t] = N - idx[t].Length;
        }
        return new ActiveSets(idx, null, active, inactive, idx, [.. idx.Select(ix => NeuronKernels.PackBits(ix, N))]);
    });

    // lists[t] gets every input i with rows[i·m + t] ≥ 0.5, in ascending order.
    private static void CollectPositives<T>(T[] rows, int n, int m, List<int>[] lists) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var half = Vector256.Create(T.CreateTruncating(0.5));
        int w = Vector256<T>.Count;
        for (int i = 0; i < n; i++)
        {
            var row = rows.AsSpan(i * m, m);
            int t = 0;
            for (; t + w <= m; t += w)
            {
                // w labels per comparison; most are below 0.5, so most masks are 0.
                uint bits = Vector256.GreaterThanOrEqual(Vector256.Create<T>(row.Slice(t, w)), half).ExtractMostSignificantBits();
                while (bits != 0)
                {
                    lists[t + BitOperations.TrailingZeroCount(bits)].Add(i);
                    bits &= bits - 1;
                }
            }
            for (; t < m; t++) if (row[t] >= T.CreateTruncating(0.5)) lists[t].Add(i);
        }
    }

    /// <summary>Ĉ by input (see <see cref="ConceptRows"/>); collected by the float32 factory, else on first use.</summary>
    internal ConceptRows Rows() => _rows ??= Cached("concept-rows", () =>
    {
        var sets = ConceptSets();
        var rowStart = new int[Samples + 1];
        foreach (var set in sets.Indices) foreach (int i in set) rowStart[i + 1]++;
        for (int i = 0; i < Samples; i++) rowStart[i + 1] += rowStart[i];
        var rowSets = new int[rowStart[Samples]];
        var fill = rowStart.AsSpan(0, Samples).ToArray();
        for (int t = 0; t < Concepts; t++) foreach (int i in sets.Indices[t]) rowSets[fill[i]++] = t;
        return new ConceptRows(rowStart, rowSets, [.. sets.Indices.Select(x => x.Length)], -1);
    });

    /// <summary>TP[k,t] = Σᵢ ÂᵢĈᵢ (row-major n_neurons × n_concepts): popcounts of bit-packed sets, or a weighted sparse product
    /// when α is disabled and activations are not 0/1. Cached per α.</summary>
    public double[] TruePositives(double? alpha) => Cached($"tp:{alpha?.ToString("R") ?? "raw"}", () =>
    {
        var ns = NeuronSets(alpha);
        var cs = ConceptSets();
        if (ns.Bits is not null) return NeuronKernels.IntersectionCounts(ns.Bits, cs.Bits!);
        var chat = Cached("chat-rows", () =>
        {
            var r = new double[RowC.Length];
            for (int i = 0; i < r.Length; i++) r[i] = RowC[i] >= 0.5 ? 1 : 0;
            return r;
        });
        return NeuronKernels.SparseRowSums(ns.Indices, ns.Weights, chat, Concepts);
    });

    /// <summary>Ranks of every column (row-major N × cols) of A (<paramref name="concepts"/> false) or C, per tie rule; cached.</summary>
    internal double[] RankRows(bool concepts, RankTies ties, ulong seed) => Cached($"ranks:{concepts}:{ties}:{(ties == RankTies.Random ? seed : 0)}", () =>
    {
        var cols = RankColumns(concepts, ties, seed);
        return Transpose(cols, concepts ? Concepts : Neurons, Samples);
    });

    /// <summary>Ranks of every column (column-major) of A or C; cached.</summary>
    internal double[] RankColumns(bool concepts, RankTies ties, ulong seed) => Cached($"rankcols:{concepts}:{ties}:{(ties == RankTies.Random ? seed : 0)}", () =>
    {
        int cols = concepts ? Concepts : Neurons, N = Samples;
        var src = concepts ? ColC : ColA;
        var r = new double[src.Length];
        Parallel.For(0, cols, j =>
        {
            SplitMix? rng = ties == RankTies.Random ? new SplitMix(SplitMix.Derive(seed, (concepts ? 1L << 32 : 0) + j)) : null;
            NeuronKernels.Ranks(src.AsSpan(j * N, N), r.AsSpan(j * N, N), rng);
        });
        return r;
    });

    /// <summary>Every column of A or C sorted ascending (column-major), for average-precision threshold counts; cached.</summary>
    internal double[] SortedColumns(bool concepts) => Cached($"sorted:{concepts}", () =>
    {
        int cols = concepts ? Concepts : Neurons, N = Samples;
        var r = (double[])(concepts ? ColC : ColA).Clone();
        Parallel.For(0, cols, j => r.AsSpan(j * N, N).Sort());
        return r;
    });

    /// <summary>Whether each column of A or C is 0/1; cached.</summary>
    internal bool[] BinaryColumns(bool concepts) => Cached($"binary:{concepts}", () =>
    {
        int cols = concepts ? Concepts : Neurons, N = Samples;
        var src = concepts ? ColC : ColA;
        var r = new bool[cols];
        for (int j = 0; j < cols; j++) r[j] = NeuronKernels.IsBinary(src.AsSpan(j * N, N));
        return r;
    });

    internal static double[] Transpose(double[] src, int rows, int cols)
    {
        var dst = new double[src.Length];
        const int B = 32;
        for (int i0 = 0; i0 < rows; i0 += B)
            for (int j0 = 0; j0 < cols; j0 += B)
                for (int i = i0; i < Math.Min(rows, i0 + B); i++)
                    for (int j = j0; j < Math.Min(cols, j0 + B); j++)
                        dst[j * rows + i] = src[i * cols + j];
        return dst;
    }
}
