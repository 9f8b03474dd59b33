namespace Sightline.Numerics;

/// <summary>
/// NumPy's float32 pairwise summation (<c>pairwise_sum</c> in numpy/core/src/umath/loops_utils.h): blocks of at most
/// 128 elements summed with 8 interleaved accumulators, recursive halving above that. Used only where bit-level
/// parity with a NumPy reference is asked for.
/// </summary>
public static class NumpyPairwise
{
    private const int BlockSize = 128;

    /// <summary>Sum of <paramref name="x"/> in float32, in NumPy's order.</summary>
    public static float Sum(ReadOnlySpan<float> x)
    {
        int n = x.Length;
        if (n < 8)
        {
            float res = 0f;
            for (int i = 0; i < n; i++) res += x[i];
            return res;
        }
        if (n <= BlockSize)
        {
            float r0 = x[0], r1 = x[1], r2 = x[2], r3 = x[3], r4 = x[4], r5 = x[5], r6 = x[6], r7 = x[7];
            int i;
            for (i = 8; i < n - (n % 8); i += 8)
            {
                r0 += x[i]; r1 += x[i + 1]; r2 += x[i + 2]; r3 += x[i + 3];
                r4 += x[i + 4]; r5 += x[i + 5]; r6 += x[i + 6]; r7 += x[i + 7];
            }
            float res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
            for (; i < n; i++) res += x[i];
            return res;
        }
        int n2 = n / 2;
        n2 -= n2 % 8;
        return Sum(x[..n2]) + Sum(x[n2..]);
    }
}
