using Sightline.Numerics;

namespace Sightline.Metrics.Localisation;

/// <summary>
/// Relevance Rank Accuracy (Arras et al., "CLEVR-XAI: A Benchmark Dataset for the Ground Truth Evaluation of Neural
/// Network Explanations", Information Fusion 2022; Quantus <c>RelevanceRankAccuracy</c>): with K = |S| the size of
/// the ground truth, <c>RRA = |top_K(a) ∩ S| / K</c>, the share of the K highest-attributed pixels that lie in S.
/// top_K uses the stable order (descending value, ties by ascending flat index), not the reference's unstable argsort
/// (its defect #8); with it Quantus' half_in_gt_1d case, whose tied maxima straddle S, gives 0 (Quantus marks it xfail).
/// The order is invariant under normalise_by_max, so the map is not normalised. Empty S → NaN (<c>empty-mask</c>).
/// </summary>
[Metric("relevance_rank_accuracy", MetricFamily.Localisation, ScoreDirection.HigherIsBetter, Order = 11,
    Needs = MetricNeeds.Masks,
    Summary = "Share of the |mask| highest-attributed pixels inside the mask",
    Citation = "Arras et al., CLEVR-XAI, Information Fusion 2022")]
public sealed class RelevanceRankAccuracy : IMapMaskMetric
{
    /// <summary>Registry factory.</summary>
    public static IMapMaskMetric Create(LocalisationSettings s) => new RelevanceRankAccuracy();

    /// <inheritdoc/>
    public Score Evaluate(in MapMaskSample sample)
    {
        int maskCount = Kernels.SumBytes(sample.Mask);
        if (maskCount == 0) return Score.Undefined(Reasons.EmptyMask);
        var order = Ranking.DescendingOrder(sample.Map, sample.Workspace);
        int hits = TopKIntersection.CountInMask(order[..maskCount], sample.Mask);
        return new Score((double)hits / maskCount);
    }
}
