using System.Reflection;
using Sightline.Metrics;

namespace Sightline.Neurons;

/// <summary>
/// A neuron-explanation metric (Oikarinen, Yan, Weng, ICML 2025, unified framework): scores every neuron's activation column
/// a_k against every concept-label column c_t of a <see cref="NeuronProbe"/> and returns S[k,t] = sim(a_k, c_t).
/// Implementations are stateless apart from their options; each class carries a <see cref="MetricAttribute"/> with
/// <see cref="MetricFamily.Neuron"/> and provides <c>public static INeuronMetric Create(NeuronMetricOptions)</c>.
/// </summary>
public interface INeuronMetric
{
    /// <summary>The stable snake_case name (from the class's <see cref="MetricAttribute"/>).</summary>
    string Name { get; }

    /// <summary>The options the metric was created with.</summary>
    NeuronMetricOptions Options { get; }

    /// <summary>Scores all neuron–concept pairs of <paramref name="probe"/>.</summary>
    ScoreMatrix Evaluate(NeuronProbe probe);
}

/// <summary>Base class of the built-in metrics: name from the attribute, options stored.</summary>
public abstract class NeuronMetric(NeuronMetricOptions options) : INeuronMetric
{
    /// <inheritdoc/>
    public string Name => GetType().GetCustomAttribute<MetricAttribute>()?.Name ?? GetType().Name;

    /// <inheritdoc/>
    public NeuronMetricOptions Options { get; } = options;

    /// <inheritdoc/>
    public abstract ScoreMatrix Evaluate(NeuronProbe probe);

    /// <summary>H(x, y) = 2xy/(x + y), unguarded: H(0, 0) = NaN (the reference's harmonic mean).</summary>
    public static double Harmonic(double x, double y) => 2 * x * y / (x + y);
}

/// <summary>A registered neuron metric: its declared metadata and its factory.</summary>
/// <param name="Info">The class's <see cref="MetricAttribute"/>.</param>
/// <param name="Type">The metric class.</param>
/// <param name="Factory">Builds the metric from options.</param>
public sealed record NeuronMetricDescriptor(MetricAttribute Info, Type Type, Func<NeuronMetricOptions, INeuronMetric> Factory)
{
    /// <summary>The stable name.</summary>
    public string Name => Info.Name;

    /// <summary>Builds the metric.</summary>
    public INeuronMetric Create(NeuronMetricOptions options) => Factory(options);

    /// <summary>max − min of the declared range (2 for correlations, 1 for [0,1] metrics); +∞ when unbounded (wpmi, mad), in
    /// which case the sanity tests take the range from the data (§6 step 4).</summary>
    public double Range => Info.Maximum - Info.Minimum;
}

/// <summary>
/// The catalogue of neuron metrics, discovered by reflection from the <see cref="MetricAttribute"/> (family
/// <see cref="MetricFamily.Neuron"/>) of each class implementing <see cref="INeuronMetric"/>, so it cannot drift from the code.
/// The core assembly's metrics are found automatically; user metrics join with <see cref="Register(Type)"/> or
/// <see cref="RegisterAssembly(Assembly)"/> (the CLI's <c>--metric-assembly</c>), after which the CLI, <c>all</c> and the
/// sanity tests (Oikarinen, Yan, Weng, ICML 2025, Sec. 4) treat them exactly like the built-in ones.
/// </summary>
public static class NeuronMetricRegistry
{
    private static readonly Lazy<IReadOnlyList<NeuronMetricDescriptor>> _builtIn = new(Discover);
    private static readonly object _gate = new();
    private static IReadOnlyList<NeuronMetricDescriptor> _registered = [];

    /// <summary>Catalogue order (the paper's table order, then the sampled variants and the combinations), read from the classes' <see cref="MetricAttribute.Order"/>.</summary>
    public static IReadOnlyList<string> CatalogueOrder => [.. BuiltIn.Select(d => d.Name)];

    /// <summary>The core metrics in <see cref="CatalogueOrder"/>.</summary>
    public static IReadOnlyList<NeuronMetricDescriptor> BuiltIn => _builtIn.Value;

    /// <summary>All neuron metrics: the core ones in <see cref="CatalogueOrder"/>, then registered ones in registration order.</summary>
    public static IReadOnlyList<NeuronMetricDescriptor> All
    {
        get
        {
            var extra = Volatile.Read(ref _registered);
            return extra.Count == 0 ? BuiltIn : [.. BuiltIn, .. extra];
        }
    }

