namespace Sightline.Metrics;

/// <summary>
/// One sample handed to a localisation metric: a channel-reduced saliency map (row-major, <c>Height×Width</c>)
/// and a binary ground-truth mask of the same size (0 or 1 per pixel). Both spans are owned by the caller.
/// The map is guaranteed finite by the pipeline (non-finite maps are flagged before metrics run).
/// </summary>
public readonly ref struct MapMaskSample
{
    /// <summary>Creates a sample view; throws when the sizes disagree.</summary>
    public MapMaskSample(ReadOnlySpan<float> map, ReadOnlySpan<byte> mask, int height, int width, SampleWorkspace? workspace = null)
    {
        if (height <= 0 || width <= 0)
            throw new ArgumentOutOfRangeException(nameof(height), $"Map size must be positive, got {height}×{width}.");
        if (map.Length != height * width)
            throw new ArgumentException($"Map has {map.Length} values, expected {height}×{width} = {height * width}.", nameof(map));
        if (mask.Length != map.Length)
            throw new ArgumentException($"Mask has {mask.Length} values but the map has {map.Length}.", nameof(mask));
        Map = map;
        Mask = mask;
        Height = height;
        Width = width;
        Workspace = workspace;
    }

    /// <summary>Saliency values, row-major.</summary>
    public ReadOnlySpan<float> Map { get; }

    /// <summary>Ground-truth mask, 1 inside the region and 0 outside.</summary>
    public ReadOnlySpan<byte> Mask { get; }

    /// <summary>Rows.</summary>
    public int Height { get; }

    /// <summary>Columns.</summary>
    public int Width { get; }

    /// <summary>Per-thread memo for work shared between metrics (binarised map, sort order); null computes afresh.</summary>
    public SampleWorkspace? Workspace { get; }
}

/// <summary>
/// A metric that scores a saliency map against a ground-truth mask. Implementations are immutable and
/// thread-safe: the pipeline calls <see cref="Evaluate"/> concurrently from several threads.
/// Every implementation carries a <see cref="MetricAttribute"/> and a public static
/// <c>Create(LocalisationSettings)</c> factory, which is how the registry builds it.
/// </summary>
public interface IMapMaskMetric
{
    /// <summary>Scores one sample.</summary>
    Score Evaluate(in MapMaskSample sample);
}
