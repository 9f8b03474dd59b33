using System.Text.Json;

namespace Sightline.Tests.Cli;

/// <summary>
/// The demo is the project's end-to-end test: real training, explanations, scores and the verdict check. Runs are
/// sized down (fewer training images and explained samples) to keep the suite fast; the separation must still hold.
/// </summary>
public sealed class DemoCommandTests
{
    private const string FashionMnist = "/usr/share/datasets/fashion-mnist";

    /// <summary>
    /// The demo writes its models as ONNX and its explained images as ready tensors, so that the other commands run on
    /// them: <c>evaluate</c> on <c>models/spurious.onnx</c> with saliency must give the demo's own pointing game against the
    /// square (the same maps from the same weights, computed on the lowered ONNX graph instead of in-process).
    /// </summary>
    private static void AssertTheExportedModelsAndDataReproduceTheDemosScores(TempDir dir, List<string> lines, int n)
    {
        using (var x = Sightline.IO.NpyReader.Open(dir.File("data/inputs.npy"))) Assert.Equal([n, 3, 28, 28], x.Shape);
        using (var y = Sightline.IO.NpyReader.Open(dir.File("data/labels.npy"))) Assert.Equal([n], y.Shape);
        using (var m = Sightline.IO.NpyReader.Open(dir.File("data/square_masks.npy"))) Assert.Equal([n, 28, 28], m.Shape);
        var (code, stdout, stderr) = CliRunner.Run("evaluate", "--model", dir.File("models/spurious.onnx"), "--inputs", dir.File("data/inputs.npy"),
            "--target", "predicted", "--method", "saliency", "--masks", dir.File("data/square_masks.npy"), "--metrics", "pointing_game",
            "--out", dir.File("check/pg.csv"));
        Assert.True(code == 0, stdout + stderr);
        var ours = File.ReadLines(dir.File("check/pg.csv")).Skip(1).Select(l => l.Split(',')).ToArray();
        var demo = lines.Skip(1).Select(l => l.Split(',')).Where(c => c[0] == "spurious" && c[1] == "saliency" && c[2] == "square").ToArray();
        Assert.Equal(n, ours.Length);
        Assert.Equal(demo.Select(c => c[10]), ours.Select(c => c[1]));
        int same = Enumerable.Range(0, n).Count(i => ours[i][2] == demo[i][8]);
        Assert.True(same >= n - 2, $"pointing game agrees on {same} of {n} samples");
    }