    /// <summary>
    /// The descriptor of a metric class without registering it: the class must implement <see cref="INeuronMetric"/>, carry a
    /// <see cref="MetricAttribute"/> with <see cref="MetricFamily.Neuron"/>, and provide
    /// <c>public static INeuronMetric Create(NeuronMetricOptions)</c>. The attribute's Minimum/Maximum give the sanity tests'
    /// range (±∞ = taken from the data).
    /// </summary>
    /// <exception cref="ArgumentException">The type does not meet these requirements (the message says which).</exception>
    public static NeuronMetricDescriptor Describe(Type type)
    {
        var info = type.GetCustomAttribute<MetricAttribute>() ?? throw new ArgumentException($"{type.FullName} lacks [Metric(name, MetricFamily.Neuron, ...)].", nameof(type));
        if (!typeof(INeuronMetric).IsAssignableFrom(type) || type.IsAbstract) throw new ArgumentException($"{type.FullName} must be a non-abstract class implementing INeuronMetric.", nameof(type));
        if (info.Family != MetricFamily.Neuron) throw new ArgumentException($"Neuron metric {type.FullName} must declare MetricFamily.Neuron.", nameof(type));
        var create = type.GetMethod("Create", BindingFlags.Public | BindingFlags.Static, [typeof(NeuronMetricOptions)]);
        if (create is null || !typeof(INeuronMetric).IsAssignableFrom(create.ReturnType))
            throw new ArgumentException($"Neuron metric {type.FullName} lacks public static INeuronMetric Create(NeuronMetricOptions).", nameof(type));
        var factory = create.ReturnType == typeof(INeuronMetric)
            ? create.CreateDelegate<Func<NeuronMetricOptions, INeuronMetric>>()
            : o => (INeuronMetric)create.Invoke(null, [o])!;
        return new NeuronMetricDescriptor(info, type, factory);
    }

    /// <summary>Adds a user metric class to <see cref="All"/> (idempotent for the same class) and returns its descriptor.</summary>
    /// <exception cref="ArgumentException">The type is not a valid neuron metric (<see cref="Describe"/>), or another class already
    /// uses its name.</exception>
    public static NeuronMetricDescriptor Register(Type type)
    {
        var d = Describe(type);
        lock (_gate)
        {
            var existing = All.FirstOrDefault(x => string.Equals(x.Name, d.Name, StringComparison.OrdinalIgnoreCase));
            if (existing is not null)
            {
                if (existing.Type == type) return existing;
                throw new ArgumentException($"The neuron metric name '{d.Name}' of {type.FullName} is already used by {existing.Type.FullName}.", nameof(type));
            }
            Volatile.Write(ref _registered, [.. _registered, d]);
            return d;
        }
    }

    /// <summary>Registers every neuron metric class of <paramref name="assembly"/> (public, non-abstract, with a
    /// <see cref="MetricAttribute"/> of family <see cref="MetricFamily.Neuron"/>); returns them.</summary>
    /// <exception cref="ArgumentException">A class is invalid or its name is taken.</exception>
    public static IReadOnlyList<NeuronMetricDescriptor> RegisterAssembly(Assembly assembly)
    {
        var types = assembly.GetExportedTypes().Where(t => !t.IsAbstract && typeof(INeuronMetric).IsAssignableFrom(t)
            && t.GetCustomAttribute<MetricAttribute>() is { Family: MetricFamily.Neuron });
        return [.. types.OrderBy(t => t.FullName, StringComparer.Ordinal).Select(Register)];
    }

    /// <summary>Finds a metric by name (case-insensitive).</summary>
    /// <exception cref="InputDataException">Unknown name; the message lists the known names.</exception>
    public static NeuronMetricDescriptor Get(string name) =>
        (!_builtIn.IsValueCreated && Volatile.Read(ref _registered).Count == 0 ? ByClassName(name) : null)
        ?? All.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new InputDataException($"Unknown neuron metric '{name}'. Known metrics: {string.Join(", ", All.Select(d => d.Name))}.");

    // One descriptor per class, whichever way it was found first.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, NeuronMetricDescriptor> _byType = new();

