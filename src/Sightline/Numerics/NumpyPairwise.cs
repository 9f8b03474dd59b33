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
    public static float Sum(ReadOnlySpan<float> x)
    {
        int n = x.Length;
        if (n < 8)
        {
            float res = 0f;
            for (int i = 0; i < n; i++) res += x[i];
            return res;
        }
        if (n <= BlockSize) return Block(x);
        int n2 = n / 2;
        n2 -= n2 % 8;
        return Sum(x[..n2]) + Sum(x[n2..]);
    }

    /// <summary>
    /// <c>np.sum(x)</c> of a C-contiguous float32 array (also of a C-contiguous 2-D array flattened row-major):
    /// the pairwise sums of consecutive chunks of <paramref name="bufferSize"/> elements, added in order to a float32
    /// accumulator that starts at 0. Empty input gives 0.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bufferSize"/> is not positive.</exception>
    public static float ReduceSum(ReadOnlySpan<float> x, int bufferSize = DefaultBufferSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bufferSize);
        float acc = 0f;
        for (int start = 0; start < x.Length; start += bufferSize)
            acc += Sum(x.Slice(start, Math.Min(bufferSize, x.Length - start)));
        return acc;
    }

    /// <summary>8 ≤ n ≤ 128: eight interleaved accumulators, their fixed combination tree, then the tail in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Block(ReadOnlySpan<float> x)
    {
        int n = x.Length;
        int body = n - n % 8;
        float res;
        ref float r = ref MemoryMarshal.GetReference(x);
        if (Vector256.IsHardwareAccelerated)
        {
            var acc = Vector256.LoadUnsafe(ref r);
            for (int i = 8; i < body; i += 8) acc += Vector256.LoadUnsafe(ref r, (nuint)i);
            res = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            var lo = Vector128.LoadUnsafe(ref r);
            var hi = Vector128.LoadUnsafe(ref r, 4);
            for (int i = 8; i < body; i += 8)
            {
                lo += Vector128.LoadUnsafe(ref r, (nuint)i);
                hi += Vector128.LoadUnsafe(ref r, (nuint)(i + 4));
            }
            res = ((lo[0] + lo[1]) + (lo[2] + lo[3])) + ((hi[0] + hi[1]) + (hi[2] + hi[3]));
        }
        else
        {
            float r0 = x[0], r1 = x[1], r2 = x[2], r3 = x[3], r4 = x[4], r5 = x[5], r6 = x[6], r7 = x[7];
            for (int i = 8; i < body; i += 8)
            {
                r0 += x[i]; r1 += x[i + 1]; r2 += x[i + 2]; r3 += x[i + 3];
                r4 += x[i + 4]; r5 += x[i + 5]; r6 += x[i + 6]; r7 += x[i + 7];
            }
            res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
        }
        for (int i = body; i < n; i++) res += x[i];
        return res;
    }
}
