using System.Numerics.Tensors;
using Sightline.Numerics;

namespace Sightline.Metrics.Localisation;

/// <summary>
/// Attribution Localisation (Kohlbrenner et al., "Towards Best Practice in Explaining Neural Network Decisions with
/// LRP", IJCNN 2020; Quantus <c>AttributionLocalisation</c> with its default <c>abs=True</c>): the share of absolute
/// attribution inside the ground truth S, <c>μ = Σ_{p∈S} |a(p)| / (Σ_p |a(p)| + ε·max|a|)</c> with ε = 1e-9.
/// <para>
/// Quantus adds ε = 1e-9 to the denominator after its default <c>normalise_by_max</c> (a / max|a|). Scaling both sums
/// by max|a| instead gives the same value without normalising the map and keeps the score scale-free (a map of
/// values around 1e-12 scores like the same map around 1). No other normalisation is needed: a / max|a| cancels in
/// the ratio. With |a| the ratio cannot exceed 1, so Quantus' "NaN when μ &gt; 1" never triggers.
/// </para>
/// Empty S → NaN (<c>empty-mask</c>); Σ|a| = 0 → NaN (<c>empty-saliency</c>; Quantus returns 0 there). Σ|a| is a sum of non-negative terms, so it is zero exactly when every term is 0 (the <see cref="AttributionMass"/> rule reduces to that; float64 sums of float32 values cannot cancel or underflow, so the test is exact).
/// A defined score lies in [0, 1].
/// </summary>
[Metric("attribution_localisation", MetricFamily.Localisation, ScoreDirection.HigherIsBetter, Order = 8,
    Needs = MetricNeeds.Masks,
    Summary = "Share of absolute attribution inside the mask",
    Citation = "Kohlbrenner et al., Towards best practice in explaining neural network decisions with LRP, IJCNN 2020")]
public sealed class AttributionLocalisation : IMapMaskMetric
{
    /// <summary>The ε of the denominator, relative to max|a| (Quantus' 1e-9 on the max-normalised map).</summary>
    public const double Epsilon = 1e-9;

    /// <summary>Registry factory.</summary>
    public static IMapMaskMetric Create(LocalisationSettings s) => new AttributionLocalisation();

    /// <inheritdoc/>
    public Score Evaluate(in MapMaskSample sample) => Ratio(sample, out _);

    /// <summary>
    /// The unweighted ratio μ of one sample (see the type's summary); <paramref name="maskCount"/> receives |S| so
    /// the weighted variant does not count it again.
    /// </summary>
    public static Score Ratio(in MapMaskSample sample, out int maskCount)
    {
        maskCount = Kernels.SumBytes(sample.Mask);
        if (maskCount == 0) return Score.Undefined(Reasons.EmptyMask);
        var (inside, total) = Kernels.MaskedAbsSums(sample.Map, sample.Mask);
        if (AttributionMass.IsZero(total, total)) return Score.Undefined(Reasons.EmptySaliency);
        double scale = Math.Abs(TensorPrimitives.MaxMagnitude(sample.Map));
        return new Score(inside / (total + Epsilon * scale));
    }
}