    /// <summary>
    /// The built-in metric class named <paramref name="className"/> with its factory, for <see cref="ByClassName"/>, or null:
    /// a metric named in <c>--metrics</c> is then found with no reflection over the assembly (looking a type up by name,
    /// <c>Assembly.GetType</c>, took about 5 ms and <c>GetMethod</c> + <c>CreateDelegate</c> 2 ms of a 0.1 s <c>neurons score</c>),
    /// and only that class is loaded (a table of all of them loaded every class, about 2 ms). The catalogue still finds every
    /// class by its scan; a test checks that this finds exactly the neuron metrics the scan finds.
    /// </summary>
    internal static (Type Type, Func<NeuronMetricOptions, INeuronMetric> Create)? BuiltInClass(string className) => className switch
    {
        "Accuracy" => (typeof(Metrics.Accuracy), Metrics.Accuracy.Create),
        "Auc" => (typeof(Metrics.Auc), Metrics.Auc.Create),
        "Auprc" => (typeof(Metrics.Auprc), Metrics.Auprc.Create),
        "BalancedAccuracy" => (typeof(Metrics.BalancedAccuracy), Metrics.BalancedAccuracy.Create),
        "CombinedAuc" => (typeof(Metrics.CombinedAuc), Metrics.CombinedAuc.Create),
        "CombinedBalancedAccuracy" => (typeof(Metrics.CombinedBalancedAccuracy), Metrics.CombinedBalancedAccuracy.Create),
        "Correlation" => (typeof(Metrics.Correlation), Metrics.Correlation.Create),
        "CorrelationTopRandom" => (typeof(Metrics.CorrelationTopRandom), Metrics.CorrelationTopRandom.Create),
        "CorrelationTopRandomBinary" => (typeof(Metrics.CorrelationTopRandomBinary), Metrics.CorrelationTopRandomBinary.Create),
        "Cosine" => (typeof(Metrics.Cosine), Metrics.Cosine.Create),
        "F1" => (typeof(Metrics.F1), Metrics.F1.Create),
        "InverseAuc" => (typeof(Metrics.InverseAuc), Metrics.InverseAuc.Create),
        "InverseAuprc" => (typeof(Metrics.InverseAuprc), Metrics.InverseAuprc.Create),
        "InverseBalancedAccuracy" => (typeof(Metrics.InverseBalancedAccuracy), Metrics.InverseBalancedAccuracy.Create),
        "Iou" => (typeof(Metrics.Iou), Metrics.Iou.Create),
        "Mad" => (typeof(Metrics.Mad), Metrics.Mad.Create),
        "Precision" => (typeof(Metrics.Precision), Metrics.Precision.Create),
        "PrecisionBalancedAccuracy" => (typeof(Metrics.PrecisionBalancedAccuracy), Metrics.PrecisionBalancedAccuracy.Create),
        "PrecisionInverseBalancedAccuracy" => (typeof(Metrics.PrecisionInverseBalancedAccuracy), Metrics.PrecisionInverseBalancedAccuracy.Create),
        "Recall" => (typeof(Metrics.Recall), Metrics.Recall.Create),
        "RecallAuc" => (typeof(Metrics.RecallAuc), Metrics.RecallAuc.Create),
        "RecallInverseAuc" => (typeof(Metrics.RecallInverseAuc), Metrics.RecallInverseAuc.Create),
        "Spearman" => (typeof(Metrics.Spearman), Metrics.Spearman.Create),
        "SpearmanTopRandom" => (typeof(Metrics.SpearmanTopRandom), Metrics.SpearmanTopRandom.Create),
        "SpearmanTopRandomBinary" => (typeof(Metrics.SpearmanTopRandomBinary), Metrics.SpearmanTopRandomBinary.Create),
        "Wpmi" => (typeof(Metrics.Wpmi), Metrics.Wpmi.Create),
        _ => null,
    };

    // A built-in metric found without the catalogue's scan of the whole assembly (about 25 ms of start-up, a quarter of a
    // short `neurons score`): the class named like the metric in PascalCase (inverse_auc → InverseAuc) in
    // Sightline.Neurons.Metrics, if its [Metric] attribute gives that name; anything else takes the catalogue.
    internal static NeuronMetricDescriptor? ByClassName(string name)
    {
        var pascal = string.Concat(name.Split('_').Select(p => p.Length == 0 ? "" : char.ToUpperInvariant(p[0]) + p[1..].ToLowerInvariant()));
        if (BuiltInClass(pascal) is not var (type, create) || type.Name != pascal) return null;
        if (type.GetCustomAttribute<MetricAttribute>() is not { Family: MetricFamily.Neuron } info || !string.Equals(info.Name, name, StringComparison.OrdinalIgnoreCase)) return null;
        return _byType.GetOrAdd(type, _ => new NeuronMetricDescriptor(info, type, create));
    }

    /// <summary>Parses a comma-separated list of names, or <c>all</c>.</summary>
    /// <exception cref="InputDataException">An unknown name.</exception>
    public static IReadOnlyList<NeuronMetricDescriptor> Parse(string text)
    {
        if (text.Trim().Equals("all", StringComparison.OrdinalIgnoreCase)) return All;
        var list = new List<NeuronMetricDescriptor>();
        foreach (var name in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var d = Get(name);
            if (!list.Contains(d)) list.Add(d);
        }
        return list;
    }

    private static IReadOnlyList<NeuronMetricDescriptor> Discover()
    {
        // The catalogue has found every [Metric] class already (in catalogue order): no second scan of the assembly.
        var list = new List<NeuronMetricDescriptor>();
        foreach (var e in Evaluation.MetricCatalogue.Neuron)
        {
            try { list.Add(_byType.GetOrAdd(e.Type, Describe)); }
            catch (ArgumentException ex) { throw new InvalidOperationException(ex.Message, ex); }
        }
        return list;
    }
}
