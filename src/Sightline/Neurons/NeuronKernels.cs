using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Sightline.Statistics;

namespace Sightline.Neurons;

/// <summary>
/// The dense kernels behind the neuron metrics: a blocked, vectorised double GEMM over column-major matrices, bit-packed
/// popcount products for binary×binary counts, sparse row sums, ranks and average precision. All are pure functions of their
/// arguments; parallelism is over output rows.
/// </summary>
public static class NeuronKernels
{
    private const int RowBlock = 128;

    /// <summary>
    /// R[k, t] = Σᵢ a[k·len + i] · b[t·len + i]: the product Aᵀ·B of two column-major matrices (columns of length
    /// <paramref name="len"/>), R row-major n × m. Blocked over rows (128 at a time, so a block of all B columns stays in
    /// L2) with a 2×4 register tile of <see cref="Vector256{T}"/> fused multiply-adds, parallel over neuron blocks.
    /// Cost n·m·len multiply-adds.
    /// </summary>
    public static double[] MultiplyColumns(double[] a, int n, double[] b, int m, int len)
    {
        var result = new double[n * m];
        if (n == 0 || m == 0 || len == 0) return result;
        const int NeuronBlock = 8;
        int blocks = (n + NeuronBlock - 1) / NeuronBlock;
        Parallel.For(0, blocks, blk =>
        {
            int k0 = blk * NeuronBlock, k1 = Math.Min(n, k0 + NeuronBlock);
            for (int r0 = 0; r0 < len; r0 += RowBlock)
            {
                int rl = Math.Min(RowBlock, len - r0);
                int k = k0;
                for (; k + 1 < k1; k += 2)
                {
                    int t = 0;
                    for (; t + 3 < m; t += 4) Tile2x4(a, b, k, t, r0, rl, len, result, m);
                    for (; t < m; t++)
                    {
                        result[k * m + t] += TensorPrimitives.Dot(a.AsSpan(k * len + r0, rl), b.AsSpan(t * len + r0, rl));
                        result[(k + 1) * m + t] += TensorPrimitives.Dot(a.AsSpan((k + 1) * len + r0, rl), b.AsSpan(t * len + r0, rl));
                    }
                }
                for (; k < k1; k++)
                    for (int t = 0; t < m; t++)
                        result[k * m + t] += TensorPrimitives.Dot(a.AsSpan(k * len + r0, rl), b.AsSpan(t * len + r0, rl));
            }
        });
        return result;
    }

    // Jitted fully optimised on first call, never taken from the ReadyToRun image: with an AVX-512 image (./sightline on
    // such a CPU) the precompiled tile ran until tier-up, and a whole correlation `neurons score` took 0.58 s instead of 0.41 s.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile2x4(double[] a, double[] b, int k, int t, int r0, int rl, int len, double[] result, int m)
    {
        fixed (double* pa = a, pb = b)
        {
            double* a0 = pa + (long)k * len + r0, a1 = a0 + len;
            double* b0 = pb + (long)t * len + r0, b1 = b0 + len, b2 = b1 + len, b3 = b2 + len;
            var c00 = Vector256<double>.Zero; var c01 = c00; var c02 = c00; var c03 = c00;
            var c10 = c00; var c11 = c00; var c12 = c00; var c13 = c00;
            int i = 0;
            for (; i + 4 <= rl; i += 4)
            {
                var x0 = Vector256.Load(a0 + i); var x1 = Vector256.Load(a1 + i);
                var y = Vector256.Load(b0 + i);
                c00 = Vector256.FusedMultiplyAdd(x0, y, c00); c10 = Vector256.FusedMultiplyAdd(x1, y, c10);
                y = Vector256.Load(b1 + i);
                c01 = Vector256.FusedMultiplyAdd(x0, y, c01); c11 = Vector256.FusedMultiplyAdd(x1, y, c11);
                y = Vector256.Load(b2 + i);
                c02 = Vector256.FusedMultiplyAdd(x0, y, c02); c12 = Vector256.FusedMultiplyAdd(x1, y, c12);
                y = Vector256.Load(b3 + i);
                c03 = Vector256.FusedMultiplyAdd(x0, y, c03); c13 = Vector256.FusedMultiplyAdd(x1, y, c13);
            }
            double s00 = Vector256.Sum(c00), s01 = Vector256.Sum(c01), s02 = Vector256.Sum(c02), s03 = Vector256.Sum(c03);
            double s10 = Vector256.Sum(c10), s11 = Vector256.Sum(c11), s12 = Vector256.Sum(c12), s13 = Vector256.Sum(c13);
            for (; i < rl; i++)
            {
                s00 += a0[i] * b0[i]; s01 += a0[i] * b1[i]; s02 += a0[i] * b2[i]; s03 += a0[i] * b3[i];
                s10 += a1[i] * b0[i]; s11 += a1[i] * b1[i]; s12 += a1[i] * b2[i]; s13 += a1[i] * b3[i];
            }
            int o0 = k * m + t, o1 = o0 + m;
            result[o0] += s00; result[o0 + 1] += s01; result[o0 + 2] += s02; result[o0 + 3] += s03;
            result[o1] += s10; result[o1 + 1] += s11; result[o1 + 2] += s12; result[o1 + 3] += s13;
        }
    }

    /// <summary>Packs a 0/1 indicator given by its set indices into ⌈len/64⌉ little-endian <see cref="ulong"/> words.</summary>
    public static ulong[] PackBits(ReadOnlySpan<int> indices, int len)
    {
        var words = new ulong[(len + 63) >> 6];
        foreach (int i in indices) words[i >> 6] |= 1ul << (i & 63);
        return words;
    }

