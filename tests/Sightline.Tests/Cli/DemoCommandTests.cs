using System.Text.Json;

namespace Sightline.Tests.Cli;

/// <summary>
/// The demo is the project's end-to-end test: real training, explanations, scores and the verdict check. Runs are
/// sized down (fewer training images and explained samples) to keep the suite fast; the separation must still hold.
/// </summary>
public sealed class DemoCommandTests
{
    private const string FashionMnist = "/usr/share/datasets/fashion-mnist";

    [Fact]
    public void Demo_on_the_builtin_shapes_finds_the_separation_and_writes_every_artefact()
    {
        using var dir = new TempDir();
        var (code, stdout, stderr) = CliRunner.Run("demo", "--data", dir.File("no-such-dir"), "--out", dir.Path,
            "--train-size", "6000", "--samples", "200");
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("apt-get install dataset-fashion-mnist", stderr);
        Assert.Contains("VERDICT: Sightline tells the models apart", stdout);
        foreach (var file in new[] { "scores.csv", "scores.parquet", "comparison.json", "examples.json", "models/clean.weights", "models/spurious.weights", "summaries/spurious_saliency_square.json" })
            Assert.True(File.Exists(dir.File(file)), $"missing {file}");
        var header = File.ReadLines(dir.File("scores.csv")).First();
        Assert.Equal("model,method,mask,index,sss,iou,gtc,sc,pointing_game,label,predicted", header);
        Assert.Equal(1 + 2 * 3 * 2 * 200, File.ReadLines(dir.File("scores.csv")).Count());
        using var comparison = JsonDocument.Parse(File.ReadAllText(dir.File("comparison.json")));
        Assert.True(comparison.RootElement.GetProperty("verdict").GetProperty("passed").GetBoolean());
        var acc = comparison.RootElement.GetProperty("accuracy");
        Assert.True(acc.GetProperty("spurious").GetProperty("shuffled").GetDouble() < acc.GetProperty("spurious").GetProperty("matching").GetDouble() - 0.3);

        // Second run: cached weights, identical scores.
        var firstScores = File.ReadAllText(dir.File("scores.csv"));
        (code, stdout, stderr) = CliRunner.Run("demo", "--data", dir.File("no-such-dir"), "--out", dir.Path, "--train-size", "6000", "--samples", "200");
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("loaded from cache", stderr);
        Assert.Equal(firstScores, File.ReadAllText(dir.File("scores.csv")));
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