    [Fact]
    public async Task Demo_on_the_builtin_shapes_finds_the_separation_and_writes_every_artefact()
    {
        using var dir = new TempDir();
        var (code, stdout, stderr) = CliRunner.Run("demo", "--data", dir.File("no-such-dir"), "--out", dir.Path,
            "--train-size", "6000", "--samples", "200");
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("apt-get install dataset-fashion-mnist", stderr);
        Assert.Contains("VERDICT: Sightline tells the models apart", stdout);
        foreach (var file in new[] { "scores.csv", "scores.parquet", "comparison.json", "examples.json", "report.html", "models/clean.weights", "models/spurious.weights", "models/clean.onnx", "models/spurious.onnx", "data/object_masks.npy", "summaries/spurious_saliency_square.json" })
            Assert.True(File.Exists(dir.File(file)), $"missing {file}");
        var lines = File.ReadLines(dir.File("scores.csv")).ToList();
        Assert.Equal("model,method,mask,index,sss,iou,gtc,sc,pointing_game,label,predicted,si_case,reason", lines[0]);
        Assert.Equal(1 + 2 * 3 * 2 * 200, lines.Count);
        // Every score row carries its Shared Interest case; NaN scores say why (e.g. constant-map for a flat Grad-CAM map).
        Assert.All(lines.Skip(1), l => Assert.NotEqual("", l.Split(',')[11]));
        Assert.All(lines.Skip(1).Where(l => l.Split(',')[8] is "" or "NaN"), l => Assert.NotEqual("", l.Split(',')[12]));
        using var comparison = JsonDocument.Parse(File.ReadAllText(dir.File("comparison.json")));
        Assert.True(comparison.RootElement.GetProperty("verdict").GetProperty("passed").GetBoolean());
        var acc = comparison.RootElement.GetProperty("accuracy");
        Assert.True(acc.GetProperty("spurious").GetProperty("shuffled").GetDouble() < acc.GetProperty("spurious").GetProperty("matching").GetDouble() - 0.3);
        Assert.All(comparison.RootElement.GetProperty("comparisons").EnumerateArray(), r =>
            Assert.Equal(r.GetProperty("mask").GetString() == "square" ? "spurious" : "object", r.GetProperty("mask_role").GetString()));
        using (var summary = JsonDocument.Parse(File.ReadAllText(dir.File("summaries/spurious_saliency_square.json"))))
        {
            Assert.Equal("spurious", summary.RootElement.GetProperty("settings").GetProperty("mask_role").GetString());
            Assert.Equal("disc", summary.RootElement.GetProperty("class_names")[0].GetString());
        }
        AssertExamplesAreTheBestAndWorstOfAllSamples(dir, lines, 200);
        AssertTheExportedModelsAndDataReproduceTheDemosScores(dir, lines, 200);
        // Long score names carry <wbr> line-break opportunities after underscores (they wrap inside their tile).
        var report = File.ReadAllText(dir.File("report.html")).Replace("<wbr>", "");
        Assert.Contains("id=\"headline-table\"", report);
        Assert.Contains("sc_square", report);
        Assert.Contains("pointing_game_square", report);
        Assert.Contains("0 disc", report);
        await Sightline.Tests.Reports.ReportBrowserTests.RenderAndCheckAsync(dir.File("report.html"),
            ["verdict", "headline", "per-class", "distributions", "comparison", "examples"], minImages: 8 * 7, minSvgs: 20, "demo-shapes-report.png", Console.WriteLine);

        // Second run: cached weights, identical scores.
        var firstScores = File.ReadAllText(dir.File("scores.csv"));
        (code, stdout, stderr) = CliRunner.Run("demo", "--data", dir.File("no-such-dir"), "--out", dir.Path, "--train-size", "6000", "--samples", "200");
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("loaded from cache", stderr);
        Assert.Equal(firstScores, File.ReadAllText(dir.File("scores.csv")));

        // Tiny runs (100 training images, 1 epoch): a spurious model trained without the cue (--correlation 0) cannot be
        // told apart from the clean one, so the check fails with exit code 1; run again, the weights come from the cache
        // unless --retrain forces training.
        string[] tiny = ["demo", "--data", dir.File("no-such-dir"), "--out", dir.File("tiny"), "--train-size", "100", "--epochs", "1", "--samples", "60", "--correlation", "0"];
        (code, stdout, stderr) = CliRunner.Run(tiny);
        Assert.True(code == 1, $"exit {code}\n" + stdout + stderr);
        Assert.Contains("VERDICT: the expected separation was NOT found.", stdout);
        Assert.True(File.Exists(dir.File("tiny/report.html")), "a failed check still writes the report");
        (code, _, stderr) = CliRunner.Run(tiny);
        Assert.Equal(1, code);
        Assert.Contains("clean    model loaded from cache", stderr);
        (code, _, stderr) = CliRunner.Run([.. tiny, "--retrain"]);
        Assert.Equal(1, code);
        Assert.DoesNotContain("loaded from cache", stderr);
        Assert.Contains("clean    model trained", stderr);
        Assert.Contains("spurious model trained", stderr);
    }

