using System.Text;
using Sightline.Data;
using static Sightline.Reports.Format;

namespace Sightline.Reports;

/// <summary>One coloured series of a chart.</summary>
/// <param name="Name">Legend text.</param>
/// <param name="Color">CSS colour.</param>
public sealed record ChartSeries(string Name, string Color);

/// <summary>A bar of <see cref="SvgCharts.GroupedBars"/>: mean with a 95% CI (NaN ends draw no whisker).</summary>
/// <param name="Mean">Bar height.</param>
/// <param name="Low">Lower whisker end.</param>
/// <param name="High">Upper whisker end.</param>
public sealed record BarValue(double Mean, double Low, double High);

/// <summary>
/// Hand-written SVG charts (no native dependency, crisp at any zoom, a few kilobytes each): histograms, grouped bar
/// charts with CI whiskers and the viridis colour bar. Series colours come from <see cref="Palette"/> (Okabe–Ito,
/// distinguishable with the common colour-vision deficiencies).
/// </summary>
public static class SvgCharts
{
    /// <summary>The Okabe–Ito palette, yellow last (weak on white).</summary>
    public static readonly IReadOnlyList<string> Palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442"];

    /// <summary>A chart's size and plot area in pixels; the plot spans [Left, Right] × [Top, Bottom].</summary>
    private readonly record struct Frame(int Width, int Height, int Left, int Right, int Top, int Bottom);

    private static readonly Frame Standard = new(440, 250, 52, 300, 28, 200);
    private const int Left = 52, Right = 300, Top = 28, Bottom = 200;

    /// <summary>
    /// A histogram of <paramref name="values"/> per series over [<paramref name="min"/>, <paramref name="max"/>] in
    /// <paramref name="bins"/> equal bins (values outside are clamped into the end bins, NaN ignored); bar heights are
    /// the share of each series' defined values, so series of different sizes compare; bars of a bin are side by side.
    /// </summary>
    public static string Histogram(string title, string xLabel, IReadOnlyList<(ChartSeries Series, double[] Values)> values, double min, double max, int bins = 10)
    {
        var shares = values.Select(v =>
        {
            var counts = new double[bins];
            int n = 0;
            foreach (var x in v.Values)
            {
                if (double.IsNaN(x)) continue;
                int b = (int)Math.Floor((x - min) / (max - min) * bins);
                counts[Math.Clamp(b, 0, bins - 1)]++;
                n++;
            }
            if (n > 0) for (int b = 0; b < bins; b++) counts[b] /= n;
            return (v.Series, counts, n);
        }).ToList();
        double top = NiceMax(shares.SelectMany(s => s.counts).DefaultIfEmpty(0).Max());
        var sb = Begin(title);
        YAxis(sb, 0, top, "share of samples");
        double binWidth = (double)(Right - Left) / bins;
        int k = Math.Max(1, shares.Count);
        for (int b = 0; b < bins; b++)
            for (int s = 0; s < shares.Count; s++)
            {
                double h = shares[s].counts[b] / top * (Bottom - Top);
                double x = Left + b * binWidth + 1 + s * (binWidth - 2) / k;
                sb.Append($"<rect x=\"{Coord(x)}\" y=\"{Coord(Bottom - h)}\" width=\"{Coord((binWidth - 2) / k)}\" height=\"{Coord(h)}\" fill=\"{shares[s].Series.Color}\">")
                  .Append($"<title>{Html(shares[s].Series.Name)}: {Percent(shares[s].counts[b])} in [{Tick(min + b * (max - min) / bins)}, {Tick(min + (b + 1) * (max - min) / bins)}]</title></rect>");
            }
        for (int b = 0; b <= bins; b += 2)
        {
            double x = Left + b * binWidth;
            sb.Append($"<line x1=\"{Coord(x)}\" y1=\"{Bottom}\" x2=\"{Coord(x)}\" y2=\"{Bottom + 4}\" stroke=\"#333\"/>")
              .Append($"<text x=\"{Coord(x)}\" y=\"{Bottom + 16}\" text-anchor=\"middle\">{Tick(min + b * (max - min) / bins)}</text>");
        }
        sb.Append($"<line x1=\"{Left}\" y1=\"{Bottom}\" x2=\"{Right}\" y2=\"{Bottom}\" stroke=\"#333\"/>");
        sb.Append($"<text x=\"{(Left + Right) / 2}\" y=\"{Bottom + 34}\" text-anchor=\"middle\" class=\"axis-label\">{Html(xLabel)}</text>");
        Legend(sb, shares.Select(s => s.Series with { Name = $"{Shorten(s.Series.Name, 14)} n={s.n}" }).ToList());
        return sb.Append("</svg>").ToString();
    }

