using Sightline.IO;

namespace Sightline.Tests.Cli;

/// <summary>
/// The error contract under a hostile new user's command lines, as real CLI runs on real files: options at their
/// extremes, malformed command lines and degenerate values end in exit 2 and one line naming the option, never in an
/// internal error, several lines or an empty result with exit 0.
/// </summary>
public sealed class HostileInputTests
{
    private static string F(string name) => Path.Combine(AlignCommandTests.RepoRoot(), "tests", "fixtures", "models", name);

    private static void AssertOneLineError(int code, string stdout, string err, params string[] mentions)
    {
        Assert.True(code == 2, $"exit {code}: {stdout}{err}");
        var line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("sightline: error: ", line);
        Assert.DoesNotContain("   at ", err);
        foreach (var m in mentions) Assert.Contains(m, line);
    }

    private static string[] Files(TempDir dir) =>
        [.. Directory.GetFiles(dir.Path, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(dir.Path, f)).OrderBy(f => f, StringComparer.Ordinal)];

    [Theory]
    [InlineData(new[] { "explain", "--seed", "x" }, "'--seed'", "sightline explain --help")]
    [InlineData(new[] { "neurons", "score", "--top", "x" }, "'--activations'", "sightline neurons score --help")]
    [InlineData(new[] { "align", "--top-k", "2147483648" }, "'--top-k'", "sightline align --help")]
    [InlineData(new[] { "--bogus" }, "'--bogus'", "sightline --help")]
    public void A_command_line_the_parser_rejects_is_one_line_naming_the_option_and_the_help_to_read(string[] args, string option, string help)
    {
        var (code, stdout, err) = CliRunner.Run(args);
        AssertOneLineError(code, stdout, err, option, $"run '{help}' for usage");
    }

    [Fact]
    public void Explain_with_a_chunk_far_beyond_the_samples_runs_and_gives_the_maps_of_the_default_chunk()
    {
        using var dir = new TempDir();
        string[] Occlusion(string output, params string[] more) =>
            ["explain", "--model", F("vgg_tiny.onnx"), "--inputs", F("inputs.npy"), "--method", "occlusion", "--window", "8", "--stride", "8",
             "--backend", "onnxruntime", "--out", output, .. more];
        var (code, stdout, err) = CliRunner.Run(Occlusion(dir.File("huge.npy"), "--chunk", "2147483647"));
        Assert.True(code == 0, $"exit {code}: {stdout}{err}");
        (code, stdout, err) = CliRunner.Run(Occlusion(dir.File("default.npy")));
        Assert.True(code == 0, $"exit {code}: {stdout}{err}");
        var huge = NpyReader.Open(dir.File("huge.npy"));
        Assert.Equal([4, 32, 32], huge.Shape);
        Assert.Equal(NpyReader.Open(dir.File("default.npy")).ReadAll<float>(), huge.ReadAll<float>());
    }

    [Theory]
    [InlineData(",,")]
    [InlineData(" , ")]
    public void Neurons_score_refuses_a_metric_list_that_names_no_metric_and_writes_nothing(string metrics)
    {
        using var dir = new TempDir();
        var rng = new Random(1);
        Npy.Write(dir.File("A.npy"), Enumerable.Range(0, 40 * 3).Select(_ => (float)rng.NextDouble()).ToArray(), 40, 3);
        Npy.Write(dir.File("C.npy"), Enumerable.Range(0, 40 * 2).Select(i => (float)(i % 3 == 0 ? 1 : 0)).ToArray(), 40, 2);
        var (code, stdout, err) = CliRunner.Run("neurons", "score", "--activations", dir.File("A.npy"), "--concepts", dir.File("C.npy"),
            "--out", dir.File("s.csv"), "--metrics", metrics);
        AssertOneLineError(code, stdout, err, "--metrics", "names no metric");
        Assert.Equal(["A.npy", "C.npy"], Files(dir));
    }

