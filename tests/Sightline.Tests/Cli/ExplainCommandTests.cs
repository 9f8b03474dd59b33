using Sightline.Data;
using Sightline.IO;

namespace Sightline.Tests.Cli;

public sealed class ExplainCommandTests
{
    private static string F(string name) => Path.Combine(AlignCommandTests.RepoRoot(), "tests", "fixtures", "models", name);
    private const string ResnetLayer = "/features/features.5/relu_1/Relu_output_0";

    [Fact]
    public void Gradcam_maps_match_pytorch_grad_cam_on_the_fixture()
    {
        using var dir = new TempDir();
        var (code, stdout, err) = CliRunner.Run("explain", "--model", F("resnet_tiny.onnx"), "--inputs", F("inputs.npy"),
            "--method", "gradcam", "--layer", ResnetLayer, "--out", dir.File("maps.npy"));
        Assert.True(code == 0, stdout + err);
        var got = NpyReader.Open(dir.File("maps.npy")).ReadAll<float>();
        var want = NpyReader.Open(F("resnet_tiny.gradcam.npy")).ReadAll<float>();
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++) Assert.True(Math.Abs(want[i] - got[i]) < 1e-4, $"pixel {i}: {got[i]} vs {want[i]}");
        var targets = NpyReader.Open(F("resnet_tiny.targets.npy")).ReadAll<long>();
        var rows = File.ReadAllLines(dir.File("predictions.csv")).Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.Equal(targets.Select(t => t.ToString()), rows.Select(r => r[3]));
    }

    [Fact]
    public void Integrated_gradients_match_captum_style_references_per_channel()
    {
        using var dir = new TempDir();
        var (code, stdout, err) = CliRunner.Run("explain", "--model", F("mobilenet_tiny.onnx"), "--inputs", F("inputs.npy"),
            "--method", "integrated_gradients", "--steps", "32", "--channel-reduce", "none", "--out", dir.File("ig.npy"), "--batch-size", "7");
        Assert.True(code == 0, stdout + err);
        var got = NpyReader.Open(dir.File("ig.npy")).ReadAll<float>();
        var want = NpyReader.Open(F("mobilenet_tiny.ig.npy")).ReadAll<float>();
        double num = 0, den = 0;
        for (int i = 0; i < want.Length; i++) { num += (got[i] - want[i]) * (double)(got[i] - want[i]); den += want[i] * (double)want[i]; }
        Assert.True(Math.Sqrt(num / den) < 1e-4, $"relative error {Math.Sqrt(num / den)}");
        Assert.Equal(new[] { 4, 3, 32, 32 }, NpyReader.Open(dir.File("ig.npy")).Shape);
    }

    [Fact]
    public void Forward_only_methods_run_on_onnx_runtime_and_gradient_methods_refuse_it()
    {
        using var dir = new TempDir();
        var (code, stdout, err) = CliRunner.Run("explain", "--model", F("vgg_tiny.onnx"), "--inputs", F("inputs.npy"),
            "--method", "occlusion", "--window", "8", "--stride", "8", "--backend", "onnxruntime", "--out", dir.File("occ.npy"));
        Assert.True(code == 0, stdout + err);
        Assert.Contains("onnxruntime", stdout);
        (code, _, err) = CliRunner.Run("explain", "--model", F("vgg_tiny.onnx"), "--inputs", F("inputs.npy"),
            "--method", "saliency", "--backend", "onnxruntime", "--out", dir.File("s.npy"));
        Assert.Equal(2, code);
        Assert.Contains("gradients", err);
    }

    [Fact]
    public void Image_folders_are_preprocessed_and_listed_in_predictions_with_overlays()
    {
        using var dir = new TempDir();
        File.Copy(F("resnet_tiny.onnx"), dir.File("m.onnx"));
        File.WriteAllText(dir.File("m.json"), """{ "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25] }""");
        var rng = new Random(4);
        foreach (var cls in new[] { "cat", "dog" })
        {
            Directory.CreateDirectory(Path.Combine(dir.File("images"), cls));
            for (int i = 0; i < 2; i++)
            {
                var px = new byte[40 * 36 * 4];
                rng.NextBytes(px);
                ImageDecoder.WritePng(Path.Combine(dir.File("images"), cls, $"{i}.png"), 40, 36, px);
            }
        }
        var (code, stdout, err) = CliRunner.Run("explain", "--model", dir.File("m.onnx"), "--images", dir.File("images"),
            "--method", "saliency", "--target", "label", "--out", dir.File("out/maps.npy"), "--overlays", dir.File("out/overlays"));
        Assert.True(code == 0, stdout + err);
        var rows = File.ReadAllLines(dir.File("out/predictions.csv"));
        Assert.Equal("index,path,label,predicted,probability,target,error", rows[0]);
        Assert.Equal(new[] { "0", "0", "1", "1" }, rows.Skip(1).Select(r => r.Split(',')[2]));
        Assert.Equal(new[] { "0", "0", "1", "1" }, rows.Skip(1).Select(r => r.Split(',')[5]));
        Assert.Equal(4, Directory.GetFiles(dir.File("out/overlays"), "*.png").Length);
        Assert.Equal(new[] { 4, 32, 32 }, NpyReader.Open(dir.File("out/maps.npy")).Shape);

        // The maps feed align directly.
        Npy.Write<bool>(dir.File("masks.npy"), new bool[4 * 32 * 32], 4, 32, 32);
        (code, _, err) = CliRunner.Run("align", "--saliency", dir.File("out/maps.npy"), "--masks", dir.File("masks.npy"), "--out", dir.File("scores.csv"), "--metrics", "sss");
        Assert.True(code == 0, err);
    }

    [Fact]
    public void List_layers_prints_node_outputs_with_shapes()
    {
        var (code, stdout, err) = CliRunner.Run("explain", "--model", F("resnet_tiny.onnx"), "--list-layers");
        Assert.True(code == 0, err);
        Assert.Contains(ResnetLayer, stdout);
        Assert.Contains("16×8×8", stdout);
    }

    [Theory]
    [InlineData("lime", "Unknown method")]
    [InlineData("gradcam", "--layer")]
    public void Bad_method_or_missing_layer_is_a_usage_error(string method, string expected)
    {
        using var dir = new TempDir();
        var (code, _, err) = CliRunner.Run("explain", "--model", F("resnet_tiny.onnx"), "--inputs", F("inputs.npy"), "--method", method, "--out", dir.File("m.npy"));
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
    }

    [Fact]
    public void Unknown_layer_names_close_candidates()
    {
        using var dir = new TempDir();
        var (code, _, err) = CliRunner.Run("explain", "--model", F("resnet_tiny.onnx"), "--inputs", F("inputs.npy"), "--method", "gradcam", "--layer", "relu_1", "--out", dir.File("m.npy"));
        Assert.Equal(2, code);
        Assert.Contains("relu_1", err);
    }

    [Fact]
    public void Explain_help_matches_the_snapshot_and_the_readme()
    {
        var (code, stdout, _) = CliRunner.Run("explain", "--help");
        Assert.Equal(0, code);
        Snapshot.Match("explain-help.txt", stdout);
        var readme = File.ReadAllText(Path.Combine(AlignCommandTests.RepoRoot(), "README.md"));
        foreach (var line in stdout.Split("Options:\n", 2)[1].Split('\n', StringSplitOptions.RemoveEmptyEntries)) Assert.Contains(line.TrimEnd(), readme);
    }

    private static string ImageFolder(TempDir dir, string name, int perClass, params string[] classes)
    {
        var rng = new Random(7);
        foreach (var cls in classes)
        {
            Directory.CreateDirectory(Path.Combine(dir.File(name), cls));
            for (int i = 0; i < perClass; i++)
            {
                var px = new byte[40 * 36 * 4];
                rng.NextBytes(px);
                ImageDecoder.WritePng(Path.Combine(dir.File(name), cls, $"{i}.png"), 40, 36, px);
            }
        }
        return dir.File(name);
    }

    private static readonly string[] Occlusion = ["--method", "occlusion", "--window", "16", "--stride", "16", "--backend", "onnxruntime"];

    private static (int Code, string Out, string Err) Explain(params string[] args) => CliRunner.Run([.. new[] { "explain" }, .. args, .. Occlusion]);

    [Fact]
    public void Unreadable_images_are_flagged_per_sample_and_the_run_finishes_with_exit_1()
    {
        using var dir = new TempDir();
        var images = ImageFolder(dir, "images", 3, "a");
        File.WriteAllText(Path.Combine(images, "a", "0.png"), "not a png");
        File.WriteAllText(Path.Combine(images, "a", "2.png"), "");
        var (code, stdout, err) = Explain("--model", F("resnet_tiny.onnx"), "--images", images, "--out", dir.File("maps.npy"), "--chunk", "8");
        Assert.True(code == 1, stdout + err);
        Assert.Contains("2 of 3 samples failed", err);
        var rows = File.ReadAllLines(dir.File("predictions.csv")).Skip(1).ToArray();
        Assert.Contains("0.png: not a readable image", rows[0]);
        Assert.Equal("", rows[0].Split(',')[3]);
        Assert.EndsWith(",", rows[1]);
        Assert.Contains("2.png: not a readable image", rows[2]);
        var maps = NpyReader.Open(dir.File("maps.npy")).ReadAll<float>();
        Assert.All(maps.AsSpan(0, 32 * 32).ToArray(), v => Assert.True(float.IsNaN(v)));
        Assert.All(maps.AsSpan(32 * 32, 32 * 32).ToArray(), v => Assert.True(float.IsFinite(v)));
        Assert.All(maps.AsSpan(2 * 32 * 32, 32 * 32).ToArray(), v => Assert.True(float.IsNaN(v)));
    }

    [Fact]
    public void Several_input_errors_from_parallel_loading_are_one_line_naming_the_first()
    {
        var aggregate = new AggregateException(new InputDataException("a.png: bad"), new AggregateException(new InputDataException("b.png: bad")));
        Assert.Equal("a.png: bad (and 1 more input error)", Sightline.Cli.CliApp.InputErrorMessage(aggregate));
        Assert.Null(Sightline.Cli.CliApp.InputErrorMessage(new AggregateException(new InputDataException("x"), new InvalidOperationException())));
    }

    [Theory]
    [InlineData("--crop", "30", "30×30")]
    [InlineData("--resize", "36", "36")]
    public void Resize_or_crop_that_misses_the_model_size_is_an_error_even_without_a_config(string option, string value, string expected)
    {
        using var dir = new TempDir();
        var images = ImageFolder(dir, "images", 1, "a");
        var (code, _, err) = Explain("--model", F("resnet_tiny.onnx"), "--images", images, "--out", dir.File("maps.npy"), option, value);
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
        Assert.Contains("32×32", err);
    }

    [Fact]
    public void Resize_and_crop_flags_replace_the_default_squash_to_the_model_size()
    {
        using var dir = new TempDir();
        var images = ImageFolder(dir, "images", 2, "a");
        var (code, stdout, err) = Explain("--model", F("resnet_tiny.onnx"), "--images", images, "--out", dir.File("squash/maps.npy"));
        Assert.True(code == 0, stdout + err);
        (code, stdout, err) = Explain("--model", F("resnet_tiny.onnx"), "--images", images, "--out", dir.File("crop/maps.npy"), "--resize", "32", "--crop", "32");
        Assert.True(code == 0, stdout + err);
        Assert.NotEqual(File.ReadAllLines(dir.File("squash/predictions.csv"))[1], File.ReadAllLines(dir.File("crop/predictions.csv"))[1]);
    }

    [Theory]
    [InlineData("--mean", "0.5,0.5", "2 values")]
    [InlineData("--std", "0.5,0,0.5", "positive")]
    [InlineData("--std", "a,b,c", "numbers")]
    public void Command_line_mean_and_std_are_validated_like_the_config(string option, string value, string expected)
    {
        using var dir = new TempDir();
        var images = ImageFolder(dir, "images", 1, "a");
        var (code, _, err) = Explain("--model", F("resnet_tiny.onnx"), "--images", images, "--out", dir.File("maps.npy"), option, value);
        Assert.Equal(2, code);
        Assert.Contains(option, err);
        Assert.Contains(expected, err);
    }

    [Fact]
    public void A_finished_run_is_not_redone_but_a_changed_mean_or_force_recomputes()
    {
        using var dir = new TempDir();
        var images = ImageFolder(dir, "images", 2, "a");
        string[] common = ["--model", F("resnet_tiny.onnx"), "--images", images, "--out", dir.File("maps.npy")];
        var (code, stdout, err) = Explain([.. common, "--mean", "0.5,0.5,0.5"]);
        Assert.True(code == 0, stdout + err);
        Assert.True(File.Exists(dir.File("maps.npy.sightline.json")));
        (code, stdout, _) = Explain([.. common, "--mean", "0.5,0.5,0.5"]);
        Assert.Equal(0, code);
        Assert.Contains("Already complete", stdout);
        (code, stdout, _) = Explain([.. common, "--mean", "0.4,0.5,0.5"]);
        Assert.Equal(0, code);
        Assert.DoesNotContain("Already complete", stdout);
        Assert.DoesNotContain("resumed", stdout);
        (code, stdout, _) = Explain([.. common, "--mean", "0.4,0.5,0.5", "--force"]);
        Assert.Equal(0, code);
        Assert.Contains("Explained 2 samples", stdout);
    }

    [Fact]
    public void Changed_labels_file_is_part_of_the_run_signature()
    {
        using var dir = new TempDir();
        Npy.Write<long>(dir.File("labels.npy"), [0, 1, 2, 3], 4);
        string[] common = ["--model", F("resnet_tiny.onnx"), "--inputs", F("inputs.npy"), "--labels", dir.File("labels.npy"), "--target", "label", "--out", dir.File("maps.npy")];
        Assert.Equal(0, Explain(common).Code);
        Npy.Write<long>(dir.File("labels.npy"), [3, 2, 1, 0], 4);
        var (code, stdout, _) = Explain(common);
        Assert.Equal(0, code);
        Assert.DoesNotContain("Already complete", stdout);
        Assert.Equal("3", File.ReadAllLines(dir.File("predictions.csv"))[1].Split(',')[5]);
    }

    [Fact]
    public void An_out_of_range_label_is_reported_with_the_samples_overall_index_before_any_output()
    {
        using var dir = new TempDir();
        Npy.Write<long>(dir.File("labels.npy"), [0, 1, 2, 999], 4);
        var (code, _, err) = Explain("--model", F("resnet_tiny.onnx"), "--inputs", F("inputs.npy"), "--labels", dir.File("labels.npy"), "--target", "label",
            "--out", dir.File("maps.npy"), "--chunk", "2");
        Assert.Equal(2, code);
        Assert.Contains("sample 3", err);
        Assert.False(File.Exists(dir.File("maps.npy.partial")));
    }

    [Fact]
    public void Folder_labels_follow_the_model_configs_labels()
    {
        using var dir = new TempDir();
        File.Copy(F("resnet_tiny.onnx"), dir.File("m.onnx"));
        var labels = string.Join(", ", Enumerable.Range(0, 10).Select(i => i == 4 ? "\"zebra\"" : i == 7 ? "\"ant\"" : $"\"c{i}\""));
        File.WriteAllText(dir.File("m.yaml"), $"# labels by output index\nlabels: [{labels}]\n");
        var images = ImageFolder(dir, "images", 1, "ant", "zebra");
        var (code, stdout, err) = Explain("--model", dir.File("m.onnx"), "--images", images, "--out", dir.File("maps.npy"));
        Assert.True(code == 0, stdout + err);
        Assert.Equal(new[] { "7", "4" }, File.ReadAllLines(dir.File("predictions.csv")).Skip(1).Select(r => r.Split(',')[2]));
    }

    [Fact]
    public void Config_option_reads_a_yaml_file_and_reports_its_errors_with_line_numbers()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("cfg.yaml"), "mean: [0.5, 0.5, 0.5]\nstd:\n  - 0.25\n  - {x: 1}\n");
        var images = ImageFolder(dir, "images", 1, "a");
        var (code, _, err) = Explain("--model", F("resnet_tiny.onnx"), "--config", dir.File("cfg.yaml"), "--images", images, "--out", dir.File("maps.npy"));
        Assert.Equal(2, code);
        Assert.Contains("cfg.yaml:4:", err);
        File.WriteAllText(dir.File("cfg.yaml"), "mean: [0.5, 0.5, 0.5]\nstd:\n  - 0.25\n  - 0.25\n  - 0.25\n");
        (code, _, err) = Explain("--model", F("resnet_tiny.onnx"), "--config", dir.File("cfg.yaml"), "--images", images, "--out", dir.File("maps.npy"));
        Assert.True(code == 0, err);
    }

    [Fact]
    public void Baseline_file_of_the_wrong_shape_is_an_error_naming_it()
    {
        using var dir = new TempDir();
        Npy.Write<float>(dir.File("b.npy"), new float[3 * 32 * 32], 32, 32, 3);
        var (code, _, err) = CliRunner.Run("explain", "--model", F("resnet_tiny.onnx"), "--inputs", F("inputs.npy"), "--method", "integrated_gradients",
            "--steps", "2", "--baseline", dir.File("b.npy"), "--out", dir.File("maps.npy"));
        Assert.Equal(2, code);
        Assert.Contains("b.npy", err);
        Assert.Contains("3×32×32", err);
    }

    /// <summary>x: N×4×4×3 (TensorFlow layout) → Transpose to N×3×4×4 → Flatten → Gemm → N×2; the NCHW twin skips the Transpose.</summary>
    private static string LinearModel(TempDir dir, bool nhwc)
    {
        var rng = new Random(3);
        var weights = Enumerable.Range(0, 2 * 48).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var b = new Sightline.Onnx.Tests.OnnxBuilder().Output("logits", "N", 2L).Floats("W", [2, 48], weights).Floats("b", [2], [0.1f, -0.2f]);
        if (nhwc)
            b = b.Input("x", "N", 4L, 4L, 3L).Node("Transpose", ["x"], ["xt"], "t", Sightline.Onnx.Tests.OnnxBuilder.IntsAttr("perm", 0, 3, 1, 2))
                .Node("Flatten", ["xt"], ["flat"], "flatten", Sightline.Onnx.Tests.OnnxBuilder.IntAttr("axis", 1));
        else
            b = b.Input("x", "N", 3L, 4L, 4L).Node("Flatten", ["x"], ["flat"], "flatten", Sightline.Onnx.Tests.OnnxBuilder.IntAttr("axis", 1));
        b = b.Node("Gemm", ["flat", "W", "b"], ["logits"], "fc", Sightline.Onnx.Tests.OnnxBuilder.IntAttr("transB", 1));
        Directory.CreateDirectory(dir.File(nhwc ? "nhwc" : "nchw"));
        return b.Save(dir.File(nhwc ? "nhwc" : "nchw"), "m.onnx");
    }

    [Theory]
    [InlineData("occlusion", "onnxruntime")]
    [InlineData("saliency", "torch")]
    public void A_config_given_with_config_sizes_a_model_with_dynamic_height_and_width(string method, string backend)
    {
        // TestModels.ConvNet with H and W left symbolic: only input_size from the --config file (not beside the model)
        // tells either back end the size; without it the run is refused with a clear message.
        using var dir = new TempDir();
        var model = Sightline.Onnx.Tests.TestModels.ConvNet("H", "W").Save(dir.Path, "dyn.onnx");
        Npy.Write<float>(dir.File("x.npy"), Sightline.Onnx.Tests.TestModels.Inputs(2 * 9), 2, 1, 3, 3);
        Directory.CreateDirectory(dir.File("cfg"));
        File.WriteAllText(dir.File("cfg/sizes.yaml"), "input_size: [3, 3]\n");
        string[] run = ["explain", "--model", model, "--inputs", dir.File("x.npy"), "--method", method, "--window", "1", "--stride", "1", "--backend", backend];

        var (code, _, err) = CliRunner.Run([.. run, "--out", dir.File("none.npy")]);
        Assert.Equal(2, code);
        Assert.Contains("dyn.onnx", err);

        (code, var stdout, err) = CliRunner.Run([.. run, "--config", dir.File("cfg/sizes.yaml"), "--out", dir.File("maps.npy")]);
        Assert.True(code == 0, stdout + err);
        Assert.Equal(new[] { 2, 3, 3 }, NpyReader.Open(dir.File("maps.npy")).Shape);
        Assert.Contains(NpyReader.Open(dir.File("maps.npy")).ReadAll<float>(), v => v != 0);
    }

    [Theory]
    [InlineData("occlusion", "onnxruntime")]
    [InlineData("saliency", "torch")]
    public void Nhwc_models_are_detected_and_explained_like_their_nchw_twin(string method, string backend)
    {
        using var dir = new TempDir();
        var nhwc = LinearModel(dir, nhwc: true);
        var nchw = LinearModel(dir, nhwc: false);
        var rng = new Random(5);
        Npy.Write<float>(dir.File("x.npy"), [.. Enumerable.Range(0, 5 * 48).Select(_ => (float)rng.NextDouble())], 5, 3, 4, 4);
        string[] run = ["--inputs", dir.File("x.npy"), "--method", method, "--window", "2", "--stride", "2", "--backend", backend];
        var (code, stdout, err) = CliRunner.Run(["explain", "--model", nhwc, "--out", dir.File("a.npy"), .. run]);
        Assert.True(code == 0, stdout + err);
        (code, stdout, err) = CliRunner.Run(["explain", "--model", nchw, "--out", dir.File("b/b.npy"), .. run]);
        Assert.True(code == 0, stdout + err);
        using var a = NpyReader.Open(dir.File("a.npy"));
        Assert.Equal(new[] { 5, 4, 4 }, a.Shape);
        var want = NpyReader.Open(dir.File("b/b.npy")).ReadAll<float>();
        var got = a.ReadAll<float>();
        for (int i = 0; i < want.Length; i++) Assert.True(Math.Abs(want[i] - got[i]) < 1e-5, $"{i}: {got[i]} vs {want[i]}");

        // Images go through the same adapter: H×W×C tensors for the model, H×W maps out.
        var images = ImageFolder(dir, "images", 1, "a");
        (code, stdout, err) = CliRunner.Run(["explain", "--model", nhwc, "--images", images, "--out", dir.File("img/maps.npy"), "--method", method, "--window", "2", "--stride", "2", "--backend", backend]);
        Assert.True(code == 0, stdout + err);
        Assert.Equal(new[] { 1, 4, 4 }, NpyReader.Open(dir.File("img/maps.npy")).Shape);
    }
}