    /// <summary>
    /// A grouped bar chart: one cluster per category (metric), one bar per series (model) with its 95% CI as a whisker;
    /// missing or NaN means leave a gap. The y axis spans [0, 1] unless a value lies outside. The plot widens with the
    /// number of bars (at least <see cref="MinClusterWidth"/> pixels per category); category labels are drawn in full,
    /// centred under their cluster when neighbours do not collide, otherwise all at 45°, and the chart then grows
    /// downwards to hold them.
    /// </summary>
    public static string GroupedBars(string title, IReadOnlyList<string> categories, IReadOnlyList<ChartSeries> series, Func<int, int, BarValue?> value)
    {
        var all = new List<double> { 0, 1 };
        for (int c = 0; c < categories.Count; c++)
            for (int s = 0; s < series.Count; s++)
                if (value(c, s) is { } v) all.AddRange(new[] { v.Mean, v.Low, v.High }.Where(double.IsFinite));
        double lo = all.Min(), hi = all.Max();
        if (hi > 1) hi = NiceMax(hi);
        if (lo < 0) lo = -NiceMax(-lo);

        int n = Math.Max(1, categories.Count);
        double minCluster = Math.Max(MinClusterWidth, 8 + 5 * series.Count);
        double plot = Math.Max(Standard.Right - Standard.Left, n * minCluster);
        double clusterWidth = plot / n;
        double longest = categories.Select(TextWidth).DefaultIfEmpty(0).Max();
        // Horizontal labels are centred under their cluster: two neighbours collide when their half-widths add up to more
        // than the distance of their ticks, the first when it reaches past the left edge, the last past the legend's room.
        bool rotate = Enumerable.Range(0, Math.Max(0, categories.Count - 1)).Any(c => (TextWidth(categories[c]) + TextWidth(categories[c + 1])) / 2 > clusterWidth - 6)
            || (categories.Count > 0 && (TextWidth(categories[0]) / 2 > Standard.Left + clusterWidth / 2 - 4 || TextWidth(categories[^1]) / 2 > clusterWidth / 2 + 30));
        // A label at 45° reaches longest·cos 45° right of and below its tick.
        double reach = rotate ? longest * Math.Sqrt(0.5) : 0;
        int right = Standard.Left + (int)Math.Ceiling(plot);
        double legend = series.Select(s => TextWidth(Shorten(s.Name, 22))).DefaultIfEmpty(0).Max() + 34;
        var frame = Standard with
        {
            Right = right,
            Width = (int)Math.Ceiling(Math.Max(Standard.Width, right + Math.Max(legend, reach + 8))),
            Height = Standard.Height + (int)Math.Ceiling(rotate ? reach + 6 : 0),
        };
        var sb = Begin(title, frame);
        YAxis(sb, lo, hi, "mean (95% CI)", frame);
        int bottom = frame.Bottom;
        double Y(double v) => bottom - (v - lo) / (hi - lo) * (bottom - frame.Top);
        double barWidth = (clusterWidth - 8) / Math.Max(1, series.Count);
        for (int c = 0; c < categories.Count; c++)
        {
            double x0 = frame.Left + c * clusterWidth + 4;
            for (int s = 0; s < series.Count; s++)
            {
                if (value(c, s) is not { } v || double.IsNaN(v.Mean)) continue;
                double x = x0 + s * barWidth, y = Y(Math.Max(v.Mean, lo)), zero = Y(Math.Max(0, lo));
                sb.Append($"<rect x=\"{Coord(x + 0.5)}\" y=\"{Coord(Math.Min(y, zero))}\" width=\"{Coord(barWidth - 1)}\" height=\"{Coord(Math.Abs(zero - y))}\" fill=\"{series[s].Color}\">")
                  .Append($"<title>{Html(series[s].Name)}, {Html(categories[c])}: {Number(v.Mean)} {Interval(v.Low, v.High)}</title></rect>");
                if (double.IsFinite(v.Low) && double.IsFinite(v.High))
                {
                    double cx = x + barWidth / 2;
                    sb.Append($"<path d=\"M{Coord(cx)} {Coord(Y(v.Low))}V{Coord(Y(v.High))}M{Coord(cx - 3)} {Coord(Y(v.Low))}h6M{Coord(cx - 3)} {Coord(Y(v.High))}h6\" stroke=\"#222\" stroke-width=\"1.2\" fill=\"none\"/>");
                }
            }
            double tick = x0 + (clusterWidth - 8) / 2;
            sb.Append(rotate
                ? $"<text class=\"x-label\" x=\"{Coord(tick)}\" y=\"{bottom + 12}\" transform=\"rotate(45 {Coord(tick)} {bottom + 12})\">{Html(categories[c])}</text>"
                : $"<text class=\"x-label\" x=\"{Coord(tick)}\" y=\"{bottom + 16}\" text-anchor=\"middle\">{Html(categories[c])}</text>");
        }
        sb.Append($"<line x1=\"{frame.Left}\" y1=\"{Coord(Y(Math.Max(0, lo)))}\" x2=\"{frame.Right}\" y2=\"{Coord(Y(Math.Max(0, lo)))}\" stroke=\"#333\"/>");
        sb.Append($"<text x=\"{(frame.Left + frame.Right) / 2}\" y=\"{frame.Height - 16}\" text-anchor=\"middle\" class=\"axis-label\">metric</text>");
        Legend(sb, series, frame);
        return sb.Append("</svg>").ToString();
    }

