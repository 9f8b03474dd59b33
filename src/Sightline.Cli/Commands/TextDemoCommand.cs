using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Sightline.IO;
using Sightline.Reports;
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
/// "negative" (semex-A-r); then the faithfulness curve and the HTML report of the folder (<c>sightline report</c>'s,
/// whose text section shows the coloured words, the settings and the curve).
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
                var path = Path.Combine(dir, $"attributions_{aspect}.csv");
                // The run record keeps the settings, as 'text explain' does, so 'sightline report' can show them.
                List<(string, string?)> settings =
                [
                    ("--prompts", $"(built in: {Sentences.Length} review sentences)"), ("--explainer", "semex-A-r"), ("--aspect", aspect), ("--llm", "none"),
                    ("--vectorizer", "minilm"), ("--seed", "0"), ("--legacy-one-based-coalitions", "False"), ("--wordnet", wn.Folder),
                ];
                using (var run = TextRunRecord.Begin("--out", "text demo", TextRunRecord.Signature("text demo", settings, []), [path, AttributionsFile.SidecarFor(path)], force: true, settings))
                    run.Commit(() => AttributionsFile.Write(list, path), ExitCodes.Ok, $"{list.Count} prompts explained with semex-A-r towards \"{aspect}\"");
                byAspect[aspect] = list;
            }
            var curves = byAspect["positive"].Select(e =>
                FaithfulnessCurve.ComputeAsync([.. e.Players.Select(p => p.Text)], [.. e.Players.Select(p => p.Score)], e.Response!, new IdentityResponder(), null, FaithfulnessMask.Ellipsis, 0)
                    .GetAwaiter().GetResult()).ToList();
            // The columns of 'text faithfulness'.
            var table = new ResultTable()
                .Add(new Int64Column("prompt_index", [.. Enumerable.Range(0, curves.Count).Select(i => (long)i)]))
                .Add(new StringColumn("explainer", [.. curves.Select(_ => (string?)"semex-A-r")]));
            for (int k = 0; k < 11; k++)
            {
                int kk = k;
                table.Add(new DoubleColumn(FaithfulnessCurve.Column(k), [.. curves.Select(c => c[kk])]));
            }
            table.Add(new StringColumn("reason", [.. curves.Select(c => c.Any(double.IsNaN) ? "some k had no TF-IDF vocabulary" : null)]));
            var mean = Enumerable.Range(0, 11).Select(k => curves.Average(c => c[k])).ToArray();
            List<(string, string?)> curveSettings = [("--attributions", "attributions_positive.csv"), ("--llm", "none"), ("--vectorizer", "tfidf"), ("--mask", "ellipsis"), ("--seed", "0")];
            using (var run = TextRunRecord.Begin("--out", "text demo", TextRunRecord.Signature("text demo", curveSettings, []), [files[2]], force: true, curveSettings))
                run.Commit(() => ResultWriter.Write(table, files[2]), ExitCodes.Ok, "faithfulness of the positive-aspect attributions");
            HtmlReport.Write(dir, files[3], new ReportOptions { Title = "Sightline text demo: SemeX aspect attributions on all-MiniLM-L6-v2" });
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
}
