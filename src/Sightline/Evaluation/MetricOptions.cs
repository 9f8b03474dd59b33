using System.Globalization;
using System.Reflection;
using System.Text;

namespace Sightline.Evaluation;

/// <summary>
/// Options every evaluation metric has (Quantus's common constructor arguments <c>normalise</c>, <c>normalise_func</c>,
/// <c>abs</c>). Each metric derives an immutable record with its own options whose defaults are the paper's /
/// Quantus's; a derived record's constructor changes these three where the metric's defaults differ (e.g. complexity
/// metrics take |a|). Property names are the Quantus argument names in PascalCase: <c>--param M.features_in_step=4</c>
/// sets <c>FeaturesInStep</c> (<see cref="MetricParameters"/>).
/// </summary>
public abstract record MetricOptions
{
    /// <summary>Normalise each attribution map before scoring (Quantus <c>normalise</c>, default true).</summary>
    public bool Normalise { get; init; } = true;

    /// <summary>The normalisation when <see cref="Normalise"/> is on (default a / max|a|, per sample).</summary>
    public Normalisation NormaliseFunc { get; init; } = Normalisation.ByMax;

    /// <summary>Score |a| (applied after normalisation; Quantus <c>abs</c>).</summary>
    public bool Abs { get; init; }
}

/// <summary>Options of a metric that has none beyond the common ones.</summary>
public sealed record CommonMetricOptions : MetricOptions;

/// <summary>What replaces perturbed features (Quantus <c>perturb_baseline</c>).</summary>
public enum PerturbBaseline
{
    /// <summary>The sample's minimum value min(x) (Quantus "black": not 0 for standardised inputs).</summary>
    Black,
    /// <summary>The sample's maximum value max(x).</summary>
    White,
    /// <summary>The sample's mean value.</summary>
    Mean,
    /// <summary>Uniform noise U(0, 1) per replaced value, seeded per sample.</summary>
    Uniform,
    /// <summary>0.</summary>
    Zero,
}

/// <summary>
/// Binds <c>KEY=VALUE</c> settings (the CLI's <c>--param METRIC.KEY=VALUE</c>) onto a metric's options record by its
/// property names written in snake_case (<c>FeaturesInStep</c> ↔ <c>features_in_step</c>). Values: numbers in invariant
/// culture, <c>true/false</c>, enum names in snake_case (<c>black</c>, <c>by_max</c>, <c>morf</c>), and comma-separated
/// lists for array options.
/// </summary>
public static class MetricParameters
{
    /// <summary>The settable keys of an options type, snake_case, in declaration order (own options first, then the common ones).</summary>
    public static IReadOnlyList<string> Keys(Type optionsType) => [.. Settable(optionsType).Select(p => SnakeCase(p.Name))];

    /// <summary>True when <paramref name="optionsType"/> has the option <paramref name="key"/>.</summary>
    public static bool Has(Type optionsType, string key) => Find(optionsType, key) is not null;

    /// <summary>
    /// Builds <paramref name="entries"/> with <c>--param</c>-style settings bound onto them: <c>METRIC.KEY=VALUE</c> for one
    /// metric (which must be among the entries), <c>*.KEY=VALUE</c> for every entry that has KEY (at least one must), in
    /// order. <paramref name="option"/> names the settings' source in messages (<c>--param</c>, a study file's <c>params</c>).
    /// </summary>
    /// <exception cref="InputDataException">A malformed setting, a metric not chosen, a key no metric has, a bad value.</exception>
    public static IReadOnlyList<IEvaluationMetric> BindAll(IReadOnlyList<CatalogueEntry> entries, IReadOnlyList<string> settings, string option = "--param")
    {
        var perMetric = entries.ToDictionary(e => e.Name, _ => new List<KeyValuePair<string, string>>());
        foreach (var setting in settings)
        {
            int dot = setting.IndexOf('.'), eq = setting.IndexOf('=');
            if (dot <= 0 || eq < dot + 2)
                throw new InputDataException($"{option} {setting}: write METRIC.KEY=VALUE (e.g. pixel_flipping.features_in_step=4) or *.KEY=VALUE.");
            string metric = setting[..dot].Trim(), key = setting[(dot + 1)..eq].Trim(), value = setting[(eq + 1)..];
            if (metric == "*")
            {
                var having = entries.Where(e => e.OptionsType is not null && Has(e.OptionsType, key)).ToList();
                if (having.Count == 0)
                    throw new InputDataException($"{option} {setting}: none of the chosen metrics ({string.Join(", ", entries.Select(e => e.Name))}) has an option '{key}'.");
                foreach (var e in having) perMetric[e.Name].Add(new(key, value));
                continue;
            }
            var entry = entries.FirstOrDefault(e => string.Equals(e.Name, metric, StringComparison.OrdinalIgnoreCase));
            if (entry is null)
            {
                MetricCatalogue.GetEvaluate(metric); // an unknown name: the catalogue's message lists the known ones
                throw new InputDataException($"{option} {setting}: metric '{metric}' is not in {(option == "--param" ? "--metrics" : "metrics")} ({string.Join(", ", entries.Select(e => e.Name))}); add it there or drop the setting.");
            }
            perMetric[entry.Name].Add(new(key, value));
        }
        return [.. entries.Select(e => e.Create(perMetric[e.Name]))];
    }

