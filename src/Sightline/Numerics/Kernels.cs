using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sightline.Numerics;

/// <summary>
/// Span kernels used by the metrics: float32 inputs accumulated in float64, vectorised with
/// <see cref="Vector256"/> where <see cref="TensorPrimitives"/> has no widening equivalent.
/// </summary>
public static class Kernels
{
    /// <summary>Σ x in float64. Empty input gives 0.</summary>
    public static double SumAsDouble(ReadOnlySpan<float> x)
    {
        int i = 0;
        double total = 0;
        if (Vector256.IsHardwareAccelerated && x.Length >= 16)
        {
            var acc0 = Vector256<double>.Zero;
            var acc1 = Vector256<double>.Zero;
            ref float r = ref MemoryMarshal.GetReference(x);
            for (; i <= x.Length - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref r, (nuint)i);
                var (lo, hi) = Vector256.Widen(v);
                acc0 += lo;
                acc1 += hi;
            }
            total = Vector256.Sum(acc0 + acc1);
        }
        for (; i < x.Length; i++) total += x[i];
        return total;
    }

    /// <summary>Σ max(x, 0) in float64 (the positive part only; NaN lanes are dropped). Empty input gives 0.</summary>
    public static double SumPositiveAsDouble(ReadOnlySpan<float> x)
    {
        int i = 0;
        double total = 0;
        if (Vector256.IsHardwareAccelerated && x.Length >= 16)
        {
            var acc0 = Vector256<double>.Zero;
            var acc1 = Vector256<double>.Zero;
            ref float r = ref MemoryMarshal.GetReference(x);
            for (; i <= x.Length - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref r, (nuint)i);
                v = Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero), v, Vector256<float>.Zero);
                var (lo, hi) = Vector256.Widen(v);
                acc0 += lo;
                acc1 += hi;
            }
            total = Vector256.Sum(acc0 + acc1);
        }
        for (; i < x.Length; i++) if (x[i] > 0) total += x[i];
        return total;
    }

    /// <summary>Σ (x − c)² in float64.</summary>
    public static double SumSquaredDeviations(ReadOnlySpan<float> x, double c)
    {
        int i = 0;
        double total = 0;
        if (Vector256.IsHardwareAccelerated && x.Length >= 16)
        {
            var acc0 = Vector256<double>.Zero;
            var acc1 = Vector256<double>.Zero;
            var cv = Vector256.Create(c);
            ref float r = ref MemoryMarshal.GetReference(x);
            for (; i <= x.Length - 8; i += 8)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref r, (nuint)i));
                lo -= cv;
                hi -= cv;
                acc0 += lo * lo;
                acc1 += hi * hi;
            }
            total = Vector256.Sum(acc0 + acc1);
        }
        for (; i < x.Length; i++)
        {
            double d = x[i] - c;
            total += d * d;
        }
        return total;
    }

    /// <summary>
    /// Sums of x over the mask (mask byte ≠ 0) and over everything, in float64, in one pass.
    /// When <paramref name="applyThreshold"/> is set, only values above <paramref name="keepAbove"/> enter either sum; this fuses SemScore's soft threshold.
    /// </summary>
    public static (double Inside, double Total) MaskedSums(ReadOnlySpan<float> x, ReadOnlySpan<byte> mask, float keepAbove, bool applyThreshold)
    {
        double inside = 0, total = 0;
        int i = 0;
        if (Vector256.IsHardwareAccelerated && x.Length >= 16)
        {
            var inAcc = Vector256<double>.Zero;
            var totAcc = Vector256<double>.Zero;
            var thr = Vector256.Create(keepAbove);
            ref float rx = ref MemoryMarshal.GetReference(x);
            ref byte rm = ref MemoryMarshal.GetReference(mask);
            for (; i <= x.Length - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref rx, (nuint)i);
                if (applyThreshold) v = Vector256.ConditionalSelect(Vector256.GreaterThan(v, thr), v, Vector256<float>.Zero);
                var m = MaskAsFloatSelect(ref rm, i);
                var vin = v & m;
                var (lo, hi) = Vector256.Widen(v);
                var (ilo, ihi) = Vector256.Widen(vin);
                totAcc += lo + hi;
                inAcc += ilo + ihi;
            }
            inside = Vector256.Sum(inAcc);
            total = Vector256.Sum(totAcc);
        }
        for (; i < x.Length; i++)
        {
            float v = x[i];
            if (applyThreshold && !(v > keepAbove)) v = 0;
            total += v;
            if (mask[i] != 0) inside += v;
        }
        return (inside, total);
    }

    private const double UnitRoundoff = 1.1102230246251565e-16; // 2⁻⁵³
    private const double PlainSumTolerance = 9.094947017729282e-13; // 2⁻⁴⁰
    private const int SignedBlock = 256; // vector iterations (2,048 values) per block of the plain pass

    /// <summary>
    /// Σ_{mask} x, Σ x and Σ |x| in float64, for signed maps whose sums may cancel. A first, blocked pass sums
    /// plainly: no value goes through more than d = 256 + ⌈n/2048⌉ + 11 roundings (d = n without 256-bit vectors), so
    /// the error of either signed sum is at most γ_d·Σ|x| (γ_d = d·2⁻⁵³/(1 − d·2⁻⁵³)); when that is at most 2⁻⁴⁰·|Σx|
    /// (non-negative maps up to about 16 million values; signed maps whose total is not much smaller than Σ|x|) the plain sums are returned, Σx to
    /// 2⁻⁴⁰ relative and Σ_{mask} x to 2⁻⁴⁰·|Σx|. Otherwise a second pass recomputes the two signed sums compensated
    /// (Knuth's TwoSum error terms accumulated alongside each float64 lane and added at the end, as in Ogita, Rump and
    /// Oishi's Sum2): as accurate as a sum in twice the float64 precision rounded once, an error of at most
    /// 2⁻⁵³·|Σ| + γₙ²·Σ|x|. Either way the error is far below the 2⁻²³·Σ|x| at which <c>AttributionMass</c> calls a
    /// total zero, and a map whose exact sum is 0 gives |Σx| ≤ γₙ²·Σ|x|. Σ|x| is a plain sum (no cancellation:
    /// relative error ≤ γ_d). Empty input gives zeros.
    /// </summary>
    public static (double Inside, double Total, double AbsTotal) MaskedSignedSums(ReadOnlySpan<float> x, ReadOnlySpan<byte> mask)
    {
        var (inside, total, abs) = MaskedSignedSumsPlain(x, mask);
        // Roundings per value: 1 (lo + hi) + 256 (block) + blocks + 3 (lanes) + 7 (tail); a scalar machine sums in order.
        double d = Vector256.IsHardwareAccelerated ? SignedBlock + (x.Length + 8 * SignedBlock - 1) / (8 * SignedBlock) + 11 : x.Length;
        double du = d * UnitRoundoff;
        if (du / (1 - du) * abs <= PlainSumTolerance * Math.Abs(total)) return (inside, total, abs);
        var (ci, ct) = MaskedSignedSumsCompensated(x, mask);
        return (ci, ct, abs);
    }

    private static (double Inside, double Total, double AbsTotal) MaskedSignedSumsPlain(ReadOnlySpan<float> x, ReadOnlySpan<byte> mask)
    {
        double inside = 0, total = 0, abs = 0;
        int i = 0;
        if (Vector256.IsHardwareAccelerated && x.Length >= 16)
        {
            var inAcc = Vector256<double>.Zero;
            var totAcc = Vector256<double>.Zero;
            var absAcc = Vector256<double>.Zero;
            ref float rx = ref MemoryMarshal.GetReference(x);
            ref byte rm = ref MemoryMarshal.GetReference(mask);
            while (i <= x.Length - 8)
            {
                // Blocks bound the number of roundings any value goes through (see MaskedSignedSums).
                var inBlock = Vector256<double>.Zero;
                var totBlock = Vector256<double>.Zero;
                var absBlock = Vector256<double>.Zero;
                int end = Math.Min(x.Length - 8, i + 8 * (SignedBlock - 1));
                for (; i <= end; i += 8)
                {
                    var v = Vector256.LoadUnsafe(ref rx, (nuint)i);
                    var vin = v & MaskAsFloatSelect(ref rm, i);
                    var (lo, hi) = Vector256.Widen(v);
                    var (ilo, ihi) = Vector256.Widen(vin);
                    totBlock += lo + hi;
                    inBlock += ilo + ihi;
                    absBlock += Vector256.Abs(lo) + Vector256.Abs(hi);
                }
                inAcc += inBlock;
                totAcc += totBlock;
                absAcc += absBlock;
            }
            inside = Vector256.Sum(inAcc);
            total = Vector256.Sum(totAcc);
            abs = Vector256.Sum(absAcc);
        }
        for (; i < x.Length; i++)
        {
            double v = x[i];
            total += v;
            abs += Math.Abs(v);
            if (mask[i] != 0) inside += v;
        }
        return (inside, total, abs);
    }

    private static (double Inside, double Total) MaskedSignedSumsCompensated(ReadOnlySpan<float> x, ReadOnlySpan<byte> mask)
    {
        double inS = 0, inC = 0, totS = 0, totC = 0;
        int i = 0;
        if (Vector256.IsHardwareAccelerated && x.Length >= 16)
        {
            // Separate accumulators for the low and high halves: four independent TwoSum chains.
            Vector256<double> tS0 = default, tC0 = default, tS1 = default, tC1 = default;
            Vector256<double> iS0 = default, iC0 = default, iS1 = default, iC1 = default;
            ref float rx = ref MemoryMarshal.GetReference(x);
            ref byte rm = ref MemoryMarshal.GetReference(mask);
            for (; i <= x.Length - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref rx, (nuint)i);
                var vin = v & MaskAsFloatSelect(ref rm, i);
                var (lo, hi) = Vector256.Widen(v);
                var (ilo, ihi) = Vector256.Widen(vin);
                TwoSumInto(ref tS0, ref tC0, lo);
                TwoSumInto(ref tS1, ref tC1, hi);
                TwoSumInto(ref iS0, ref iC0, ilo);
                TwoSumInto(ref iS1, ref iC1, ihi);
            }
            for (int lane = 0; lane < Vector256<double>.Count; lane++)
            {
                TwoSumInto(ref totS, ref totC, tS0[lane]);
                TwoSumInto(ref totS, ref totC, tS1[lane]);
                totC += tC0[lane] + tC1[lane];
                TwoSumInto(ref inS, ref inC, iS0[lane]);
                TwoSumInto(ref inS, ref inC, iS1[lane]);
                inC += iC0[lane] + iC1[lane];
            }
        }
        for (; i < x.Length; i++)
        {
            double v = x[i];
            TwoSumInto(ref totS, ref totC, v);
            if (mask[i] != 0) TwoSumInto(ref inS, ref inC, v);
        }
        return (inS + inC, totS + totC);
    }

    /// <summary>s ← fl(s + v); c += the exact rounding error of that addition (Knuth's TwoSum, branch-free).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TwoSumInto(ref Vector256<double> s, ref Vector256<double> c, Vector256<double> v)
    {
        var t = s + v;
        var z = t - s;
        c += (s - (t - z)) + (v - z);
        s = t;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TwoSumInto(ref double s, ref double c, double v)
    {
        double t = s + v;
        double z = t - s;
        c += (s - (t - z)) + (v - z);
        s = t;
    }

    /// <summary>Σ_{mask} |x| and Σ |x| in float64, one pass.</summary>
    public static (double Inside, double Total) MaskedAbsSums(ReadOnlySpan<float> x, ReadOnlySpan<byte> mask)
    {
        double inside = 0, total = 0;
        int i = 0;
        if (Vector256.IsHardwareAccelerated && x.Length >= 16)
        {
            var inAcc = Vector256<double>.Zero;
            var totAcc = Vector256<double>.Zero;
            ref float rx = ref MemoryMarshal.GetReference(x);
            ref byte rm = ref MemoryMarshal.GetReference(mask);
            for (; i <= x.Length - 8; i += 8)
            {
                var v = Vector256.Abs(Vector256.LoadUnsafe(ref rx, (nuint)i));
                var vin = v & MaskAsFloatSelect(ref rm, i);
                var (lo, hi) = Vector256.Widen(v);
                var (ilo, ihi) = Vector256.Widen(vin);
                totAcc += lo + hi;
                inAcc += ilo + ihi;
            }
            inside = Vector256.Sum(inAcc);
            total = Vector256.Sum(totAcc);
        }
        for (; i < x.Length; i++)
        {
            float v = Math.Abs(x[i]);
            total += v;
            if (mask[i] != 0) inside += v;
        }
        return (inside, total);
    }

    /// <summary>Counts of mask pixels and of pixels where both masks are set.</summary>
    public static (int Mask, int Both, int Other) OverlapCounts(ReadOnlySpan<byte> mask, ReadOnlySpan<byte> other)
    {
        // Masks hold 0/1, so sums are counts and the dot product is the intersection.
        int m = SumBytes(mask);
        int o = SumBytes(other);
        int both = 0;
        int i = 0;
        if (Vector256.IsHardwareAccelerated && mask.Length >= 32)
        {
            ref byte ra = ref MemoryMarshal.GetReference(mask);
            ref byte rb = ref MemoryMarshal.GetReference(other);
            var acc = Vector256<uint>.Zero;
            for (; i <= mask.Length - 32; i += 32)
            {
                var a = Vector256.LoadUnsafe(ref ra, (nuint)i) & Vector256.LoadUnsafe(ref rb, (nuint)i);
                acc += SumBytesToUInt(a);
            }
            both = (int)Vector256.Sum(acc);
        }
        for (; i < mask.Length; i++) both += mask[i] & other[i];
        return (m, both, o);
    }

    /// <summary>Σ of a span of bytes (each 0..255).</summary>
    public static int SumBytes(ReadOnlySpan<byte> x)
    {
        int i = 0;
        long total = 0;
        if (Vector256.IsHardwareAccelerated && x.Length >= 32)
        {
            ref byte r = ref MemoryMarshal.GetReference(x);
            var acc = Vector256<uint>.Zero;
            for (; i <= x.Length - 32; i += 32) acc += SumBytesToUInt(Vector256.LoadUnsafe(ref r, (nuint)i));
            total = Vector256.Sum(acc);
        }
        for (; i < x.Length; i++) total += x[i];
        return checked((int)total);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> SumBytesToUInt(Vector256<byte> v)
    {
        var (lo, hi) = Vector256.Widen(v);
        var s = lo + hi;
        var (a, b) = Vector256.Widen(s);
        return a + b;
    }

    /// <summary>Loads 8 mask bytes and returns an all-ones float lane where the byte is non-zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> MaskAsFloatSelect(ref byte mask, int offset)
    {
        ulong eight = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref mask, offset));
        var bytes = Vector128.CreateScalar(eight).AsByte();
        if (Avx2.IsSupported)
        {
            // One vpmovzxbd instead of two widening steps and a combine.
            var zx = Avx2.ConvertToVector256Int32(bytes);
            return (~Vector256.Equals(zx, Vector256<int>.Zero)).AsSingle();
        }
        var (w16, _) = Vector128.Widen(bytes);
        var (w32lo, w32hi) = Vector128.Widen(w16);
        var ints = Vector256.Create(w32lo, w32hi).AsInt32();
        return (~Vector256.Equals(ints, Vector256<int>.Zero)).AsSingle();
    }

    /// <summary>True when every value is finite.</summary>
    public static bool AllFinite(ReadOnlySpan<float> x)
    {
        // x − x is 0 for finite values and NaN for NaN/±∞; summing the products is one vectorised pass.
        int i = 0;
        if (Vector256.IsHardwareAccelerated && x.Length >= 8)
        {
            ref float r = ref MemoryMarshal.GetReference(x);
            var acc = Vector256<float>.Zero;
            for (; i <= x.Length - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref r, (nuint)i);
                acc += v - v;
            }
            if (!Vector256.EqualsAll(acc, Vector256<float>.Zero)) return false;
        }
        for (; i < x.Length; i++) if (!float.IsFinite(x[i])) return false;
        return true;
    }

    /// <summary>True when every value is finite.</summary>
    public static bool AllFinite(ReadOnlySpan<double> x)
    {
        foreach (var v in x) if (!double.IsFinite(v)) return false;
        return true;
    }
}
