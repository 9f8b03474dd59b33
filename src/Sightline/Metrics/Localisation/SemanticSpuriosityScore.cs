using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Sightline.Numerics;

namespace Sightline.Metrics.Localisation;

/// <summary>Options of <see cref="SemanticSpuriosityScore"/>.</summary>
/// <param name="Threshold">τ; values ≤ τ are dropped (strict comparison). Null disables thresholding. Default 0.6.</param>
/// <param name="Hard">When true, values above τ become 1 (hard thresholding).</param>
/// <param name="ReferenceCompat">
/// Reproduces the reference implementation bit for bit: its integer truncation of I and O, τ = 0 disabling the
/// threshold, and its float32 sums in NumPy's order (<c>np.sum</c> of the boolean-indexed in-mask and out-of-mask
/// value lists and of the whole map; see <see cref="NumpyPairwise.ReduceSum"/>).
/// </param>
public sealed record SssOptions(float? Threshold = 0.6f, bool Hard = false, bool ReferenceCompat = false);

/// <summary>
/// SemScore's Semantic Spuriosity Score (Leong et al., "SemScore", NeurIPS 2025 Workshop on Regulatable ML;
/// reference JovinLeong/SemScore): the share of the thresholded saliency mass outside the ground-truth region,
/// <c>SSS = O / T</c>, with S' the soft (S if S &gt; τ else 0) or hard ([S &gt; τ]) thresholded map,
/// I = Σ_{p∈R} S'(p), O = Σ_{p∉R} S'(p), T = Σ_p S'(p). 0 = all saliency on the object, 1 = all spurious.
/// In reference-compatibility mode, <c>SSS = 1 − ((trunc(I) − trunc(O))/T + 1)/2</c> with τ = 0 disabling the
/// threshold and I, O, T the reference's float32 sums: <c>np.sum(S'[mask])</c>, <c>np.sum(S'[~mask])</c> (the
/// compacted row-major value lists) and <c>np.sum(S')</c>, each in NumPy's chunked pairwise order
/// (<see cref="NumpyPairwise.ReduceSum"/>; hard thresholding gives an integer map there, so exact counts). Verified
/// bit for bit against the reference formula run by NumPy 1.24 on 28×28 and 224×224 maps with values tied at τ.
/// T = 0 gives NaN (<c>empty-saliency</c>); an empty mask is scored and flagged <c>empty-mask</c>.
/// T sums non-negative values only (negative survivors are rejected first, below), so it is zero exactly when every
/// kept value is 0 (the <see cref="AttributionMass"/> rule reduces to that; the float64 and float32 sums of
/// non-negative values cannot cancel or underflow, so the test is exact). A defined exact score lies in [0, 1] (I ≤ T:
/// both are monotone float64 sums over the same lanes); the compat score can leave [0, 1] by float32 rounding, as the
/// reference's "-0.0000" entries do, because its I and T are summed in different orders.
/// Saliency is expected to be non-negative (CAMs are ReLU'd): when negative values survive thresholding (no τ, or a
/// negative soft τ), O/T is no longer a share in [0,1], so the score is NaN (<c>negative-saliency</c>).
/// </summary>
[Metric("sss", MetricFamily.Localisation, ScoreDirection.LowerIsBetter, Order = 1,
    Needs = MetricNeeds.Masks,
    Summary = "Semantic Spuriosity Score: share of thresholded saliency outside the mask",
    Citation = "Leong et al., SemScore, NeurIPS 2025 Workshop on Regulatable ML")]
public sealed class SemanticSpuriosityScore(SssOptions options) : IMapMaskMetric
{
    /// <summary>The options in use.</summary>
    public SssOptions Options { get; } = options;

    /// <summary>Registry factory.</summary>
    public static IMapMaskMetric Create(LocalisationSettings s) => new SemanticSpuriosityScore(new SssOptions(s.SssThreshold, s.SssHard, s.SssCompat));