    /// <summary>
    /// A line chart of curves over x ∈ [0, 1] (e.g. a faithfulness curve: the similarity sim_k against the share k of
    /// words kept): each <paramref name="lines"/> entry is drawn with its points marked and a hover title per point;
    /// <paramref name="faint"/> curves (single prompts) are drawn thin and light behind them, without markers or legend.
    /// NaN points break a line. The y axis spans [0, 1] unless a value lies outside.
    /// </summary>
    public static string Lines(string title, string xLabel, string yLabel, IReadOnlyList<(ChartSeries Series, double[] X, double[] Y)> lines,
        IReadOnlyList<(double[] X, double[] Y)>? faint = null)
    {
        faint ??= [];
        var ys = lines.SelectMany(l => l.Y).Concat(faint.SelectMany(f => f.Y)).Where(double.IsFinite).DefaultIfEmpty(0).ToList();
        double lo = Math.Min(0, ys.Min()), hi = Math.Max(1, ys.Max());
        if (hi > 1) hi = NiceMax(hi);
        if (lo < 0) lo = -NiceMax(-lo);
        var sb = Begin(title);
        YAxis(sb, lo, hi, yLabel);
        double X(double x) => Left + Math.Clamp(x, 0, 1) * (Right - Left);
        double Y(double y) => Bottom - (y - lo) / (hi - lo) * (Bottom - Top);
        static IEnumerable<List<int>> Runs(double[] x, double[] y)
        {
            var run = new List<int>();
            for (int i = 0; i < Math.Min(x.Length, y.Length); i++)
            {
                if (double.IsFinite(x[i]) && double.IsFinite(y[i])) { run.Add(i); continue; }
                if (run.Count > 0) yield return run;
                run = [];
            }
            if (run.Count > 0) yield return run;
        }
        string Path(double[] x, double[] y, List<int> run) => "M" + string.Join("L", run.Select(i => $"{Coord(X(x[i]))} {Coord(Y(y[i]))}"));
        foreach (var (x, y) in faint)
            foreach (var run in Runs(x, y))
                sb.Append($"<path d=\"{Path(x, y, run)}\" fill=\"none\" stroke=\"#9aa5b1\" stroke-width=\"1\" stroke-opacity=\"0.6\"/>");
        foreach (var (series, x, y) in lines)
        {
            foreach (var run in Runs(x, y))
            {
                sb.Append($"<path d=\"{Path(x, y, run)}\" fill=\"none\" stroke=\"{series.Color}\" stroke-width=\"2.2\"/>");
                foreach (var i in run)
                    sb.Append($"<circle cx=\"{Coord(X(x[i]))}\" cy=\"{Coord(Y(y[i]))}\" r=\"3\" fill=\"{series.Color}\"><title>{Html(series.Name)}: {Html(xLabel)} = {Tick(x[i])}, {Number(y[i])}</title></circle>");
            }
        }
        for (int t = 0; t <= 5; t++)
        {
            double x = Left + t / 5.0 * (Right - Left);
            sb.Append($"<line x1=\"{Coord(x)}\" y1=\"{Bottom}\" x2=\"{Coord(x)}\" y2=\"{Bottom + 4}\" stroke=\"#333\"/>")
              .Append($"<text x=\"{Coord(x)}\" y=\"{Bottom + 16}\" text-anchor=\"middle\">{Tick(t / 5.0)}</text>");
        }
        sb.Append($"<line x1=\"{Left}\" y1=\"{Coord(Y(Math.Max(0, lo)))}\" x2=\"{Right}\" y2=\"{Coord(Y(Math.Max(0, lo)))}\" stroke=\"#333\"/>");
        sb.Append($"<text x=\"{(Left + Right) / 2}\" y=\"{Bottom + 34}\" text-anchor=\"middle\" class=\"axis-label\">{Html(xLabel)}</text>");
        Legend(sb, [.. lines.Select(l => l.Series)]);
        return sb.Append("</svg>").ToString();
    }