    /// <summary>
    /// A copy of <paramref name="options"/> with <paramref name="settings"/> applied in order.
    /// </summary>
    /// <exception cref="InputDataException">An unknown key (the message lists the metric's keys) or a value that does not parse.</exception>
    public static T Bind<T>(T options, IEnumerable<KeyValuePair<string, string>> settings, string metric) where T : MetricOptions
    {
        var list = settings.ToList();
        if (list.Count == 0) return options;
        var type = options.GetType();
        var clone = (T)(type.GetMethod("<Clone>$")?.Invoke(options, null) ?? throw new InvalidOperationException($"{type.Name} is not a record."));
        foreach (var (key, value) in list)
        {
            var p = Find(type, key) ?? throw new InputDataException(
                $"--param {metric}.{key}: '{metric}' has no option '{key}'. Its options: {string.Join(", ", Keys(type))}.");
            object parsed;
            try { parsed = Parse(p.PropertyType, value); }
            catch (FormatException e) { throw new InputDataException($"--param {metric}.{key}={value}: {e.Message}"); }
            p.SetValue(clone, parsed);
        }
        return clone;
    }

    /// <summary>Every option of <paramref name="options"/> with its value as text, snake_case keys (for summaries).</summary>
    public static IReadOnlyDictionary<string, string> Describe(MetricOptions options) =>
        Settable(options.GetType()).ToDictionary(p => SnakeCase(p.Name), p => Format(p.GetValue(options)));

    /// <summary><c>FeaturesInStep</c> → <c>features_in_step</c>.</summary>
    public static string SnakeCase(string pascal)
    {
        var sb = new StringBuilder(pascal.Length + 8);
        for (int i = 0; i < pascal.Length; i++)
        {
            char c = pascal[i];
            if (char.IsUpper(c))
            {
                bool boundary = i > 0 && (char.IsLower(pascal[i - 1]) || char.IsDigit(pascal[i - 1])
                    || (i + 1 < pascal.Length && char.IsLower(pascal[i + 1]) && char.IsUpper(pascal[i - 1])));
                if (boundary) sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            else sb.Append(c);
        }
        return sb.ToString();
    }

    private static IEnumerable<PropertyInfo> Settable(Type type)
    {
        var props = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.SetMethod is { IsPublic: true } && p.Name != "EqualityContract").ToList();
        int Depth(PropertyInfo p) { int d = 0; for (var t = p.DeclaringType; t is not null && t != typeof(object); t = t.BaseType) d++; return -d; }
        return props.OrderBy(Depth).ThenBy(p => p.MetadataToken);
    }

    private static PropertyInfo? Find(Type type, string key)
    {
        string k = key.Trim().Replace("-", "_", StringComparison.Ordinal);
        return Settable(type).FirstOrDefault(p => string.Equals(SnakeCase(p.Name), k, StringComparison.OrdinalIgnoreCase));
    }

    private static object Parse(Type type, string text)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        text = text.Trim();
        if (Nullable.GetUnderlyingType(type) is not null && (text.Length == 0 || text.Equals("none", StringComparison.OrdinalIgnoreCase)))
            return null!;
        if (t == typeof(bool))
            return text.ToLowerInvariant() switch
            {
                "true" or "1" or "yes" => true,
                "false" or "0" or "no" => false,
                _ => throw new FormatException($"'{text}' is not true or false."),
            };
        if (t == typeof(int)) return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : throw new FormatException($"'{text}' is not an integer.");
        if (t == typeof(long)) return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l : throw new FormatException($"'{text}' is not an integer.");
        if (t == typeof(double)) return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && !double.IsNaN(d) ? d : throw new FormatException($"'{text}' is not a number.");
        if (t == typeof(float)) return float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && !float.IsNaN(f) ? f : throw new FormatException($"'{text}' is not a number.");
        if (t == typeof(string)) return text;
        if (t.IsEnum)
        {
            string norm = text.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);
            foreach (var name in Enum.GetNames(t))
                if (string.Equals(name, norm, StringComparison.OrdinalIgnoreCase)) return Enum.Parse(t, name);
            throw new FormatException($"'{text}' is not one of {string.Join(", ", Enum.GetNames(t).Select(SnakeCase))}.");
        }
        if (t.IsArray)
        {
            var e = t.GetElementType()!;
            var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length == 0) throw new FormatException("an empty list.");
            var arr = Array.CreateInstance(e, parts.Length);
            for (int j = 0; j < parts.Length; j++) arr.SetValue(Parse(e, parts[j]), j);
            return arr;
        }
        throw new FormatException($"options of type {t.Name} cannot be set from the command line.");
    }

    private static string Format(object? value) => value switch
    {
        null => "none",
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        Enum e => SnakeCase(e.ToString()),
        Array a => string.Join(",", a.Cast<object?>().Select(Format)),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