    /// <summary>
    /// R[k, t] = |A_k ∩ B_t| = popcount(a_k AND b_t) for bit-packed sets (all with the same word count), R row-major.
    /// Four neurons share each concept word load; parallel over neuron blocks. Cost n·m·⌈N/64⌉ popcounts.
    /// </summary>
    public static double[] IntersectionCounts(ulong[][] a, ulong[][] b)
    {
        int n = a.Length, m = b.Length;
        var result = new double[n * m];
        if (n == 0 || m == 0) return result;
        int words = a[0].Length;
        Parallel.For(0, (n + 3) / 4, blk =>
        {
            int k0 = blk * 4;
            if (k0 + 4 <= n)
            {
                ulong[] w0 = a[k0], w1 = a[k0 + 1], w2 = a[k0 + 2], w3 = a[k0 + 3];
                for (int t = 0; t < m; t++)
                {
                    var bt = b[t];
                    long s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                    for (int w = 0; w < words; w++)
                    {
                        ulong x = bt[w];
                        if (x == 0) continue;
                        s0 += BitOperations.PopCount(w0[w] & x); s1 += BitOperations.PopCount(w1[w] & x);
                        s2 += BitOperations.PopCount(w2[w] & x); s3 += BitOperations.PopCount(w3[w] & x);
                    }
                    result[k0 * m + t] = s0; result[(k0 + 1) * m + t] = s1; result[(k0 + 2) * m + t] = s2; result[(k0 + 3) * m + t] = s3;
                }
            }
            else
            {
                for (int k = k0; k < n; k++)
                    for (int t = 0; t < m; t++)
                    {
                        long s = 0;
                        for (int w = 0; w < words; w++) s += BitOperations.PopCount(a[k][w] & b[t][w]);
                        result[k * m + t] = s;
                    }
            }
        });
        return result;
    }

    /// <summary>
    /// R[s, :] = Σ_{i ∈ sets[s]} wᵢ · M[i, :] for a row-major matrix M (N × cols), weights 1 when <paramref name="weights"/> is null:
    /// the product of a sparse (top-α) indicator with a dense matrix. Cost Σ|sets| · cols; parallel over sets.
    /// </summary>
    public static double[] SparseRowSums(int[][] sets, double[][]? weights, double[] rowMajor, int cols)
    {
        var result = new double[sets.Length * cols];
        Parallel.For(0, sets.Length, s =>
        {
            var acc = result.AsSpan(s * cols, cols);
            var set = sets[s];
            var w = weights?[s];
            for (int j = 0; j < set.Length; j++)
            {
                var row = rowMajor.AsSpan(set[j] * cols, cols);
                if (w is null) TensorPrimitives.Add(acc, row, acc);
                else TensorPrimitives.MultiplyAdd(row, w[j], acc, acc);
            }
        });
        return result;
    }

    /// <summary>Same as <see cref="SparseRowSums(int[][], double[][], double[], int)"/> over a float matrix, accumulated in double.</summary>
    public static double[] SparseRowSums(int[][] sets, double[][]? weights, float[] rowMajor, int cols)
    {
        var result = new double[sets.Length * cols];
        ForEachBlock(sets.Length, () => new double[cols], (s, buffer) =>
        {
            var acc = result.AsSpan(s * cols, cols);
            var set = sets[s];
            var w = weights?[s];
            for (int j = 0; j < set.Length; j++)
            {
                TensorPrimitives.ConvertChecked<float, double>(rowMajor.AsSpan(set[j] * cols, cols), buffer);
                if (w is null) TensorPrimitives.Add(acc, buffer, acc);
                else TensorPrimitives.MultiplyAdd(buffer, w[j], acc, acc);
            }
        });
        return result;
    }

    /// <summary>
    /// 0-based ascending ranks of <paramref name="x"/> into <paramref name="ranks"/>: midranks (tied values get the mean of their
    /// positions) or, with <paramref name="random"/>, a uniform random order within ties. O(N log N); O(N) for 0/1 columns
    /// with midranks.
    /// </summary>
    public static void Ranks(ReadOnlySpan<double> x, Span<double> ranks, SplitMix? random = null)
    {
        int n = x.Length;
        if (random is null && IsBinary(x))
        {
            int zeros = 0;
            foreach (var v in x) if (v == 0) zeros++;
            double r0 = (zeros - 1) / 2.0, r1 = zeros + (n - zeros - 1) / 2.0;
            for (int i = 0; i < n; i++) ranks[i] = x[i] == 0 ? r0 : r1;
            return;
        }
        var keys = x.ToArray();
        var idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        Array.Sort(keys, idx);
        var rng = random ?? default;
        int start = 0;
        while (start < n)
        {
            int end = start + 1;
            while (end < n && keys[end] == keys[start]) end++;
            if (random is null)
            {
                double mid = (start + end - 1) / 2.0;
                for (int j = start; j < end; j++) ranks[idx[j]] = mid;
            }
            else
            {
                for (int j = end - 1; j > start; j--)
                {
                    int r = start + rng.NextInt(j - start + 1);
                    (idx[j], idx[r]) = (idx[r], idx[j]);
                }
                for (int j = start; j < end; j++) ranks[idx[j]] = j;
            }
            start = end;
        }
    }

