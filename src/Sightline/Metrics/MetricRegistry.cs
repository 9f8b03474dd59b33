using System.Reflection;

namespace Sightline.Metrics;

/// <summary>A registered map-versus-mask metric: its declared metadata and its factory.</summary>
/// <param name="Info">The class's <see cref="MetricAttribute"/>.</param>
/// <param name="Type">The metric class.</param>
/// <param name="Factory">Builds the metric from the shared settings.</param>
public sealed record MetricDescriptor(MetricAttribute Info, Type Type, Func<LocalisationSettings, IMapMaskMetric> Factory)
{
    /// <summary>The stable name.</summary>
    public string Name => Info.Name;

    /// <summary>Builds the metric.</summary>
    public IMapMaskMetric Create(LocalisationSettings settings) => Factory(settings);
}

/// <summary>
/// The catalogue of map-versus-mask metrics, discovered from the <see cref="MetricAttribute"/> on each class
/// implementing <see cref="IMapMaskMetric"/> (so it cannot drift from the code). Each class provides
/// <c>public static IMapMaskMetric Create(LocalisationSettings)</c>.
/// </summary>
public static class MetricRegistry
{
    private static readonly Lazy<IReadOnlyList<MetricDescriptor>> _mapMask = new(Discover);

    /// <summary>All map-versus-mask metrics, ordered by the catalogue order of <see cref="CatalogueOrder"/> then by name.</summary>
    public static IReadOnlyList<MetricDescriptor> MapMask => _mapMask.Value;

    /// <summary>The order metrics are listed and written in (the issue's section order); others follow by name.</summary>
    public static readonly IReadOnlyList<string> CatalogueOrder =
    [
        "sss", "iou", "gtc", "sc", "sc_soft", "pointing_game", "energy_pointing_game",
        "attribution_localisation", "attribution_localisation_weighted", "top_k_intersection",
        "relevance_rank_accuracy", "relevance_mass_accuracy", "auc", "focus",
    ];

    /// <summary>Finds a metric by name (case-insensitive).</summary>
    /// <exception cref="InputDataException">No metric has that name; the message lists the known names.</exception>
    public static MetricDescriptor Get(string name) =>
        MapMask.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new InputDataException($"Unknown metric '{name}'. Known metrics: {string.Join(", ", MapMask.Select(d => d.Name))}.");

    private static IReadOnlyList<MetricDescriptor> Discover()
    {
        var list = new List<MetricDescriptor>();
        foreach (var type in typeof(MetricRegistry).Assembly.GetTypes())
        {
            var info = type.GetCustomAttribute<MetricAttribute>();
            if (info is null || !typeof(IMapMaskMetric).IsAssignableFrom(type)) continue;
            var create = type.GetMethod("Create", BindingFlags.Public | BindingFlags.Static, [typeof(LocalisationSettings)])
                ?? throw new InvalidOperationException($"Metric class {type.Name} lacks public static Create(LocalisationSettings).");
            var factory = create.CreateDelegate<Func<LocalisationSettings, IMapMaskMetric>>();
            list.Add(new MetricDescriptor(info, type, factory));
        }
        var dup = list.GroupBy(d => d.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new InvalidOperationException($"Two metric classes share the name '{dup.Key}'.");
        int Rank(MetricDescriptor d)
        {
            int i = ((List<string>)[.. CatalogueOrder]).IndexOf(d.Name);
            return i < 0 ? int.MaxValue : i;
        }
        return [.. list.OrderBy(Rank).ThenBy(d => d.Name, StringComparer.Ordinal)];
    }
}
