namespace Sightline.Metrics;

/// <summary>
/// The parameters of the localisation family, with the defaults of the papers they come from. One record is
/// shared by all localisation metrics so that the CLI, the registry and tests configure them in one place; each
/// metric reads only its own fields.
/// </summary>
public sealed record LocalisationSettings
{
    /// <summary>SemScore threshold τ (default 0.6, SemScore reference); null disables thresholding.</summary>
    public float? SssThreshold { get; init; } = 0.6f;

    /// <summary>SemScore hard thresholding: values above τ become 1.</summary>
    public bool SssHard { get; init; }

    /// <summary>SemScore reference compatibility: integer truncation of the inside/outside sums, float32 sums, τ = 0 disables.</summary>
    public bool SssCompat { get; init; }

    /// <summary>Binarisation of continuous saliency for Shared Interest scores (default <c>std:1</c>).</summary>
    public Binarization Binarization { get; init; } = Binarization.Std(1);

    /// <summary>Pointing Game tolerance radius in pixels (0 = exact hit, Zhang et al. 2018 use 15).</summary>
    public double PointingTolerance { get; init; }

    /// <summary>
    /// Pointing Game tie rule. False (default): only the first maximum in row-major order is pointed at. True: Quantus'
    /// rule, a hit when any of the tied maxima lies in (or within the tolerance of) the mask.
    /// </summary>
    public bool PointingTieAny { get; init; }

    /// <summary>k of <c>top_k_intersection</c> (Quantus default 1000).</summary>
    public int TopK { get; init; } = 1000;

    /// <summary>Multiply <c>top_k_intersection</c> by d/|S| (concept influence, Theiner et al. 2021).</summary>
    public bool ConceptInfluence { get; init; }

    /// <summary>The defaults.</summary>
    public static LocalisationSettings Default { get; } = new();
}
