using System.Collections.Concurrent;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
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
/// A probing set D with N inputs: activations A ∈ ℝ^{N×n_neurons} (column k = a_k) and concept labels C ∈ [0,1]^{N×n_concepts}
/// (column t = c_t), the input of every neuron metric (Oikarinen, Yan, Weng, ICML 2025, §2 of the spec). Holds both row-major
/// and column-major copies in double, and caches derived quantities (binarisations, TP counts, ranks, sorted columns) so
/// that metrics sharing them compute them once. Thread-safe.
/// </summary>
public sealed class NeuronProbe
{
    private readonly ConcurrentDictionary<string, Lazy<object>> _cache = new();

    private readonly Lazy<double[]> _colA, _colC;

    private NeuronProbe(double[] rowA, double[] rowC, int samples, int neurons, int concepts)
    {
        Samples = samples; Neurons = neurons; Concepts = concepts;
        RowA = rowA; RowC = rowC;
        // The column-major copies are made when a metric first needs them (inverse_auc, for one, needs neither).
        _colA = new(() => Transpose(rowA, samples, neurons), LazyThreadSafetyMode.ExecutionAndPublication);
        _colC = new(() => Transpose(rowC, samples, concepts), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>N = |D|.</summary>
    public int Samples { get; }

    /// <summary>Number of neurons (columns of A).</summary>
    public int Neurons { get; }

    /// <summary>Number of concepts (columns of C).</summary>
    public int Concepts { get; }

    internal double[] RowA { get; }
    internal double[] RowC { get; }
    internal double[] ColA => _colA.Value;
    internal double[] ColC => _colC.Value;

    /// <summary>a_k as a span of length N.</summary>
    public ReadOnlySpan<double> ActivationColumn(int neuron) => ColA.AsSpan(neuron * Samples, Samples);

    /// <summary>c_t as a span of length N.</summary>
    public ReadOnlySpan<double> ConceptColumn(int concept) => ColC.AsSpan(concept * Samples, Samples);

    /// <summary>Builds a probe from row-major N × n_neurons activations and N × n_concepts concept labels (as stored in NPY files).</summary>
    /// <exception cref="InputDataException">A length does not match the shape, an activation is NaN or infinite, or a concept
    /// label is NaN or outside [0, 1].</exception>
    public static NeuronProbe FromRowMajor(ReadOnlySpan<float> activations, ReadOnlySpan<float> concepts, int samples, int neurons, int conceptCount)
    {
        var a = new double[activations.Length];
        for (int i = 0; i < a.Length; i++) a[i] = activations[i];
        var c = new double[concepts.Length];
        for (int i = 0; i < c.Length; i++) c[i] = concepts[i];
        return FromRowMajor(a, c, samples, neurons, conceptCount);
    }

    /// <summary>Builds a probe from row-major double arrays (taken over, not copied).</summary>
    /// <exception cref="InputDataException">See <see cref="FromRowMajor(ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int)"/>.</exception>
    public static NeuronProbe FromRowMajor(double[] activations, double[] concepts, int samples, int neurons, int conceptCount)
    {
        if (samples < 1) throw new InputDataException("The probing set is empty (N = 0 inputs).");
        if (activations.Length != (long)samples * neurons)
            throw new InputDataException($"Activations hold {activations.Length} values, expected N × n_neurons = {samples} × {neurons}.");
        if (concepts.Length != (long)samples * conceptCount)
            throw new InputDataException($"Concept labels hold {concepts.Length} values, expected N × n_concepts = {samples} × {conceptCount}.");
        // Vectorised checks first; the element loops below only run to name the offending value.
        bool valid = TensorPrimitives.IsFiniteAll<double>(activations);
        for (int i = 0; !valid && i < activations.Length; i++)
            if (!double.IsFinite(activations[i]))
                throw new InputDataException($"Activations: value {activations[i]} at input {i / Math.Max(1, neurons)}, neuron {i % Math.Max(1, neurons)} is not finite; remove or replace NaN/∞ first.");
        // Min/Max propagate NaN, which fails both comparisons.
        valid = concepts.Length == 0 || (TensorPrimitives.Min<double>(concepts) >= 0 && TensorPrimitives.Max<double>(concepts) <= 1);
        for (int i = 0; !valid && i < concepts.Length; i++)
            if (!(concepts[i] >= 0 && concepts[i] <= 1))
                throw new InputDataException($"Concept labels: value {concepts[i]} at input {i / Math.Max(1, conceptCount)}, concept {i % Math.Max(1, conceptCount)} is not in [0, 1]; labels must be binary or probabilities.");
        return new NeuronProbe(activations, concepts, samples, neurons, conceptCount);
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
        // One pass over the row-major labels (no column-major copy needed); each list stays ascending.
        var lists = new List<int>[m];
        for (int t = 0; t < m; t++) lists[t] = [];
        var rows = RowC;
        var half = Vector256.Create(0.5);
        for (int i = 0; i < N; i++)
        {
            var row = rows.AsSpan(i * m, m);
            int t = 0;
            for (; t + 4 <= m; t += 4)
            {
                // Four labels per comparison; most are below 0.5, so most words are 0.
                uint bits = Vector256.GreaterThanOrEqual(Vector256.Create(row.Slice(t, 4)), half).ExtractMostSignificantBits();
                while (bits != 0)
                {
                    lists[t + BitOperations.TrailingZeroCount(bits)].Add(i);
                    bits &= bits - 1;
                }
            }
            for (; t < m; t++) if (row[t] >= 0.5) lists[t].Add(i);
        }
        for (int t = 0; t < m; t++)
        {
            idx[t] = [.. lists[t]];
            active[t] = idx[t].Length;
            inactive[t] = N - idx[t].Length;
        }
        return new ActiveSets(idx, null, active, inactive, idx, [.. idx.Select(ix => NeuronKernels.PackBits(ix, N))]);
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
