using Sightline.Numerics;

namespace Sightline.Metrics.Localisation;

/// <summary>
/// ROC AUC of the map against the mask (Fawcett, "An introduction to ROC analysis", Pattern Recognition Letters 2006;
/// Quantus <c>AUC</c>): the flattened map is the score and the mask the label. Tied scores form one diagonal ROC
/// segment (trapezoid rule), so <c>AUC = P(a_pos &gt; a_neg) + ½·P(a_pos = a_neg)</c>, the Mann–Whitney statistic with
/// average ranks. Computed in O(d) on the stable descending order (O(d log d) with the sort, shared through the
/// workspace) with integer counts: <c>AUC = Σ_groups Δfp·(tp_before + tp_after) / (2·|S|·|¬S|)</c>, exact up to the
/// final division. The order is invariant under normalise_by_max, so the map is not normalised.
/// AUC(S) + AUC(¬S) = 1. Empty S → NaN (<c>empty-mask</c>); S covering every pixel → NaN (<c>full-mask</c>).
/// </summary>
[Metric("auc", MetricFamily.Localisation, ScoreDirection.HigherIsBetter, Order = 13,
    Needs = MetricNeeds.Masks,
    Summary = "ROC AUC of the map as a pixel classifier of the mask",
    Citation = "Fawcett, An introduction to ROC analysis, Pattern Recognition Letters 2006")]
public sealed class Auc : IMapMaskMetric
{
    /// <summary>Registry factory.</summary>
    public static IMapMaskMetric Create(LocalisationSettings s) => new Auc();

    /// <inheritdoc/>
    public Score Evaluate(in MapMaskSample sample)
    {
        var map = sample.Map;
        var mask = sample.Mask;
        long positives = Kernels.SumBytes(mask);
        long negatives = map.Length - positives;
        if (positives == 0) return Score.Undefined(Reasons.EmptyMask);
        if (negatives == 0) return Score.Undefined(Reasons.FullMask);
        var order = Ranking.DescendingOrder(map, sample.Workspace);
        long tp = 0, fp = 0, twiceArea = 0;
        for (int i = 0; i < order.Length;)
        {
            float value = map[order[i]];
            long tpBefore = tp, fpBefore = fp;
            // One ROC point per distinct value: the tie group is one trapezoid. == groups −0 with +0, which the
            // order places next to each other.
            for (; i < order.Length && map[order[i]] == value; i++)
            {
                if (mask[order[i]] != 0) tp++;
                else fp++;
            }
            twiceArea += (fp - fpBefore) * (tp + tpBefore);
        }
        return new Score(twiceArea / (2.0 * positives * negatives));
    }
}
