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
}
