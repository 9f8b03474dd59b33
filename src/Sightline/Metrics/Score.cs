namespace Sightline.Metrics;

/// <summary>
/// One metric value for one sample. Undefined scores are <see cref="double.NaN"/> with a machine-readable
/// <see cref="Reason"/> (for example <c>empty-mask</c>, <c>empty-saliency</c>, <c>non-finite-map</c>) instead of an exception.
/// A defined score may still carry a reason as a flag (SemScore flags <c>empty-mask</c> but still scores it).
/// </summary>
/// <param name="Value">The score, or NaN when undefined.</param>
/// <param name="Reason">Why the score is undefined or flagged; null when there is nothing to report.</param>
public readonly record struct Score(double Value, string? Reason = null)
{
    /// <summary>An undefined score with its reason.</summary>
    public static Score Undefined(string reason) => new(double.NaN, reason);

    /// <summary>True when the value is a number.</summary>
    public bool IsDefined => !double.IsNaN(Value);
}

/// <summary>Reasons used across metrics, so result columns use one vocabulary.</summary>
public static class Reasons
{
    /// <summary>The ground-truth mask has no pixel.</summary>
    public const string EmptyMask = "empty-mask";
    /// <summary>The (thresholded or binarised) saliency has no mass or no pixel.</summary>
    public const string EmptySaliency = "empty-saliency";
    /// <summary>The map holds NaN or infinity.</summary>
    public const string NonFiniteMap = "non-finite-map";
    /// <summary>Both the mask and the binarised saliency are empty.</summary>
    public const string EmptyBoth = "empty-mask-and-saliency";
    /// <summary>The ground-truth mask covers every pixel, so a score that contrasts inside with outside (ROC AUC) is undefined.</summary>
    public const string FullMask = "full-mask";
    /// <summary>Focus: the mask is non-empty but covers no quadrant of the 2×2 mosaic by at least half.</summary>
    public const string NoTargetQuadrant = "no-target-quadrant";
    /// <summary>SemScore: negative values survive thresholding (τ = none or a negative soft τ), so O/T is not a share.</summary>
    public const string NegativeSaliency = "negative-saliency";
    /// <summary>A top-k metric was asked for more pixels than the map has (k &gt; H·W).</summary>
    public const string KExceedsSize = "k-exceeds-size";
    /// <summary>Every pixel of the map has the same value, so it has no maximum to point with.</summary>
    public const string ConstantMap = "constant-map";
    /// <summary>A perturbation changed the predicted class and the metric was asked to give NaN then (return_nan_when_prediction_changes).</summary>
    public const string PredictionChanged = "prediction-changed";
    /// <summary>Every perturbed copy changed the predicted class, so a stability maximum over unchanged draws is undefined.</summary>
    public const string AllDrawsFlipped = "all-draws-flipped";
    /// <summary>Consistency: no other sample of the batch has the same discretised explanation.</summary>
    public const string NoPeers = "no-peers";
    /// <summary>No perturbation changes the input (a constant image under translation).</summary>
    public const string UnchangedInput = "unchanged-input";
    /// <summary>The model gave a non-finite output (NaN or infinity) on the input or a perturbed copy of it.</summary>
    public const string NonFiniteOutput = "non-finite-output";
    /// <summary>A correlation is undefined because one of its vectors is constant (or has fewer than two points).</summary>
    public const string UndefinedCorrelation = "undefined-correlation";
    /// <summary>The model's output for the unperturbed input is 0, so a ratio to it is undefined (IROF).</summary>
    public const string ZeroPrediction = "zero-prediction";
    /// <summary>Sufficiency: no other sample of the batch has an attribution within the threshold (score 0, as Quantus).</summary>
    public const string NoSimilarAttribution = "no-similar-attribution";
    /// <summary>The input holds NaN or infinity.</summary>
    public const string NonFiniteInput = "non-finite-input";
    /// <summary>IROF: the superpixel segmentation found a single segment, so the removal curve has one point (Quantus raises).</summary>
    public const string SingleSegment = "single-segment";
}
