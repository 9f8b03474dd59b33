using Sightline.Tests.Cli;
using Xunit.Abstractions;

namespace Sightline.Tests.Reports;

/// <summary>The report's text section (from <c>sightline text demo</c>) renders in headless Chromium.</summary>
public sealed class TextReportBrowserTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_text_section_of_the_demo_report_renders_with_coloured_words_hover_values_and_the_curve()
    {
        HeadlessChromium.Find();
        using var dir = new TempDir();
        var (code, _, err) = CliRunner.Run("text", "demo", "--out", dir.File("demo"));
        Assert.True(code == 0, err);
        var page = dir.File("demo/report.html");

        await using var browser = await HeadlessChromium.StartAsync(TimeSpan.FromSeconds(20));
        await browser.NavigateAsync(new Uri(page).AbsoluteUri, TimeSpan.FromSeconds(15));
        var check = await browser.EvaluateAsync("""
            (() => {
              const words = [...document.querySelectorAll('#text span.tw:not(.nc):not(.nd)')];
              const bg = w => getComputedStyle(w).backgroundColor;
              const rgb = s => s.match(/\d+/g).slice(0, 3).map(Number);
              const red = words.filter(w => { const [r, g, b] = rgb(bg(w)); return r > b + 40; }).length;
              const blue = words.filter(w => { const [r, g, b] = rgb(bg(w)); return b > r + 40; }).length;
              const svg = document.querySelector('#text svg');
              const box = svg ? svg.getBoundingClientRect() : null;
              return {
                sections: [...document.querySelectorAll('section')].map(s => s.id),
                words: words.length,
                titled: words.filter(w => /ψ = [0-9.]+/.test(w.title)).length,
                red, blue,
                grey: document.querySelectorAll('#text span.tw.nc').length,
                prompts: document.querySelectorAll('#text .tprompt').length,
                curvePoints: svg ? svg.querySelectorAll('circle').length : 0,
                curveWidth: box ? box.width : 0,
                settingsRows: document.querySelectorAll('#text table.settings tbody tr').length,
                external: [...document.querySelectorAll('[src],[href]')].map(e => e.getAttribute('src') ?? e.getAttribute('href')).filter(u => !u.startsWith('#') && !u.startsWith('data:')),
                height: document.documentElement.scrollHeight,
              };
            })()
            """);
        Assert.Equal("text", Assert.Single(check.GetProperty("sections").EnumerateArray()).GetString());
        int words = check.GetProperty("words").GetInt32();
        Assert.True(words >= 20, $"Only {words} coloured words.");
        Assert.Equal(words, check.GetProperty("titled").GetInt32());
        Assert.True(check.GetProperty("red").GetInt32() > 0 && check.GetProperty("blue").GetInt32() > 0, $"Not diverging: {check}");
        Assert.True(check.GetProperty("grey").GetInt32() > 0);
        Assert.Equal(12, check.GetProperty("prompts").GetInt32());      // 6 sentences × 2 aspects
        Assert.Equal(11, check.GetProperty("curvePoints").GetInt32());  // k = 0, 0.1, …, 1
        Assert.True(check.GetProperty("curveWidth").GetDouble() > 300);
        Assert.True(check.GetProperty("settingsRows").GetInt32() >= 16);
        Assert.Equal(0, check.GetProperty("external").GetArrayLength());

        Directory.CreateDirectory(ReportBrowserTests.ScreenshotDir);
        var shot = Path.Combine(ReportBrowserTests.ScreenshotDir, "text-demo-report.png");
        await File.WriteAllBytesAsync(shot, await browser.ScreenshotAsync(1100, Math.Min(check.GetProperty("height").GetInt32(), 2000)));
        output.WriteLine($"report screenshot: {shot}");
        var layout = await browser.EvaluateAsync(ReportBrowserTests.LayoutProblems);
        Assert.True(browser.Errors.IsEmpty, "Browser errors: " + string.Join(" | ", browser.Errors));
        Assert.True(layout.GetArrayLength() == 0, "Layout problems:\n" + string.Join("\n", layout.EnumerateArray().Select(p => p.GetString())));
    }
}
