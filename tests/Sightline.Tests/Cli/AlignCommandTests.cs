using System.Text.Json;
using Sightline.IO;

namespace Sightline.Tests.Cli;

public sealed class AlignCommandTests
{
    private static readonly string Examples = Path.Combine(RepoRoot(), "examples", "align");

    internal static string RepoRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Sightline.slnx"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("Repository root not found.");
    }

    private static (float[] Maps, bool[] Masks) TwoSamples()
    {
        // Sample 0: all saliency inside the mask's left half; sample 1: peak outside.
        var maps = new float[2 * 4 * 4];
        var masks = new bool[2 * 4 * 4];
        for (int s = 0; s < 2; s++)
            for (int y = 0; y < 4; y++)
                for (int x = 0; x < 2; x++) masks[s * 16 + y * 4 + x] = true;
        maps[0 * 16 + 5] = 1f;   // (1,1) inside
        maps[1 * 16 + 7] = 1f;   // (1,3) outside
        return (maps, masks);
    }

    [Fact]
    public void Align_writes_one_row_per_sample_with_the_requested_metric_columns()
    {
        using var dir = new TempDir();
        var (maps, masks) = TwoSamples();
        Npy.Write<float>(dir.File("s.npy"), maps, 2, 4, 4);
        Npy.Write<bool>(dir.File("m.npy"), masks, 2, 4, 4);
        var (code, _, err) = CliRunner.Run("align", "--saliency", dir.File("s.npy"), "--masks", dir.File("m.npy"),
            "--out", dir.File("out.csv"), "--metrics", "sss,pointing_game,iou", "--sss-threshold", "none");
        Assert.True(code == 0, err);
        var lines = File.ReadAllLines(dir.File("out.csv"));
        Assert.Equal("index,sss,pointing_game,iou", lines[0]);
        Assert.Equal("0,0,1,0.125", lines[1]);
        Assert.Equal("1,1,0,0", lines[2]);
        Assert.Equal(3, lines.Length);
    }

    [Fact]
    public void Align_on_the_shipped_example_writes_all_default_metrics_and_a_summary()
    {
        using var dir = new TempDir();
        var (code, stdout, err) = CliRunner.Run("align", "--saliency", Path.Combine(Examples, "saliency.npy"),
            "--masks", Path.Combine(Examples, "masks.npy"), "--out", dir.File("scores.json"),
            "--labels", Path.Combine(Examples, "labels.npy"), "--predictions", Path.Combine(Examples, "predictions.npy"),
            "--summary", dir.File("summary.json"));
        Assert.True(code == 0, err);
        Assert.Contains("sss", stdout);
        using var rows = JsonDocument.Parse(File.ReadAllText(dir.File("scores.json")));
        Assert.Equal(24, rows.RootElement.GetArrayLength());
        var first = rows.RootElement[0];
        foreach (var name in new[] { "index", "sss", "iou", "gtc", "sc", "sc_soft", "pointing_game", "si_case", "label" })
            Assert.True(first.TryGetProperty(name, out _), $"missing column {name}");
        using var summary = JsonDocument.Parse(File.ReadAllText(dir.File("summary.json")));
        var sss = summary.RootElement.GetProperty("metrics").GetProperty("sss");
        Assert.Equal(24, sss.GetProperty("n").GetInt32());
        var ci = sss.GetProperty("ci95");
        double mean = sss.GetProperty("mean").GetDouble();
        Assert.InRange(mean, ci[0].GetDouble(), ci[1].GetDouble());
        Assert.True(summary.RootElement.GetProperty("per_class").GetProperty("iou").TryGetProperty("2", out _));
        Assert.Equal(1.0, summary.RootElement.GetProperty("semscore").GetProperty("screening_rate").GetDouble());
        // The example's spurious samples (16–23) look at the corner: SSS near 1, on-object ones near 0.
        Assert.True(rows.RootElement[20].GetProperty("sss").GetDouble() > 0.9);
        Assert.True(rows.RootElement[3].GetProperty("sss").GetDouble() < 0.1);
    }

    [Fact]
    public async Task Output_format_follows_the_extension_and_parquet_round_trips()
    {
        using var dir = new TempDir();
        var (maps, masks) = TwoSamples();
        Npy.Write<float>(dir.File("s.npy"), maps, 2, 4, 4);
        Npy.Write<bool>(dir.File("m.npy"), masks, 2, 4, 4);
        var (code, _, err) = CliRunner.Run("align", "--saliency", dir.File("s.npy"), "--masks", dir.File("m.npy"),
            "--out", dir.File("out.parquet"), "--metrics", "sss", "--sss-threshold", "none");
        Assert.True(code == 0, err);
        var bytes = File.ReadAllBytes(dir.File("out.parquet"));
        Assert.Equal("PAR1", System.Text.Encoding.ASCII.GetString(bytes, 0, 4));
        await using var reader = await Parquet.ParquetReader.CreateAsync(dir.File("out.parquet"));
        using var group = reader.OpenRowGroupReader(0);
        var field = reader.Schema.DataFields.Single(f => f.Name == "sss");
        var values = new double[2];
        await group.ReadAsync<double>(field, values);
        Assert.Equal(new[] { 0.0, 1.0 }, values);
    }

    [Fact]
    public void Mismatched_shapes_exit_2_naming_both_shapes_and_resize_masks_fixes_it()
    {
        using var dir = new TempDir();
        var maps = new float[2 * 8 * 8];
        maps[0] = 1;
        maps[64] = 1;
        Npy.Write<float>(dir.File("s.npy"), maps, 2, 8, 8);
        var masks = new byte[2 * 4 * 4];
        masks[0] = 1;
        masks[16] = 1;
        Npy.Write<byte>(dir.File("m.npy"), masks, 2, 4, 4);
        var (code, _, err) = CliRunner.Run("align", "--saliency", dir.File("s.npy"), "--masks", dir.File("m.npy"), "--out", dir.File("o.csv"));
        Assert.Equal(2, code);
        Assert.Contains("(2, 8, 8)", err);
        Assert.Contains("(2, 4, 4)", err);
        Assert.Contains("--resize-masks", err);
        Assert.DoesNotContain("   at ", err);
        (code, _, err) = CliRunner.Run("align", "--saliency", dir.File("s.npy"), "--masks", dir.File("m.npy"), "--out", dir.File("o.csv"), "--resize-masks", "--metrics", "pointing_game");
        Assert.True(code == 0, err);
        // Each map peaks at (0,0), which the resized mask covers (its top-left 2×2 block).
        Assert.Equal("0,1", File.ReadAllLines(dir.File("o.csv"))[1]);
    }

    [Fact]
    public void Nan_map_gives_nan_scores_with_a_reason_and_exit_1_while_other_samples_are_scored()
    {
        using var dir = new TempDir();
        var (maps, masks) = TwoSamples();
        maps[3] = float.NaN;
        Npy.Write<float>(dir.File("s.npy"), maps, 2, 4, 4);
        Npy.Write<bool>(dir.File("m.npy"), masks, 2, 4, 4);
        var (code, stdout, _) = CliRunner.Run("align", "--saliency", dir.File("s.npy"), "--masks", dir.File("m.npy"),
            "--out", dir.File("o.csv"), "--metrics", "sss,iou", "--sss-threshold", "none");
        Assert.Equal(1, code);
        var lines = File.ReadAllLines(dir.File("o.csv"));
        Assert.Equal("index,sss,iou,reason", lines[0]);
        Assert.Equal("0,NaN,NaN,non-finite-map", lines[1]);
        Assert.StartsWith("1,1,0,", lines[2]);
        Assert.Contains("non-finite", stdout);
    }

    [Fact]
    public void Non_binary_mask_exits_2_naming_the_file()
    {
        using var dir = new TempDir();
        Npy.Write<float>(dir.File("s.npy"), new float[16], 1, 4, 4);
        var mask = new byte[16];
        mask[5] = 3;
        Npy.Write<byte>(dir.File("labels-not-mask.npy"), mask, 1, 4, 4);
        var (code, _, err) = CliRunner.Run("align", "--saliency", dir.File("s.npy"), "--masks", dir.File("labels-not-mask.npy"), "--out", dir.File("o.csv"));
        Assert.Equal(2, code);
        Assert.Contains("labels-not-mask.npy", err);
        Assert.Contains("not binary", err);
        Assert.False(File.Exists(dir.File("o.csv")));
    }

    [Fact]
    public void Truncated_saliency_file_exits_2_naming_the_file()
    {
        using var dir = new TempDir();
        Npy.Write<float>(dir.File("s.npy"), new float[64], 4, 4, 4);
        var bytes = File.ReadAllBytes(dir.File("s.npy"));
        File.WriteAllBytes(dir.File("s.npy"), bytes[..^20]);
        Npy.Write<byte>(dir.File("m.npy"), new byte[64], 4, 4, 4);
        var (code, _, err) = CliRunner.Run("align", "--saliency", dir.File("s.npy"), "--masks", dir.File("m.npy"), "--out", dir.File("o.csv"));
        Assert.Equal(2, code);
        Assert.Contains("s.npy", err);
    }

    [Theory]
    [InlineData("--metrics", "sss,bogus", "bogus")]
    [InlineData("--binarize", "median:3", "median")]
    [InlineData("--sss-threshold", "high", "high")]
    [InlineData("--out", "scores.xlsx", ".xlsx")]
    public void Bad_options_exit_2_with_a_specific_message(string option, string value, string expected)
    {
        using var dir = new TempDir();
        Npy.Write<float>(dir.File("s.npy"), new float[16], 1, 4, 4);
        Npy.Write<byte>(dir.File("m.npy"), new byte[16], 1, 4, 4);
        var args = new List<string> { "align", "--saliency", dir.File("s.npy"), "--masks", dir.File("m.npy") };
        if (option != "--out") args.AddRange(["--out", dir.File("o.csv")]);
        args.AddRange([option, option == "--out" ? dir.File(value) : value]);
        var (code, _, err) = CliRunner.Run([.. args]);
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
    }

    [Fact]
    public void Missing_file_exits_2()
    {
        var (code, _, err) = CliRunner.Run("align", "--saliency", "/nonexistent/s.npy", "--masks", "/nonexistent/m.npy", "--out", "/tmp/x.csv");
        Assert.Equal(2, code);
        Assert.Contains("/nonexistent/s.npy", err);
    }

    [Fact]
    public void Missing_required_option_is_a_usage_error()
    {
        var (code, _, err) = CliRunner.Run("align", "--saliency", "s.npy");
        Assert.Equal(2, code);
        Assert.Contains("--masks", err);
    }

    [Fact]
    public void Four_d_saliency_is_summed_over_channels_signed()
    {
        using var dir = new TempDir();
        // Two channels that cancel at pixel 0 and add at pixel 3.
        float[] maps = [1, 0, 0, 1, -1, 0, 0, 1];
        Npy.Write<float>(dir.File("s.npy"), maps, 1, 2, 2, 2);
        Npy.Write<byte>(dir.File("m.npy"), new byte[] { 1, 0, 0, 0 }, 1, 2, 2);
        var (code, _, err) = CliRunner.Run("align", "--saliency", dir.File("s.npy"), "--masks", dir.File("m.npy"), "--out", dir.File("o.csv"), "--metrics", "pointing_game,sc_soft");
        Assert.True(code == 0, err);
        Assert.Equal("0,0,0", File.ReadAllLines(dir.File("o.csv"))[1]);
    }

    [Fact]
    public void A_folder_of_png_label_maps_serves_as_masks_with_chosen_classes()
    {
        using var dir = new TempDir();
        var (maps, _) = TwoSamples();
        Npy.Write<float>(dir.File("s.npy"), maps, 2, 4, 4);
        Directory.CreateDirectory(dir.File("masks"));
        // Palette label maps: class 3 in the left half, class 5 in the right half, 255 (ignore) in the last row.
        for (int s = 0; s < 2; s++)
        {
            var labels = new byte[16];
            for (int y = 0; y < 4; y++) for (int x = 0; x < 4; x++) labels[y * 4 + x] = y == 3 ? (byte)255 : x < 2 ? (byte)3 : (byte)5;
            var palette = new byte[256 * 3];
            Png.WritePalette8(Path.Combine(dir.File("masks"), $"m{s}.png"), 4, 4, labels, palette);
        }
        var (code, _, err) = CliRunner.Run("align", "--saliency", dir.File("s.npy"), "--masks", dir.File("masks"), "--mask-classes", "3",
            "--out", dir.File("o.csv"), "--metrics", "pointing_game,gtc");
        Assert.True(code == 0, err);
        var lines = File.ReadAllLines(dir.File("o.csv"));
        // Sample 0 peaks at (1,1), inside class 3; sample 1 at (1,3), in class 5.
        Assert.StartsWith("0,1,", lines[1]);
        Assert.StartsWith("1,0,", lines[2]);
        (code, _, err) = CliRunner.Run("align", "--saliency", dir.File("s.npy"), "--masks", dir.File("masks"), "--mask-classes", "5",
            "--out", dir.File("o5.csv"), "--metrics", "pointing_game");
        Assert.True(code == 0, err);
        Assert.Equal(new[] { "0,0", "1,1" }, File.ReadAllLines(dir.File("o5.csv")).Skip(1));
    }

    [Fact]
    public void Help_text_matches_the_snapshot()
    {
        var (code, stdout, _) = CliRunner.Run("align", "--help");
        Assert.Equal(0, code);
        Snapshot.Match("align-help.txt", stdout);
    }
}

public sealed class ReadmeTests
{
    [Fact]
    public void Readme_lists_every_align_option_exactly_as_help_prints_it()
    {
        var (_, help, _) = CliRunner.Run("align", "--help");
        var readme = File.ReadAllText(Path.Combine(AlignCommandTests.RepoRoot(), "README.md"));
        var options = help.Split("Options:\n", 2)[1].Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(options);
        foreach (var line in options) Assert.Contains(line.TrimEnd(), readme);
    }
}