    /// <summary>The examples are the top and bottom 4 of all samples by the stated key, not of the first few images.</summary>
    private static void AssertExamplesAreTheBestAndWorstOfAllSamples(TempDir dir, List<string> lines, int n)
    {
        double Iou(string model, int i) => lines.Skip(1).Select(l => l.Split(',')).Where(c => c[0] == model && c[1] == "saliency" && c[2] == "object" && c[3] == i.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Select(c => double.Parse(c[5], System.Globalization.CultureInfo.InvariantCulture)).Single();
        var keys = Enumerable.Range(0, n).Select(i => (Index: i, Key: Iou("clean", i) - Iou("spurious", i))).Where(k => double.IsFinite(k.Key))
            .OrderByDescending(k => k.Key).ThenBy(k => k.Index).ToList();
        using var doc = JsonDocument.Parse(File.ReadAllText(dir.File("examples.json")));
        Assert.Contains("clean − spurious saliency object IoU", doc.RootElement.GetProperty("ranking").GetProperty("key").GetString());
        var examples = doc.RootElement.GetProperty("examples").EnumerateArray().ToList();
        Assert.Equal(["best", "best", "best", "best", "worst", "worst", "worst", "worst"], examples.Select(e => e.GetProperty("rank").GetString()));
        Assert.Equal(keys.Take(4).Select(k => k.Index), examples.Take(4).Select(e => e.GetProperty("index").GetInt32()));
        Assert.Equal(keys.TakeLast(4).Reverse().Select(k => k.Index), examples.Skip(4).Select(e => e.GetProperty("index").GetInt32()));
        Assert.Contains(examples, e => e.GetProperty("index").GetInt32() >= 12);
        Assert.All(examples, e => Assert.Contains("clean − spurious saliency object IoU", e.GetProperty("title").GetString()));
        var scores = examples[0].GetProperty("panels")[0].GetProperty("scores");
        foreach (var key in new[] { "iou_object", "iou_square", "pointing_game_object", "pointing_game_square", "sc_square", "sss_square" })
            Assert.True(scores.TryGetProperty(key, out _), $"panel scores lack {key}");
    }

    [Fact]
    public void Demo_on_fashion_mnist_finds_the_separation()
    {
        Assert.True(Directory.Exists(FashionMnist), $"Fashion-MNIST is missing at {FashionMnist}: install the Debian package dataset-fashion-mnist (.ci/run does).");
        using var dir = new TempDir();
        var (code, stdout, stderr) = CliRunner.Run("demo", "--out", dir.Path, "--train-size", "6000", "--samples", "300");
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("data: Fashion-MNIST", stderr);
        Assert.Contains("VERDICT: Sightline tells the models apart", stdout);
    }

    [Fact]
    public void Bad_correlation_is_a_usage_error()
    {
        var (code, _, err) = CliRunner.Run("demo", "--correlation", "1.5");
        Assert.Equal(2, code);
        Assert.Contains("--correlation", err);
    }
}

public sealed class DemoHelpTests
{
    [Fact]
    public void Demo_help_matches_the_snapshot_and_the_readme()
    {
        var (code, stdout, _) = CliRunner.Run("demo", "--help");
        Assert.Equal(0, code);
        Snapshot.Match("demo-help.txt", stdout);
        var readme = File.ReadAllText(Path.Combine(AlignCommandTests.RepoRoot(), "README.md"));
        foreach (var line in stdout.Split("Options:\n", 2)[1].Split('\n', StringSplitOptions.RemoveEmptyEntries)) Assert.Contains(line.TrimEnd(), readme);
    }
}

public sealed class DemoVerdictTests
{
    [Fact]
    public void A_difference_whose_ci_only_excludes_zero_is_not_clearly_better()
    {
        // Two similar models: −0.019 of object IoU would be "significant" with many samples, but is no real effect.
        Assert.False(Sightline.Cli.Demo.DemoPipeline.ObjectClearlyBetter(new Sightline.Statistics.PairedComparison(1000, 0.019, 0.012, 0.026, 0.001)));
        Assert.True(Sightline.Cli.Demo.DemoPipeline.ObjectClearlyBetter(new Sightline.Statistics.PairedComparison(1000, 0.046, 0.043, 0.048, 0.0005)));
        Assert.True(Sightline.Cli.Demo.DemoPipeline.ObjectClearlyBetter(new Sightline.Statistics.PairedComparison(1000, 0.03, Sightline.Cli.Demo.DemoPipeline.MinObjectIouDifference, 0.04, 0.001)));
    }
}