    [Theory]
    [InlineData("--predictions", "explain")]
    [InlineData("--overlays", "explain")]
    [InlineData("--inputs", "explain")]
    [InlineData("--target", "explain")]
    [InlineData("--saliency", "align")]
    [InlineData("--labels", "align")]
    [InlineData("--image-ids", "align")]
    [InlineData("--activations", "score")]
    [InlineData("--labels", "concepts")]
    [InlineData("--out", "demo")]
    public void An_empty_option_value_is_one_line_naming_the_option_and_nothing_is_written(string option, string command)
    {
        using var dir = new TempDir();
        var examples = Path.Combine(AlignCommandTests.RepoRoot(), "examples", "align");
        var rng = new Random(1);
        Npy.Write(dir.File("A.npy"), Enumerable.Range(0, 40 * 3).Select(_ => (float)rng.NextDouble()).ToArray(), 40, 3);
        Npy.Write(dir.File("C.npy"), Enumerable.Range(0, 40 * 2).Select(i => (float)(i % 3 == 0 ? 1 : 0)).ToArray(), 40, 2);
        Npy.Write(dir.File("L.npy"), Enumerable.Range(0, 40).Select(i => (long)(i % 2)).ToArray(), 40);
        var args = command switch
        {
            "explain" => new Dictionary<string, string>
            {
                ["--model"] = F("vgg_tiny.onnx"), ["--inputs"] = F("inputs.npy"), ["--method"] = "occlusion", ["--window"] = "8", ["--stride"] = "8",
                ["--backend"] = "onnxruntime", ["--out"] = dir.File("maps.npy"), ["--predictions"] = dir.File("p.csv"), ["--overlays"] = dir.File("ov"), ["--target"] = "predicted",
            },
            "align" => new()
            {
                ["--saliency"] = Path.Combine(examples, "saliency.npy"), ["--masks"] = Path.Combine(examples, "masks.npy"), ["--out"] = dir.File("o.csv"),
                ["--labels"] = Path.Combine(examples, "labels.npy"), ["--image-ids"] = Path.Combine(examples, "labels.npy"),
            },
            "score" => new() { ["--activations"] = dir.File("A.npy"), ["--concepts"] = dir.File("C.npy"), ["--out"] = dir.File("s.csv") },
            "concepts" => new() { ["--labels"] = dir.File("L.npy"), ["--classes"] = "2", ["--out"] = dir.File("c.npy") },
            _ => new() { ["--out"] = dir.File("demo"), ["--samples"] = "1" },
        };
        args[option] = "";
        string[] verb = command is "score" or "concepts" ? ["neurons", command] : [command];
        var before = Files(dir);
        var (code, stdout, err) = CliRunner.Run([.. verb, .. args.SelectMany(kv => new[] { kv.Key, kv.Value })]);
        AssertOneLineError(code, stdout, err, option, "is empty");
        Assert.Equal(before, Files(dir));
    }

    [Fact]
    public void Report_with_an_empty_results_folder_argument_is_one_line_naming_it()
    {
        using var dir = new TempDir();
        var (code, stdout, err) = CliRunner.Run("report", "", "--out", dir.File("r.html"));
        AssertOneLineError(code, stdout, err, "RESULTS_DIR", "is empty");
        Assert.Empty(Files(dir));
    }

