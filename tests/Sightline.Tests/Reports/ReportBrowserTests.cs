using System.Diagnostics;
using Sightline.Reports;
using Sightline.Tests.Cli;

namespace Sightline.Tests.Reports;

/// <summary>The report renders in a real browser: headless Chromium over the DevTools Protocol.</summary>
public sealed class ReportBrowserTests
{
    [Fact]
    public async Task Report_renders_in_headless_chromium_without_errors_and_with_every_image_decoded()
    {
        var clock = Stopwatch.StartNew();
        HeadlessChromium.Find();
        using var dir = new TempDir();
        SyntheticResults.Write(dir.File("results"));
        var page = dir.File("report.html");
        HtmlReport.Write(dir.File("results"), page, new ReportOptions { Title = "Sightline report: synthetic clean vs spurious", Examples = 4, Resamples = 200 });

        await using var browser = await HeadlessChromium.StartAsync(TimeSpan.FromSeconds(20));
        await browser.NavigateAsync(new Uri(page).AbsoluteUri, TimeSpan.FromSeconds(15));
        var check = await browser.EvaluateAsync("""
            (async () => {
              const imgs = [...document.images];
              await Promise.all(imgs.map(i => i.decode().catch(() => null)));
              return {
                sections: [...document.querySelectorAll('section')].map(s => s.id),
                colormap: !!document.getElementById('colormap'),
                images: imgs.length,
                broken: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt),
                svgs: document.querySelectorAll('svg').length,
                height: document.documentElement.scrollHeight,
              };
            })()
            """);
        var sections = check.GetProperty("sections").EnumerateArray().Select(s => s.GetString()).ToList();
        foreach (var id in new[] { "verdict", "headline", "per-class", "distributions", "comparison", "examples" })
            Assert.Contains(id, sections);
        Assert.True(check.GetProperty("colormap").GetBoolean(), "The viridis legend is missing.");
        Assert.True(check.GetProperty("images").GetInt32() >= 12, $"Expected at least 12 images, got {check.GetProperty("images")}.");
        Assert.True(check.GetProperty("broken").GetArrayLength() == 0, $"Images that did not decode: {check.GetProperty("broken")}.");
        Assert.True(check.GetProperty("svgs").GetInt32() >= 8);

        var png = await browser.ScreenshotAsync(1100, Math.Min(check.GetProperty("height").GetInt32(), 1500));
        var shot = Path.Combine(Path.GetTempPath(), $"sightline-report-{Guid.NewGuid():N}.png");
        await File.WriteAllBytesAsync(shot, png);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        Assert.True(png.Length > 10_000, $"Screenshot {shot} is only {png.Length} bytes: the page looks blank.");
        var image = Sightline.Data.ImageDecoder.Decode(shot);
        Assert.Equal(1100, image.Width);
        if (Environment.GetEnvironmentVariable("SIGHTLINE_REPORT_SCREENSHOT") is { Length: > 0 } keep)
        {
            // The README's picture (docs/report-screenshot.png): the charts and examples part of the page.
            int top = (await browser.EvaluateAsync("document.getElementById('distributions').offsetTop")).GetInt32();
            await File.WriteAllBytesAsync(keep, await browser.ScreenshotRegionAsync(1100, top - 10, 1250));
        }
        File.Delete(shot);

        Assert.True(browser.Errors.IsEmpty, "Browser errors: " + string.Join(" | ", browser.Errors));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"The browser test took {clock.Elapsed.TotalSeconds:0.0} s.");
    }
}