    /// <summary>The narrowest cluster of <see cref="GroupedBars"/>: neighbouring 45° labels then lie ≥ 14 px apart (an 11 px font's line).</summary>
    internal const double MinClusterWidth = 20;

    /// <summary>A generous estimate of a label's width in the charts' 11 px sans-serif font (wider than the average glyph).</summary>
    internal static double TextWidth(string text) => 6.5 * text.Length;

    /// <summary>The viridis colour bar from 0 to 1 with ticks and the caption the report promises.</summary>
    public static string ColorBar(string caption = "viridis: perceptually uniform, low → high saliency")
    {
        var sb = new StringBuilder();
        sb.Append($"<svg width=\"360\" height=\"58\" viewBox=\"0 0 360 58\" role=\"img\" aria-label=\"{Html(caption)}\">");
        sb.Append("<defs><linearGradient id=\"viridis-gradient\" x1=\"0\" x2=\"1\" y1=\"0\" y2=\"0\">");
        for (int i = 0; i <= 16; i++)
        {
            var (r, g, b) = Colormap.Viridis(i / 16.0);
            sb.Append($"<stop offset=\"{Coord(i / 16.0)}\" stop-color=\"#{r:X2}{g:X2}{b:X2}\"/>");
        }
        sb.Append("</linearGradient></defs>");
        sb.Append("<rect x=\"10\" y=\"4\" width=\"340\" height=\"16\" fill=\"url(#viridis-gradient)\" stroke=\"#333\" stroke-width=\"0.5\"/>");
        foreach (var t in new[] { 0.0, 0.25, 0.5, 0.75, 1.0 })
        {
            double x = 10 + 340 * t;
            sb.Append($"<line x1=\"{Coord(x)}\" y1=\"20\" x2=\"{Coord(x)}\" y2=\"24\" stroke=\"#333\"/><text x=\"{Coord(x)}\" y=\"35\" text-anchor=\"middle\">{Tick(t)}</text>");
        }
        sb.Append($"<text x=\"180\" y=\"52\" text-anchor=\"middle\">{Html(caption)}</text></svg>");
        return sb.ToString();
    }

