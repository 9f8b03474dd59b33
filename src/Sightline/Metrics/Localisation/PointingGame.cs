using System.Numerics.Tensors;
using Sightline.Numerics;

namespace Sightline.Metrics.Localisation;

/// <summary>
/// Pointing Game (Zhang et al., "Top-down Neural Attention by Excitation Backprop", IJCV 2018; Explanation
/// Alignment's EA_PG): p* = the first maximum of the continuous map in row-major order (−0 equals +0, as in NumPy); the score is 1 when some mask
/// pixel q has ‖q − p*‖₂ ≤ r (r = tolerance in pixels, 0 = p* itself in the mask), else 0. With the tie rule
/// <c>any</c> (<see cref="LocalisationSettings.PointingTieAny"/>, Quantus' rule) every maximum tied with p* (equal
/// value) may score the hit. An empty mask → NaN (<c>empty-mask</c>), never a hit (unlike the reference's defect #2).
/// A constant map (every pixel equal, e.g. a Grad-CAM map that is all zero) has no maximum → NaN (<c>constant-map</c>);
/// the EA reference would point at pixel (0,0) and count a hit whenever the mask covers that corner.
/// </summary>
/// <param name="tolerance">Tolerance radius in pixels (≥ 0).</param>
/// <param name="tieAny">False: only the first maximum counts (default). True: any tied maximum may hit (Quantus).</param>
[Metric("pointing_game", MetricFamily.Localisation, ScoreDirection.HigherIsBetter, Order = 6,
    Needs = MetricNeeds.Masks,
    Summary = "1 when the map's first maximum lies in (or within --pg-tolerance of) the mask",
    Citation = "Zhang et al., Excitation Backprop, IJCV 2018")]
public sealed class PointingGame(double tolerance, bool tieAny = false) : IMapMaskMetric
{
    /// <summary>Registry factory.</summary>
    public static IMapMaskMetric Create(LocalisationSettings s) => new PointingGame(s.PointingTolerance, s.PointingTieAny);

    /// <summary>Tolerance radius in pixels.</summary>
    public double Tolerance { get; } = tolerance >= 0 ? tolerance : throw new ArgumentOutOfRangeException(nameof(tolerance), "Pointing Game tolerance must be ≥ 0 pixels.");

    /// <summary>True when any maximum tied with the first one may score the hit (Quantus' rule).</summary>
    public bool TieAny { get; } = tieAny;

    /// <inheritdoc/>
    public Score Evaluate(in MapMaskSample sample)
    {
        if (sample.Mask.IndexOfAnyExcept((byte)0) < 0) return Score.Undefined(Reasons.EmptyMask);
        var map = sample.Map;
        int peak = FirstMaximum(map);
        if (map.IndexOfAnyExcept(map[peak]) < 0) return Score.Undefined(Reasons.ConstantMap);
        if (Hit(sample.Mask, sample.Height, sample.Width, peak, Tolerance)) return new Score(1);
        if (TieAny)
        {
            float max = map[peak];
            for (int p = peak + 1; p < map.Length; p++)
            {
                if (map[p] == max && Hit(sample.Mask, sample.Height, sample.Width, p, Tolerance)) return new Score(1);
            }
        }
        return new Score(0);
    }

    /// <summary>
    /// Index of the first maximum in row-major order, with −0 and +0 equal (NumPy's argmax; TensorPrimitives ranks +0
    /// above −0). Only a zero maximum can be affected, so the extra scan runs only then. Empty → −1.
    /// </summary>
    public static int FirstMaximum(ReadOnlySpan<float> map)
    {
        int peak = TensorPrimitives.IndexOfMax(map);
        if (peak > 0 && map[peak] == 0f)
        {
            for (int p = 0; p < peak; p++)
                if (map[p] == 0f) return p;
        }
        return peak;
    }

    /// <summary>True when a mask pixel lies within <paramref name="radius"/> (Euclidean, pixel centres) of <paramref name="index"/>.</summary>
    public static bool Hit(ReadOnlySpan<byte> mask, int height, int width, int index, double radius)
    {
        if (mask[index] != 0) return true;
        if (radius <= 0) return false;
        int py = index / width, px = index % width;
        int r = (int)Math.Floor(radius);
        double r2 = radius * radius;
        for (int y = Math.Max(0, py - r); y <= Math.Min(height - 1, py + r); y++)
        {
            int dy = y - py;
            int dxMax = (int)Math.Floor(Math.Sqrt(Math.Max(0, r2 - (double)dy * dy)));
            int x0 = Math.Max(0, px - dxMax), x1 = Math.Min(width - 1, px + dxMax);
            if (mask.Slice(y * width + x0, x1 - x0 + 1).IndexOfAnyExcept((byte)0) >= 0) return true;
        }
        return false;
    }
}

/// <summary>
/// Energy-based Pointing Game (Wang et al., "Score-CAM", CVPR Workshops 2020): the share of positive saliency inside
/// the mask, Σ_{p∈G} max(s,0) / Σ_p max(s,0). No positive saliency → NaN (<c>empty-saliency</c>); empty mask → NaN (<c>empty-mask</c>).
/// Σ max(s,0) is a sum of non-negative terms, so it is zero exactly when every term is 0 (the <see cref="AttributionMass"/> rule reduces to that; float64 sums of float32 values cannot cancel or underflow, so the test is exact). A defined score lies in [0, 1].
/// </summary>
[Metric("energy_pointing_game", MetricFamily.Localisation, ScoreDirection.HigherIsBetter, Order = 7,
    Needs = MetricNeeds.Masks,
    Summary = "Share of positive saliency inside the mask", Citation = "Wang et al., Score-CAM, CVPR Workshops 2020")]
public sealed class EnergyPointingGame : IMapMaskMetric
{
    /// <summary>Registry factory.</summary>
    public static IMapMaskMetric Create(LocalisationSettings s) => new EnergyPointingGame();

    /// <inheritdoc/>
    public Score Evaluate(in MapMaskSample sample)
    {
        if (sample.Mask.IndexOfAnyExcept((byte)0) < 0) return Score.Undefined(Reasons.EmptyMask);
        var (inside, total) = Kernels.MaskedSums(sample.Map, sample.Mask, 0f, applyThreshold: true);
        return AttributionMass.IsZero(total, total) ? Score.Undefined(Reasons.EmptySaliency) : new Score(inside / total);
    }
}
