using Sightline.Numerics;

namespace Sightline.Metrics.Localisation;

/// <summary>
/// The overlap counts behind Shared Interest (Boggust et al., "Shared Interest: Measuring Human-AI Alignment to
/// Identify Recurring Patterns in Model Behavior", CHI 2022): |G|, |S| and |G∩S| for the ground truth G and the
/// binarised saliency S (<see cref="Binarizer"/>). Memoised in the sample's workspace so IoU, GTC and SC binarise once.
/// </summary>
public static class SharedInterest
{
    /// <summary>Counts for one sample.</summary>
    public static (int Truth, int Saliency, int Both) Counts(in MapMaskSample sample, Binarization rule, SampleWorkspace? workspace)
    {
        ReadOnlySpan<byte> binary;
        if (workspace is not null)
        {
            binary = workspace.Binarized(sample.Map, rule, out _);
        }
        else
        {
            var buffer = new byte[sample.Map.Length];
            Binarizer.Binarize(sample.Map, rule, buffer, new float[sample.Map.Length]);
            binary = buffer;
        }
        var (g, both, s) = Kernels.OverlapCounts(sample.Mask, binary);
        return (g, s, both);
    }
}

/// <summary>
/// Shared Interest IoU coverage: |G∩S| / |G∪S| on the binarised saliency S (Boggust et al., CHI 2022).
/// Both empty → NaN (<c>empty-mask-and-saliency</c>).
/// </summary>
[Metric("iou", MetricFamily.Localisation, ScoreDirection.HigherIsBetter, Order = 2,
    Needs = MetricNeeds.Masks,
    Summary = "Shared Interest IoU of binarised saliency and mask", Citation = "Boggust et al., Shared Interest, CHI 2022")]
public sealed class IouCoverage(Binarization binarization) : IMapMaskMetric
{
    /// <summary>Registry factory.</summary>
    public static IMapMaskMetric Create(LocalisationSettings s) => new IouCoverage(s.Binarization);

    /// <inheritdoc/>
    public Score Evaluate(in MapMaskSample sample)
    {
        var (g, s, both) = SharedInterest.Counts(sample, binarization, sample.Workspace);
        int union = g + s - both;
        return union == 0 ? Score.Undefined(Reasons.EmptyBoth) : new Score((double)both / union);
    }
}

/// <summary>Shared Interest ground-truth coverage: |G∩S| / |G| (Boggust et al., CHI 2022). Empty G → NaN (<c>empty-mask</c>).</summary>
[Metric("gtc", MetricFamily.Localisation, ScoreDirection.HigherIsBetter, Order = 3,
    Needs = MetricNeeds.Masks,
    Summary = "Shared Interest ground-truth coverage", Citation = "Boggust et al., Shared Interest, CHI 2022")]
public sealed class GroundTruthCoverage(Binarization binarization) : IMapMaskMetric
{
    /// <summary>Registry factory.</summary>
    public static IMapMaskMetric Create(LocalisationSettings s) => new GroundTruthCoverage(s.Binarization);

    /// <inheritdoc/>
    public Score Evaluate(in MapMaskSample sample)
    {
        var (g, _, both) = SharedInterest.Counts(sample, binarization, sample.Workspace);
        return g == 0 ? Score.Undefined(Reasons.EmptyMask) : new Score((double)both / g);
    }
}

/// <summary>Shared Interest saliency coverage on the binarised saliency: |G∩S| / |S| (Boggust et al., CHI 2022). Empty S → NaN (<c>empty-saliency</c>).</summary>
[Metric("sc", MetricFamily.Localisation, ScoreDirection.HigherIsBetter, Order = 4,
    Needs = MetricNeeds.Masks,
    Summary = "Shared Interest saliency coverage (binarised)", Citation = "Boggust et al., Shared Interest, CHI 2022")]
public sealed class SaliencyCoverage(Binarization binarization) : IMapMaskMetric
{
    /// <summary>Registry factory.</summary>
    public static IMapMaskMetric Create(LocalisationSettings s) => new SaliencyCoverage(s.Binarization);

    /// <inheritdoc/>
    public Score Evaluate(in MapMaskSample sample)
    {
        var (g, s, both) = SharedInterest.Counts(sample, binarization, sample.Workspace);
        if (s == 0) return Score.Undefined(Reasons.EmptySaliency);
        return new Score((double)both / s, g == 0 ? Reasons.EmptyMask : null);
    }
}

/// <summary>
/// Continuous saliency coverage on |s|: Σ_{p∈G} |s(p)| / Σ_p |s(p)| (Boggust et al., CHI 2022, continuous SC; the library
/// applies |·| before scoring). Σ|s| = 0 → NaN (<c>empty-saliency</c>). sc_soft(G) + sc_soft(¬G) = 1.
/// Σ|s| is a sum of non-negative terms, so it is zero exactly when every term is 0 (the <see cref="AttributionMass"/> rule reduces to that; float64 sums of float32 values cannot cancel or underflow, so the test is exact). A defined score lies in [0, 1].
/// </summary>
[Metric("sc_soft", MetricFamily.Localisation, ScoreDirection.HigherIsBetter, Order = 5,
    Needs = MetricNeeds.Masks,
    Summary = "Shared Interest saliency coverage on |saliency| (continuous)", Citation = "Boggust et al., Shared Interest, CHI 2022")]
public sealed class SoftSaliencyCoverage : IMapMaskMetric
{
    /// <summary>Registry factory.</summary>
    public static IMapMaskMetric Create(LocalisationSettings s) => new SoftSaliencyCoverage();

    /// <inheritdoc/>
    public Score Evaluate(in MapMaskSample sample)
    {
        var (inside, total) = Kernels.MaskedAbsSums(sample.Map, sample.Mask);
        if (AttributionMass.IsZero(total, total)) return Score.Undefined(Reasons.EmptySaliency);
        return new Score(inside / total, Kernels.SumBytes(sample.Mask) == 0 ? Reasons.EmptyMask : null);
    }
}
