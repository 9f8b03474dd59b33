using Sightline.Reports;
using Sightline.Tests.Cli;
using Xunit.Abstractions;

namespace Sightline.Tests.Reports;

/// <summary><c>sightline study report</c>: the merged study as one self-contained page, checked in headless Chromium.</summary>
public sealed class StudyReportTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_study_report_renders_every_section_and_its_tables_sort_in_a_browser()
    {
        using var dir = new TempDir();
        var study = StudyCommandTests.WriteStudy(dir);
        var outDir = dir.File("out");
        Assert.Equal(0, CliRunner.Run("study", "run", study, "--out", outDir).Code);
        var page = dir.File("report.html");
        var (code, _, err) = CliRunner.Run("study", "report", outDir, "--out", page);
        Assert.Equal(2, code);
        Assert.Contains("run 'sightline study merge", err);
        Assert.Equal(0, CliRunner.Run("study", "merge", outDir).Code);
        (code, var stdout, err) = CliRunner.Run("study", "report", outDir, "--out", page);
        Assert.True(code == 0, err);
        Assert.Contains("Study report", stdout);
        var html = File.ReadAllText(page);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org", ""));
        Assert.DoesNotContain("https://", html);
        Assert.Contains("<tr class=\"cue\">", html); // the planted-cue mask set is shaded

        var check = await ReportBrowserTests.RenderAndCheckAsync(page, ["overview", "accuracy", "table", "alignment-accuracy", "feature-ranking", "semscore", "comparison", "examples"],
            // images: 2 samples × (2 models × 2 methods overlays + 2 inputs); charts: scatters (method × metric), rankings (model × method × metric), colour bar
            minImages: 2 * (2 * 2 + 2), minSvgs: 2 * 2 + 2 * 2 * 2 + 1, "study-report.png", output.WriteLine);
        Assert.Equal(0, check.GetProperty("broken").GetArrayLength());

        // Clicking a metric header sorts the rows by its value.
        await using var browser = await HeadlessChromium.StartAsync(TimeSpan.FromSeconds(20));
        await browser.NavigateAsync(new Uri(page).AbsoluteUri, TimeSpan.FromSeconds(15));
        var sorted = await browser.EvaluateAsync("""
            (() => {
              const t = document.getElementById('study-table');
              const h = [...t.tHead.rows[0].cells].findIndex(c => c.textContent.startsWith('iou'));
              t.tHead.rows[0].cells[h].click();
              const v = [...t.tBodies[0].rows].map(r => r.cells[h].dataset.value).filter(x => x !== undefined && x !== '').map(parseFloat);
              return v.every((x, i) => i === 0 || v[i - 1] <= x) && v.length >= 8;
            })()
            """);
        Assert.True(sorted.GetBoolean(), "the iou column did not sort ascending on click");
        Assert.True(browser.Errors.IsEmpty, "Browser errors: " + string.Join(" | ", browser.Errors));
    }
    [Fact]
    public void The_report_charts_plot_the_merged_values_accuracy_against_alignment_and_the_ranking_with_its_ties()
    {
        // The hand-made store of the merge's known-answer test: a (IoU on object 0.7375, accuracy 12/12), b (0.1 lower
        // on 11 samples: 0.6250, accuracy 9/12), c (= a). Feature ranking of a: object, hair ≈ mouth, cue.
        using var dir = new TempDir();
        var store = Sightline.Tests.Studies.StudyMergeKnownAnswerTests.ComparisonStore(dir);
        Sightline.Studies.StudyMerge.Run(store);
        var page = dir.File("report.html");
        var (code, _, err) = CliRunner.Run("study", "report", store, "--out", page);
        Assert.True(code == 0, err);
        var html = File.ReadAllText(page);
        string Section(string id)
        {
            int a = html.IndexOf($"<section id=\"{id}\">", StringComparison.Ordinal);
            Assert.True(a >= 0, $"no section {id}");
            return html[a..html.IndexOf("</section>", a, StringComparison.Ordinal)];
        }

        // One scatter (one method × ranking metric present), one point per model with its mean IoU on the first object mask
        // set and its accuracy; a lies right of b (higher IoU) and above it (higher accuracy: smaller y).
        var scatter = Section("alignment-accuracy");
        Assert.Contains("saliency: iou (object) vs accuracy", scatter);
        var points = System.Text.RegularExpressions.Regex.Matches(scatter, "<circle cx=\"([\\d.]+)\" cy=\"([\\d.]+)\" r=\"4.5\"[^>]*><title>([^<]*)</title>")
            .ToDictionary(m => m.Groups[3].Value.Split(':')[0], m => (X: double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
                Y: double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), Title: m.Groups[3].Value));
        Assert.Equal(["a", "b", "c"], points.Keys.Order());
        Assert.Equal("a: iou 0.7375, accuracy 100.0%", points["a"].Title);
        Assert.Equal("b: iou 0.6250, accuracy 75.0%", points["b"].Title);
        Assert.Equal((points["a"].X, points["a"].Y), (points["c"].X, points["c"].Y));
        Assert.True(points["a"].X > points["b"].X && points["a"].Y < points["b"].Y);

        // The ranking chart of model a: bars best first, "≈" after hair (hair − mouth = 0) and nowhere else.
        var ranking = Section("feature-ranking");
        int start = ranking.IndexOf("a, saliency: mask sets by iou</title>", StringComparison.Ordinal);
        Assert.True(start >= 0, "no ranking chart for model a");
        var chart = ranking[start..ranking.IndexOf("</svg>", start, StringComparison.Ordinal)];
        var bars = System.Text.RegularExpressions.Regex.Matches(chart, "<rect [^>]*><title>([^:]*): ").Select(m => m.Groups[1].Value);
        Assert.Equal(["object", "hair", "mouth", "cue"], bars);
        Assert.Equal(["≈ mouth"], System.Text.RegularExpressions.Regex.Matches(chart, "≈ [a-z]+").Select(m => m.Value));
    }
}
