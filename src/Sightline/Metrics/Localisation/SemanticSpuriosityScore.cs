using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
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
[Metric("sss", MetricFamily.Localisation, ScoreDirection.LowerIsBetter,
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

    /// <summary>
    /// The reference's sums, in its float32 order: <c>np.sum(S'[mask])</c> and <c>np.sum(S'[~mask])</c> over the
    /// boolean-indexed (compacted, row-major) value lists and <c>np.sum(S')</c> over the whole map, each in NumPy's
    /// order (<see cref="NumpyPairwise.ReduceSum"/>). Hard thresholding gives an int64 map in the reference, so its
    /// sums are exact counts. Scratch: 2n + 2 floats, [S' | inside values, slack | outside values, slack], from the
    /// sample's workspace or else a per-thread buffer, reused across maps.
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
            ? workspace.FloatScratch(2 * n + 2)
            : (_compatBuffer is { } b && b.Length >= 2 * n + 2 ? b : (_compatBuffer = new float[2 * n + 2])).AsSpan(0, 2 * n + 2);
        var full = buffer[..n];
        var ins = buffer.Slice(n, k + 1);
        var outs = buffer.Slice(n + k + 1, n - k + 1);
        CompactThresholded(map, mask, tau, full, ins, outs);
        float total = NumpyPairwise.ReduceSum(tau is null ? map : full);
        return (NumpyPairwise.ReduceSum(ins[..k]), NumpyPairwise.ReduceSum(outs[..(n - k)]), total);
    }

    /// <summary>
    /// Writes the soft-thresholded map into <paramref name="full"/> (when <paramref name="tau"/> is set) and its values
    /// inside / outside the mask, in row-major order, into <paramref name="inside"/> / <paramref name="outside"/>
    /// (each one slot longer than its count: the branch-free scalar path writes every value to both lists and
    /// advances only one, so the last write may land in the slack slot). Runs of 8 pixels that are all inside or all
    /// outside (most of a blob mask) are stored as one vector.
    /// </summary>
    private static void CompactThresholded(ReadOnlySpan<float> map, ReadOnlySpan<byte> mask, float? tau, Span<float> full, Span<float> inside, Span<float> outside)
    {
        int n = map.Length, p = 0, i = 0, o = 0;
        bool threshold = tau.HasValue;
        float t = tau.GetValueOrDefault();
        if (Vector256.IsHardwareAccelerated)
        {
            var tv = Vector256.Create(t);
            ref float rm = ref MemoryMarshal.GetReference(map);
            ref byte rk = ref MemoryMarshal.GetReference(mask);
            for (; p <= n - 8; p += 8)
            {
                var v = Vector256.LoadUnsafe(ref rm, (nuint)p);
                if (threshold)
                {
                    v = Vector256.ConditionalSelect(Vector256.GreaterThan(v, tv), v, Vector256<float>.Zero);
                    v.StoreUnsafe(ref MemoryMarshal.GetReference(full), (nuint)p);
                }
                ulong eight = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref rk, p));
                if (eight == 0)
                {
                    v.StoreUnsafe(ref MemoryMarshal.GetReference(outside), (nuint)o);
                    o += 8;
                }
                else if (((eight - 0x0101010101010101UL) & ~eight & 0x8080808080808080UL) == 0)
                {
                    // No zero byte: all 8 pixels are inside.
                    v.StoreUnsafe(ref MemoryMarshal.GetReference(inside), (nuint)i);
                    i += 8;
                }
                else
                {
                    for (int j = 0; j < 8; j++)
                    {
                        float x = v[j];
                        int m = mask[p + j] != 0 ? 1 : 0;
                        inside[i] = x;
                        outside[o] = x;
                        i += m;
                        o += 1 - m;
                    }
                }
            }
        }
        for (; p < n; p++)
        {
            float x = map[p];
            if (threshold && !(x > t)) x = 0f;
            if (threshold) full[p] = x;
            int m = mask[p] != 0 ? 1 : 0;
            inside[i] = x;
            outside[o] = x;
            i += m;
            o += 1 - m;
        }
    }
}
