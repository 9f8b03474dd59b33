using Sightline.Numerics;

namespace Sightline.Metrics.Localisation;

/// <summary>
/// Relevance Mass Accuracy (Arras et al., "CLEVR-XAI", Information Fusion 2022; Quantus <c>RelevanceMassAccuracy</c>):
/// <c>RMA = Σ_{p∈S} a(p) / Σ_p a(p)</c> on the raw (signed) attribution, without ε. normalise_by_max cancels in the
/// ratio, so the map is not normalised. RMA(S) + RMA(¬S) = 1. Bounded by [0, 1] for non-negative maps; signed maps can
/// leave that range, as in the paper.
/// <para>
/// Zero total: the sums are accurate however much they cancel (<see cref="Kernels.MaskedSignedSums"/>: a plain float64
/// pass when its error bound proves 2⁻⁴⁰ accuracy, else a compensated one) and Σa counts as zero when
/// |Σa| ≤ 2⁻²³·Σ|a| (<see cref="AttributionMass"/>): a signed map whose positive and negative parts cancel (exactly,
/// or to within float32 resolution) is NaN (<c>empty-saliency</c>), never the ±1e17 quotient of a rounding residual.
/// A defined score is within 2⁻⁴⁰·(1 + |RMA|) of the exact ratio and has |RMA| ≤ Σ_{p∈S}|a(p)| / |Σa| &lt; 2²³.
/// Empty S → NaN (<c>empty-mask</c>).
/// </para>
/// </summary>
[Metric("relevance_mass_accuracy", MetricFamily.Localisation, ScoreDirection.HigherIsBetter, Order = 12,
    Needs = MetricNeeds.Masks,
    Summary = "Share of the attribution mass inside the mask",
    Citation = "Arras et al., CLEVR-XAI, Information Fusion 2022")]
public sealed class RelevanceMassAccuracy : IMapMaskMetric
{
    /// <summary>Registry factory.</summary>
    public static IMapMaskMetric Create(LocalisationSettings s) => new RelevanceMassAccuracy();

    /// <inheritdoc/>
    public Score Evaluate(in MapMaskSample sample)
    {
        if (sample.Mask.IndexOfAnyExcept((byte)0) < 0) return Score.Undefined(Reasons.EmptyMask);
        var (inside, total, absTotal) = Kernels.MaskedSignedSums(sample.Map, sample.Mask);
        return AttributionMass.IsZero(total, absTotal) ? Score.Undefined(Reasons.EmptySaliency) : new Score(inside / total);
    }
}