    /// <inheritdoc/>
    public Score Evaluate(in MapMaskSample sample)
    {
        if (HasNegativeSurvivors(sample.Map)) return Score.Undefined(Reasons.NegativeSaliency);
        var (inside, outside, total) = Sums(sample.Map, sample.Mask, sample.Workspace);
        if (AttributionMass.IsZero(total, total)) return Score.Undefined(Reasons.EmptySaliency);
        double sss;
        if (Options.ReferenceCompat)
        {
            double scoreRef = ((double)(long)Math.Truncate(inside) - (long)Math.Truncate(outside)) / total;
            sss = 1 - (scoreRef + 1) / 2;
        }
        else
        {
            sss = outside / total;
        }
        string? flag = Kernels.SumBytes(sample.Mask) == 0 ? Reasons.EmptyMask : null;
        return new Score(sss, flag);
    }

    /// <summary>Relevance I/T (the reference's <c>semantic_relevance_score</c>; 1 − SSS in exact arithmetic).</summary>
    public Score Relevance(in MapMaskSample sample)
    {
        if (HasNegativeSurvivors(sample.Map)) return Score.Undefined(Reasons.NegativeSaliency);
        var (inside, _, total) = Sums(sample.Map, sample.Mask, sample.Workspace);
        return AttributionMass.IsZero(total, total) ? Score.Undefined(Reasons.EmptySaliency) : new Score(inside / total);
    }

    /// <summary>
    /// Input validation (spec §9: negative saliency is not expected; validate the input): true when a negative value
    /// survives thresholding, i.e. with no threshold (or τ = 0 in compat mode) or a negative soft τ. Soft or hard
    /// τ ≥ 0 drops every negative value, so the formula is unchanged there and nothing is checked.
    /// </summary>
    private bool HasNegativeSurvivors(ReadOnlySpan<float> map)
    {
        float? tau = Options.Threshold;
        if (Options.ReferenceCompat && tau == 0f) tau = null;
        if (tau is null) return map.Length > 0 && TensorPrimitives.Min(map) < 0f;
        if (Options.Hard || tau.Value >= 0f) return false;
        foreach (float v in map)
            if (v < 0f && v > tau.Value) return true;
        return false;
    }

    private (double Inside, double Outside, double Total) Sums(ReadOnlySpan<float> map, ReadOnlySpan<byte> mask, SampleWorkspace? workspace)
    {
        float? tau = Options.Threshold;
        if (Options.ReferenceCompat && tau == 0f) tau = null;
        if (Options.ReferenceCompat) return CompatSums(map, mask, tau, workspace);
        if (tau is null)
        {
            var (i, t) = Kernels.MaskedSums(map, mask, 0, applyThreshold: false);
            return (i, t - i, t);
        }
        if (Options.Hard)
        {
            var count = 0;
            var inside = 0;
            for (int p = 0; p < map.Length; p++)
            {
                if (map[p] > tau.Value)
                {
                    count++;
                    inside += mask[p];
                }
            }
            return (inside, count - inside, count);
        }
        var (ins, tot) = Kernels.MaskedSums(map, mask, tau.Value, applyThreshold: true);
        // O is summed from T − I; both are float64 sums of float32 values, exact to ~1e-16 relative.
        return (ins, tot - ins, tot);
    }

    [ThreadStatic] private static float[]? _compatBuffer;

    /// <summary>Slots after each compacted list that the compaction may overwrite (it stores whole vectors).</summary>
    private const int Slack = 8;

    /// <summary>
    /// Left-packing permutations: row m (8 ints) lists the lanes whose bit is set in m, in ascending order, so
    /// <c>PermuteVar8x32(v, row m)</c> moves the lanes selected by m to the front, keeping their order.
    /// </summary>
    private static readonly int[] LeftPack = BuildLeftPack();

    private static int[] BuildLeftPack()
    {
        var table = new int[256 * 8];
        for (int m = 0; m < 256; m++)
        {
            int j = 0;
            for (int lane = 0; lane < 8; lane++)
                if ((m >> lane & 1) != 0) table[m * 8 + j++] = lane;
        }
        return table;
    }

