using Sightline.Numerics;

namespace Sightline.Metrics.Localisation;

/// <summary>
/// Top-k Intersection (Theiner et al., "Interpretable Semantic Photo Geolocation", WACV 2022 (arXiv 2021); Quantus
/// <c>TopKIntersection</c>): <c>|top_k(a) ∩ S| / k</c>, the share of the k highest-attributed pixels that lie in the
/// ground truth S. With concept influence the score is multiplied by d/|S| (d = H·W), so 1 means "as good as chance".
/// <para>
/// top_k uses the stable order (descending value, ties by ascending flat index; <see cref="Ranking.DescendingStableOrder"/>),
/// not the reference's unstable argsort, whose tied pixels give implementation-dependent results (its defect #8).
/// The order is invariant under Quantus' normalise_by_max, so the map is not normalised.
/// </para>
/// Empty S → NaN (<c>empty-mask</c>). k &gt; d → NaN (<c>k-exceeds-size</c>): Quantus raises an error there, and
/// silently clamping k would change the meaning of the score.
/// </summary>
[Metric("top_k_intersection", MetricFamily.Localisation, ScoreDirection.HigherIsBetter, Order = 10,
    Needs = MetricNeeds.Masks,
    Summary = "Share of the k highest-attributed pixels inside the mask (--top-k)",
    Citation = "Theiner et al., Interpretable semantic photo geolocation, WACV 2022")]
public sealed class TopKIntersection : IMapMaskMetric
{
    /// <summary>Creates the metric; <paramref name="k"/> must be ≥ 1.</summary>
    /// <param name="k">Number of top pixels (Quantus default 1000).</param>
    /// <param name="conceptInfluence">Multiply by d/|S| (Theiner et al.'s concept influence).</param>
    public TopKIntersection(int k, bool conceptInfluence = false)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), $"top_k_intersection needs k ≥ 1 pixels, got {k}.");
        K = k;
        ConceptInfluence = conceptInfluence;
    }

    /// <summary>Registry factory (<see cref="LocalisationSettings.TopK"/>, <see cref="LocalisationSettings.ConceptInfluence"/>).</summary>
    public static IMapMaskMetric Create(LocalisationSettings s) => new TopKIntersection(s.TopK, s.ConceptInfluence);

    /// <summary>Number of top pixels.</summary>
    public int K { get; }

    /// <summary>Whether the score is multiplied by d/|S|.</summary>
    public bool ConceptInfluence { get; }

    /// <inheritdoc/>
    public Score Evaluate(in MapMaskSample sample)
    {
        int maskCount = Kernels.SumBytes(sample.Mask);
        if (maskCount == 0) return Score.Undefined(Reasons.EmptyMask);
        int d = sample.Map.Length;
        if (K > d) return Score.Undefined(Reasons.KExceedsSize);
        var order = Ranking.DescendingOrder(sample.Map, sample.Workspace);
        int hits = CountInMask(order[..K], sample.Mask);
        double score = (double)hits / K;
        if (ConceptInfluence) score *= (double)d / maskCount;
        return new Score(score);
    }

    /// <summary>How many of the pixel <paramref name="indices"/> lie in <paramref name="mask"/>.</summary>
    internal static int CountInMask(ReadOnlySpan<int> indices, ReadOnlySpan<byte> mask)
    {
        int hits = 0;
        foreach (int p in indices) if (mask[p] != 0) hits++;
        return hits;
    }
}
