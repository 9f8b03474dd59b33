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

    // SemScore spec §10 core 4×4 vector.
    private static readonly float[] CoreS =
    [
        .1f, .7f, .9f, .2f,
        .65f, 1.0f, .8f, .3f,
        0f, .61f, .59f, .6f,
        .95f, .2f, .3f, .99f,
    ];

    private static readonly byte[] CoreM = [0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0];

    private static string[] Rows(string csv) => File.ReadAllLines(csv);

    private static double Cell(string csv, int row, string column)
    {
        var lines = Rows(csv);
        int col = Array.IndexOf(lines[0].Split(','), column);
        Assert.True(col >= 0, $"no column {column} in {lines[0]}");
        return double.Parse(lines[row + 1].Split(',')[col], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void Imagenet_s_rgb_masks_treat_label_1000_as_outside_the_object()
    {
        using var dir = new TempDir();
        Npy.Write<float>(dir.File("s.npy"), CoreS, 1, 4, 4);
        Directory.CreateDirectory(dir.File("masks"));
        // RGB label G·256 + R: the core mask as class 5 (R = 5), the last row 1000 = ignore (R = 232, G = 3).
        var rgb = new byte[16 * 3];
        for (int p = 0; p < 16; p++)
        {
            if (p >= 12) { rgb[p * 3] = 232; rgb[p * 3 + 1] = 3; }
            else if (CoreM[p] == 1) rgb[p * 3] = 5;
        }
        Png.WriteRgb8(Path.Combine(dir.File("masks"), "ILSVRC2012_val_00000001.png"), 4, 4, rgb);
        foreach (var encoding in new[] { "rgb", "auto" })
        {
            var (code, _, err) = CliRunner.Run("align", "--saliency", dir.File("s.npy"), "--masks", dir.File("masks"), "--mask-encoding", encoding,
                "--out", dir.File("o.csv"), "--metrics", "sss");
            Assert.True(code == 0, err);
            // Ignore pixels are spurious: the spec's exact soft-τ value O/T = 2.59/6.6.
            Assert.Equal(0.3924242424242424, Cell(dir.File("o.csv"), 0, "sss"), 1e-6);
        }
        // --mask-ignore none makes 1000 a class: the last row joins the object, O/T = 0.65/6.6.
        var (c2, _, e2) = CliRunner.Run("align", "--saliency", dir.File("s.npy"), "--masks", dir.File("masks"), "--mask-encoding", "rgb",
            "--mask-ignore", "none", "--out", dir.File("none.csv"), "--metrics", "sss");
        Assert.True(c2 == 0, e2);
        Assert.Equal(0.65 / 6.6, Cell(dir.File("none.csv"), 0, "sss"), 1e-6);
        // Another ignore label (5) leaves 1000 as the only class: I = .95 + .99, T = 6.6.
        var (c3, _, e3) = CliRunner.Run("align", "--saliency", dir.File("s.npy"), "--masks", dir.File("masks"), "--mask-ignore", "5",
            "--out", dir.File("five.csv"), "--metrics", "sss", "--summary", dir.File("summary.json"));
        Assert.True(c3 == 0, e3);
        Assert.Equal(1 - 1.94 / 6.6, Cell(dir.File("five.csv"), 0, "sss"), 1e-6);
        using var summary = JsonDocument.Parse(File.ReadAllText(dir.File("summary.json")));
        var settings = summary.RootElement.GetProperty("settings");
        Assert.Equal("5", settings.GetProperty("mask_ignore").GetString());
        Assert.Equal("auto", settings.GetProperty("mask_encoding").GetString());
    }

    [Theory]
    [InlineData("--mask-classes", "3")]
    [InlineData("--mask-encoding", "rgb")]
    [InlineData("--mask-ignore", "255")]
    public void Png_mask_options_with_npy_masks_exit_2(string option, string value)
    {
        using var dir = new TempDir();
        Npy.Write<float>(dir.File("s.npy"), CoreS, 1, 4, 4);
        Npy.Write<byte>(dir.File("m.npy"), CoreM, 1, 4, 4);
        var (code, _, err) = CliRunner.Run("align", "--saliency", dir.File("s.npy"), "--masks", dir.File("m.npy"), "--out", dir.File("o.csv"), option, value);
        Assert.Equal(2, code);
        Assert.Contains(option, err);
        Assert.Contains("m.npy", err);
        Assert.False(File.Exists(dir.File("o.csv")));
    }

    [Fact]
    public void Bad_mask_ignore_values_exit_2()
    {
        using var dir = new TempDir();
        Npy.Write<float>(dir.File("s.npy"), new float[4], 1, 2, 2);
        Directory.CreateDirectory(dir.File("masks"));
        Png.WriteGray8(Path.Combine(dir.File("masks"), "a.png"), 2, 2, [0, 1, 0, 0]);
        var (code, _, err) = CliRunner.Run("align", "--saliency", dir.File("s.npy"), "--masks", dir.File("masks"), "--out", dir.File("o.csv"), "--mask-ignore", "lots");
        Assert.Equal(2, code);
        Assert.Contains("--mask-ignore 'lots'", err);
        (code, _, err) = CliRunner.Run("align", "--saliency", dir.File("s.npy"), "--masks", dir.File("masks"), "--out", dir.File("o.csv"), "--mask-ignore", "1", "--mask-encoding", "binary");
        Assert.Equal(2, code);
        Assert.Contains("binary", err);
    }

    [Fact]
    public void Image_ids_of_the_wrong_length_exit_2_before_any_output_is_written()
    {
        using var dir = new TempDir();
        var (maps, masks) = TwoSamples();
        Npy.Write<float>(dir.File("s.npy"), maps, 2, 4, 4);
        Npy.Write<bool>(dir.File("m.npy"), masks, 2, 4, 4);
        Npy.Write<int>(dir.File("ids.npy"), [0, 1, 2], 3);
        var (code, _, err) = CliRunner.Run("align", "--saliency", dir.File("s.npy"), "--masks", dir.File("m.npy"), "--out", dir.File("o.csv"),
            "--image-ids", dir.File("ids.npy"), "--summary", dir.File("summary.json"));
        Assert.Equal(2, code);
        Assert.Contains("--image-ids has 3 entries but there are 2 samples", err);
        Assert.False(File.Exists(dir.File("o.csv")));
        Assert.False(File.Exists(dir.File("summary.json")));
    }

    [Fact]
    public void Image_ids_labels_class_rank_and_si_cut_offs_flow_into_scores_summary_and_table()
    {
        using var dir = new TempDir();
        // Four 2×2 maps, mask = pixel (0,0). τ none: SSS = .5, 0, .75, 1.
        float[] maps = [1, 1, 0, 0, 1, 0, 0, 0, 1, 3, 0, 0, 0, 1, 0, 0];
        byte[] masks = [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0];
        Npy.Write<float>(dir.File("s.npy"), maps, 4, 2, 2);
        Npy.Write<byte>(dir.File("m.npy"), masks, 4, 2, 2);
        Npy.Write<int>(dir.File("ids.npy"), [0, 0, 0, 1], 4);
        Npy.Write<long>(dir.File("labels.npy"), [2, 2, 1, 0], 4);
        Npy.Write<short>(dir.File("pred.npy"), [2, 1, 1, 0], 4);
        string[] common = ["align", "--saliency", dir.File("s.npy"), "--masks", dir.File("m.npy"), "--metrics", "sss,iou",
            "--sss-threshold", "none", "--binarize", "threshold:0.5", "--labels", dir.File("labels.npy"), "--predictions", dir.File("pred.npy")];
        var (code, stdout, err) = CliRunner.Run([.. common, "--out", dir.File("o.csv"), "--image-ids", dir.File("ids.npy"),
            "--class-rank", "2", "--summary", dir.File("summary.json")]);
        Assert.True(code == 0, err);
        // threshold:0.5 on the min–max map: S = {0,1}, {0}, {1}, {1} against G = {0}
        // → (iou, sc, gtc) = (.5, .5, 1), (1, 1, 1), (0, 0, 0), (0, 0, 0); correct = T, F, T, T.
        Assert.Equal(new[] { "index,sss,iou,si_case,label,predicted", "0,0.5,0.5,human_aligned,2,2", "1,0,1,confuser,2,1",
            "2,0.75,0,context_dependent,1,1", "3,1,0,context_dependent,0,0" }, Rows(dir.File("o.csv")));
        using var summary = JsonDocument.Parse(File.ReadAllText(dir.File("summary.json")));
        var sem = summary.RootElement.GetProperty("semscore");
        Assert.Equal(2.25 / 4, sem.GetProperty("ppa").GetDouble(), 12);
        Assert.Equal(((0.5 + 0 + 0.75) / 3 + 1) / 2, sem.GetProperty("pia").GetDouble(), 12);
        Assert.Equal(1.0, sem.GetProperty("screening_rate").GetDouble());
        // Class means: 2 → .25, 1 → .75, 0 → 1; two per list.
        Assert.Equal(new[] { 2, 1 }, sem.GetProperty("top_classes").EnumerateArray().Select(c => c.GetProperty("class").GetInt32()));
        Assert.Equal(new[] { 0, 1 }, sem.GetProperty("bottom_classes").EnumerateArray().Select(c => c.GetProperty("class").GetInt32()));
        Assert.Contains("least spurious classes: 2 0.2500, 1 0.7500", stdout);
        Assert.Contains("most spurious classes:  0 1.0000, 1 0.7500", stdout);
        Assert.Contains(stdout.Split('\n'), l => l.StartsWith("class") && l.Contains("sss") && l.Contains("iou"));
        Assert.Contains(stdout.Split('\n'), l => l.StartsWith("2 ") && l.TrimEnd().EndsWith("0.2500    0.7500"));
        var settings = summary.RootElement.GetProperty("settings");
        foreach (var key in new[] { "top_k", "concept_influence", "resize_masks", "si_high", "si_low", "mask_encoding", "mask_classes", "mask_ignore", "labels", "predictions", "image_ids" })
            Assert.True(settings.TryGetProperty(key, out _), $"settings lacks {key}");
        Assert.Equal(dir.File("ids.npy"), settings.GetProperty("image_ids").GetString());
        Assert.Equal("iou=0.5,sc=0.5,gtc=0.5", settings.GetProperty("si_high").GetString());

        // Named cut-offs: iou high .6 and sc low .6 turn sample 0 (gtc 1 ≥ .5, sc .5 < .6) into sufficient_context.
        (code, _, err) = CliRunner.Run([.. common, "--out", dir.File("si.csv"), "--si-high", "iou=0.6", "--si-low", "sc=0.6"]);
        Assert.True(code == 0, err);
        Assert.Equal("0,0.5,0.5,sufficient_context,2,2", Rows(dir.File("si.csv"))[1]);
        Assert.Equal("1,0,1,confuser,2,1", Rows(dir.File("si.csv"))[2]);
        (code, _, err) = CliRunner.Run([.. common, "--out", dir.File("bad.csv"), "--si-high", "iou:0.6"]);
        Assert.Equal(2, code);
        Assert.Contains("--si-high", err);
    }

    [Theory]
    [InlineData(new string[0], 0.3924242424242424)]
    [InlineData(new[] { "--sss-hard" }, 0.375)]
    [InlineData(new[] { "--sss-compat" }, 0.34848484629551346)]
    [InlineData(new[] { "--sss-compat", "--sss-threshold", "none" }, 0.5)]
    [InlineData(new[] { "--sss-compat", "--sss-threshold", "0" }, 0.5)]
    [InlineData(new[] { "--sss-threshold", "none" }, 0.4825646794150731)]
    public void Sss_modes_reproduce_the_spec_core_vector_through_the_command(string[] extra, double expected)
    {
        using var dir = new TempDir();
        Npy.Write<float>(dir.File("s.npy"), CoreS, 1, 4, 4);
        Npy.Write<byte>(dir.File("m.npy"), CoreM, 1, 4, 4);
        var (code, _, err) = CliRunner.Run(["align", "--saliency", dir.File("s.npy"), "--masks", dir.File("m.npy"), "--out", dir.File("o.csv"), "--metrics", "sss", .. extra]);
        Assert.True(code == 0, err);
        Assert.Equal(expected, Cell(dir.File("o.csv"), 0, "sss"), 1e-6);
    }

    [Fact]
    public void Negative_saliency_without_a_threshold_is_nan_with_a_reason()
    {
        using var dir = new TempDir();
        Npy.Write<float>(dir.File("s.npy"), [-1f, 2f], 1, 1, 2);
        Npy.Write<byte>(dir.File("m.npy"), [1, 0], 1, 1, 2);
        var (code, _, err) = CliRunner.Run("align", "--saliency", dir.File("s.npy"), "--masks", dir.File("m.npy"), "--out", dir.File("o.csv"), "--metrics", "sss", "--sss-threshold", "none");
        Assert.True(code == 0, err);
        Assert.Equal(new[] { "index,sss,reason", "0,NaN,negative-saliency" }, Rows(dir.File("o.csv")));
    }

    [Theory]
    [InlineData(new string[0], 0)]
    [InlineData(new[] { "--pg-ties", "any" }, 1)]
    [InlineData(new[] { "--pg-tolerance", "1" }, 1)]
    [InlineData(new[] { "--pg-tolerance", "0.9" }, 0)]
    public void Pointing_game_options_follow_spec_vector_b(string[] extra, int expected)
    {
        // Alignment spec §8 vector B: the first 9 is at (1,0), outside GT rows 1–3 × cols 1–3; another 9 at (2,2) is inside.
        using var dir = new TempDir();
        float[] map = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4, 6, 2, 6, 4, 3];
        var mask = new byte[25];
        for (int y = 1; y <= 3; y++) for (int x = 1; x <= 3; x++) mask[y * 5 + x] = 1;
        Npy.Write<float>(dir.File("s.npy"), map, 1, 5, 5);
        Npy.Write<byte>(dir.File("m.npy"), mask, 1, 5, 5);
        var (code, _, err) = CliRunner.Run(["align", "--saliency", dir.File("s.npy"), "--masks", dir.File("m.npy"), "--out", dir.File("o.csv"), "--metrics", "pointing_game", .. extra]);
        Assert.True(code == 0, err);
        Assert.Equal(expected, Cell(dir.File("o.csv"), 0, "pointing_game"));
    }

    [Fact]
    public void Npz_big_endian_and_fortran_order_inputs_score_like_the_plain_npy()
    {
        using var dir = new TempDir();
        // The core 4×4 vector, τ 0.6 soft: 0.3924242424242424 whatever the container.
        Npz.Write(dir.File("bundle.npz"), [NpzEntry.Create("maps", CoreS, 1, 4, 4), NpzEntry.Create("masks", CoreM, 1, 4, 4)], compressed: true);
        // Big-endian float32 saliency ('>f4').
        var be = new byte[CoreS.Length * 4];
        for (int i = 0; i < CoreS.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteSingleBigEndian(be.AsSpan(i * 4), CoreS[i]);
        File.WriteAllBytes(dir.File("be.npy"), Sightline.Tests.IO.Craft.Npy("{'descr': '>f4', 'fortran_order': False, 'shape': (1, 4, 4), }", be));
        // Fortran-order uint8 mask: element (0, y, x) stored at y + 4x (the first axis varies fastest).
        var fortran = new byte[16];
        for (int y = 0; y < 4; y++) for (int x = 0; x < 4; x++) fortran[y + 4 * x] = CoreM[y * 4 + x];
        File.WriteAllBytes(dir.File("f.npy"), Sightline.Tests.IO.Craft.Npy("{'descr': '|u1', 'fortran_order': True, 'shape': (1, 4, 4), }", fortran));
        foreach (var (maps, masks) in new[] { ("bundle.npz:maps", "bundle.npz:masks"), ("be.npy", "f.npy") })
        {
            var (code, _, err) = CliRunner.Run("align", "--saliency", dir.File(maps), "--masks", dir.File(masks), "--out", dir.File("o.csv"), "--metrics", "sss");
            Assert.True(code == 0, err);
            Assert.Equal(0.3924242424242424, Cell(dir.File("o.csv"), 0, "sss"), 1e-6);
        }
    }

    [Fact]
    public void Percentile_binarisation_out_of_range_exits_2_with_a_clear_message()
    {
        using var dir = new TempDir();
        Npy.Write<float>(dir.File("s.npy"), CoreS, 1, 4, 4);
        Npy.Write<byte>(dir.File("m.npy"), CoreM, 1, 4, 4);
        var (code, _, err) = CliRunner.Run("align", "--saliency", dir.File("s.npy"), "--masks", dir.File("m.npy"), "--out", dir.File("o.csv"), "--binarize", "percentile:90");
        Assert.Equal(2, code);
        Assert.Contains("fraction P in [0,1]", err);
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