public sealed class ExplainModelBackendTests
{
    private static string F(string name) => Path.Combine(AlignCommandTests.RepoRoot(), "tests", "fixtures", "models", name);

    // x (N×1×2×2) → Flatten → Gemm → Softmax: the shape of a TensorFlow/ML.NET export whose file output is probabilities.
    private static string SoftmaxModel(TempDir dir, string op = "Softmax")
    {
        var b = new Sightline.Onnx.Tests.OnnxBuilder()
            .Input("x", "N", 1L, 2L, 2L)
            .Output("probs", "N", 3L)
            .Floats("W", [3, 4], Sightline.Onnx.Tests.TestModels.GemmW)
            .Floats("b", [3], Sightline.Onnx.Tests.TestModels.GemmB)
            .Node("Flatten", ["x"], ["flat"], "flatten", Sightline.Onnx.Tests.OnnxBuilder.IntAttr("axis", 1))
            .Node("Gemm", ["flat", "W", "b"], ["logits"], "fc", Sightline.Onnx.Tests.OnnxBuilder.IntAttr("transB", 1))
            .Node(op, ["logits"], ["probs"], "head", Sightline.Onnx.Tests.OnnxBuilder.IntAttr("axis", 1));
        var path = dir.File("softmax.onnx");
        File.WriteAllBytes(path, b.Build());
        return path;
    }

