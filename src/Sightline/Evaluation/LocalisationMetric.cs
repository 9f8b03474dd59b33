using Sightline.Metrics;

namespace Sightline.Evaluation;

/// <summary>
/// Options of a map-versus-mask metric inside <c>evaluate</c>: the <see cref="LocalisationSettings"/> that <c>align</c>
/// takes from its own flags, as <c>--param</c> keys. Normalisation is off by default so that every localisation metric
/// gives exactly the value <c>align</c> gives on the same map (the ratio metrics are scale-invariant; SemScore's τ and the
/// binarisation read raw values).
/// </summary>
public sealed record LocalisationMetricOptions : MetricOptions
{
    /// <summary>Off by default (see the type's remarks).</summary>
    public LocalisationMetricOptions() => Normalise = false;

    /// <summary>k of <c>top_k_intersection</c> (Quantus <c>k</c>, default 1000).</summary>
    public int K { get; init; } = 1000;

    /// <summary><c>top_k_intersection</c> × d/|S| (Quantus <c>concept_influence</c>).</summary>
    public bool ConceptInfluence { get; init; }

    /// <summary>SemScore τ (default 0.6); none disables thresholding.</summary>
    public float? SssThreshold { get; init; } = 0.6f;

    /// <summary>SemScore hard thresholding.</summary>
    public bool SssHard { get; init; }

    /// <summary>SemScore reference compatibility (float32 truncated sums).</summary>
    public bool SssCompat { get; init; }

    /// <summary>Binarisation for the Shared Interest scores (<c>std:K</c>, <c>percentile:P</c>, <c>threshold:T</c>; default <c>std:1</c>).</summary>
    public string Binarize { get; init; } = "std:1";

    /// <summary>Pointing Game tolerance radius in pixels.</summary>
    public double PointingTolerance { get; init; }

    /// <summary>Pointing Game: any tied maximum in the mask is a hit (Quantus's rule).</summary>
    public bool PointingTieAny { get; init; }

    /// <summary>The <see cref="LocalisationSettings"/> these options describe.</summary>
    /// <exception cref="InputDataException">A bad <see cref="Binarize"/> text.</exception>
    public LocalisationSettings ToSettings() => new()
    {
        TopK = K,
        ConceptInfluence = ConceptInfluence,
        SssThreshold = SssThreshold,
        SssHard = SssHard,
        SssCompat = SssCompat,
        Binarization = Binarization.Parse(Binarize),
        PointingTolerance = PointingTolerance,
        PointingTieAny = PointingTieAny,
    };
}

/// <summary>
/// A map-versus-mask metric (<see cref="IMapMaskMetric"/>, the <c>align</c> catalogue) as an
/// <see cref="IEvaluationMetric"/>: multi-channel attributions are summed over channels (Shared Interest's and Captum's
/// convention), the options' preprocessing applied, and each sample's map scored against its mask with the same kernel
/// <c>align</c> uses, so names and values are the same in both commands.
/// </summary>
public sealed class LocalisationMetric : IEvaluationMetric
{
    private readonly IMapMaskMetric _metric;
    private readonly LocalisationMetricOptions _options;

    /// <summary>Wraps the map-mask metric of <paramref name="entry"/> with <paramref name="options"/>.</summary>
    public LocalisationMetric(CatalogueEntry entry, LocalisationMetricOptions options)
    {
        if (entry.Kind != MetricKind.MapMask) throw new ArgumentException($"'{entry.Name}' is not a map-versus-mask metric.", nameof(entry));
        Info = entry.Info;
        _options = options;
        _metric = MetricRegistry.Get(entry.Name).Create(options.ToSettings());
    }

    /// <summary>Wraps the map-mask metric of <paramref name="entry"/> built from <c>align</c>'s <paramref name="settings"/> (no normalisation, no |a|).</summary>
    public LocalisationMetric(CatalogueEntry entry, LocalisationSettings settings)
    {
        if (entry.Kind != MetricKind.MapMask) throw new ArgumentException($"'{entry.Name}' is not a map-versus-mask metric.", nameof(entry));
        Info = entry.Info;
        _options = new LocalisationMetricOptions();
        _metric = MetricRegistry.Get(entry.Name).Create(settings);
    }

    /// <inheritdoc/>
    public MetricAttribute Info { get; }

    /// <inheritdoc/>
    public string Name => Info.Name;

    /// <inheritdoc/>
    public MetricOptions Options => _options;

    /// <inheritdoc/>
    public void Evaluate(EvaluationBatch batch, MetricOutput output)
    {
        if (batch.Masks is null) throw new InputDataException($"Metric '{Name}' compares attributions with a ground-truth region: give --masks.");
        var s = batch.Shape;
        var pre = new AttributionPreprocessing(_options.Normalise ? _options.NormaliseFunc : Normalisation.None, _options.Abs);
        var map = new float[s.Pixels];
        var workspace = new SampleWorkspace();
        for (int i = 0; i < batch.Count; i++)
        {
            var a = batch.Attribution(i);
            a[..s.Pixels].CopyTo(map);
            for (int c = 1; c < s.AttributionChannels; c++)
                System.Numerics.Tensors.TensorPrimitives.Add(map, a.Slice(c * s.Pixels, s.Pixels), map);
            pre.ApplyInPlace(map);
            if (ContainsNonFinite(map))
            {
                output.Set(i, Score.Undefined(Reasons.NonFiniteMap));
                continue;
            }
            workspace.Reset();
            output.Set(i, _metric.Evaluate(new MapMaskSample(map, batch.Mask(i), s.Height, s.Width, workspace)));
        }
    }

    private static bool ContainsNonFinite(ReadOnlySpan<float> map)
    {
        foreach (var v in map)
            if (!float.IsFinite(v)) return true;
        return false;
    }
}