    [Fact]
    public void Explain_with_a_resize_too_large_to_hold_is_one_line_naming_the_image_and_the_option_and_leaves_no_output()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("images"));
        Sightline.Data.ImageDecoder.WritePng(dir.File("images/a.png"), 40, 40, new byte[40 * 40 * 4]);
        var before = Files(dir);
        var (code, stdout, err) = CliRunner.Run("explain", "--model", F("vgg_tiny.onnx"), "--images", dir.File("images"), "--method", "occlusion",
            "--window", "8", "--stride", "8", "--backend", "onnxruntime", "--resize", "100000", "--crop", "32", "--out", dir.File("maps.npy"));
        AssertOneLineError(code, stdout, err, "a.png", "--resize", "100000×100000");
        Assert.Equal(before, Files(dir));
    }

    private const string ResnetLayer = "/features/features.5/relu_1/Relu_output_0";

    [Fact]
    public void Neurons_extract_refuses_an_input_holding_nan_naming_the_sample_and_leaves_no_output()
    {
        using var dir = new TempDir();
        var x = NpyReader.Open(F("inputs.npy")).ReadAll<float>();
        x[3 * 32 * 32 + 5] = float.NaN; // sample 1, channel 0
        Npy.Write(dir.File("X.npy"), x, 4, 3, 32, 32);
        var before = Files(dir);
        var (code, stdout, err) = CliRunner.Run("neurons", "extract", "--model", F("resnet_tiny.onnx"), "--layer", ResnetLayer,
            "--inputs", dir.File("X.npy"), "--out", dir.File("A.npy"));
        AssertOneLineError(code, stdout, err, "X.npy[1]", "NaN");
        Assert.Equal(before, Files(dir));
    }

    [Fact]
    public void Neurons_extract_with_a_batch_far_beyond_the_samples_gives_the_activations_of_the_default_batch()
    {
        using var dir = new TempDir();
        string[] Extract(string output, params string[] more) =>
            ["neurons", "extract", "--model", F("resnet_tiny.onnx"), "--layer", ResnetLayer, "--inputs", F("inputs.npy"), "--out", output, .. more];
        var (code, stdout, err) = CliRunner.Run(Extract(dir.File("huge.npy"), "--batch-size", "2147483647"));
        Assert.True(code == 0, $"exit {code}: {stdout}{err}");
        (code, stdout, err) = CliRunner.Run(Extract(dir.File("default.npy")));
        Assert.True(code == 0, $"exit {code}: {stdout}{err}");
        var huge = NpyReader.Open(dir.File("huge.npy"));
        Assert.Equal([4, 16], huge.Shape);
        Assert.Equal(NpyReader.Open(dir.File("default.npy")).ReadAll<float>(), huge.ReadAll<float>());
    }

    [Theory]
    [InlineData("--si-high", "NaN", "not a finite cut-off")]
    [InlineData("--si-high", "iou=NaN", "not a finite cut-off")]
    [InlineData("--si-low", ",", "gives no cut-off")]
    public void Align_refuses_a_shared_interest_cut_off_that_is_not_a_number_and_writes_nothing(string option, string value, string why)
    {
        using var dir = new TempDir();
        var examples = Path.Combine(AlignCommandTests.RepoRoot(), "examples", "align");
        var (code, stdout, err) = CliRunner.Run("align", "--saliency", Path.Combine(examples, "saliency.npy"), "--masks", Path.Combine(examples, "masks.npy"),
            "--labels", Path.Combine(examples, "labels.npy"), "--predictions", Path.Combine(examples, "predictions.npy"), "--out", dir.File("o.csv"), option, value);
        AssertOneLineError(code, stdout, err, option, why);
        Assert.Empty(Files(dir));
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("-1")]
    public void Neurons_sanity_refuses_an_epsilon_that_is_nan_or_negative_and_writes_nothing(string epsilon)
    {
        using var dir = new TempDir();
        var (code, stdout, err) = CliRunner.Run("neurons", "sanity", "--out", dir.File("t.csv"), "--epsilon", epsilon);
        AssertOneLineError(code, stdout, err, "--epsilon", "finite number ≥ 0");
        Assert.Empty(Files(dir));
    }

    [Fact]
    public void Demo_refuses_a_nan_correlation_before_it_trains_anything()
    {
        using var dir = new TempDir();
        var (code, stdout, err) = CliRunner.Run("demo", "--data", dir.File("no-such-dir"), "--out", dir.File("demo"), "--correlation", "NaN");
        AssertOneLineError(code, stdout, err, "--correlation", "[0, 1]");
        Assert.False(Directory.Exists(dir.File("demo")));
    }

    [Fact]
    public void Report_refuses_a_scores_table_whose_metric_column_holds_text_naming_the_file_row_and_value()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("results"));
        File.WriteAllText(dir.File("results/scores.csv"), "index,iou,sss\n0,abc,0.5\n1,0.2,\n2,NaN,0.1\n");
        var (code, stdout, err) = CliRunner.Run("report", dir.File("results"), "--out", dir.File("r.html"));
        AssertOneLineError(code, stdout, err, "scores.csv", "row 1 of metric column 'iou' holds 'abc'");
        Assert.False(File.Exists(dir.File("r.html")));

        // Beside a readable table the bad one is left out with a warning naming it; the report covers the rest.
        File.WriteAllText(dir.File("results/good.csv"), "index,iou,sss\n0,0.3,0.5\n1,0.2,0.4\n");
        (code, stdout, err) = CliRunner.Run("report", dir.File("results"), "--out", dir.File("r.html"));
        Assert.True(code == 0, $"exit {code}: {stdout}{err}");
        Assert.Contains("scores.csv", Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.True(File.Exists(dir.File("r.html")));
    }

    [Fact]
    public void Report_refuses_a_summary_without_per_metric_statistics_instead_of_an_empty_table()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("results"));
        File.WriteAllText(dir.File("results/summary.json"), """{"metrics": {"iou": "x", "sss": 3}}""");
        var (code, stdout, err) = CliRunner.Run("report", dir.File("results"), "--out", dir.File("r.html"));
        AssertOneLineError(code, stdout, err, "summary.json", "no per-metric statistics");
        Assert.False(File.Exists(dir.File("r.html")));
    }

    [Theory]
    [InlineData("99", "no mask in")]
    [InlineData("-1", "not a non-negative integer class id")]
    [InlineData(",", "names no class id")]
    public void Align_refuses_mask_classes_that_leave_every_label_map_empty_and_writes_nothing(string classes, string why)
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("masks"));
        var labels = new byte[8 * 8 * 4];
        // RGB label maps (label = G·256 + R): labels 0, 1 and 2 in turn, opaque.
        for (int p = 0; p < 8 * 8; p++) (labels[p * 4], labels[p * 4 + 3]) = ((byte)(p % 3), 255);
        for (int i = 0; i < 2; i++) Sightline.Data.ImageDecoder.WritePng(dir.File($"masks/{i}.png"), 8, 8, labels);
        var rng = new Random(2);
        Npy.Write(dir.File("s.npy"), Enumerable.Range(0, 2 * 8 * 8).Select(_ => (float)rng.NextDouble()).ToArray(), 2, 8, 8);
        string[] align = ["align", "--saliency", dir.File("s.npy"), "--masks", dir.File("masks"), "--out", dir.File("o.csv"), "--summary", dir.File("o.json"), "--mask-encoding", "rgb"];
        var (code, stdout, err) = CliRunner.Run([.. align, "--mask-classes", "2"]);
        Assert.True(code == 0, $"exit {code}: {stdout}{err}");
        File.Delete(dir.File("o.csv"));
        File.Delete(dir.File("o.json"));
        var before = Files(dir);
        (code, stdout, err) = CliRunner.Run([.. align, "--mask-classes", classes]);
        AssertOneLineError(code, stdout, err, "--mask-classes", why);
        Assert.Equal(before, Files(dir));
    }

    [Fact]
    public void Neurons_score_refuses_duplicate_concept_names_naming_the_lines_and_writes_nothing()
    {
        using var dir = new TempDir();
        var rng = new Random(3);
        Npy.Write(dir.File("A.npy"), Enumerable.Range(0, 40 * 3).Select(_ => (float)rng.NextDouble()).ToArray(), 40, 3);
        Npy.Write(dir.File("C.npy"), Enumerable.Range(0, 40 * 3).Select(i => (float)(i % 4 == 0 ? 1 : 0)).ToArray(), 40, 3);
        File.WriteAllText(dir.File("names.txt"), "dog\ncat\ndog\n");
        var before = Files(dir);
        var (code, stdout, err) = CliRunner.Run("neurons", "score", "--activations", dir.File("A.npy"), "--concepts", dir.File("C.npy"),
            "--concept-names", dir.File("names.txt"), "--out", dir.File("s.csv"));
        AssertOneLineError(code, stdout, err, "names.txt", "'dog' is on lines 1 and 3");
        Assert.Equal(before, Files(dir));
    }

    [Fact]
    public void A_response_file_that_is_a_folder_is_one_line_naming_it_not_an_unhandled_exception()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("args"));
        var (code, stdout, err) = CliRunner.Run("align", "@" + dir.File("args"));
        AssertOneLineError(code, stdout, err, dir.File("args"));
    }

    [Theory]
    [InlineData("explain")]
    [InlineData("extract")]
    public void Integer_inputs_are_refused_as_not_preprocessed_and_nothing_is_written(string command)
    {
        using var dir = new TempDir();
        var x = NpyReader.Open(F("inputs.npy")).ReadAll<float>();
        Npy.Write(dir.File("X.npy"), x.Select(v => (byte)Math.Clamp(v * 50, 0, 255)).ToArray(), 4, 3, 32, 32);
        var before = Files(dir);
        string[] args = command == "explain"
            ? ["explain", "--model", F("vgg_tiny.onnx"), "--inputs", dir.File("X.npy"), "--method", "occlusion", "--backend", "onnxruntime", "--out", dir.File("maps.npy")]
            : ["neurons", "extract", "--model", F("resnet_tiny.onnx"), "--layer", ResnetLayer, "--inputs", dir.File("X.npy"), "--out", dir.File("A.npy")];
        var (code, stdout, err) = CliRunner.Run(args);
        AssertOneLineError(code, stdout, err, "X.npy", "--inputs holds uint8", "--images");
        Assert.Equal(before, Files(dir));
    }

    [Fact]
    public void A_label_beyond_32_bits_is_reported_as_out_of_range_not_as_a_non_integer()
    {
        using var dir = new TempDir();
        var examples = Path.Combine(AlignCommandTests.RepoRoot(), "examples", "align");
        int n = NpyReader.Open(Path.Combine(examples, "labels.npy")).Shape[0];
        var labels = new long[n];
        labels[1] = 1L << 40;
        Npy.Write(dir.File("L.npy"), labels, n);
        var (code, stdout, err) = CliRunner.Run("align", "--saliency", Path.Combine(examples, "saliency.npy"), "--masks", Path.Combine(examples, "masks.npy"),
            "--labels", dir.File("L.npy"), "--out", dir.File("o.csv"));
        AssertOneLineError(code, stdout, err, "L.npy: entry 1 is 1099511627776, outside the 32-bit integer range");
        Assert.DoesNotContain("not an integer", err);
        Assert.False(File.Exists(dir.File("o.csv")));
    }

    [Fact]
    public void Report_follows_no_link_back_into_its_folder_or_out_to_a_parent_so_each_result_counts_once()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("results"));
        File.WriteAllText(dir.File("results/scores.csv"), "index,iou,sss\n0,0.3,0.5\n1,0.2,0.4\n");
        File.WriteAllText(dir.File("outside.csv"), "index,iou,sss\n0,0.9,0.1\n");
        Directory.CreateSymbolicLink(dir.File("results/self"), dir.File("results"));
        Directory.CreateSymbolicLink(dir.File("results/up"), dir.Path);
        var (code, stdout, err) = CliRunner.Run("report", dir.File("results"), "--out", dir.File("r.html"));
        Assert.True(code == 0, $"exit {code}: {stdout}{err}");
        Assert.Contains("Report (1 score groups)", stdout);
        Assert.DoesNotContain("outside", File.ReadAllText(dir.File("r.html")));
    }

    [Theory]
    [InlineData("explain")]
    [InlineData("extract")]
    public void An_image_that_does_not_preprocess_to_the_model_size_is_refused_before_any_sample_is_committed(string command)
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("images"));
        Sightline.Data.ImageDecoder.WritePng(dir.File("images/a.png"), 40, 40, new byte[40 * 40 * 4]);
        Sightline.Data.ImageDecoder.WritePng(dir.File("images/b.png"), 60, 30, new byte[60 * 30 * 4]); // resizes to 64×32
        File.WriteAllText(dir.File("model.json"), """{"input_size": [32, 32], "resize": 32}""");
        var before = Files(dir);
        string[] args = command == "explain"
            ? ["explain", "--model", F("vgg_tiny.onnx"), "--config", dir.File("model.json"), "--images", dir.File("images"), "--method", "occlusion",
               "--window", "8", "--stride", "8", "--backend", "onnxruntime", "--chunk", "1", "--out", dir.File("maps.npy")]
            : ["neurons", "extract", "--model", F("resnet_tiny.onnx"), "--config", dir.File("model.json"), "--layer", ResnetLayer,
               "--images", dir.File("images"), "--batch-size", "1", "--out", dir.File("A.npy")];
        var (code, stdout, err) = CliRunner.Run(args);
        AssertOneLineError(code, stdout, err, "b.png", "preprocesses to 32×64");
        Assert.DoesNotContain("resume", err);
        Assert.Equal(before, Files(dir));
    }
}
