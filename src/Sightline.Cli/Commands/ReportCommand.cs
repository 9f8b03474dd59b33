using System.CommandLine;
using System.Diagnostics;
using Sightline.Reports;

namespace Sightline.Cli.Commands;

/// <summary><c>sightline report</c>: one self-contained HTML report from an align, explain or demo output folder.</summary>
public static class ReportCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Build(CliContext context)
    {
        var results = new Argument<string>("RESULTS_DIR") { Description = "Output folder of 'align', 'explain', 'demo' or 'text' (searched 3 levels deep)." };
        var output = new Option<string>("--out") { Description = "The HTML file to write (images embedded; no network, scripts or external files).", Required = true, HelpName = "report.html" };
        var title = new Option<string?>("--title") { Description = "Report title. Default: 'Sightline report: <folder name>'.", HelpName = "T" };
        var examples = new Option<int>("--examples") { Description = "Examples shown per example set: half the best, half the worst by the first metric.", DefaultValueFactory = _ => 8, HelpName = "N" };
        var command = new Command("report", "Build one self-contained HTML report (headline table, per-class means, score distributions, model comparison, heat-map examples, text explanations with their faithfulness curves) from a results folder.")
        {
            results, output, title, examples,
        };
        command.SetAction(parse =>
        {
            var clock = Stopwatch.StartNew();
            int n = parse.GetValue(examples);
            if (n < 0) throw new InputDataException("--examples must be ≥ 0.");
            var outPath = parse.GetValue(output)!;
            // The report only ever writes HTML, so a results file (scores.csv, a summary, maps) can never be its target.
            if (!outPath.EndsWith(".html", StringComparison.OrdinalIgnoreCase) && !outPath.EndsWith(".htm", StringComparison.OrdinalIgnoreCase))
                throw new InputDataException($"--out {outPath}: the report is one HTML file; give a .html file name (it must not replace a file of RESULTS_DIR).");
            new Sightline.IO.PathPlan().Input("RESULTS_DIR", parse.GetValue(results)).Output("--out", outPath).Check();
            var (inputs, warnings) = HtmlReport.Write(parse.GetValue(results)!, outPath, new ReportOptions { Title = parse.GetValue(title), Examples = n });
            var found = new List<string>();
            if (inputs.Summaries.Count > 0) found.Add($"{inputs.Summaries.Count} summaries");
            if (inputs.ScoreGroups.Count > 0) found.Add($"{inputs.ScoreGroups.Count} score groups");
            if (inputs.Comparison is not null) found.Add("comparison");
            if (inputs.ExampleSets.Count > 0) found.Add($"{inputs.ExampleSets.Sum(e => e.Examples.Count)} examples");
            if (inputs.ExplainOutputs.Count > 0) found.Add($"{inputs.ExplainOutputs.Count} explain runs");
            if (inputs.Texts.Count > 0) found.Add($"{inputs.Texts.Count} text run{(inputs.Texts.Count == 1 ? "" : "s")}");
            if (inputs.Curves.Count > 0) found.Add($"{inputs.Curves.Count} faithfulness curve{(inputs.Curves.Count == 1 ? "" : "s")}");
            // The same lines open the page (section "warnings"): nothing is left out silently.
            foreach (var w in warnings) context.Error.WriteLine($"sightline: warning: {w}");
            context.Out.WriteLine($"Report ({string.Join(", ", found)}) in {clock.Elapsed.TotalSeconds:0.00} s → {outPath}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