    /// <summary>
    /// S[k, t] = Σ_{i ∈ sets[t]} r_k(i) for every column k of a row-major N × <paramref name="cols"/> matrix, with r_k the 0-based
    /// midranks of column k (tied values get the mean of their positions, −0 ties with +0; values must not be NaN), S row-major
    /// cols × sets.Length. The same numbers as <see cref="Ranks"/> (midranks) followed by <see cref="SparseRowSums(int[][], double[][], double[], int)"/>
    /// over the transposed rank matrix, bit for bit (the sums are of half-integers, exact in double), but without the N × cols
    /// rank matrix: eight columns at a time are ranked by a stable LSD radix sort of their order-preserving 64-bit keys (11-bit
    /// digits, a digit every key shares skipped; a column of float32 values sorts packed 32-bit keys and indices in at most
    /// three passes), their ranks interleaved so that
    /// one 8-wide vector per input holds them, and each input's vector is added to the accumulators of the sets containing it
    /// (the sets transposed to rows once; the accumulators stay in L1). Parallel over blocks of eight columns.
    /// Cost O(cols·N + Σ_t |sets[t]|·cols/8) vector operations.
    /// </summary>
    public static double[] MidrankSetSums(double[] rowMajor, int samples, int cols, int[][] sets)
    {
        int n = samples, m = sets.Length;
        if ((long)n * cols != rowMajor.Length) throw new ArgumentException($"{rowMajor.Length} values do not fill {samples} × {cols}.", nameof(rowMajor));
        var result = new double[cols * m];
        if (n == 0 || cols == 0 || m == 0) return result;
        var (rowStart, rowSets) = SetsByInput(sets, n);
        const int Block = 8;
        int blocks = (cols + Block - 1) / Block;
        ForEachBlock(blocks, () => new RankScratch(n, m), (blk, scratch) =>
        {
            int k0 = blk * Block, width = Math.Min(Block, cols - k0);
            var ranks = scratch.Interleaved;
            if (width < Block) ranks.AsSpan().Clear();
            // One pass over the rows gathers the block's columns (each row's eight values share a cache line).
            var columns = scratch.Columns;
            for (int i = 0; i < n; i++)
            {
                var row = rowMajor.AsSpan(i * cols + k0, width);
                for (int j = 0; j < row.Length; j++) columns[j * n + i] = row[j];
            }
            // Each column's midranks overwrite its values (scattered writes within one column), then one sequential pass
            // interleaves the block's ranks.
            for (int j = 0; j < width; j++) MidranksInPlace(columns.AsSpan(j * n, n), scratch);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < width; j++) ranks[i * Block + j] = columns[j * n + i];
            // Inputs in ascending order, each one's eight ranks loaded once and added to the accumulator of every concept
            // that contains it (m × 8 doubles, in L1): per (neuron, concept) the additions run in ascending input order.
            var acc = scratch.Sums;
            acc.AsSpan().Clear();
            ref double r0 = ref ranks[0];
            ref double a0 = ref acc[0];
            for (int i = 0; i < n; i++)
                AddToSets(ref Unsafe.Add(ref r0, i * Block), ref a0, rowSets, rowStart[i], rowStart[i + 1]);
            for (int t = 0; t < m; t++)
                for (int j = 0; j < width; j++) result[(k0 + j) * m + t] = acc[t * Block + j];
        });
        return result;
    }

    // The sets transposed to rows (CSR): input i belongs to sets rowSets[rowStart[i] .. rowStart[i + 1]), ascending.
    private static (int[] RowStart, int[] RowSets) SetsByInput(int[][] sets, int n)
    {
        var rowStart = new int[n + 1];
        foreach (var set in sets)
            foreach (int i in set)
            {
                if ((uint)i >= (uint)n) throw new ArgumentOutOfRangeException(nameof(sets), i, $"Set members must be inputs 0..{n - 1}.");
                rowStart[i + 1]++;
            }
        for (int i = 0; i < n; i++) rowStart[i + 1] += rowStart[i];
        var rowSets = new int[rowStart[n]];
        var fill = rowStart.AsSpan(0, n).ToArray();
        for (int t = 0; t < sets.Length; t++) foreach (int i in sets[t]) rowSets[fill[i]++] = t;
        return (rowStart, rowSets);
    }

    /// <summary>
    /// <see cref="MidrankSetSums(double[], int, int, int[][])"/> over float32 values, with the same results bit for bit, in
    /// integers: the doubled midrank of a tie group at sorted positions start..end−1 is start + end − 1, and the sums of
    /// doubled midranks, at most 2N(N−1), are exact in 32 bits for N ≤ 32,768 (larger N widen to double and take the
    /// double kernel). Sixteen columns at a time: one pass over the rows turns the block's values into order-preserving
    /// 32-bit keys (−0 as +0) stored column by column, each column is ranked by a stable LSD radix sort of packed
    /// (key, index) words (three 11-bit digits, a digit every key shares skipped), and each input's sixteen doubled ranks,
    /// one <see cref="Vector512{T}"/> of int, are added to the accumulators of the sets containing it. Parallel over blocks.
    /// </summary>
    public static double[] MidrankSetSums(float[] rowMajor, int samples, int cols, int[][] sets)
    {
        if ((long)samples * cols != rowMajor.Length) throw new ArgumentException($"{rowMajor.Length} values do not fill {samples} × {cols}.", nameof(rowMajor));
        var (rowStart, rowSets) = SetsByInput(sets, samples);
        return MidrankSetSums(rowMajor, samples, cols, rowStart, rowSets, sets.Length);
    }

    /// <summary>
    /// <see cref="MidrankSetSums(float[], int, int, int[][])"/> with the sets given by input (compressed sparse rows): input i
    /// belongs to the sets <paramref name="rowSets"/>[<paramref name="rowStart"/>[i] .. <paramref name="rowStart"/>[i + 1]), each in 0..<paramref name="setCount"/> − 1.
    /// </summary>
    public static double[] MidrankSetSums(ReadOnlyMemory<float> rowMajor, int samples, int cols, int[] rowStart, int[] rowSets, int setCount)
    {
        int n = samples, m = setCount;
        if ((long)n * cols != rowMajor.Length) throw new ArgumentException($"{rowMajor.Length} values do not fill {samples} × {cols}.", nameof(rowMajor));
        if (rowStart.Length != n + 1 || rowStart[0] != 0 || rowStart[n] > rowSets.Length) throw new ArgumentException($"Row offsets must be N + 1 = {n + 1} ascending offsets into the set lists.", nameof(rowStart));
        for (int i = 0; i < n; i++) if (rowStart[i + 1] < rowStart[i]) throw new ArgumentException("Row offsets must ascend.", nameof(rowStart));
        if (FirstOutside(rowSets.AsSpan(0, rowStart[n]), (uint)m) is var bad and >= 0)
            throw new ArgumentOutOfRangeException(nameof(rowSets), rowSets[bad], $"Sets are 0..{m - 1}.");
        if (n > 32_768)
        {
            var wide = GC.AllocateUninitializedArray<double>(rowMajor.Length);
            TensorPrimitives.ConvertTruncating<float, double>(rowMajor.Span, wide);
            var sets = new List<int>[m];
            for (int t = 0; t < m; t++) sets[t] = [];
            for (int i = 0; i < n; i++) for (int p = rowStart[i]; p < rowStart[i + 1]; p++) sets[rowSets[p]].Add(i);
            return MidrankSetSums(wide, samples, cols, [.. sets.Select(x => x.ToArray())]);
        }
        var result = new double[cols * m];
        if (n == 0 || cols == 0 || m == 0) return result;
        const int Block = 16;
        int blocks = (cols + Block - 1) / Block;
        ForEachBlock(blocks, () => new IntRankScratch(n, m), (blk, scratch) =>
        {
            int k0 = blk * Block, width = Math.Min(Block, cols - k0);
            var keys = scratch.Keys; // column j of the block at j·n, keys first, then doubled ranks
            GatherKeys(rowMajor.Span, n, cols, k0, width, keys);
            for (int j = 0; j < width; j++) DoubledMidranksInPlace(keys.AsSpan(j * n, n), scratch);
            var acc = scratch.Sums;
            acc.AsSpan().Clear();
            var chunk = scratch.Chunk;
            if (width < Block) chunk.AsSpan().Clear();
            ref int a0 = ref acc[0];
            ref int c0 = ref chunk[0];
            for (int i0 = 0; i0 < n; i0 += ChunkRows)
            {
                int rows = Math.Min(ChunkRows, n - i0);
                // The block's ranks of these inputs interleaved (sixteen per input, one vector), from sixteen sequential streams.
                for (int j = 0; j < width; j++)
                {
                    var col = keys.AsSpan(j * n + i0, rows);
                    for (int r = 0; r < col.Length; r++) chunk[r * Block + j] = (int)col[r];
                }
                for (int r = 0; r < rows; r++)
                    AddToSets(ref Unsafe.Add(ref c0, r * Block), ref a0, rowSets, rowStart[i0 + r], rowStart[i0 + r + 1]);
            }
            for (int t = 0; t < m; t++)
                for (int j = 0; j < width; j++) result[(k0 + j) * m + t] = acc[t * Block + j] * 0.5;
        });
        return result;
    }

    // The index of the first value that is not in 0 .. limit − 1 (as unsigned: negatives are outside too), or −1; sixteen
    // at a time.
    private static int FirstOutside(ReadOnlySpan<int> values, uint limit)
    {
        if (limit == 0) return values.IsEmpty ? -1 : 0;
        int i = 0;
        ref int v0 = ref MemoryMarshal.GetReference(values);
        var last = Vector512.Create(limit - 1);
        for (; i + 16 <= values.Length; i += 16)
            if (Vector512.GreaterThanAny(Vector512.LoadUnsafe(ref v0, (nuint)i).AsUInt32(), last)) break;
        for (; i < values.Length; i++) if ((uint)Unsafe.Add(ref v0, i) >= limit) return i;
        return -1;
    }

    /// <summary>
    /// Runs <paramref name="body"/> for blocks 0 .. <paramref name="count"/> − 1, taken one at a time by up to
    /// <see cref="Environment.ProcessorCount"/> workers (this thread is one), each with its own scratch, made when it takes its
    /// first block. A plain Parallel.For without its generic machinery, whose first use in a short process costs several
    /// milliseconds of start-up. Failures end the other workers after their current block and surface together as an
    /// <see cref="AggregateException"/>, as from Parallel.For.
    /// </summary>
    internal static void ForEachBlock<TScratch>(int count, Func<TScratch> scratch, Action<int, TScratch> body)
    {
        int next = -1;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        void Work()
        {
            TScratch? s = default;
            bool made = false;
            try
            {
                for (int b; (b = Interlocked.Increment(ref next)) < count;)
                {
                    if (!made) { s = scratch(); made = true; }
                    body(b, s!);
                }
            }
            catch (Exception e)
            {
                failures.Enqueue(e);
                Volatile.Write(ref next, count); // the others stop after their current block
            }
        }
        var helpers = new Task[Math.Max(0, Math.Min(Environment.ProcessorCount, count) - 1)];
        for (int w = 0; w < helpers.Length; w++) helpers[w] = Task.Run(Work);
        Work();
        Task.WaitAll(helpers);
        if (!failures.IsEmpty) throw new AggregateException(failures);
    }

    private const int ChunkRows = 256;

    /// <summary>
    /// Adds one input's block of ranks (one 64-byte vector: 8 doubles or 16 ints, at <paramref name="row"/>) to the
    /// accumulator of every concept set that contains the input (<paramref name="rowSets"/>[p0..p1), accumulators one
    /// block apart from <paramref name="acc"/>), in order: per (neuron, concept) the additions run in ascending input order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddToSets<T>(ref T row, ref T acc, int[] rowSets, int p0, int p1) where T : struct
    {
        if (p0 == p1) return;
        nuint block = (nuint)Vector512<T>.Count;
        if (Vector512.IsHardwareAccelerated)
        {
            var v = Vector512.LoadUnsafe(ref row);
            for (int p = p0; p < p1; p++)
            {
                nuint o = (nuint)rowSets[p] * block;
                (Vector512.LoadUnsafe(ref acc, o) + v).StoreUnsafe(ref acc, o);
            }
        }
        else
        {
            nuint half = (nuint)Vector256<T>.Count;
            var lo = Vector256.LoadUnsafe(ref row);
            var hi = Vector256.LoadUnsafe(ref row, half);
            for (int p = p0; p < p1; p++)
            {
                nuint o = (nuint)rowSets[p] * block;
                (Vector256.LoadUnsafe(ref acc, o) + lo).StoreUnsafe(ref acc, o);
                (Vector256.LoadUnsafe(ref acc, o + half) + hi).StoreUnsafe(ref acc, o + half);
            }
        }
    }

    private sealed class IntRankScratch(int n, int sets)
    {
        public readonly int[] Sums = new int[sets * 16];
        public readonly uint[] Keys = GC.AllocateUninitializedArray<uint>(n * 16);
        public readonly ulong[] Words = GC.AllocateUninitializedArray<ulong>(n), Words2 = GC.AllocateUninitializedArray<ulong>(n);
        public readonly int[] Counts = new int[3 * 2048];
        public readonly int[] Chunk = new int[ChunkRows * 16];
    }

    // keys[j·n + i] = the order-preserving key of rowMajor[i·cols + k0 + j]: IEEE bits with the sign bit flipped for
    // positives and all bits flipped for negatives, so unsigned order is numeric order; −0 is keyed as +0 (they tie).
    private static void GatherKeys(ReadOnlySpan<float> rowMajor, int n, int cols, int k0, int width, uint[] keys)
    {
        ref float src = ref MemoryMarshal.GetReference(rowMajor);
        ref uint dst = ref keys[0];
        if (width == 16 && Vector512.IsHardwareAccelerated)
        {
            var top = Vector512.Create(0x8000_0000u);
            int i = 0;
            if (Avx512F.IsSupported)
            {
                // Sixteen rows at a time: their keys, a 16 × 16 tile, transposed in registers (four stages of two-source
                // permutes, each swapping the off-diagonal blocks of one size), then stored as sixteen full cache lines,
                // one per column, instead of 256 scattered writes.
                Span<Vector512<uint>> tile = stackalloc Vector512<uint>[16];
                Span<Vector512<uint>> lowIndex = stackalloc Vector512<uint>[4], highIndex = stackalloc Vector512<uint>[4];
                Span<uint> lo = stackalloc uint[16], hi = stackalloc uint[16];
                for (int b = 0; b < 4; b++)
                {
                    int bit = 1 << b;
                    for (int c = 0; c < 16; c++)
                    {
                        bool set = (c & bit) != 0;
                        lo[c] = set ? (uint)(16 + (c ^ bit)) : (uint)c;
                        hi[c] = set ? (uint)(16 + c) : (uint)(c ^ bit);
                    }
                    lowIndex[b] = Vector512.Create<uint>(lo);
                    highIndex[b] = Vector512.Create<uint>(hi);
                }
                for (; i + 16 <= n; i += 16)
                {
                    for (int r = 0; r < 16; r++)
                    {
                        var v = Vector512.LoadUnsafe(ref src, (nuint)((long)(i + r) * cols + k0));
                        var bits = Vector512.AndNot(v.AsUInt32(), Vector512.Equals(v, Vector512<float>.Zero).AsUInt32());
                        tile[r] = bits ^ (Avx512F.ShiftRightArithmetic(bits.AsInt32(), 31).AsUInt32() | top);
                    }
                    for (int b = 3; b >= 0; b--)
                    {
                        int bit = 1 << b;
                        var l = lowIndex[b];
                        var h = highIndex[b];
                        for (int r = 0; r < 16; r++)
                        {
                            if ((r & bit) != 0) continue;
                            var x = tile[r];
                            var y = tile[r | bit];
                            tile[r] = Avx512F.PermuteVar16x32x2(x, l, y);
                            tile[r | bit] = Avx512F.PermuteVar16x32x2(x, h, y);
                        }
                    }
                    for (int j = 0; j < 16; j++) tile[j].StoreUnsafe(ref dst, (nuint)(j * n + i));
                }
            }
            Span<uint> row = stackalloc uint[16];
            ref uint r0 = ref row[0];
            for (; i < n; i++)
            {
                var v = Vector512.LoadUnsafe(ref src, (nuint)((long)i * cols + k0));
                var bits = Vector512.AndNot(v.AsUInt32(), Vector512.Equals(v, Vector512<float>.Zero).AsUInt32());
                // Avx512F's shift, not Vector512's (Vector512 acceleration implies AVX-512F): a call to the latter takes the
                // method out of an AVX-512 ReadyToRun image (crossgen2: "ABI unstable type"), so it would be jitted every run.
                var key = bits ^ (Avx512F.ShiftRightArithmetic(bits.AsInt32(), 31).AsUInt32() | top);
                key.StoreUnsafe(ref r0);
                for (int j = 0; j < 16; j++) Unsafe.Add(ref dst, j * n + i) = Unsafe.Add(ref r0, j);
            }
            return;
        }
        for (int i = 0; i < n; i++)
            for (int j = 0; j < width; j++)
            {
                float f = Unsafe.Add(ref src, (nint)((long)i * cols + k0 + j));
                uint bits = BitConverter.SingleToUInt32Bits(f == 0 ? 0f : f);
                Unsafe.Add(ref dst, j * n + i) = bits ^ ((uint)((int)bits >> 31) | 0x8000_0000u);
            }
    }

    // The key of ±0.
    private const uint ZeroKey = 0x8000_0000u;

    // How many of the keys equal key.
    private static int CountEqual(ReadOnlySpan<uint> keys, uint key)
    {
        int i = 0, count = 0;
        ref uint k0 = ref MemoryMarshal.GetReference(keys);
        if (Vector512.IsHardwareAccelerated)
        {
            var target = Vector512.Create(key);
            for (; i + 16 <= keys.Length; i += 16)
                count += BitOperations.PopCount(Vector512.Equals(Vector512.LoadUnsafe(ref k0, (nuint)i), target).ExtractMostSignificantBits());
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var target = Vector256.Create(key);
            for (; i + 8 <= keys.Length; i += 8)
                count += BitOperations.PopCount(Vector256.Equals(Vector256.LoadUnsafe(ref k0, (nuint)i), target).ExtractMostSignificantBits());
        }
        for (; i < keys.Length; i++) count += Unsafe.Add(ref k0, i) == key ? 1 : 0;
        return count;
    }

    // Replaces one column of keys by the doubled midranks of their values (2·rank, an integer), by a stable LSD radix sort
    // of (key << 32 | index) words over the 11-bit digits that not every key shares. A column with many zeros (ReLU
    // activations: often half of them) sorts only its other values: the zeros form one tie group between the negatives and
    // the positives, so they never need to move.
    private static void DoubledMidranksInPlace(Span<uint> column, IntRankScratch scratch)
    {
        int n = column.Length;
        var counts = scratch.Counts.AsSpan();
        counts.Clear();
        ref int h0 = ref counts[0];
        ref uint k0 = ref MemoryMarshal.GetReference(column);
        // The zeros are counted first (one vector compare per sixteen keys): when they are many, only the other values are
        // packed and counted, so the digit histograms never see them (a run of equal keys increments one counter after
        // another, each waiting for the last).
        int zeros = CountEqual(column, ZeroKey);
        ulong[] words = scratch.Words, words2 = scratch.Words2;
        bool packed = false;
        int len = n;
        if (zeros > 0 && zeros >= n / 8)
        {
            // The other values, packed in input order (the first pass then reads them instead of the column): with AVX-512,
            // eight (key << 32 | index) words at a time, the zeros' dropped by one compress (vpcompressq into a register,
            // then a full store that the next one partly overwrites; it stays inside the words, as at most as many words as
            // keys read are kept).
            len = 0;
            ref ulong w0 = ref words[0];
            int p = 0;
            if (Avx512F.IsSupported)
            {
                var zeroKey = Vector512.Create(ZeroKey);
                var index = Vector512.Create(0ul, 1, 2, 3, 4, 5, 6, 7);
                var eight = Vector512.Create(8ul);
                for (; p + 16 <= n; p += 16)
                {
                    var v = Vector512.LoadUnsafe(ref k0, (nuint)p);
                    var keep = (~Vector512.Equals(v, zeroKey)).AsInt32();
                    var keepLow = Avx512F.ConvertToVector512Int64(keep.GetLower()).AsUInt64();
                    var low = (Avx512F.ConvertToVector512UInt64(v.GetLower()) << 32) | index;
                    Avx512F.Compress(Vector512<ulong>.Zero, keepLow, low).StoreUnsafe(ref w0, (nuint)len);
                    len += BitOperations.PopCount(keepLow.ExtractMostSignificantBits());
                    index += eight;
                    var keepHigh = Avx512F.ConvertToVector512Int64(keep.GetUpper()).AsUInt64();
                    var high = (Avx512F.ConvertToVector512UInt64(v.GetUpper()) << 32) | index;
                    Avx512F.Compress(Vector512<ulong>.Zero, keepHigh, high).StoreUnsafe(ref w0, (nuint)len);
                    len += BitOperations.PopCount(keepHigh.ExtractMostSignificantBits());
                    index += eight;
                }
            }
            for (; p < n; p++)
            {
                uint key = Unsafe.Add(ref k0, p);
                Unsafe.Add(ref w0, len) = ((ulong)key << 32) | (uint)p;
                len += key != ZeroKey ? 1 : 0;
            }
            packed = true;
            for (int i = 0; i < len; i++)
            {
                uint key = (uint)(Unsafe.Add(ref w0, i) >> 32);
                Unsafe.Add(ref h0, (int)(key & 2047))++;
                Unsafe.Add(ref h0, 2048 + (int)((key >> 11) & 2047))++;
                Unsafe.Add(ref h0, 4096 + (int)(key >> 22))++;
            }
        }
        else
        {
            for (int i = 0; i < n; i++)
            {
                uint key = Unsafe.Add(ref k0, i);
                Unsafe.Add(ref h0, (int)(key & 2047))++;
                Unsafe.Add(ref h0, 2048 + (int)((key >> 11) & 2047))++;
                Unsafe.Add(ref h0, 4096 + (int)(key >> 22))++;
            }
        }
        for (int d = 0; d < 3 && len > 0; d++)
        {
            var c = counts.Slice(d * 2048, 2048);
            int shift = 11 * d;
            uint firstKey = packed ? (uint)(words[0] >> 32) : column[0];
            if (c[(int)((firstKey >> shift) & 2047)] == len) continue; // every key has this digit: the pass would move nothing
            int sum = 0;
            for (int b = 0; b < 2048; b++) { int x = c[b]; c[b] = sum; sum += x; }
            ref int cb = ref c[0];
            if (!packed)
            {
                ref ulong w0 = ref words[0];
                for (int i = 0; i < n; i++)
                {
                    uint key = Unsafe.Add(ref k0, i);
                    Unsafe.Add(ref w0, Unsafe.Add(ref cb, (int)((key >> shift) & 2047))++) = ((ulong)key << 32) | (uint)i;
                }
                packed = true;
                continue;
            }
            ref ulong src = ref words[0];
            ref ulong dst = ref words2[0];
            int sh = 32 + shift;
            for (int i = 0; i < len; i++)
            {
                ulong w = Unsafe.Add(ref src, i);
                Unsafe.Add(ref dst, Unsafe.Add(ref cb, (int)((w >> sh) & 2047))++) = w;
            }
            (words, words2) = (words2, words);
        }
        if (!packed)
        {
            column.Fill((uint)(n - 1)); // one value: every input has midrank (n − 1)/2
            return;
        }
        int z = n - len; // zeros left out of the sort (0 when none were)
        if (z > 0)
        {
            // The zeros sit after the negatives: sorted positions below, ranks q .. q + z − 1, doubled midrank 2q + z − 1.
            int q = 0;
            while (q < len && (uint)(words[q] >> 32) < ZeroKey) q++;
            uint zeroRank = (uint)(2 * q + z - 1);
            int i = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                var zk = Vector512.Create(ZeroKey);
                var zr = Vector512.Create(zeroRank);
                for (; i + 16 <= n; i += 16)
                {
                    var v = Vector512.LoadUnsafe(ref k0, (nuint)i);
                    Vector512.ConditionalSelect(Vector512.Equals(v, zk), zr, v).StoreUnsafe(ref k0, (nuint)i);
                }
            }
            for (; i < n; i++) if (Unsafe.Add(ref k0, i) == ZeroKey) Unsafe.Add(ref k0, i) = zeroRank;
        }
        ref ulong s0 = ref words[0];
        for (int start = 0; start < len;)
        {
            uint key = (uint)(Unsafe.Add(ref s0, start) >> 32);
            int end = start + 1;
            while (end < len && (uint)(Unsafe.Add(ref s0, end) >> 32) == key) end++;
            int shift = key < ZeroKey ? 0 : z; // positives come after the zeros
            uint twice = (uint)(start + end - 1 + 2 * shift);
            for (int j = start; j < end; j++) Unsafe.Add(ref k0, (int)(uint)Unsafe.Add(ref s0, j)) = twice;
            start = end;
        }
    }

    private sealed class RankScratch(int n, int sets)
    {
        public readonly double[] Sums = new double[sets * 8];
        public readonly ulong[] Keys = new ulong[n], Keys2 = new ulong[n];
        public readonly int[] Index = new int[n], Index2 = new int[n];
        public readonly double[] Columns = new double[n * 8];
        public readonly double[] Interleaved = new double[n * 8];
        public readonly int[] Counts = new int[6 * 2048];
    }

    // Replaces the values of one column by their midranks. Columns whose values are all float32 (data
    // read from float32 files) sort one array of (32-bit key, index) words in at most three passes; others sort 64-bit keys
    // with a separate index array. Both sorts are stable LSD radix sorts that skip a digit every key shares.
    private static void MidranksInPlace(Span<double> column, RankScratch scratch)
    {
        int n = column.Length;
        bool single = true;
        foreach (double v in column)
            if ((double)(float)v != v) { single = false; break; }
        ulong[] keys = scratch.Keys, keys2 = scratch.Keys2;
        var counts = scratch.Counts.AsSpan();
        counts.Clear();
        if (single)
        {
            for (int i = 0; i < n; i++)
            {
                float f = (float)column[i];
                uint bits = BitConverter.SingleToUInt32Bits(f == 0 ? 0f : f); // −0 ties with +0, as == says
                uint key = (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
                keys[i] = ((ulong)key << 32) | (uint)i;
                counts[(int)(key & 2047)]++;
                counts[2048 + (int)((key >> 11) & 2047)]++;
                counts[4096 + (int)(key >> 22)]++;
            }
            for (int d = 0; d < 3; d++)
            {
                var c = counts.Slice(d * 2048, 2048);
                int shift = 32 + 11 * d;
                if (c[(int)((keys[0] >> shift) & 2047)] == n) continue;
                int sum = 0;
                for (int b = 0; b < 2048; b++) { int x = c[b]; c[b] = sum; sum += x; }
                for (int i = 0; i < n; i++)
                {
                    ulong w = keys[i];
                    keys2[c[(int)((w >> shift) & 2047)]++] = w;
                }
                (keys, keys2) = (keys2, keys);
            }
            for (int start = 0; start < n;)
            {
                uint key = (uint)(keys[start] >> 32);
                int end = start + 1;
                while (end < n && (uint)(keys[end] >> 32) == key) end++;
                double mid = (start + end - 1) / 2.0;
                for (int j = start; j < end; j++) column[(int)(uint)keys[j]] = mid;
                start = end;
            }
            return;
        }
        int[] index = scratch.Index, index2 = scratch.Index2;
        for (int i = 0; i < n; i++)
        {
            double v = column[i];
            ulong bits = BitConverter.DoubleToUInt64Bits(v == 0 ? 0.0 : v);
            ulong key = (bits & 0x8000_0000_0000_0000ul) != 0 ? ~bits : bits | 0x8000_0000_0000_0000ul;
            keys[i] = key;
            index[i] = i;
            for (int d = 0; d < 6; d++) counts[d * 2048 + (int)((key >> (11 * d)) & 2047)]++;
        }
        for (int d = 0; d < 6; d++)
        {
            var c = counts.Slice(d * 2048, 2048);
            int shift = 11 * d;
            if (c[(int)((keys[0] >> shift) & 2047)] == n) continue; // every key has this digit: the pass would move nothing
            int sum = 0;
            for (int b = 0; b < 2048; b++) { int x = c[b]; c[b] = sum; sum += x; }
            for (int i = 0; i < n; i++)
            {
                ulong key = keys[i];
                int pos = c[(int)((key >> shift) & 2047)]++;
                keys2[pos] = key;
                index2[pos] = index[i];
            }
            (keys, keys2) = (keys2, keys);
            (index, index2) = (index2, index);
        }
        for (int start = 0; start < n;)
        {
            int end = start + 1;
            while (end < n && keys[end] == keys[start]) end++;
            double mid = (start + end - 1) / 2.0;
            for (int j = start; j < end; j++) column[index[j]] = mid;
            start = end;
        }
    }

    /// <summary>True when every value is exactly 0 or 1.</summary>
    public static bool IsBinary(ReadOnlySpan<double> x)
    {
        foreach (var v in x) if (v != 0 && v != 1) return false;
        return true;
    }

    /// <summary>
    /// The reference's standardised correlation, (1/N)·Σᵢ z(x)ᵢ z(y)ᵢ with z = (x − x̄)/max(s, 10⁻⁹) and s the unbiased standard
    /// deviation; = Pearson·(N−1)/N; 0 when a column is constant.
    /// </summary>
    public static double ReferenceCorrelation(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        int n = x.Length;
        double mx = TensorPrimitives.Sum(x) / n, my = TensorPrimitives.Sum(y) / n;
        double sxx = 0, syy = 0, sxy = 0;
        for (int i = 0; i < n; i++)
        {
            double dx = x[i] - mx, dy = y[i] - my;
            sxx += dx * dx; syy += dy * dy; sxy += dx * dy;
        }
        double sx = n > 1 ? Math.Sqrt(sxx / (n - 1)) : 0, sy = n > 1 ? Math.Sqrt(syy / (n - 1)) : 0;
        return sxy / (Math.Max(sx, 1e-9) * Math.Max(sy, 1e-9)) / n;
    }

    /// <summary>Writes z = (x − x̄)/max(s, 10⁻⁹) (s unbiased) into <paramref name="z"/>.</summary>
    public static void Standardise(ReadOnlySpan<double> x, Span<double> z)
    {
        int n = x.Length;
        double mean = TensorPrimitives.Sum(x) / n;
        double ss = 0;
        foreach (var v in x) ss += (v - mean) * (v - mean);
        double s = n > 1 ? Math.Sqrt(ss / (n - 1)) : 0;
        double inv = 1 / Math.Max(s, 1e-9);
        for (int i = 0; i < n; i++) z[i] = (x[i] - mean) * inv;
    }

    /// <summary>
    /// Average precision with torcheval <c>binary_auprc</c> semantics (each distinct score is one threshold, ties grouped):
    /// AP = Σ_k (R_k − R_{k−1})·P_k. Scores of the positives are given (sorted in place, descending) and
    /// <paramref name="sortedAscending"/> holds all N scores ascending, so the count of items with score ≥ v is a binary search.
    /// No positives gives 0. Cost O(P log P + groups·log N).
    /// </summary>
    public static double AveragePrecision(Span<double> positiveScores, ReadOnlySpan<double> sortedAscending)
    {
        int p = positiveScores.Length;
        if (p == 0) return 0;
        positiveScores.Sort();
        positiveScores.Reverse();
        int n = sortedAscending.Length;
        double ap = 0;
        int tp = 0, i = 0;
        while (i < p)
        {
            double v = positiveScores[i];
            int j = i;
            while (j < p && positiveScores[j] == v) j++;
            tp += j - i;
            int atLeast = n - LowerBound(sortedAscending, v);
            ap += (double)(j - i) / p * tp / atLeast;
            i = j;
        }
        return ap;
    }

    /// <summary>AP of arbitrary scores against 0/1 labels (<see cref="AveragePrecision(Span{double}, ReadOnlySpan{double})"/>).
    /// NaN scores rank below every number (a documented policy; the reference does not handle NaN).</summary>
    public static double AveragePrecision(ReadOnlySpan<double> scores, ReadOnlySpan<bool> labels)
    {
        var all = new double[scores.Length];
        var pos = new List<double>();
        for (int i = 0; i < scores.Length; i++)
        {
            double s = double.IsNaN(scores[i]) ? double.NegativeInfinity : scores[i];
            all[i] = s;
            if (labels[i]) pos.Add(s);
        }
        Array.Sort(all);
        var p = pos.ToArray();
        return AveragePrecision(p, all);
    }

    private static int LowerBound(ReadOnlySpan<double> sorted, double v)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < v) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}
