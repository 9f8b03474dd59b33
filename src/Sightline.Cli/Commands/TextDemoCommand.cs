using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Sightline.IO;
using Sightline.Results;
using Sightline.Text.Calls;
using Sightline.Text.Evaluation;
using Sightline.Text.Explainers;
using Sightline.Text.IO;
using Sightline.Text.Lexicon;
using Sightline.Text.Values;

namespace Sightline.Cli.Commands;

/// <summary>
/// <c>sightline text demo</c>: SemeX offline on a real model. The explained model is all-MiniLM-L6-v2 itself
/// (<c>--llm none</c>: the response is the text), the value of a coalition its cosine to the aspect "positive" or
/// "negative" (semex-A-r); then the faithfulness curve and a small standalone HTML report.
/// </summary>
internal static class TextDemoCommand
{
    /// <summary>The built-in sentences (short movie-review sentences in the style of SST-2).</summary>
    public static readonly string[] Sentences =
    [
        "A wonderful, moving film with brilliant acting.",
        "The plot is dull and the dialogue is painfully bad.",
        "I loved the music but the ending felt rushed.",
        "An awful script ruins a talented cast.",
        "Beautiful photography and a charming story.",
        "The jokes are stale and the pacing is terrible.",
    ];

    public static Command Build(CliContext context)
    {
        var output = new Option<string>("--out") { Description = "Output folder: attributions_positive.csv, attributions_negative.csv (with their .coalitions.jsonl), faithfulness.csv, report.html.", DefaultValueFactory = _ => "sightline-text-demo", HelpName = "DIR" };
        var wordnet = new Option<string?>("--wordnet") { Description = "WordNet folder (default /usr/share/wordnet, Debian's wordnet-base).", HelpName = "DIR" };
        var command = new Command("demo", "SemeX offline on a real model: aspect attributions of built-in review sentences towards \"positive\" and \"negative\" with MiniLM as the explained model (--llm none), the faithfulness curve, an HTML report. Exit 0 when the curve rises from k = 0 to k = 1.")
        {
            output, wordnet,
        };
        command.SetAction(parse =>
        {
            var clock = Stopwatch.StartNew();
            var dir = parse.GetValue(output)!;
            var files = new[] { "attributions_positive.csv", "attributions_negative.csv", "faithfulness.csv", "report.html" }.Select(f => Path.Combine(dir, f)).ToArray();
            var plan = new PathPlan().OutputFolder("--out", dir);
            plan.Check();
            AtomicFile.EnsureFolder(dir);
            var wn = WordNet.Open(parse.GetValue(wordnet));
            var caller = new CachedCaller(new MemoryCallCache());
            var context0 = new TextExplainContext(new IdentityResponder(), new EmbeddingScorer(new MiniLmEmbedder(caller)), 0);
            var prompts = Sentences.Select((s, i) => new TextPrompt(i, s)).ToList();
            var byAspect = new Dictionary<string, List<TextExplanation>>();
            foreach (var aspect in new[] { "positive", "negative" })
            {
                var explainer = new SemexExplainer(new SemexOptions { Target = SemexTarget.Aspect, Strategy = ReplacementStrategy.Remove, Aspect = aspect }, new ContentWords(wn), new RemovalReplacements());
                var list = TextExplainRun.RunAsync(prompts, explainer, context0).GetAwaiter().GetResult();
                AttributionsFile.Write(list, Path.Combine(dir, $"attributions_{aspect}.csv"));
                byAspect[aspect] = list;
            }
            var curves = byAspect["positive"].Select(e =>
                FaithfulnessCurve.ComputeAsync([.. e.Players.Select(p => p.Text)], [.. e.Players.Select(p => p.Score)], e.Response!, new IdentityResponder(), null, FaithfulnessMask.Ellipsis, 0)
                    .GetAwaiter().GetResult()).ToList();
            var table = new ResultTable().Add(new Int64Column("prompt_index", [.. Enumerable.Range(0, curves.Count).Select(i => (long)i)]));
            for (int k = 0; k < 11; k++)
            {
                int kk = k;
                table.Add(new DoubleColumn(FaithfulnessCurve.Column(k), [.. curves.Select(c => c[kk])]));
            }
            ResultWriter.Write(table, files[2]);
            var mean = Enumerable.Range(0, 11).Select(k => curves.Average(c => c[k])).ToArray();
            AtomicFile.WriteAllText(files[3], Html(byAspect, mean));
            foreach (var (pos, neg) in byAspect["positive"].Zip(byAspect["negative"]))
                context.Out.WriteLine($"{pos.Prompt}\n    towards positive: {Top(pos)}; towards negative: {Top(neg)}");
            bool rises = mean[10] > mean[0];
            context.Out.WriteLine($"Faithfulness (keep top k, mean over {curves.Count}): {string.Join(' ', mean.Select(x => x.ToString("0.00", CultureInfo.InvariantCulture)))}{(rises ? "" : " (does not rise: check the setup)")}");
            context.Out.WriteLine($"{caller.Calls} MiniLM embeddings in {clock.Elapsed.TotalSeconds:0.0} s → {dir}");
            return rises ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }

    private static string Top(TextExplanation e) =>
        string.Join(", ", e.Players.Where(p => p.IsConcept && double.IsFinite(p.Score)).OrderByDescending(p => p.Score).Take(2)
            .Select(p => $"{p.Text} {p.Score.ToString("0.00", CultureInfo.InvariantCulture)}"));

    private static string Html(Dictionary<string, List<TextExplanation>> byAspect, double[] curve)
    {
        var sb = new StringBuilder();
        sb.Append("<!doctype html><html><head><meta charset=\"utf-8\"><title>Sightline text demo</title><style>")
          .Append("body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;color:#222}td{padding:.2em .6em;vertical-align:top}")
          .Append(".w{padding:.1em .25em;border-radius:.2em;margin-right:.15em}.n{color:#999}</style></head><body>")
          .Append("<h1>SemeX aspect attributions (semex-A-r) on all-MiniLM-L6-v2</h1>")
          .Append("<p>The explained model is the embedding model itself (<code>--llm none</code>): v(C) = cos(E(text<sub>C</sub>), E(aspect)). ")
          .Append("Content words are coloured by ψ (green: towards \"positive\", red: towards \"negative\"); grey words are not concepts (score −1).</p><table>");
        foreach (var (pos, neg) in byAspect["positive"].Zip(byAspect["negative"]))
        {
            sb.Append("<tr><td>positive</td><td>").Append(Words(pos, "46,160,67")).Append("</td></tr>");
            sb.Append("<tr><td>negative</td><td>").Append(Words(neg, "214,39,40")).Append("</td></tr><tr><td colspan=2></td></tr>");
        }
        sb.Append("</table><h2>Faithfulness curve (keep the top k share of words, the rest \"...\")</h2>");
        const int w = 400, h = 200;
        var points = string.Join(' ', curve.Select((y, i) => $"{(40 + i * (w - 60) / 10.0).ToString("0.#", CultureInfo.InvariantCulture)},{(h - 20 - y * (h - 40)).ToString("0.#", CultureInfo.InvariantCulture)}"));
        sb.Append($"<svg width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\"><line x1=\"40\" y1=\"{h - 20}\" x2=\"{w - 20}\" y2=\"{h - 20}\" stroke=\"#888\"/><line x1=\"40\" y1=\"20\" x2=\"40\" y2=\"{h - 20}\" stroke=\"#888\"/>")
          .Append($"<text x=\"{w / 2}\" y=\"{h - 4}\" font-size=\"11\">k</text><text x=\"4\" y=\"24\" font-size=\"11\">1</text><text x=\"4\" y=\"{h - 20}\" font-size=\"11\">0</text>")
          .Append($"<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"{points}\"/></svg>")
          .Append("<p>sim_k: ").Append(string.Join(' ', curve.Select(x => x.ToString("0.00", CultureInfo.InvariantCulture)))).Append("</p></body></html>\n");
        return sb.ToString();
    }

    private static string Words(TextExplanation e, string rgb)
    {
        double max = e.Players.Where(p => p.IsConcept && double.IsFinite(p.Score)).Select(p => p.Score).DefaultIfEmpty(1).Max();
        return string.Concat(e.Players.Select(p => p.IsConcept && double.IsFinite(p.Score)
            ? $"<span class=\"w\" style=\"background:rgba({rgb},{(max > 0 ? p.Score / max : 0).ToString("0.00", CultureInfo.InvariantCulture)})\" title=\"ψ = {p.Score.ToString("0.000", CultureInfo.InvariantCulture)}\">{WebUtility.HtmlEncode(p.Text)}</span>"
            : $"<span class=\"w n\">{WebUtility.HtmlEncode(p.Text)}</span>"));
    }
}
