using System.Text.Json;
using Sightline.IO;

namespace Sightline.Tests.Cli;

public sealed class AlignQgeTests
{
    // Spec §3 oracle: s = [[1,0],[0,1]], e = [[.9,.1],[.2,.8]] → RMA .85, inverse .15, QGE .70 (value swap); sign flip 0.
    private static (string Saliency, string Masks) Oracle(TempDir dir)
    {
        Npy.Write<float>(dir.File("s.npy"), [.9f, .1f, .2f, .8f], 1, 2, 2);
        Npy.Write<bool>(dir.File("m.npy"), [true, false, false, true], 1, 2, 2);
        return (dir.File("s.npy"), dir.File("m.npy"));
    }

    [Fact]
    public void Align_qge_adds_inverse_and_gap_columns_with_the_spec_oracle()
    {
        using var dir = new TempDir();
        var (s, m) = Oracle(dir);
        var (code, _, err) = CliRunner.Run("align", "--saliency", s, "--masks", m, "--metrics", "relevance_mass_accuracy,top_k_intersection",
            "--top-k", "2", "--qge", "--out", dir.File("out.json"), "--summary", dir.File("summary.json"));
        Assert.True(code == 0, err);
        using var rows = JsonDocument.Parse(File.ReadAllText(dir.File("out.json")));
        var row = rows.RootElement[0];
        Assert.Equal(.85, row.GetProperty("relevance_mass_accuracy").GetDouble(), 6);
        Assert.Equal(.15, row.GetProperty("relevance_mass_accuracy_inverse").GetDouble(), 6);
        Assert.Equal(.70, row.GetProperty("relevance_mass_accuracy_qge").GetDouble(), 6);
        Assert.Equal(1.0, row.GetProperty("top_k_intersection_qge").GetDouble(), 12);
        var summary = File.ReadAllText(dir.File("summary.json"));
        Assert.Contains("relevance_mass_accuracy_qge", summary);
        Assert.Contains("\"qge\": \"value_swap\"", summary);
    }

    [Fact]
    public void Align_qge_sign_flip_gives_zero_gap_for_mass_accuracy()
    {
        using var dir = new TempDir();
        var (s, m) = Oracle(dir);
        var (code, _, err) = CliRunner.Run("align", "--saliency", s, "--masks", m, "--metrics", "relevance_mass_accuracy",
            "--qge", "sign_flip", "--out", dir.File("out.csv"));
        Assert.True(code == 0, err);
        var lines = File.ReadAllLines(dir.File("out.csv"));
        Assert.Equal("index,relevance_mass_accuracy,relevance_mass_accuracy_inverse,relevance_mass_accuracy_qge", lines[0]);
        var cells = lines[1].Split(',');
        Assert.Equal(0.0, double.Parse(cells[3], System.Globalization.CultureInfo.InvariantCulture), 6);
    }

    [Fact]
    public void Align_random_baseline_and_pool_are_reproducible()
    {
        using var dir = new TempDir();
        var rng = new Random(1);
        Npy.Write<float>(dir.File("s.npy"), [.. Enumerable.Range(0, 3 * 64).Select(_ => (float)rng.NextDouble())], 3, 8, 8);
        Npy.Write<bool>(dir.File("m.npy"), [.. Enumerable.Range(0, 3 * 64).Select(i => i % 64 < 20)], 3, 8, 8);
        string[] args = ["align", "--saliency", dir.File("s.npy"), "--masks", dir.File("m.npy"), "--metrics", "relevance_mass_accuracy",
            "--random-baseline", "5", "--qge-pool", "50", "--random-ranking", "chunky:2", "--threads", "1"];
        var (c1, _, e1) = CliRunner.Run([.. args, "--out", dir.File("a.csv")]);
        var (c2, _, e2) = CliRunner.Run([.. args.Select(a => a == "1" ? "2" : a), "--out", dir.File("b.csv")]);
        Assert.True(c1 == 0, e1);
        Assert.True(c2 == 0, e2);
        Assert.Equal(File.ReadAllText(dir.File("a.csv")), File.ReadAllText(dir.File("b.csv")));
        Assert.Contains("relevance_mass_accuracy_qbas,relevance_mass_accuracy_z,relevance_mass_accuracy_pool_mean,relevance_mass_accuracy_pool_std",
            File.ReadAllLines(dir.File("a.csv"))[0]);
    }

    [Theory]
    [InlineData("--qge", "swap", "--qge 'swap'")]
    [InlineData("--random-ranking", "chunky:0", "--random-ranking 'chunky:0'")]
    [InlineData("--qge-pool", "1", "--qge-pool 1")]
    [InlineData("--qge-normalise", null, "--qge-normalise needs --qge")]
    public void Bad_qge_options_are_usage_errors(string option, string? value, string expected)
    {
        using var dir = new TempDir();
        var (s, m) = Oracle(dir);
        string[] extra = value is null ? [option] : [option, value];
        if (option == "--random-ranking") extra = [.. extra, "--qge-pool", "4"];
        var (code, _, err) = CliRunner.Run(["align", "--saliency", s, "--masks", m, "--out", dir.File("o.csv"), .. extra]);
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
        Assert.False(File.Exists(dir.File("o.csv")));
    }
}
