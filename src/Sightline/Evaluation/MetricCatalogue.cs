using System.Reflection;
using Sightline.Metrics;
using Sightline.Neurons;

namespace Sightline.Evaluation;

/// <summary>Which contract a catalogued metric class implements.</summary>
public enum MetricKind
{
    /// <summary><see cref="IEvaluationMetric"/>: scores attributions over a typed batch (<c>evaluate</c>).</summary>
    Evaluation,
    /// <summary><see cref="IMapMaskMetric"/>: a map against a mask (<c>align</c>; in <c>evaluate</c> through <see cref="LocalisationMetric"/>).</summary>
    MapMask,
    /// <summary><see cref="INeuronMetric"/>: neuron activations against concept labels (<c>neurons</c>).</summary>
    Neuron,
}

/// <summary>One catalogued metric class: its metadata, its kind and how to build it for <c>evaluate</c>.</summary>
/// <param name="Info">The class's <see cref="MetricAttribute"/>.</param>
/// <param name="Type">The class.</param>
/// <param name="Kind">The contract it implements.</param>
/// <param name="OptionsType">Its options record (for <see cref="MetricKind.Evaluation"/>; the adapter's for map-mask metrics; null for neuron metrics).</param>
public sealed record CatalogueEntry(MetricAttribute Info, Type Type, MetricKind Kind, Type? OptionsType)
{
    /// <summary>The stable name.</summary>
    public string Name => Info.Name;

    /// <summary>The family.</summary>
    public MetricFamily Family => Info.Family;

    /// <summary>The option keys accepted by <c>--param NAME.KEY=VALUE</c> (snake_case).</summary>
    public IReadOnlyList<string> ParameterKeys => OptionsType is null ? [] : MetricParameters.Keys(OptionsType);

    /// <summary>The default options.</summary>
    public MetricOptions DefaultOptions() => OptionsType is null
        ? throw new InvalidOperationException($"'{Name}' is not an evaluation metric.")
        : (MetricOptions)Activator.CreateInstance(OptionsType)!;

    /// <summary>
    /// Builds the metric for <c>evaluate</c> with <paramref name="parameters"/> (KEY=VALUE, snake_case keys) bound onto its
    /// default options: the class itself for evaluation metrics, the <see cref="LocalisationMetric"/> adapter for map-mask ones.
    /// </summary>
    /// <exception cref="InputDataException">An unknown key or a bad value.</exception>
    public IEvaluationMetric Create(IEnumerable<KeyValuePair<string, string>>? parameters = null)
    {
        var options = MetricParameters.Bind(DefaultOptions(), parameters ?? [], Name);
        return Kind switch
        {
            MetricKind.Evaluation => (IEvaluationMetric)Activator.CreateInstance(Type, options)!,
            MetricKind.MapMask => new LocalisationMetric(this, (LocalisationMetricOptions)options),
            _ => throw new InvalidOperationException($"'{Name}' is a neuron metric."),
        };
    }
}

/// <summary>
/// The one catalogue of metrics, built by reflection from the <see cref="MetricAttribute"/> on every metric class of the
/// core assembly (evaluation, map-versus-mask and neuron metrics), ordered by family then
/// <see cref="MetricAttribute.Order"/> then name, so listings, result columns, <c>align</c>, <c>evaluate</c>,
/// <c>neurons</c> and the reports read the same list and nothing is kept by hand. Names are unique within a kind's
/// domain: evaluation and map-mask metrics share <c>evaluate</c>'s name space; neuron metrics have their own (both have
/// an <c>auc</c>).
/// </summary>
public static class MetricCatalogue
{
    private static readonly Lazy<IReadOnlyList<CatalogueEntry>> _all = new(Discover);

    /// <summary>The families in catalogue order (the issue's and Quantus's order).</summary>
    public static IReadOnlyList<MetricFamily> FamilyOrder { get; } =
    [
        MetricFamily.Localisation, MetricFamily.Faithfulness, MetricFamily.Robustness, MetricFamily.Complexity,
        MetricFamily.Randomisation, MetricFamily.Axiomatic, MetricFamily.Meta, MetricFamily.Neuron,
    ];

    /// <summary>Every catalogued metric.</summary>
    public static IReadOnlyList<CatalogueEntry> All => _all.Value;

    /// <summary>The metrics <c>evaluate</c> offers: evaluation metrics and the map-versus-mask ones (through the adapter).</summary>
    public static IReadOnlyList<CatalogueEntry> Evaluate => [.. All.Where(e => e.Kind is MetricKind.Evaluation or MetricKind.MapMask)];

    /// <summary>The map-versus-mask metrics (<c>align</c>).</summary>
    public static IReadOnlyList<CatalogueEntry> MapMask => [.. All.Where(e => e.Kind == MetricKind.MapMask)];

