using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Sightline.Numerics;

namespace Sightline.Metrics;

/// <summary>
/// Shared Interest binarisation (mitvis/shared-interest <c>binarize_std</c>, <c>binarize_percentile</c>, and the
/// Explanation Alignment notebooks' threshold rule). With n = (x − min)/(max − min) computed in float64, a pixel is
/// salient when n ≥ t:
/// <list type="bullet">
/// <item><c>std:K</c> — t = mean(n) + K·std(n), population standard deviation;</item>
/// <item><c>percentile:P</c> — t = the linear-interpolated quantile of n at index P·(N−1) of the sorted values;</item>
/// <item><c>threshold:T</c> — t = T.</item>
/// </list>
/// A constant map (max = min) gives an empty mask. Because n is monotone in x, the comparison is done on the raw
/// float map against the smallest float whose n reaches t, which is exact and needs no per-pixel division.
/// </summary>
public static class Binarizer
{
    /// <summary>Writes 0/1 into <paramref name="destination"/> and returns the number of salient pixels.</summary>
    /// <param name="map">Finite map values.</param>
    /// <param name="rule">The binarisation rule.</param>
    /// <param name="destination">Output, same length as <paramref name="map"/>.</param>
    /// <param name="scratch">Scratch of the same length (used by the percentile rule).</param>
    public static int Binarize(ReadOnlySpan<float> map, Binarization rule, Span<byte> destination, Span<float> scratch)
    {
        if (destination.Length != map.Length) throw new ArgumentException("Destination length differs from the map's.", nameof(destination));
        if (map.IsEmpty) return 0;
        float min = TensorPrimitives.Min(map);
        float max = TensorPrimitives.Max(map);
        double range = (double)max - min;
        if (!(range > 0))
        {
            destination.Clear();
            return 0;
        }

        double t;
        switch (rule.Kind)
        {
            case BinarizationKind.Std:
            {
                double meanX = Kernels.SumAsDouble(map) / map.Length;
                double stdX = Math.Sqrt(Kernels.SumSquaredDeviations(map, meanX) / map.Length);
                t = (meanX - min) / range + rule.Value * (stdX / range);
                break;
            }
            case BinarizationKind.Percentile:
            {
                t = NormalisedQuantile(map, rule.Value, min, range, scratch);
                break;
            }
            case BinarizationKind.Threshold:
                t = rule.Value;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(rule));
        }

        return Threshold(map, SmallestFloatReaching(t, min, range), destination);
    }

    /// <summary>The normalised value n of <paramref name="x"/> for a map with the given min and range.</summary>
    public static double Normalised(float x, float min, double range) => ((double)x - min) / range;

    /// <summary>The smallest float x with n(x) ≥ t (n is monotone), or +∞ when none is.</summary>
    internal static float SmallestFloatReaching(double t, float min, double range)
    {
        if (double.IsNaN(t)) return float.PositiveInfinity;
        double guess = min + t * range;
        if (guess > float.MaxValue) return float.PositiveInfinity;
        if (guess < -float.MaxValue) return float.NegativeInfinity;
        float f = (float)guess;
        // Walk to the exact boundary: a few steps at most, since the guess is within rounding of it.
        while (Normalised(f, min, range) >= t)
        {
            float down = MathF.BitDecrement(f);
            if (float.IsNegativeInfinity(down) || Normalised(down, min, range) < t) return f;
            f = down;
        }
        while (Normalised(f, min, range) < t)
        {
            f = MathF.BitIncrement(f);
            if (float.IsPositiveInfinity(f)) return f;
        }
        return f;
    }

    private static double NormalisedQuantile(ReadOnlySpan<float> map, double p, float min, double range, Span<float> scratch)
    {
        var sorted = scratch[..map.Length];
        map.CopyTo(sorted);
        sorted.Sort();
        double pos = p * (map.Length - 1);
        int lo = (int)Math.Floor(pos);
        int hi = Math.Min(lo + 1, map.Length - 1);
        double frac = pos - lo;
        double a = Normalised(sorted[lo], min, range);
        double b = Normalised(sorted[hi], min, range);
        // NumPy's linear method: a + (b − a)·frac.
        return a + (b - a) * frac;
    }

    /// <summary>destination[i] = map[i] ≥ cut ? 1 : 0; returns the count.</summary>
    public static int Threshold(ReadOnlySpan<float> map, float cut, Span<byte> destination)
    {
        int i = 0, count = 0;
        if (Vector256.IsHardwareAccelerated && map.Length >= 32)
        {
            ref float r = ref MemoryMarshal.GetReference(map);
            ref byte d = ref MemoryMarshal.GetReference(destination);
            var c = Vector256.Create(cut);
            var one = Vector256.Create((byte)1);
            for (; i <= map.Length - 32; i += 32)
            {
                var m0 = Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref r, (nuint)i), c).AsInt32();
                var m1 = Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref r, (nuint)(i + 8)), c).AsInt32();
                var m2 = Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref r, (nuint)(i + 16)), c).AsInt32();
                var m3 = Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref r, (nuint)(i + 24)), c).AsInt32();
                var s01 = Vector256.Narrow(m0, m1);
                var s23 = Vector256.Narrow(m2, m3);
                var b = Vector256.Narrow(s01, s23).AsByte() & one;
                b.StoreUnsafe(ref d, (nuint)i);
            }
            count = Kernels.SumBytes(destination[..i]);
        }
        for (; i < map.Length; i++)
        {
            byte v = map[i] >= cut ? (byte)1 : (byte)0;
            destination[i] = v;
            count += v;
        }
        return count;
    }
}
