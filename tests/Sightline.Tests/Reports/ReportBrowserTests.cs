using System.Diagnostics;
using System.Text.Json;
using Sightline.Reports;
using Sightline.Tests.Cli;
using Xunit.Abstractions;

namespace Sightline.Tests.Reports;

/// <summary>The report renders in a real browser: headless Chromium over the DevTools Protocol.</summary>
public sealed class ReportBrowserTests(ITestOutputHelper output)
{
    /// <summary>Where kept screenshots go: beside the test assembly (bin/Release/net10.0/report-screenshots/).</summary>
    public static string ScreenshotDir => Path.Combine(AppContext.BaseDirectory, "report-screenshots");

    [Fact]
    public async Task Report_renders_in_headless_chromium_without_errors_and_with_every_image_decoded()
    {
        var clock = Stopwatch.StartNew();
        HeadlessChromium.Find();
        using var dir = new TempDir();
        SyntheticResults.Write(dir.File("results"));
        var page = dir.File("report.html");
        HtmlReport.Write(dir.File("results"), page, new ReportOptions { Title = "Sightline report: synthetic clean vs spurious", Examples = 4, Resamples = 200 });

        var check = await RenderAndCheckAsync(page, ["verdict", "headline", "per-class", "distributions", "comparison", "examples"], minImages: 12, minSvgs: 8,
            "synthetic-report.png", output.WriteLine);
        Assert.Equal(0, check.GetProperty("broken").GetArrayLength());
        if (Environment.GetEnvironmentVariable("SIGHTLINE_REPORT_SCREENSHOT") is { Length: > 0 } keep)
            File.Copy(Path.Combine(ScreenshotDir, "synthetic-report-charts.png"), keep, overwrite: true);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"The browser test took {clock.Elapsed.TotalSeconds:0.0} s.");
    }

    /// <summary>
    /// Opens <paramref name="page"/> in headless Chromium, checks the sections, the colour bar, that every image decodes,
    /// the number of images and SVG charts, and that no console or page errors were logged; keeps a screenshot of the top
    /// of the page as <see cref="ScreenshotDir"/>/<paramref name="screenshot"/> and one from the distributions down as
    /// NAME-charts.png, and prints both paths.
    /// </summary>
    public static async Task<JsonElement> RenderAndCheckAsync(string page, string[] sections, int minImages, int minSvgs, string screenshot, Action<string> log)
    {
        HeadlessChromium.Find();
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
        var found = check.GetProperty("sections").EnumerateArray().Select(s => s.GetString()).ToList();
        foreach (var id in sections) Assert.Contains(id, found);
        Assert.True(check.GetProperty("colormap").GetBoolean(), "The viridis legend is missing.");
        Assert.True(check.GetProperty("images").GetInt32() >= minImages, $"Expected at least {minImages} images, got {check.GetProperty("images")}.");
        Assert.True(check.GetProperty("broken").GetArrayLength() == 0, $"Images that did not decode: {check.GetProperty("broken")}.");
        Assert.True(check.GetProperty("svgs").GetInt32() >= minSvgs, $"Expected at least {minSvgs} SVG charts, got {check.GetProperty("svgs")}.");

        Directory.CreateDirectory(ScreenshotDir);
        var png = await browser.ScreenshotAsync(1100, Math.Min(check.GetProperty("height").GetInt32(), 1500));
        var shot = Path.Combine(ScreenshotDir, screenshot);
        await File.WriteAllBytesAsync(shot, png);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        Assert.True(png.Length > 10_000, $"Screenshot {shot} is only {png.Length} bytes: the page looks blank.");
        Assert.Equal(1100, Sightline.Data.ImageDecoder.Decode(shot).Width);
        int top = (await browser.EvaluateAsync("document.getElementById('distributions').offsetTop")).GetInt32();
        var charts = Path.Combine(ScreenshotDir, Path.GetFileNameWithoutExtension(screenshot) + "-charts.png");
        await File.WriteAllBytesAsync(charts, await browser.ScreenshotRegionAsync(1100, top - 10, 1250));
        string examples = "";
        if (found.Contains("examples"))
        {
            int at = (await browser.EvaluateAsync("document.getElementById('examples').offsetTop")).GetInt32();
            examples = Path.Combine(ScreenshotDir, Path.GetFileNameWithoutExtension(screenshot) + "-examples.png");
            await File.WriteAllBytesAsync(examples, await browser.ScreenshotRegionAsync(1100, at - 10, 1400));
        }
        log($"report screenshots: {shot} {charts} {examples}");
        Console.WriteLine($"report screenshots: {shot} {charts} {examples}");

        Assert.True(browser.Errors.IsEmpty, "Browser errors: " + string.Join(" | ", browser.Errors));
        return check;
    }
}
