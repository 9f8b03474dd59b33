using System.Numerics.Tensors;
using Sightline.Numerics;

namespace Sightline.Metrics.Localisation;

/// <summary>Options of <see cref="SemanticSpuriosityScore"/>.</summary>
/// <param name="Threshold">τ; values ≤ τ are dropped (strict comparison). Null disables thresholding. Default 0.6.</param>
/// <param name="Hard">When true, values above τ become 1 (hard thresholding).</param>
/// <param name="ReferenceCompat">Reproduces the reference implementation's integer truncation of I and O and its float32 sums.</param>
public sealed record SssOptions(float? Threshold = 0.6f, bool Hard = false, bool ReferenceCompat = false);

/// <summary>
/// SemScore's Semantic Spuriosity Score (Leong et al., "SemScore", NeurIPS 2025 Workshop on Regulatable ML;
/// reference JovinLeong/SemScore): the share of the thresholded saliency mass outside the ground-truth region,
/// <c>SSS = O / T</c>, with S' the soft (S if S &gt; τ else 0) or hard ([S &gt; τ]) thresholded map,
/// I = Σ_{p∈R} S'(p), O = Σ_{p∉R} S'(p), T = Σ_p S'(p). 0 = all saliency on the object, 1 = all spurious.
/// In reference-compatibility mode, <c>SSS = 1 − ((trunc(I) − trunc(O))/T + 1)/2</c> with float32 sums and τ = 0
/// disabling the threshold. T = 0 gives NaN (<c>empty-saliency</c>); an empty mask is scored and flagged <c>empty-mask</c>.
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
        var (inside, outside, total) = Sums(sample.Map, sample.Mask);
        if (!(total != 0) || double.IsNaN(total)) return Score.Undefined(Reasons.EmptySaliency);
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
        var (inside, _, total) = Sums(sample.Map, sample.Mask);
        return total != 0 && !double.IsNaN(total) ? new Score(inside / total) : Score.Undefined(Reasons.EmptySaliency);
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

    private (double Inside, double Outside, double Total) Sums(ReadOnlySpan<float> map, ReadOnlySpan<byte> mask)
    {
        float? tau = Options.Threshold;
        if (Options.ReferenceCompat && tau == 0f) tau = null;
        if (Options.ReferenceCompat) return CompatSums(map, mask, tau);
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

    private (double, double, double) CompatSums(ReadOnlySpan<float> map, ReadOnlySpan<byte> mask, float? tau)
    {
        // The reference multiplies the float32 map by the mask and sums in float32 with NumPy's pairwise summation.
        var thresholded = new float[map.Length];
        for (int p = 0; p < map.Length; p++)
        {
            float v = map[p];
            if (tau is float t) v = Options.Hard ? (v > t ? 1f : 0f) : (v > t ? v : 0f);
            thresholded[p] = v;
        }
        var inside = new float[map.Length];
        var outside = new float[map.Length];
        for (int p = 0; p < map.Length; p++)
        {
            if (mask[p] != 0) inside[p] = thresholded[p];
            else outside[p] = thresholded[p];
        }
        return (NumpyPairwise.Sum(inside), NumpyPairwise.Sum(outside), NumpyPairwise.Sum(thresholded));
    }
}
