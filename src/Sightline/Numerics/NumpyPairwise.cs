using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Sightline.Numerics;

/// <summary>
/// NumPy's float32 summation order, for bit-level parity with a NumPy reference (SemScore's <c>--sss-compat</c>).
/// <para>
/// <see cref="Sum"/> is NumPy's <c>FLOAT_pairwise_sum</c> (numpy/core/src/umath/loops_utils.h.src): n &lt; 8 a plain
/// loop from 0; n ≤ 128 (PW_BLOCKSIZE) 8 accumulators r[j] = x[j] + x[j+8] + … over the first n − n mod 8 values,
/// combined as ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)), then the remaining n mod 8 values added in order;
/// n &gt; 128 split at n2 = n/2 − (n/2) mod 8 and the two halves' sums added.
/// </para>
/// <para>
/// <see cref="ReduceSum"/> is what <c>np.sum</c> / <c>np.add.reduce</c> of a C-contiguous float32 array does with it:
/// the reduction iterator hands the inner loop chunks of the ufunc buffer size (8192 elements by default,
/// <c>np.getbufsize()</c>), and each chunk's pairwise sum is added in order to the float32 result, which starts at
/// the identity 0. Verified bit for bit against NumPy 1.24.2 for lengths 1..20,000 (tests/fixtures/numpy_sums).
/// </para>
/// The 8 accumulators are lanes of one 256-bit vector (or two 128-bit ones): the same additions in the same order,
/// so the result is identical to the scalar loop on every path.
/// </summary>
public static class NumpyPairwise
{
    /// <summary>NumPy's PW_BLOCKSIZE: the largest block summed with 8 accumulators without splitting.</summary>
    public const int BlockSize = 128;

    /// <summary>NumPy's default ufunc buffer size (<c>np.getbufsize()</c>), the chunk length of a reduction.</summary>
    public const int DefaultBufferSize = 8192;

    /// <summary>Sum of <paramref name="x"/> in float32 in the order of NumPy's <c>pairwise_sum</c> (one inner-loop call).</summary>
    public static float Sum(ReadOnlySpan<float> x) => Sum<Identity>(x, 0f);

    /// <summary>
    /// <c>np.sum(x)</c> of a C-contiguous float32 array (also of a C-contiguous 2-D array flattened row-major):
    /// the pairwise sums of consecutive chunks of <paramref name="bufferSize"/> elements, added in order to a float32
    /// accumulator that starts at 0. Empty input gives 0.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bufferSize"/> is not positive.</exception>
    public static float ReduceSum(ReadOnlySpan<float> x, int bufferSize = DefaultBufferSize) => Reduce<Identity>(x, 0f, bufferSize);

    /// <summary>
    /// <c>np.sum(np.where(x &gt; threshold, x, 0))</c> (soft thresholding, strict; NaN counts as 0) in the order of
    /// <see cref="ReduceSum"/>, without materialising the thresholded array.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bufferSize"/> is not positive.</exception>
    public static float ReduceSumAbove(ReadOnlySpan<float> x, float threshold, int bufferSize = DefaultBufferSize) =>
        Reduce<KeepAbove>(x, threshold, bufferSize);

    private static float Reduce<TFilter>(ReadOnlySpan<float> x, float t, int bufferSize) where TFilter : struct, IFilter
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bufferSize);
        float acc = 0f;
        for (int start = 0; start < x.Length; start += bufferSize)
            acc += Sum<TFilter>(x.Slice(start, Math.Min(bufferSize, x.Length - start)), t);
        return acc;
    }

    private static float Sum<TFilter>(ReadOnlySpan<float> x, float t) where TFilter : struct, IFilter
    {
        int n = x.Length;
        if (n < 8)
        {
            float res = 0f;
            for (int i = 0; i < n; i++) res += TFilter.Apply(x[i], t);
            return res;
        }
        if (n <= BlockSize) return Block<TFilter>(x, t);
        int n2 = n / 2;
        n2 -= n2 % 8;
        return Sum<TFilter>(x[..n2], t) + Sum<TFilter>(x[n2..], t);
    }

    /// <summary>8 ≤ n ≤ 128: eight interleaved accumulators, their fixed combination tree, then the tail in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Block<TFilter>(ReadOnlySpan<float> x, float t) where TFilter : struct, IFilter
    {
        int n = x.Length;
        int body = n - n % 8;
        float res;
        ref float r = ref MemoryMarshal.GetReference(x);
        if (Vector256.IsHardwareAccelerated)
        {
            var tv = Vector256.Create(t);
            var acc = TFilter.Apply(Vector256.LoadUnsafe(ref r), tv);
            for (int i = 8; i < body; i += 8) acc += TFilter.Apply(Vector256.LoadUnsafe(ref r, (nuint)i), tv);
            res = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            var tv = Vector128.Create(t);
            var lo = TFilter.Apply(Vector128.LoadUnsafe(ref r), tv);
            var hi = TFilter.Apply(Vector128.LoadUnsafe(ref r, 4), tv);
            for (int i = 8; i < body; i += 8)
            {
                lo += TFilter.Apply(Vector128.LoadUnsafe(ref r, (nuint)i), tv);
                hi += TFilter.Apply(Vector128.LoadUnsafe(ref r, (nuint)(i + 4)), tv);
            }
            res = ((lo[0] + lo[1]) + (lo[2] + lo[3])) + ((hi[0] + hi[1]) + (hi[2] + hi[3]));
        }
        else
        {
            float r0 = TFilter.Apply(x[0], t), r1 = TFilter.Apply(x[1], t), r2 = TFilter.Apply(x[2], t), r3 = TFilter.Apply(x[3], t);
            float r4 = TFilter.Apply(x[4], t), r5 = TFilter.Apply(x[5], t), r6 = TFilter.Apply(x[6], t), r7 = TFilter.Apply(x[7], t);
            for (int i = 8; i < body; i += 8)
            {
                r0 += TFilter.Apply(x[i], t); r1 += TFilter.Apply(x[i + 1], t); r2 += TFilter.Apply(x[i + 2], t); r3 += TFilter.Apply(x[i + 3], t);
                r4 += TFilter.Apply(x[i + 4], t); r5 += TFilter.Apply(x[i + 5], t); r6 += TFilter.Apply(x[i + 6], t); r7 += TFilter.Apply(x[i + 7], t);
            }
            res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
        }
        for (int i = body; i < n; i++) res += TFilter.Apply(x[i], t);
        return res;
    }

    /// <summary>An elementwise map applied to each value as it is summed (specialised per struct, so free).</summary>
    private interface IFilter
    {
        static abstract float Apply(float v, float t);
        static abstract Vector256<float> Apply(Vector256<float> v, Vector256<float> t);
        static abstract Vector128<float> Apply(Vector128<float> v, Vector128<float> t);
    }

    private readonly struct Identity : IFilter
    {
        public static float Apply(float v, float t) => v;
        public static Vector256<float> Apply(Vector256<float> v, Vector256<float> t) => v;
        public static Vector128<float> Apply(Vector128<float> v, Vector128<float> t) => v;
    }

    private readonly struct KeepAbove : IFilter
    {
        public static float Apply(float v, float t) => v > t ? v : 0f;
        public static Vector256<float> Apply(Vector256<float> v, Vector256<float> t) => Vector256.ConditionalSelect(Vector256.GreaterThan(v, t), v, Vector256<float>.Zero);
        public static Vector128<float> Apply(Vector128<float> v, Vector128<float> t) => Vector128.ConditionalSelect(Vector128.GreaterThan(v, t), v, Vector128<float>.Zero);
    }
}
