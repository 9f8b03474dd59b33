using System.Globalization;
using System.Text;
using static Sightline.Reports.Format;

namespace Sightline.Reports;

/// <summary>
/// The report's <c>text</c> section: for every text run (<see cref="TextAttributions"/>) its settings, then each prompt's
/// words coloured by attribution on a diverging scale and the value on hover, then the faithfulness curve(s) computed from
/// it as an inline SVG (<see cref="SvgCharts.Lines"/>); curves whose attributions are not in the folder follow on their own.
/// </summary>
internal static class TextSection
{
    /// <summary>How many prompts of a run are drawn (the first ones by index); the note says how many there are.</summary>
    public const int MaxPrompts = 40;

    /// <summary>The diverging scale: blue below the centre, white at it, red above (ColorBrewer RdBu ends).</summary>
    private static readonly (int R, int G, int B) Low = (33, 102, 172), High = (178, 24, 43);

    public const string Css =
        ".tprompt{margin:6px 0;line-height:2}.tprompt .pi{display:inline-block;min-width:2.2em;color:#666;font-size:12px}" +
        ".tw{padding:2px 4px;border-radius:3px;margin-right:3px;border:1px solid #e3e3e3}.tw.nc{color:#999;border-color:transparent}" +
        ".tw.nd{color:#8a2b00;border:1px dashed #D55E00}.tprompt .tgt{color:#555;font-size:12px;margin-left:8px}" +
        ".tlegend{display:flex;align-items:center;gap:8px;font-size:12px;color:#444;margin:4px 0 10px}" +
        ".tlegend .bar{width:220px;height:12px;border:1px solid #999;background:linear-gradient(90deg,rgb(33,102,172),#fff,rgb(178,24,43))}" +
        "table.settings td,table.settings th{text-align:left}";

    public static string? Build(ReportInputs inputs)
    {
        if (inputs.Texts.Count == 0 && inputs.Curves.Count == 0) return null;
        var sb = new StringBuilder();
        sb.Append("<p class=\"note\">Text explanations (TokenSHAP, SemeX) from <code>sightline text</code>. Each word is coloured by its attribution ψ "
            + "(the normalised with-minus-without similarity difference; ψ ≥ 0 and Σψ = 1 over the players): red above the equal share 1/n, "
            + "white at it, blue below; hover a word for its value. Grey words are not concept words (SemeX scores them −1); a dashed word has no "
            + "value (the reason is on hover).</p>\n");
        sb.Append("<div class=\"tlegend\"><span>below 1/n</span><span class=\"bar\" role=\"img\" aria-label=\"diverging colour scale: blue below the equal share 1/n, white at it, red above\"></span><span>above 1/n (up to the prompt's largest ψ)</span></div>\n");
        var used = new HashSet<TextCurve>();
        foreach (var run in inputs.Texts)
        {
            var curves = inputs.Curves.Where(c => c.Attributions is { } a && string.Equals(Path.GetFullPath(a), Path.GetFullPath(run.Path), StringComparison.Ordinal)).ToList();
            // A curve file without a record that names its attributions, in a folder with exactly one run, belongs to that run.
            if (curves.Count == 0)
            {
                var dir = Path.GetDirectoryName(run.Path);
                var here = inputs.Texts.Count(t => Path.GetDirectoryName(t.Path) == dir);
                if (here == 1) curves = [.. inputs.Curves.Where(c => c.Attributions is null && Path.GetDirectoryName(c.Path) == dir)];
            }
            Run(sb, inputs.Root, run);
            foreach (var c in curves)
            {
                used.Add(c);
                Curve(sb, inputs.Root, c);
            }
        }
        var rest = inputs.Curves.Where(c => !used.Contains(c)).ToList();
        if (rest.Count > 0)
        {
            sb.Append("<h3>Faithfulness curves</h3>\n");
            foreach (var c in rest) Curve(sb, inputs.Root, c);
        }
        return sb.ToString();
    }

    private static string Rel(string root, string path) => Path.GetRelativePath(root, path).Replace('\\', '/');

