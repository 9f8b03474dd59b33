using Sightline.Tests.Cli;

namespace Sightline.Tests.Reports;

public sealed class ReportCommandTests
{
    private static readonly string Examples = Path.Combine(AlignCommandTests.RepoRoot(), "examples", "align");

    [Fact]
    public void Report_on_the_shipped_align_example_writes_a_self_contained_page()
    {
        using var dir = new TempDir();
        var (code, _, err) = CliRunner.Run("align", "--saliency", Path.Combine(Examples, "saliency.npy"), "--masks", Path.Combine(Examples, "masks.npy"),
            "--labels", Path.Combine(Examples, "labels.npy"), "--predictions", Path.Combine(Examples, "predictions.npy"),
            "--out", dir.File("run/scores.csv"), "--summary", dir.File("run/summary.json"));
        Assert.True(code == 0, err);
        (code, var stdout, err) = CliRunner.Run("report", dir.File("run"), "--out", dir.File("report.html"), "--title", "Example <run>", "--examples", "4");
        Assert.True(code == 0, err);
        Assert.Contains("report.html", stdout);
        var html = File.ReadAllText(dir.File("report.html"));
        Assert.Contains("<title>Example &lt;run&gt;</title>", html);
        foreach (var id in new[] { "headline", "per-class", "distributions", "comparison", "examples" })
            Assert.Contains($"<section id=\"{id}\">", html);
        Assert.Contains("<td>0.4603</td>", html);       // iou mean of the example
        Assert.Contains("Shared Interest cases: context_confusion 4, context_dependent 4, human_aligned 16", html);
        // Heat maps rendered from the saliency and mask files the summary records: 2 best + 2 worst by sss.
        Assert.Contains("ranked by <strong>sss</strong> (lower is better)", html);
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(html, "<div>best · #").Count);
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(html, "<div>worst · #").Count);
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
    }

    [Fact]
    public void A_saliency_file_that_is_gone_is_a_warning_on_the_page_and_on_stderr_not_a_silently_missing_section()
    {
        using var dir = new TempDir();
        File.Copy(Path.Combine(Examples, "saliency.npy"), dir.File("maps.npy"));
        var (code, _, err) = CliRunner.Run("align", "--saliency", dir.File("maps.npy"), "--masks", Path.Combine(Examples, "masks.npy"),
            "--out", dir.File("run/scores.csv"), "--summary", dir.File("run/summary.json"));
        Assert.True(code == 0, err);
        File.Delete(dir.File("maps.npy"));
        (code, _, err) = CliRunner.Run("report", dir.File("run"), "--out", dir.File("report.html"));
        Assert.Equal(0, code);
        Assert.Contains("sightline: warning: summary.json: no heat maps: the saliency file '", err);
        Assert.Contains("maps.npy' it records was not found", err);
        var html = File.ReadAllText(dir.File("report.html"));
        var warnings = System.Text.RegularExpressions.Regex.Match(html, "<section id=\"warnings\">(.*?)</section>", System.Text.RegularExpressions.RegexOptions.Singleline).Groups[1].Value;
        Assert.Contains("summary.json: no heat maps: the saliency file &#39;", warnings);
        Assert.DoesNotContain(": heat maps</h3>", html);
    }

    [Fact]
    public void A_missing_folder_exits_2()
    {
        using var dir = new TempDir();
        var (code, _, err) = CliRunner.Run("report", dir.File("nope"), "--out", dir.File("r.html"));
        Assert.Equal(2, code);
        Assert.Contains("not found", err);
    }

    [Fact]
    public void An_empty_folder_exits_2_and_says_what_was_expected()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("empty"));
        var (code, _, err) = CliRunner.Run("report", dir.File("empty"), "--out", dir.File("r.html"));
        Assert.Equal(2, code);
        Assert.Contains("no results found", err);
        Assert.Contains("summaries (*.json with a top-level 'metrics' object", err);
        Assert.False(File.Exists(dir.File("r.html")));
    }

    [Fact]
    public void Out_is_required()
    {
        using var dir = new TempDir();
        var (code, _, err) = CliRunner.Run("report", dir.Path);
        Assert.Equal(2, code);
        Assert.Contains("--out", err);
    }

    [Fact]
    public void Readme_lists_every_report_option_exactly_as_help_prints_it()
    {
        var (_, help, _) = CliRunner.Run("report", "--help");
        var readme = File.ReadAllText(Path.Combine(AlignCommandTests.RepoRoot(), "README.md"));
        Assert.Contains("## Reports: `sightline report`", readme);
        foreach (var line in help.Split("Options:\n", 2)[1].Split('\n', StringSplitOptions.RemoveEmptyEntries)) Assert.Contains(line.TrimEnd(), readme);
    }

    [Fact]
    public void Help_text_matches_the_snapshot()
    {
        var (code, stdout, _) = CliRunner.Run("report", "--help");
        Assert.Equal(0, code);
        Snapshot.Match("report-help.txt", stdout);
    }
}