    private static StringBuilder Begin(string title) => Begin(title, Standard);

    private static StringBuilder Begin(string title, Frame f)
    {
        var sb = new StringBuilder();
        sb.Append($"<svg width=\"{f.Width}\" height=\"{f.Height}\" viewBox=\"0 0 {f.Width} {f.Height}\" role=\"img\" aria-label=\"{Html(title)}\" class=\"chart\">");
        sb.Append($"<title>{Html(title)}</title>");
        sb.Append($"<text x=\"{Left}\" y=\"16\" class=\"chart-title\">{Html(Shorten(title, 60))}</text>");
        return sb;
    }

    private static void YAxis(StringBuilder sb, double lo, double hi, string label) => YAxis(sb, lo, hi, label, Standard);

    private static void YAxis(StringBuilder sb, double lo, double hi, string label, Frame f)
    {
        // 4 or 5 intervals, whichever gives round tick values (0.5 → 0.1 steps rather than 0.125).
        int segments = new[] { 4, 5, 2 }.FirstOrDefault(k => Math.Abs(Math.Round((hi - lo) / k, 2) - (hi - lo) / k) < 1e-9, 4);
        for (int i = 0; i <= segments; i++)
        {
            double v = lo + (hi - lo) * i / segments, y = f.Bottom - (double)(f.Bottom - f.Top) * i / segments;
            sb.Append($"<line x1=\"{f.Left}\" y1=\"{Coord(y)}\" x2=\"{f.Right}\" y2=\"{Coord(y)}\" stroke=\"#e4e4e4\"/>")
              .Append($"<text x=\"{f.Left - 6}\" y=\"{Coord(y + 4)}\" text-anchor=\"end\">{Tick(v)}</text>");
        }
        sb.Append($"<line x1=\"{f.Left}\" y1=\"{f.Top}\" x2=\"{f.Left}\" y2=\"{f.Bottom}\" stroke=\"#333\"/>");
        sb.Append($"<text transform=\"translate(14 {(f.Top + f.Bottom) / 2}) rotate(-90)\" text-anchor=\"middle\" class=\"axis-label\">{Html(label)}</text>");
    }

    private static void Legend(StringBuilder sb, IReadOnlyList<ChartSeries> series) => Legend(sb, series, Standard);

    private static void Legend(StringBuilder sb, IReadOnlyList<ChartSeries> series, Frame f)
    {
        for (int i = 0; i < series.Count; i++)
        {
            double y = f.Top + 4 + i * 18;
            sb.Append($"<rect x=\"{f.Right + 12}\" y=\"{Coord(y)}\" width=\"11\" height=\"11\" fill=\"{series[i].Color}\"/>")
              .Append($"<text x=\"{f.Right + 28}\" y=\"{Coord(y + 10)}\">{Html(Shorten(series[i].Name, 22))}</text>");
        }
    }

    private static string Shorten(string s, int max) => s.Length <= max || max < 4 ? s : s[..(max - 1)] + "…";

    /// <summary>The smallest of 1, 2, 2.5, 5 × 10^k that is ≥ <paramref name="v"/> (a share of 1 stays 1); 1 when v ≤ 0 or NaN.</summary>
    internal static double NiceMax(double v)
    {
        if (!(v > 0)) return 1;
        double p = Math.Pow(10, Math.Floor(Math.Log10(v)));
        // A relative slack absorbs rounding in p (1e-9 below v still counts as reaching it).
        foreach (var m in new[] { 1, 2, 2.5, 5, 10 })
            if (m * p >= v * (1 - 1e-9)) return m * p;
        return 10 * p;
    }
}