    private static readonly float[] X = [1, 2, 3, 4, /* second sample */ -1, 0.5f, 0, 2];

    [Theory]
    [InlineData("onnxruntime", "occlusion")]
    [InlineData("torch", "saliency")]
    public void A_final_softmax_is_applied_once_in_predictions(string backend, string method)
    {
        using var dir = new TempDir();
        var model = SoftmaxModel(dir);
        Npy.Write<float>(dir.File("x.npy"), X, 2, 1, 2, 2);
        var (code, stdout, err) = CliRunner.Run("explain", "--model", model, "--inputs", dir.File("x.npy"), "--method", method,
            "--window", "1", "--stride", "1", "--backend", backend, "--out", dir.File("m.npy"));
        Assert.True(code == 0, stdout + err);
        var logits = Sightline.Onnx.Tests.TestModels.FlattenGemmReference(X, 2);
        var rows = File.ReadAllLines(dir.File("predictions.csv")).Skip(1).Select(l => l.Split(',')).ToArray();
        for (int i = 0; i < 2; i++)
        {
            var z = logits.AsSpan(i * 3, 3).ToArray();
            int predicted = Array.IndexOf(z, z.Max());
            double sum = z.Sum(v => Math.Exp(v - z.Max()));
            double p = 1 / sum; // softmax(z)[argmax]
            Assert.Equal(predicted.ToString(), rows[i][3]);
            Assert.Equal(p, double.Parse(rows[i][4], System.Globalization.CultureInfo.InvariantCulture), 1e-6);
        }
    }

