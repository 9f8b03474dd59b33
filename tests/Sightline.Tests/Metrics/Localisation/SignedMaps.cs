using System.Numerics;
using CsCheck;

namespace Sightline.Tests.Metrics.Localisation;

/// <summary>Signed maps whose positive and negative parts cancel, and exact (BigInteger) sums to judge them by.</summary>
public static class SignedMaps
{
    /// <summary>The 2×2 map [[1, 2⁻⁶⁰], [−1, −2⁻⁶⁰]]: exact sum 0 (2⁻⁶⁰ is a float32).</summary>
    public static readonly float[] TwoByTwo = [1f, MathF.ScaleB(1f, -60), -1f, -MathF.ScaleB(1f, -60)];

    /// <summary>
    /// A 28×28 map with a positive Gaussian lobe at (<paramref name="r"/>, <paramref name="c"/>) and a negative one at
    /// the point-mirrored position: a(p) = fl(g(p) − g(p′)) with p′ = (27 − row, 27 − col), so a(p′) = −a(p) exactly
    /// and the exact sum is 0, while the values span about 40 binary orders of magnitude.
    /// </summary>
    public static float[] CancellingLobes(int r, int c, double sigma)
    {
        const int n = 28;
        float G(int y, int x) => (float)Math.Exp(-((y - r) * (y - r) + (x - c) * (x - c)) / (2 * sigma * sigma));
        var map = new float[n * n];
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++)
                map[y * n + x] = G(y, x) - G(n - 1 - y, n - 1 - x);
        return map;
    }

    /// <summary>A disc of radius <paramref name="radius"/> around (<paramref name="r"/>, <paramref name="c"/>) on 28×28.</summary>
    public static byte[] Disc(int r, int c, double radius)
    {
        var mask = new byte[28 * 28];
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++)
                mask[y * 28 + x] = (byte)((y - r) * (y - r) + (x - c) * (x - c) <= radius * radius ? 1 : 0);
        return mask;
    }

    /// <summary>
    /// 1×n signed maps: float32 values m·2^e over a wide exponent range and their exact negations in a shuffled order
    /// (exact sum 0), optionally plus one small value 2^-k (exact sum 2^-k, cancelling to a varying degree); random masks.
    /// </summary>
    public static Gen<MapMaskCase> Cancelling() =>
        from k in Gen.Int[1, 24]
        from mantissas in Gen.Int[1, (1 << 24) - 1].Array[k]
        from exponents in Gen.Int[-60, 30].Array[k]
        from extra in Gen.Int[-1, 80]
        from shuffle in Gen.Int
        from maskBits in Gen.Int[0, 1].Array[2 * k + 1]
        select Build(mantissas, exponents, extra, shuffle, maskBits);

    private static MapMaskCase Build(int[] mantissas, int[] exponents, int extra, int shuffle, int[] maskBits)
    {
        var values = new List<float>();
        for (int i = 0; i < mantissas.Length; i++)
        {
            float v = (float)Math.ScaleB(mantissas[i], exponents[i] - 24);
            values.Add(v);
            values.Add(-v);
        }
        if (extra >= 0) values.Add(MathF.ScaleB(1f, -extra));
        var map = values.ToArray();
        new Random(shuffle).Shuffle(map);
        var mask = maskBits.Take(map.Length).Select(b => (byte)b).ToArray();
        return new MapMaskCase(map, mask, 1, map.Length);
    }

    /// <summary>Σ x over the selected pixels, exactly, as an integer multiple of 2⁻¹⁴⁹ (every float32 is one).</summary>
    public static BigInteger ExactSum(ReadOnlySpan<float> x, ReadOnlySpan<byte> mask, bool all, bool absolute = false)
    {
        BigInteger total = BigInteger.Zero;
        for (int i = 0; i < x.Length; i++)
        {
            if (!all && mask[i] == 0) continue;
            total += Scaled(absolute ? Math.Abs(x[i]) : x[i]);
        }
        return total;
    }

    /// <summary>A float32 as an exact integer count of 2⁻¹⁴⁹.</summary>
    public static BigInteger Scaled(float v)
    {
        if (v == 0) return BigInteger.Zero;
        uint bits = BitConverter.SingleToUInt32Bits(v);
        int exp = (int)((bits >> 23) & 0xFF);
        BigInteger m = exp == 0 ? bits & 0x7FFFFF : (bits & 0x7FFFFF) | 0x800000;
        var scaled = m << Math.Max(exp - 1, 0);
        return (bits & 0x8000_0000u) != 0 ? -scaled : scaled;
    }

    /// <summary>The quotient of two exact integers to double precision (the numerator scaled to keep 64+ quotient bits).</summary>
    public static double Ratio(BigInteger numerator, BigInteger denominator)
    {
        if (numerator.IsZero) return 0;
        int shift = (int)Math.Max(0, 64 + denominator.GetBitLength() - numerator.GetBitLength());
        var q = BigInteger.Divide(numerator << shift, denominator);
        return Math.ScaleB((double)q, -shift);
    }
}
