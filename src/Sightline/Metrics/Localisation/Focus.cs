using System.Numerics.Tensors;
using Sightline.Numerics;

namespace Sightline.Metrics.Localisation;

/// <summary>
/// Focus (Arias-Duart et al., "Focus! Rating XAI Methods and Finding Biases", FUZZ-IEEE 2022; Quantus <c>Focus</c>):
/// on a 2×2 mosaic whose target-class images sit in some quadrants,
/// <c>Focus = Σ_{p ∈ target quadrants} a⁺(p) / (Σ_p a⁺(p) + ε·max|a|)</c>, a⁺ = max(a, 0), ε = 1e-9.
/// <para>
/// Quadrants split the rows at ⌊H/2⌋ and the columns at ⌊W/2⌋ (odd sizes: the first half gets the floor, as Quantus'
/// <c>a[:, :int(H/2), :int(W/2)]</c>), listed row-major TL, TR, BL, BR. <see cref="Evaluate(in MapMaskSample)"/> takes
/// the target quadrants from the mask: a quadrant is a target when at least half of its pixels are in the mask
/// (2·|S ∩ Q| ≥ |Q| &gt; 0). Callers that know the mosaic layout use the static
/// <see cref="Evaluate(ReadOnlySpan{float}, int, int, bool, bool, bool, bool)"/>.
/// </para>
/// <para>
/// Quantus adds ε = 1e-9 after its default normalise_by_max (a / max|a|); scaling ε by max|a| gives the same value
/// without normalising and keeps the score scale-free. No other normalisation is needed.
/// </para>
/// Empty mask → NaN (<c>empty-mask</c>); a non-empty mask that makes no quadrant a target → NaN
/// (<c>no-target-quadrant</c>); Σ a⁺ = 0 → NaN (<c>empty-saliency</c>). Σ a⁺ is a sum of non-negative terms, so it is zero exactly when every term is 0 (the <see cref="AttributionMass"/> rule reduces to that; float64 sums of float32 values cannot cancel or underflow, so the test is exact).
/// A defined score lies in [0, 1].
/// Only meaningful on mosaics, hence <see cref="MetricAttribute.NeedsExtraInputs"/>.
/// </summary>
[Metric("focus", MetricFamily.Localisation, ScoreDirection.HigherIsBetter, Order = 14,
    Needs = MetricNeeds.Masks,
    Summary = "Share of positive attribution in the mosaic's target quadrants (mask covers ≥ half a quadrant)",
    Citation = "Arias-Duart et al., Focus! Rating XAI methods and finding biases, FUZZ-IEEE 2022",
    NeedsExtraInputs = true)]
public sealed class Focus : IMapMaskMetric
{
    /// <summary>The ε of the denominator, relative to max|a| (Quantus' 1e-9 on the max-normalised map).</summary>
    public const double Epsilon = 1e-9;

    /// <summary>Registry factory.</summary>
    public static IMapMaskMetric Create(LocalisationSettings s) => new Focus();

    /// <inheritdoc/>
    public Score Evaluate(in MapMaskSample sample)
    {
        int h = sample.Height, w = sample.Width, h2 = h / 2, w2 = w / 2;
        Span<int> inMask = stackalloc int[4];
        var mask = sample.Mask;
        for (int r = 0; r < h; r++)
        {
            int q = r < h2 ? 0 : 2;
            var row = mask.Slice(r * w, w);
            inMask[q] += Kernels.SumBytes(row[..w2]);
            inMask[q + 1] += Kernels.SumBytes(row[w2..]);
        }
        if (inMask[0] + inMask[1] + inMask[2] + inMask[3] == 0) return Score.Undefined(Reasons.EmptyMask);
        Span<bool> targets = stackalloc bool[4];
        for (int q = 0; q < 4; q++)
        {
            long area = (long)(q < 2 ? h2 : h - h2) * (q % 2 == 0 ? w2 : w - w2);
            targets[q] = area > 0 && 2L * inMask[q] >= area;
        }
        return Evaluate(sample.Map, h, w, targets[0], targets[1], targets[2], targets[3]);
    }

    /// <summary>
    /// Focus of a row-major <paramref name="height"/>×<paramref name="width"/> map with explicit target quadrants
    /// (Quantus' custom 4-tuple, row-major TL, TR, BL, BR).
    /// </summary>
    /// <exception cref="ArgumentException">The map does not hold height×width values.</exception>
    public static Score Evaluate(ReadOnlySpan<float> map, int height, int width, bool topLeft, bool topRight, bool bottomLeft, bool bottomRight)
    {
        if (height <= 0 || width <= 0 || map.Length != (long)height * width)
            throw new ArgumentException($"Focus: the map has {map.Length} values, expected {height}×{width}.", nameof(map));
        if (!(topLeft || topRight || bottomLeft || bottomRight)) return Score.Undefined(Reasons.NoTargetQuadrant);
        int h2 = height / 2, w2 = width / 2;
        double tl = 0, tr = 0, bl = 0, br = 0;
        for (int r = 0; r < height; r++)
        {
            var row = map.Slice(r * width, width);
            double left = Kernels.SumPositiveAsDouble(row[..w2]);
            double right = Kernels.SumPositiveAsDouble(row[w2..]);
            if (r < h2)
            {
                tl += left;
                tr += right;
            }
            else
            {
                bl += left;
                br += right;
            }
        }
        double total = tl + tr + bl + br;
        if (AttributionMass.IsZero(total, total)) return Score.Undefined(Reasons.EmptySaliency);
        double target = (topLeft ? tl : 0) + (topRight ? tr : 0) + (bottomLeft ? bl : 0) + (bottomRight ? br : 0);
        double scale = Math.Abs(TensorPrimitives.MaxMagnitude(map));
        return new Score(target / (total + Epsilon * scale));
    }
}
