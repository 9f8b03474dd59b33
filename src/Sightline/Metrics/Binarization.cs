using System.Globalization;

namespace Sightline.Metrics;

/// <summary>How a continuous map is turned into a binary saliency mask.</summary>
public enum BinarizationKind
{
    /// <summary>n ≥ mean(n) + K·std(n) (population std).</summary>
    Std,
    /// <summary>n ≥ the P-quantile of n, linear interpolation at P·(N−1).</summary>
    Percentile,
    /// <summary>n ≥ T.</summary>
    Threshold,
}

/// <summary>
/// Shared Interest binarisation (Boggust et al., CHI 2022; mitvis/shared-interest): the map is min–max normalised
/// per sample, n = (x − min)/(max − min), in float64, and a pixel is salient when n ≥ t, where t depends on the
/// rule. A constant map has no defined n (0/0) and binarises to an empty mask, as in the library.
/// </summary>
/// <param name="Kind">The rule.</param>
/// <param name="Value">K for std, P ∈ [0,1] for percentile, T for threshold.</param>
public sealed record Binarization(BinarizationKind Kind, double Value)
{
    /// <summary>mean + k·std rule.</summary>
    public static Binarization Std(double k) => new(BinarizationKind.Std, k);

    /// <summary>Percentile rule, p in [0,1].</summary>
    public static Binarization Percentile(double p) => new(BinarizationKind.Percentile, p);

    /// <summary>Fixed threshold on the normalised map.</summary>
    public static Binarization Threshold(double t) => new(BinarizationKind.Threshold, t);

    /// <summary>
    /// Parses <c>std:K</c>, <c>percentile:P</c> or <c>threshold:T</c>. P is always a fraction in [0,1], as in Shared
    /// Interest's <c>binarize_percentile(p)</c> (threshold = the 100p-th percentile): <c>percentile:0.9</c> keeps about
    /// the top 10%, <c>percentile:1</c> only the maximum. Percent values (P &gt; 1) are rejected rather than guessed.
    /// </summary>
    /// <exception cref="InputDataException">The text is not one of the three forms, or P lies outside [0,1].</exception>
    public static Binarization Parse(string text)
    {
        var parts = text.Split(':', 2);
        if (parts.Length != 2 || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
            throw new InputDataException($"Binarisation '{text}' is not one of std:K, percentile:P, threshold:T (for example std:1).");
        switch (parts[0].Trim().ToLowerInvariant())
        {
            case "std": return Std(v);
            case "percentile":
                if (v < 0 || v > 1)
                    throw new InputDataException($"percentile:P takes a fraction P in [0,1] (the P-quantile of the normalised map, e.g. percentile:0.9 keeps the top 10%); '{text}' is out of range.");
                return Percentile(v);
            case "threshold": return Threshold(v);
            default: throw new InputDataException($"Binarisation '{text}' has unknown rule '{parts[0]}'; use std, percentile or threshold.");
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Kind.ToString().ToLowerInvariant()}:{Value.ToString(CultureInfo.InvariantCulture)}";
}