    [Theory]
    [InlineData("Softmax")]
    [InlineData("LogSoftmax")]
    public void Gradients_of_a_softmax_model_are_those_of_the_logit(string op)
    {
        // The logits are linear in x, so ∂z_t/∂x is row t of W: what Captum and pytorch-grad-cam give on the logits.
        using var dir = new TempDir();
        var model = SoftmaxModel(dir, op);
        Npy.Write<float>(dir.File("x.npy"), X, 2, 1, 2, 2);
        var (code, stdout, err) = CliRunner.Run("explain", "--model", model, "--inputs", dir.File("x.npy"), "--method", "saliency",
            "--no-abs", "--target", "2", "--out", dir.File("g.npy"));
        Assert.True(code == 0, stdout + err);
        var g = NpyReader.Open(dir.File("g.npy")).ReadAll<float>();
        var w = Sightline.Onnx.Tests.TestModels.GemmW;
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 4; j++) Assert.Equal(w[2 * 4 + j], g[i * 4 + j], 1e-6);
    }

    [Theory]
    [InlineData("eigencam")]
    [InlineData("scorecam")]
    public void Activation_only_cams_run_on_onnx_runtime_by_default(string method)
    {
        using var dir = new TempDir();
        var (code, stdout, err) = CliRunner.Run("explain", "--model", F("resnet_tiny.onnx"), "--inputs", F("inputs.npy"),
            "--method", method, "--layer", "/features/features.5/relu_1/Relu_output_0", "--out", dir.File("m.npy"));
        Assert.True(code == 0, stdout + err);
        Assert.Contains("on onnxruntime", stdout);
        Assert.Equal(new[] { 4, 32, 32 }, NpyReader.Open(dir.File("m.npy")).Shape);
    }

    [Fact]
    public void Unknown_layers_on_onnx_runtime_are_a_usage_error_with_close_names()
    {
        using var dir = new TempDir();
        var (code, _, err) = CliRunner.Run("explain", "--model", F("resnet_tiny.onnx"), "--inputs", F("inputs.npy"), "--method", "eigencam",
            "--layer", "relu_1", "--out", dir.File("m.npy"));
        Assert.Equal(2, code);
        Assert.Contains("/features/features.5/relu_1/Relu_output_0", err);
    }

    [Fact]
    public void Ablationcam_still_needs_the_torch_back_end()
    {
        using var dir = new TempDir();
        var (code, _, err) = CliRunner.Run("explain", "--model", F("resnet_tiny.onnx"), "--inputs", F("inputs.npy"), "--method", "ablationcam",
            "--layer", "/features/features.5/relu_1/Relu_output_0", "--backend", "onnxruntime", "--out", dir.File("m.npy"));
        Assert.Equal(2, code);
        Assert.Contains("gradients", err);
    }

    [Fact]
    public void List_layers_works_on_onnx_runtime()
    {
        var (code, stdout, err) = CliRunner.Run("explain", "--model", F("resnet_tiny.onnx"), "--list-layers", "--backend", "onnxruntime");
        Assert.True(code == 0, err);
        Assert.Contains("/features/features.5/relu_1/Relu_output_0", stdout);
        Assert.Contains("16×8×8", stdout);
    }
}