    /// <summary>The built-in neuron metrics.</summary>
    public static IReadOnlyList<CatalogueEntry> Neuron => [.. All.Where(e => e.Kind == MetricKind.Neuron)];

    /// <summary>The position of <paramref name="name"/> among <paramref name="entries"/> (for sorting columns), or int.MaxValue.</summary>
    public static int IndexOf(IReadOnlyList<CatalogueEntry> entries, string name)
    {
        for (int i = 0; i < entries.Count; i++)
            if (entries[i].Name == name) return i;
        return int.MaxValue;
    }

    /// <summary>An <c>evaluate</c> metric by name (case-insensitive).</summary>
    /// <exception cref="InputDataException">Unknown name; the message lists the known names.</exception>
    public static CatalogueEntry GetEvaluate(string name) =>
        Evaluate.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new InputDataException($"Unknown metric '{name}'. Known metrics: {string.Join(", ", Evaluate.Select(e => e.Name))}; or a family: all, {string.Join(", ", FamilyOrder.Take(6).Select(f => f.ToString().ToLowerInvariant()))}.");

    /// <summary>
    /// Parses <c>evaluate</c>'s <c>--metrics</c>: comma-separated names and family words (<c>all</c>,
    /// <c>faithfulness</c>, <c>robustness</c>, <c>complexity</c>, <c>randomisation</c>, <c>axiomatic</c>,
    /// <c>localisation</c>), in catalogue order within a family word, duplicates dropped. A family word wins over a metric
    /// of the same name (<c>complexity</c> is both); <c>metric:NAME</c> always means the metric alone.
    /// </summary>
    /// <exception cref="InputDataException">An unknown name, or a list naming nothing.</exception>
    public static IReadOnlyList<CatalogueEntry> ParseEvaluate(string text)
    {
        var list = new List<CatalogueEntry>();
        foreach (var word in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            IEnumerable<CatalogueEntry> add;
            if (word.Equals("all", StringComparison.OrdinalIgnoreCase)) add = Evaluate;
            else if (word.StartsWith("metric:", StringComparison.OrdinalIgnoreCase)) add = [GetEvaluate(word["metric:".Length..])];
            else if (Enum.TryParse<MetricFamily>(word, true, out var family) && family is not (MetricFamily.Meta or MetricFamily.Neuron)
                     && !int.TryParse(word, out _))
                add = Evaluate.Where(e => e.Family == family);
            else add = [GetEvaluate(word)];
            foreach (var e in add)
                if (!list.Contains(e)) list.Add(e);
        }
        if (list.Count == 0) throw new InputDataException("--metrics names no metric; give names (e.g. pixel_flipping,sparseness) or a family (faithfulness, ...) or all.");
        return list;
    }

    private static IReadOnlyList<CatalogueEntry> Discover()
    {
        var list = new List<CatalogueEntry>();
        foreach (var type in typeof(MetricCatalogue).Assembly.GetTypes())
        {
            // IsDefined first: it reads no attribute data, so the other 600-odd types cost far less (start-up of every command).
            if (type.IsAbstract || !type.IsDefined(typeof(MetricAttribute), inherit: true) || type.GetCustomAttribute<MetricAttribute>() is not { } info) continue;
            if (typeof(IEvaluationMetric).IsAssignableFrom(type))
            {
                var ctor = type.GetConstructors().FirstOrDefault(c => c.GetParameters() is [{ } p] && typeof(MetricOptions).IsAssignableFrom(p.ParameterType))
                    ?? throw new InvalidOperationException($"Metric class {type.Name} lacks a public constructor taking its options record.");
                list.Add(new CatalogueEntry(info, type, MetricKind.Evaluation, ctor.GetParameters()[0].ParameterType));
            }
            else if (typeof(IMapMaskMetric).IsAssignableFrom(type)) list.Add(new CatalogueEntry(info, type, MetricKind.MapMask, typeof(LocalisationMetricOptions)));
            else if (typeof(INeuronMetric).IsAssignableFrom(type)) list.Add(new CatalogueEntry(info, type, MetricKind.Neuron, null));
        }
        foreach (var g in list.GroupBy(e => (e.Kind == MetricKind.Neuron, e.Name)))
            if (g.Count() > 1) throw new InvalidOperationException($"Two metric classes share the name '{g.Key.Name}': {string.Join(", ", g.Select(e => e.Type.Name))}.");
        return [.. list.OrderBy(e => FamilyOrder.ToList().IndexOf(e.Family)).ThenBy(e => e.Info.Order).ThenBy(e => e.Name, StringComparer.Ordinal)];
    }
}
