using System.Globalization;
using Sightline.Metrics;

namespace Sightline.Reports;

/// <summary>Number and text formatting shared by the report's tables and charts.</summary>
internal static class Format
{
    /// <summary>Four decimals, invariant culture; NaN as <c>NaN</c>.</summary>
    public static string Number(double v) =>
        double.IsNaN(v) ? "NaN" : double.IsInfinity(v) ? (v > 0 ? "∞" : "−∞") : v.ToString("0.0000", CultureInfo.InvariantCulture);

    /// <summary>Short form for axis ticks.</summary>
    public static string Tick(double v) => v.ToString(Math.Abs(v) >= 100 ? "0" : Math.Abs(v) >= 10 ? "0.#" : "0.##", CultureInfo.InvariantCulture);

    /// <summary>A p-value: four decimals, or <c>&lt; 0.0001</c>.</summary>
    public static string PValue(double p) => double.IsNaN(p) ? "NaN" : p < 1e-4 ? "< 0.0001" : p.ToString("0.0000", CultureInfo.InvariantCulture);

    /// <summary>A [lo, hi] interval, empty when undefined.</summary>
    public static string Interval(double lo, double hi) => double.IsNaN(lo) || double.IsNaN(hi) ? "" : $"[{Number(lo)}, {Number(hi)}]";

    /// <summary>A share as a percentage with one decimal.</summary>
    public static string Percent(double v) => double.IsNaN(v) ? "NaN" : (100 * v).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    /// <summary>SVG/HTML coordinate: at most two decimals, invariant.</summary>
    public static string Coord(double v) => Math.Round(v, 2).ToString(CultureInfo.InvariantCulture);

    /// <summary>HTML-escapes text (also safe inside attribute values).</summary>
    public static string Html(string? text) =>
        (text ?? "").Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;").Replace("'", "&#39;");
}

/// <summary>Metric metadata from the registry: direction and bounds.</summary>
internal static class MetricInfo
{
    public static MetricDescriptor? Find(string metric)
    {
        // Example scores may carry a suffix (iou_object); fall back to the longest registered prefix.
        var exact = MetricRegistry.MapMask.FirstOrDefault(d => d.Name == metric);
        return exact ?? MetricRegistry.MapMask.Where(d => metric.StartsWith(d.Name + "_", StringComparison.Ordinal)).OrderByDescending(d => d.Name.Length).FirstOrDefault();
    }

    public static string? Direction(string metric) => Find(metric)?.Info.Direction switch
    {
        ScoreDirection.HigherIsBetter => "higher_is_better",
        ScoreDirection.LowerIsBetter => "lower_is_better",
        _ => null,
    };

    public static bool LowerIsBetter(string metric, string? direction = null) => (direction ?? Direction(metric)) == "lower_is_better";

    public static string DirectionText(string? direction) => direction switch
    {
        "higher_is_better" => "higher is better",
        "lower_is_better" => "lower is better",
        _ => "—",
    };

    /// <summary>The mask role of a planted cue: high overlap with it means the model uses the shortcut.</summary>
    public const string SpuriousRole = "spurious";

    /// <summary>The direction that means "better model" against a mask of <paramref name="role"/>: the metric's own
    /// direction, reversed for a <see cref="SpuriousRole"/> mask.</summary>
    public static string? ForRole(string? direction, string? role) => role != SpuriousRole ? direction : direction switch
    {
        "higher_is_better" => "lower_is_better",
        "lower_is_better" => "higher_is_better",
        _ => direction,
    };

    /// <summary>Direction text for a metric against a mask of <paramref name="role"/>, saying why when it is reversed.</summary>
    public static string DirectionText(string? direction, string? role)
    {
        if (role != SpuriousRole || direction is null) return DirectionText(direction);
        return ForRole(direction, role) == "lower_is_better"
            ? "lower is better: high means attention on the planted cue"
            : "higher is better: low means attention on the planted cue";
    }

    /// <summary>The mask suffix of an example score key (<c>iou_square</c> → <c>square</c>), or null.</summary>
    public static string? MaskOfKey(string key) =>
        Find(key) is { } d && key.Length > d.Name.Length + 1 ? key[(d.Name.Length + 1)..] : null;

    /// <summary>The metric's declared bounds when both are finite.</summary>
    public static (double Min, double Max)? Bounds(string metric) =>
        Find(metric)?.Info is { } info && double.IsFinite(info.Minimum) && double.IsFinite(info.Maximum) && info.Maximum > info.Minimum ? (info.Minimum, info.Maximum) : null;
}
