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

    /// <summary>All map-versus-mask metrics in catalogue order (<see cref="MetricAttribute.Order"/>, then name).</summary>
    public static IReadOnlyList<MetricDescriptor> MapMask => _mapMask.Value;

    /// <summary>The names in the order metrics are listed and written in, read from the classes' metadata (<see cref="Evaluation.MetricCatalogue"/>).</summary>
    public static IReadOnlyList<string> CatalogueOrder => [.. MapMask.Select(d => d.Name)];

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
        var order = Evaluation.MetricCatalogue.MapMask.Select(e => e.Type).ToList();
        return [.. list.OrderBy(d => order.IndexOf(d.Type))];
    }
}