    /// <summary>
    /// The reference's sums, in its float32 order: <c>np.sum(S'[mask])</c> and <c>np.sum(S'[~mask])</c> over the
    /// boolean-indexed (compacted, row-major) value lists and <c>np.sum(S')</c> over the whole map, each in NumPy's
    /// order (<see cref="NumpyPairwise.ReduceSum"/>). Hard thresholding gives an int64 map in the reference, so its
    /// sums are exact counts. Scratch: n + 16 floats, [inside values, slack | outside values, slack], from the
    /// sample's workspace or else a per-thread buffer, reused across maps; T is summed from the map with the
    /// threshold applied on the fly (<see cref="NumpyPairwise.ReduceSumAbove"/>).
    /// </summary>
    private (double, double, double) CompatSums(ReadOnlySpan<float> map, ReadOnlySpan<byte> mask, float? tau, SampleWorkspace? workspace)
    {
        int n = map.Length;
        if (tau is float ht && Options.Hard)
        {
            int count = 0, inside = 0;
            for (int p = 0; p < n; p++)
            {
                if (map[p] > ht)
                {
                    count++;
                    if (mask[p] != 0) inside++;
                }
            }
            return (inside, count - inside, count);
        }
        int k = n - mask.Count((byte)0);
        var buffer = workspace is not null
            ? workspace.FloatScratch(n + 2 * Slack)
            : (_compatBuffer is { } b && b.Length >= n + 2 * Slack ? b : (_compatBuffer = new float[n + 2 * Slack])).AsSpan(0, n + 2 * Slack);
        var ins = buffer[..(k + Slack)];
        var outs = buffer.Slice(k + Slack, n - k + Slack);
        CompactThresholded(map, mask, tau, ins, outs);
        float total = tau is float t ? NumpyPairwise.ReduceSumAbove(map, t) : NumpyPairwise.ReduceSum(map);
        return (NumpyPairwise.ReduceSum(ins[..k]), NumpyPairwise.ReduceSum(outs[..(n - k)]), total);
    }

    /// <summary>
    /// Writes the soft-thresholded values inside / outside the mask, in row-major order, into
    /// <paramref name="inside"/> / <paramref name="outside"/>, each at least <see cref="Slack"/> slots longer than its
    /// count. With AVX2 every 8 pixels are left-packed with one permutation per list (branch-free: whole vectors are
    /// stored and the write position advances by the number of lanes that belong); otherwise every value is written
    /// to both lists and only one position advances.
    /// </summary>
    private static void CompactThresholded(ReadOnlySpan<float> map, ReadOnlySpan<byte> mask, float? tau, Span<float> inside, Span<float> outside)
    {
        int n = map.Length, p = 0, i = 0, o = 0;
        bool threshold = tau.HasValue;
        float t = tau.GetValueOrDefault();
        if (Avx2.IsSupported)
        {
            var tv = Vector256.Create(t);
            ref float rm = ref MemoryMarshal.GetReference(map);
            ref byte rk = ref MemoryMarshal.GetReference(mask);
            ref float ri = ref MemoryMarshal.GetReference(inside);
            ref float ro = ref MemoryMarshal.GetReference(outside);
            ref int rp = ref MemoryMarshal.GetArrayDataReference(LeftPack);
            for (; p <= n - 8; p += 8)
            {
                var v = Vector256.LoadUnsafe(ref rm, (nuint)p);
                if (threshold) v = Vector256.ConditionalSelect(Vector256.GreaterThan(v, tv), v, Vector256<float>.Zero);
                var bytes = Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref rk, p))).AsByte();
                int m = (int)(~Vector128.Equals(bytes, Vector128<byte>.Zero).ExtractMostSignificantBits() & 0xFF);
                int count = BitOperations.PopCount((uint)m);
                Avx2.PermuteVar8x32(v, Vector256.LoadUnsafe(ref rp, (nuint)(m * 8))).StoreUnsafe(ref ri, (nuint)i);
                Avx2.PermuteVar8x32(v, Vector256.LoadUnsafe(ref rp, (nuint)((~m & 0xFF) * 8))).StoreUnsafe(ref ro, (nuint)o);
                i += count;
                o += 8 - count;
            }
        }
        for (; p < n; p++)
        {
            float x = map[p];
            if (threshold && !(x > t)) x = 0f;
            int m = mask[p] != 0 ? 1 : 0;
            inside[i] = x;
            outside[o] = x;
            i += m;
            o += 1 - m;
        }
    }
}
