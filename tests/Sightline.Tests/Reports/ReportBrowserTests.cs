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
        // Long metric names in the example tiles (the demo's have such): they must wrap inside their tile.
        var examples = dir.File("results/examples.json");
        File.WriteAllText(examples, File.ReadAllText(examples).Replace("\"pointing_game_object\":1}",
            "\"pointing_game_object\":1,\"attribution_localisation_weighted_object\":0.4321,\"energy_pointing_game_square\":0.1234}"));
        var page = dir.File("report.html");
        HtmlReport.Write(dir.File("results"), page, new ReportOptions { Title = "Sightline report: synthetic clean vs spurious", Examples = 4, Resamples = 200 });

        var check = await RenderAndCheckAsync(page, ["verdict", "headline", "per-class", "distributions", "comparison", "examples"], minImages: 12, minSvgs: 8,
            "synthetic-report.png", output.WriteLine);
        Assert.Equal(0, check.GetProperty("broken").GetArrayLength());
        if (Environment.GetEnvironmentVariable("SIGHTLINE_REPORT_SCREENSHOT") is { Length: > 0 } keep)
            File.Copy(Path.Combine(ScreenshotDir, "synthetic-report-charts.png"), keep, overwrite: true);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"The browser test took {clock.Elapsed.TotalSeconds:0.0} s.");
    }

    [Fact]
    public async Task The_report_of_an_align_run_with_all_13_default_metrics_lays_out_cleanly()
    {
        using var dir = new TempDir();
        var examples = Path.Combine(AlignCommandTests.RepoRoot(), "examples", "align");
        var (code, _, err) = CliRunner.Run("align", "--saliency", Path.Combine(examples, "saliency.npy"), "--masks", Path.Combine(examples, "masks.npy"),
            "--labels", Path.Combine(examples, "labels.npy"), "--predictions", Path.Combine(examples, "predictions.npy"),
            "--out", dir.File("run/scores.csv"), "--summary", dir.File("run/summary.json"));
        Assert.True(code == 0, err);
        (code, _, err) = CliRunner.Run("report", dir.File("run"), "--out", dir.File("report.html"), "--examples", "4");
        Assert.True(code == 0, err);
        Assert.Equal("", err);
        var html = File.ReadAllText(dir.File("report.html"));
        // The means chart has all 13 metrics, each label in full.
        foreach (var m in new[] { "energy_pointing_game", "attribution_localisation_weighted", "relevance_mass_accuracy", "top_k_intersection" })
            Assert.Contains($">{m}</text>", html);
        // Heat maps of an align run are drawn over gray, not over the input, and the legend says so.
        Assert.DoesNotContain("grayscale copy", html);
        Assert.Contains("no input image", html);
        await RenderAndCheckAsync(dir.File("report.html"), ["headline", "comparison", "examples"], minImages: 4, minSvgs: 13, "align-report.png", output.WriteLine);
    }

    [Fact]
    public async Task Unreadable_inputs_are_warned_about_at_the_top_of_the_page_and_a_corrupt_overlay_is_no_broken_image()
    {
        using var dir = new TempDir();
        SyntheticResults.Write(dir.File("results"));
        File.WriteAllText(dir.File("results/comparison.json"), "{\"comparisons\": [ {\"metric\": \"iou\",");     // cut short
        Directory.CreateDirectory(dir.File("results/explain/overlays"));
        File.WriteAllText(dir.File("results/explain/predictions.csv"), "index,path,label,predicted,probability,target\n0,a.png,1,1,0.93,1\n1,b.png,2,1,0.55,1\n");
        var rgba = Enumerable.Range(0, 16 * 16 * 4).Select(i => (byte)(i % 4 == 3 ? 255 : i * 7)).ToArray();
        for (int i = 0; i < 2; i++) Sightline.IO.Png.WriteRgba8(dir.File($"results/explain/overlays/{i:D6}.png"), 16, 16, rgba);
        var corrupt = dir.File("results/explain/overlays/000001.png");
        var bytes = File.ReadAllBytes(corrupt);
        bytes[bytes.Length / 2] ^= 0x5A;    // a flipped byte in the image data: the CRC no longer matches
        File.WriteAllBytes(corrupt, bytes);
        var (code, _, err) = CliRunner.Run("report", dir.File("results"), "--out", dir.File("report.html"), "--examples", "4");
        Assert.Equal(0, code);
        Assert.Contains("sightline: warning: comparison.json:", err);
        Assert.Contains("the verdict and paired comparisons are left out", err);
        Assert.Contains("sightline: warning: explain/overlays/000001.png: does not decode: corrupt PNG (CRC mismatch", err);
        var html = File.ReadAllText(dir.File("report.html"));
        Assert.Contains("<section id=\"warnings\">", html);
        Assert.Contains("⚠ does not decode: corrupt PNG (CRC mismatch", html);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(html, "<img src=\"data:image/png;base64,[^\"]+\" alt=\"#0: predicted 1"));

        var check = await RenderAndCheckAsync(dir.File("report.html"), ["warnings", "headline", "examples"], minImages: 8, minSvgs: 6, "warnings-report.png", output.WriteLine);
        Assert.Equal("warnings", check.GetProperty("sections")[0].GetString());
        // The warnings are the first thing on the page: visible in the first screenful.
        Assert.InRange(check.GetProperty("warningsTop").GetDouble(), 1, 900);
    }

    /// <summary>
    /// What a reader would see as broken layout, measured in the browser: two texts of one SVG chart that overlap
    /// (x labels smeared into each other) or a text outside its chart; text (a long metric name) that runs out of its
    /// example tile into the next; a table whose header is aligned differently from the values under it.
    /// </summary>
    internal const string LayoutProblems = """
        (() => {
          const problems = [];
          const quad = t => {
            const b = t.getBBox(), m = t.getScreenCTM();
            if (b.width === 0 || !m) return null;
            return [[b.x, b.y], [b.x + b.width, b.y], [b.x + b.width, b.y + b.height], [b.x, b.y + b.height]]
              .map(([x, y]) => [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f]);
          };
          // Separating-axis test for two convex quads, shrunk by half a pixel of tolerance.
          const overlap = (p, q) => {
            for (const poly of [p, q])
              for (let i = 0; i < 4; i++) {
                const [x1, y1] = poly[i], [x2, y2] = poly[(i + 1) % 4];
                const nx = y1 - y2, ny = x2 - x1, len = Math.hypot(nx, ny);
                const proj = r => r.map(([x, y]) => (x * nx + y * ny) / len);
                const a = proj(p), b = proj(q);
                if (Math.max(...a) - 0.5 <= Math.min(...b) || Math.max(...b) - 0.5 <= Math.min(...a)) return false;
              }
            return true;
          };
          document.querySelectorAll('svg').forEach((svg, k) => {
            const box = svg.getBoundingClientRect();
            const texts = [...svg.querySelectorAll('text')].map(t => ({ t, q: quad(t) })).filter(x => x.q);
            for (let i = 0; i < texts.length; i++) {
              if (texts[i].q.some(([x, y]) => x < box.left - 0.5 || x > box.right + 0.5 || y < box.top - 0.5 || y > box.bottom + 0.5))
                problems.push(`chart ${k} (${svg.getAttribute('aria-label')}): "${texts[i].t.textContent}" sticks out of the chart`);
              for (let j = i + 1; j < texts.length; j++)
                if (overlap(texts[i].q, texts[j].q))
                  problems.push(`chart ${k} (${svg.getAttribute('aria-label')}): "${texts[i].t.textContent}" overlaps "${texts[j].t.textContent}"`);
            }
          });
          document.querySelectorAll('.tile').forEach(tile => {
            const box = tile.getBoundingClientRect(), range = document.createRange();
            range.selectNodeContents(tile);
            for (const r of range.getClientRects())
              if (r.width > 0 && (r.right > box.right + 0.5 || r.left < box.left - 0.5))
                problems.push(`tile "${tile.textContent.slice(0, 60)}": text runs out of the tile (${Math.round(r.left)}–${Math.round(r.right)} vs ${Math.round(box.left)}–${Math.round(box.right)})`);
          });
          const side = a => a === 'start' ? 'left' : a === 'end' ? 'right' : a;
          document.querySelectorAll('table').forEach((table, k) => {
            const head = table.tHead?.rows[0], row = table.tBodies[0]?.rows[0];
            if (!head || !row) return;
            [...head.cells].forEach((th, i) => {
              const td = row.cells[i];
              if (!td || td.textContent.trim() === '') return;
              const a = side(getComputedStyle(th).textAlign), b = side(getComputedStyle(td).textAlign);
              if (a !== b) problems.push(`table ${k}: header "${th.textContent}" is aligned ${a} over values aligned ${b}`);
            });
          });
          return problems;
        })()
        """;

    /// <summary>
    /// Opens <paramref name="page"/> in headless Chromium, checks the sections, the colour bar, that every image decodes,
    /// the number of images and SVG charts, and that no console or page errors were logged; keeps a screenshot of the top
    /// of the page as <see cref="ScreenshotDir"/>/<paramref name="screenshot"/> and one from the distributions down as
    /// NAME-charts.png, the examples and the comparison as NAME-examples.png and NAME-comparison.png, and prints the paths;
    /// fails on the layout problems <see cref="LayoutProblems"/> finds.
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
                warningsTop: document.getElementById('warnings')?.getBoundingClientRect().top ?? -1,
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
        int top = (await browser.EvaluateAsync("(document.getElementById('distributions') ?? document.getElementById('comparison')).offsetTop")).GetInt32();
        var charts = Path.Combine(ScreenshotDir, Path.GetFileNameWithoutExtension(screenshot) + "-charts.png");
        await File.WriteAllBytesAsync(charts, await browser.ScreenshotRegionAsync(1100, top - 10, 1250));
        string examples = "";
        if (found.Contains("examples"))
        {
            int at = (await browser.EvaluateAsync("document.getElementById('examples').offsetTop")).GetInt32();
            examples = Path.Combine(ScreenshotDir, Path.GetFileNameWithoutExtension(screenshot) + "-examples.png");
            await File.WriteAllBytesAsync(examples, await browser.ScreenshotRegionAsync(1100, at - 10, 1400));
        }
        if (found.Contains("comparison"))
        {
            int at = (await browser.EvaluateAsync("document.getElementById('comparison').offsetTop")).GetInt32();
            await File.WriteAllBytesAsync(Path.Combine(ScreenshotDir, Path.GetFileNameWithoutExtension(screenshot) + "-comparison.png"), await browser.ScreenshotRegionAsync(1100, at - 10, 900));
        }
        var layout = await browser.EvaluateAsync(LayoutProblems);
        log($"report screenshots: {shot} {charts} {examples}");
        Console.WriteLine($"report screenshots: {shot} {charts} {examples}");

        Assert.True(browser.Errors.IsEmpty, "Browser errors: " + string.Join(" | ", browser.Errors));
        Assert.True(layout.GetArrayLength() == 0, "Layout problems:\n" + string.Join("\n", layout.EnumerateArray().Select(p => p.GetString())));
        return check;
    }
}