    private static void Run(StringBuilder sb, string root, TextAttributions run)
    {
        int undefined = run.Prompts.Count(p => p.Players.Any(x => double.IsNaN(x.Value)) || p.Players.Count == 0);
        var targets = run.Prompts.Select(p => p.Target).Where(t => t is not null).Distinct().ToList();
        sb.Append($"<h3>{Html(run.Explainer ?? "text explanation")}: <code>{Html(Rel(root, run.Path))}</code></h3>\n");
        sb.Append($"<p class=\"note\">{run.Prompts.Count} prompt{(run.Prompts.Count == 1 ? "" : "s")}");
        if (undefined > 0) sb.Append($", {undefined} without an explanation");
        if (targets.Count == 1 && run.Explainer is { } e && e.Contains("-A-", StringComparison.Ordinal)) sb.Append($"; target: the aspect \"{Html(targets[0])}\"");
        else if (run.Prompts.Count > 0 && run.Prompts.All(p => p.Target is not null && p.Target == p.Response)) sb.Append("; target: the model's reply to the full prompt");
        var coalitions = run.Prompts.Where(p => p.Coalitions is not null).Select(p => p.Coalitions!.Value).ToList();
        if (coalitions.Count > 0) sb.Append($"; {coalitions.Sum()} coalitions evaluated ({coalitions.Average().ToString("0.#", CultureInfo.InvariantCulture)} per prompt)");
        if (run.Settings.FirstOrDefault(s => s.Key == "--llm").Value is { } llm && llm.Equals("none", StringComparison.OrdinalIgnoreCase))
            sb.Append("; the explained model is the value function itself (<code>--llm none</code>: the response is the text)");
        if (run.Prompts.Count > MaxPrompts) sb.Append($"; the first {MaxPrompts} are shown");
        sb.Append(".</p>\n");
        Settings(sb, run.Settings);
        // The target is given once in the note when all prompts share it (an aspect); per prompt when they differ.
        bool perPromptTarget = targets.Count > 1;
        foreach (var p in run.Prompts.OrderBy(p => p.PromptIndex).Take(MaxPrompts)) Prompt(sb, p, perPromptTarget);
    }

    private static void Settings(StringBuilder sb, IReadOnlyList<KeyValuePair<string, string?>> settings)
    {
        if (settings.Count == 0)
        {
            sb.Append("<p class=\"note\">No run record (<code>.sightline.json</code>) beside it: the settings are unknown.</p>\n");
            return;
        }
        var given = settings.Where(s => s.Value is not null).ToList();
        sb.Append($"<details class=\"settings\" open><summary>Settings ({given.Count})</summary>\n<table class=\"settings\"><thead><tr><th>option</th><th>value</th></tr></thead><tbody>");
        foreach (var (k, v) in given) sb.Append($"<tr><td><code>{Html(k)}</code></td><td>{Html(v)}</td></tr>");
        sb.Append("</tbody></table></details>\n");
    }

    private static void Prompt(StringBuilder sb, TextPromptAttribution p, bool showTarget)
    {
        var defined = p.Players.Where(x => double.IsFinite(x.Value) && x.Value >= 0).ToList();
        double centre = defined.Count == 0 ? 0 : 1.0 / defined.Count;
        double spread = defined.Select(x => Math.Abs(x.Value - centre)).DefaultIfEmpty(0).Max();
        sb.Append($"<div class=\"tprompt\" data-prompt=\"{p.PromptIndex}\"><span class=\"pi\">#{p.PromptIndex}</span>");
        if (p.Players.Count == 0) sb.Append($"<span class=\"tw nd\" title=\"{Html(p.Reason ?? "no players")}\">(no players)</span>");
        foreach (var w in p.Players)
        {
            if (double.IsNaN(w.Value))
                sb.Append($"<span class=\"tw nd\" title=\"{Html($"undefined: {p.Reason ?? "no value"}")}\">{Html(w.Text)}</span>");
            else if (w.Value < 0)
                sb.Append($"<span class=\"tw nc\" title=\"{Html($"{w.Text}: not a concept word (score {Number(w.Value)})")}\">{Html(w.Text)}</span>");
            else
            {
                double t = spread > 0 ? Math.Clamp((w.Value - centre) / spread, -1, 1) : 0;
                sb.Append($"<span class=\"tw\" style=\"background:{Diverging(t)}{(Math.Abs(t) > 0.65 ? ";color:#fff" : "")}\" title=\"{Html($"{w.Text}: ψ = {Number(w.Value)} (player {w.Index})")}\" data-value=\"{w.Value.ToString("R", CultureInfo.InvariantCulture)}\">{Html(w.Text)}</span>");
            }
        }
        if (showTarget && p.Target is { } target && target != p.Response)
            sb.Append($"<span class=\"tgt\">target: {Html(Shorten(target, 60))}</span>");
        sb.Append("</div>\n");
    }

    /// <summary>The colour of <paramref name="t"/> ∈ [−1, 1] on the blue–white–red scale.</summary>
    internal static string Diverging(double t)
    {
        var end = t < 0 ? Low : High;
        double a = Math.Abs(t);
        int C(int c) => (int)Math.Round(255 + a * (c - 255));
        return $"#{C(end.R):X2}{C(end.G):X2}{C(end.B):X2}";
    }

    private static string Shorten(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";

    private static void Curve(StringBuilder sb, string root, TextCurve curve)
    {
        var mean = curve.Mean();
        int complete = curve.Curves.Count(c => c.Sims.All(double.IsFinite));
        var faint = curve.Curves.Select(c => (curve.K, c.Sims)).ToList();
        var line = (new ChartSeries($"mean of {complete}", SvgCharts.Palette[0]), curve.K, mean);
        sb.Append("<figure>").Append(SvgCharts.Lines($"Faithfulness: {Path.GetFileName(curve.Path)}", "share k of words kept", "similarity sim_k", [line], faint));
        var mask = curve.Settings.FirstOrDefault(s => s.Key == "--mask").Value ?? "ellipsis";
        sb.Append($"<figcaption>Keep-top-k curve from <code>{Html(Rel(root, curve.Path))}</code>: keep the top k share of words by score (ties kept), "
            + $"replace the rest ({Html(mask == "random" ? "by random words" : "by \"...\"")}), and compare the model's reply with the stored response; higher is better. "
            + $"Thin lines: single prompts ({curve.Curves.Count}); mean sim_k for k = 0, 0.1, …, 1: {string.Join(" ", mean.Select(v => double.IsNaN(v) ? "NaN" : v.ToString("0.00", CultureInfo.InvariantCulture)))}.</figcaption></figure>\n");
        if (curve.Settings.Count > 0 && curve.Attributions is null) Settings(sb, curve.Settings);
    }
}
