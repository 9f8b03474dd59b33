namespace Sightline.Metrics;

/// <summary>
/// The one rule by which every ratio metric decides that the attribution total it divides by is zero (and so scores
/// NaN with reason <c>empty-saliency</c> instead of a huge finite quotient of rounding noise):
/// <c>|Σ a| ≤ 2⁻²³ · Σ |a|</c>, i.e. the total is no larger than the float32 resolution of the values it sums
/// (2⁻²³ is float32's machine epsilon: rounding each float32 value moves the total by at most 2⁻²⁴·Σ|a|, so a map
/// whose values summed to exactly zero before being stored as float32 is still caught).
/// <para>
/// For a sum of non-negative terms (|a|, max(a, 0), a thresholded non-negative map) Σ|t| = Σ t and the rule is
/// exactly "every term is 0": float64 sums of float32 values cannot cancel or underflow, so that test is exact.
/// For signed sums the total must be computed accurately enough for the test to mean something:
/// <see cref="Numerics.Kernels.MaskedSignedSums"/> falls back to compensated summation whenever its plain float64 pass
/// cannot prove 2⁻⁴⁰ accuracy, so its error stays far below 2⁻²³·Σ|a|: a map whose exact sum is 0 is always caught,
/// and a defined ratio N/Σa is accurate to 2⁻⁴⁰·(1 + |N/Σa|) (about 1e-12). Because a defined total exceeds
/// 2⁻²³·Σ|a|, a defined ratio with |N| ≤ Σ|a| satisfies |N/Σa| &lt; 2²³.
/// </para>
/// </summary>
public static class AttributionMass
{
    /// <summary>The relative tolerance 2⁻²³ (float32 machine epsilon).</summary>
    public const double RelativeTolerance = 1.0 / (1 << 23);

    /// <summary>
    /// True when <paramref name="total"/> counts as zero against <paramref name="absoluteTotal"/> (Σ|a| of the same
    /// terms; pass the total itself for non-negative terms): |total| ≤ 2⁻²³·absoluteTotal, or either is NaN.
    /// </summary>
    public static bool IsZero(double total, double absoluteTotal) => !(Math.Abs(total) > RelativeTolerance * absoluteTotal);
}
