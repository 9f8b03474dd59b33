using Sightline.Cli.Commands;
using Sightline.IO;
using Sightline.Onnx.Runtime;

namespace Sightline.Tests.Cli;

/// <summary>
/// Issue 9 on the <c>neurons</c> commands, as real CLI runs on real files: no input overwritten, no half-written output,
/// resuming never mixes runs, one run per output, inputs checked against the model, no silent drops, no empty outputs.
/// </summary>
public sealed class NeuronsSafetyTests
{
    private static string Fixtures => Path.Combine(AlignCommandTests.RepoRoot(), "tests", "fixtures", "models");
    private static string Model => Path.Combine(Fixtures, "resnet_tiny.onnx");
    private const string Layer = "/features/features.5/relu_1/Relu_output_0";

    private static void AssertOneLineError(int code, string stdout, string err, params string[] mentions)
    {
        Assert.True(code == 2, $"exit {code}: {stdout}{err}");
        Assert.Single(err.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", err);
        foreach (var m in mentions) Assert.Contains(m, err);
    }

    private static string[] Files(TempDir dir) =>
        [.. Directory.GetFiles(dir.Path, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(dir.Path, f)).OrderBy(f => f, StringComparer.Ordinal)];

    private static float[] Inputs() => NpyReader.Open(Path.Combine(Fixtures, "inputs.npy")).ReadAll<float>();

    // ---- 1. no command destroys its own input ----

    [Fact]
    public void Extract_refuses_an_out_that_is_its_inputs_and_leaves_them_untouched()
    {
        using var dir = new TempDir();
        File.Copy(Path.Combine(Fixtures, "inputs.npy"), dir.File("X.npy"));
        var before = File.ReadAllBytes(dir.File("X.npy"));
        var (code, stdout, err) = CliRunner.Run("neurons", "extract", "--model", Model, "--layer", Layer, "--inputs", dir.File("X.npy"), "--out", dir.File("X.npy"));
        AssertOneLineError(code, stdout, err, "--out", "--inputs");
        Assert.Equal(before, File.ReadAllBytes(dir.File("X.npy")));
        Assert.Equal(["X.npy"], Files(dir));
    }

    [Fact]
    public void Extract_refuses_an_out_whose_rows_csv_is_the_images_csv()
    {
        using var dir = new TempDir();
        var px = new byte[32 * 32 * 4];
        Sightline.Data.ImageDecoder.WritePng(dir.File("a.png"), 32, 32, px);
        File.WriteAllText(dir.File("A.rows.csv"), "path,label\na.png,0\n");
        var before = File.ReadAllText(dir.File("A.rows.csv"));
        var (code, stdout, err) = CliRunner.Run("neurons", "extract", "--model", Model, "--layer", Layer, "--images", dir.File("A.rows.csv"), "--out", dir.File("A.npy"));
        AssertOneLineError(code, stdout, err, "rows CSV of --out", "--images");
        Assert.Equal(before, File.ReadAllText(dir.File("A.rows.csv")));
    }

    [Theory]
    [InlineData("a.csv")]
    [InlineData("a.npy")]
    public void Score_refuses_an_out_that_is_its_activations(string name)
    {
        using var dir = new TempDir();
        if (name.EndsWith(".csv", StringComparison.Ordinal)) File.WriteAllText(dir.File(name), "1,0\n0,1\n1,0\n0,1\n");
        else Npy.Write<float>(dir.File(name), new float[] { 1, 0, 0, 1, 1, 0, 0, 1 }, 4, 2);
        File.WriteAllText(dir.File("c.csv"), "1,0\n0,1\n1,0\n0,1\n");
        var before = File.ReadAllBytes(dir.File(name));
        var (code, stdout, err) = CliRunner.Run("neurons", "score", "--activations", dir.File(name), "--concepts", dir.File("c.csv"), "--metrics", "iou", "--alpha", "0.5", "--out", dir.File(name));
        AssertOneLineError(code, stdout, err, "--out", "--activations");
        Assert.Equal(before, File.ReadAllBytes(dir.File(name)));
    }

    [Fact]
    public void Score_refuses_an_npy_out_whose_metric_list_is_its_concepts()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("a.csv"), "1,0\n0,1\n");
        File.WriteAllText(dir.File("s.npy.metrics.txt"), "1,0\n0,1\n");
        var before = File.ReadAllBytes(dir.File("s.npy.metrics.txt"));
        var (code, stdout, err) = CliRunner.Run("neurons", "score", "--activations", dir.File("a.csv"), "--concepts", dir.File("s.npy.metrics.txt"), "--metrics", "iou", "--out", dir.File("s.npy"));
        AssertOneLineError(code, stdout, err, "metric list of --out", "--concepts");
        Assert.Equal(before, File.ReadAllBytes(dir.File("s.npy.metrics.txt")));
        Assert.False(File.Exists(dir.File("s.npy")));
    }

    [Fact]
    public void Concepts_refuses_an_out_that_is_its_labels()
    {
        using var dir = new TempDir();
        Npy.Write<long>(dir.File("l.npy"), new long[] { 2, 0 }, 2);
        var before = File.ReadAllBytes(dir.File("l.npy"));
        var (code, stdout, err) = CliRunner.Run("neurons", "concepts", "--labels", dir.File("l.npy"), "--classes", "3", "--out", dir.File("l.npy"));
        AssertOneLineError(code, stdout, err, "--out", "--labels");
        Assert.Equal(before, File.ReadAllBytes(dir.File("l.npy")));
    }

    [Fact]
    public void Sanity_refuses_two_outputs_that_are_the_same_file()
    {
        using var dir = new TempDir();
        var (code, stdout, err) = CliRunner.Run("neurons", "sanity", "--metrics", "iou", "--inputs", "20000", "--draws", "1", "--out", dir.File("t.csv"), "--per-frequency", dir.File("t.csv"));
        AssertOneLineError(code, stdout, err, "--out", "--per-frequency");
        Assert.Empty(Files(dir));
    }

    // ---- 1b. atomic writes ----

    [Theory]
    [InlineData("s.npy")]
    [InlineData("s.csv")]
    public void Score_to_a_path_under_a_file_is_one_line_and_leaves_nothing(string name)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("a.csv"), "1,0\n0,1\n1,0\n0,1\n");
        File.WriteAllText(dir.File("file"), "not a folder");
        var (code, stdout, err) = CliRunner.Run("neurons", "score", "--activations", dir.File("a.csv"), "--concepts", dir.File("a.csv"), "--metrics", "iou", "--alpha", "0.5",
            "--out", Path.Combine(dir.File("file"), "sub", name));
        AssertOneLineError(code, stdout, err, "is a file, not a folder");
        Assert.Equal(["a.csv", "file"], Files(dir));
    }

    [Fact]
    public void Concepts_to_a_path_under_a_file_is_one_line_and_leaves_nothing()
    {
        using var dir = new TempDir();
        Npy.Write<long>(dir.File("l.npy"), new long[] { 2, 0 }, 2);
        File.WriteAllText(dir.File("file"), "not a folder");
        var (code, stdout, err) = CliRunner.Run("neurons", "concepts", "--labels", dir.File("l.npy"), "--classes", "3", "--out", Path.Combine(dir.File("file"), "C.npy"));
        AssertOneLineError(code, stdout, err, "is a file, not a folder");
        Assert.Equal(["file", "l.npy"], Files(dir));
    }

    [Fact]
    public void A_failed_score_write_keeps_the_previous_scores_and_their_metric_list()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("a.csv"), "1,0\n0,1\n1,0\n0,1\n");
        File.WriteAllText(dir.File("c.csv"), "1,0\n0,0\n1,1\n0,1\n");
        string[] run = ["neurons", "score", "--activations", dir.File("a.csv"), "--concepts", dir.File("c.csv"), "--alpha", "0.5", "--out", dir.File("s.npy")];
        var (code, _, err) = CliRunner.Run([.. run, "--metrics", "iou"]);
        Assert.True(code == 0, err);
        var scores = File.ReadAllBytes(dir.File("s.npy"));
        var names = File.ReadAllText(dir.File("s.npy.metrics.txt"));
        // The write of the new scores fails (its temporary file cannot be created: something else holds the name).
        Directory.CreateDirectory(AtomicFile.TempPathFor(Path.GetFullPath(dir.File("s.npy"))));
        (code, var stdout, err) = CliRunner.Run([.. run, "--metrics", "recall,precision"]);
        AssertOneLineError(code, stdout, err, "s.npy");
        Assert.Equal(scores, File.ReadAllBytes(dir.File("s.npy")));
        Assert.Equal(names, File.ReadAllText(dir.File("s.npy.metrics.txt")));
    }

    [Fact]
    public void A_failed_concepts_write_keeps_the_previous_labels()
    {
        using var dir = new TempDir();
        Npy.Write<long>(dir.File("l.npy"), new long[] { 2, 0 }, 2);
        var (code, _, err) = CliRunner.Run("neurons", "concepts", "--labels", dir.File("l.npy"), "--classes", "3", "--out", dir.File("C.npy"));
        Assert.True(code == 0, err);
        var before = File.ReadAllBytes(dir.File("C.npy"));
        Directory.CreateDirectory(AtomicFile.TempPathFor(Path.GetFullPath(dir.File("C.npy"))));
        (code, var stdout, err) = CliRunner.Run("neurons", "concepts", "--labels", dir.File("l.npy"), "--classes", "4", "--out", dir.File("C.npy"));
        AssertOneLineError(code, stdout, err, "C.npy");
        Assert.Equal(before, File.ReadAllBytes(dir.File("C.npy")));
    }

    // ---- 2. resuming never mixes runs; one run per output ----

    private static string[] ExtractArgs(string inputs, string output) =>
        ["neurons", "extract", "--model", Model, "--layer", Layer, "--inputs", inputs, "--batch-size", "1", "--out", output];

    private static (int Code, string Out, string Err) RunWithHook(Action<int> hook, string[] args)
    {
        NeuronsDataCommands.BeforeBatch.Value = hook;
        try { return CliRunner.Run(args); }
        finally { NeuronsDataCommands.BeforeBatch.Value = null; }
    }

    [Fact]
    public void Extract_killed_then_rerun_says_how_much_was_resumed()
    {
        using var dir = new TempDir();
        File.Copy(Path.Combine(Fixtures, "inputs.npy"), dir.File("X.npy"));
        var (code, _, _) = RunWithHook(start => { if (start == 2) throw new OperationCanceledException(); }, ExtractArgs(dir.File("X.npy"), dir.File("A.npy")));
        Assert.NotEqual(0, code);
        var starts = new List<int>();
        (code, var stdout, var err) = RunWithHook(starts.Add, ExtractArgs(dir.File("X.npy"), dir.File("A.npy")));
        Assert.True(code == 0, err);
        Assert.Equal([2, 3], starts);
        Assert.Contains("resumed: 2 of 4 already done", stdout);
        (code, stdout, _) = CliRunner.Run(ExtractArgs(dir.File("X.npy"), dir.File("A.npy")));
        Assert.Equal(0, code);
        Assert.Contains("Already complete", stdout);
        var first = File.ReadAllBytes(dir.File("A.npy"));

        // --force recomputes every batch of a complete run, and of a killed one from the start; the result is the same.
        starts.Clear();
        (code, stdout, err) = RunWithHook(starts.Add, [.. ExtractArgs(dir.File("X.npy"), dir.File("A.npy")), "--force"]);
        Assert.True(code == 0, err);
        Assert.DoesNotContain("Already complete", stdout);
        Assert.Equal([0, 1, 2, 3], starts);
        Assert.Equal(first, File.ReadAllBytes(dir.File("A.npy")));
        RunWithHook(start => { if (start == 2) throw new OperationCanceledException(); }, [.. ExtractArgs(dir.File("X.npy"), dir.File("A.npy")), "--force"]);
        starts.Clear();
        (code, stdout, err) = RunWithHook(starts.Add, [.. ExtractArgs(dir.File("X.npy"), dir.File("A.npy")), "--force"]);
        Assert.True(code == 0, err);
        Assert.DoesNotContain("resumed", stdout);
        Assert.Equal([0, 1, 2, 3], starts);
        Assert.Equal(first, File.ReadAllBytes(dir.File("A.npy")));
    }

    [Fact]
    public void Extract_killed_then_rerun_on_other_data_of_the_same_shape_starts_afresh()
    {
        using var dir = new TempDir();
        var x = Inputs();
        int size = x.Length / 4;
        // Other data, same shape and same row names: the samples in reverse order.
        var reversed = Enumerable.Range(0, 4).Reverse().SelectMany(i => x.Skip(i * size).Take(size)).ToArray();
        Npy.Write<float>(dir.File("X.npy"), x, 4, 3, 32, 32);
        Npy.Write<float>(dir.File("Y.npy"), reversed, 4, 3, 32, 32);
        Assert.Equal(0, CliRunner.Run(ExtractArgs(dir.File("Y.npy"), dir.File("expected.npy"))).Code);

        var (code, _, _) = RunWithHook(start => { if (start == 2) throw new OperationCanceledException(); }, ExtractArgs(dir.File("X.npy"), dir.File("A.npy")));
        Assert.NotEqual(0, code);
        File.Copy(dir.File("Y.npy"), dir.File("X.npy"), overwrite: true); // replaced after the kill
        var starts = new List<int>();
        (code, var stdout, var err) = RunWithHook(starts.Add, ExtractArgs(dir.File("X.npy"), dir.File("A.npy")));
        Assert.True(code == 0, err);
        Assert.Equal([0, 1, 2, 3], starts);
        Assert.DoesNotContain("resumed", stdout);
        Assert.Equal(NpyReader.Open(dir.File("expected.npy")).ReadAll<float>(), NpyReader.Open(dir.File("A.npy")).ReadAll<float>());
    }

    [Fact]
    public void A_finished_extract_whose_inputs_changed_recomputes()
    {
        using var dir = new TempDir();
        var x = Inputs();
        Npy.Write<float>(dir.File("X.npy"), x, 4, 3, 32, 32);
        Npy.Write<float>(dir.File("Y.npy"), [.. x.Select(v => v * 0.5f + 0.25f)], 4, 3, 32, 32);
        Assert.Equal(0, CliRunner.Run(ExtractArgs(dir.File("Y.npy"), dir.File("expected.npy"))).Code);
        Assert.Equal(0, CliRunner.Run(ExtractArgs(dir.File("X.npy"), dir.File("A.npy"))).Code);
        var first = NpyReader.Open(dir.File("A.npy")).ReadAll<float>();
        File.Copy(dir.File("Y.npy"), dir.File("X.npy"), overwrite: true);
        var (code, stdout, err) = CliRunner.Run(ExtractArgs(dir.File("X.npy"), dir.File("A.npy")));
        Assert.True(code == 0, err);
        Assert.DoesNotContain("Already complete", stdout);
        var again = NpyReader.Open(dir.File("A.npy")).ReadAll<float>();
        Assert.NotEqual(first, again);
        Assert.Equal(NpyReader.Open(dir.File("expected.npy")).ReadAll<float>(), again);
    }

    [Fact]
    public void A_second_extract_on_a_locked_output_exits_at_once_naming_the_holder()
    {
        using var dir = new TempDir();
        using (OutputLock.Acquire(dir.File("A.npy")))
        {
            var (code, stdout, err) = CliRunner.Run(ExtractArgs(Path.Combine(Fixtures, "inputs.npy"), dir.File("A.npy")));
            AssertOneLineError(code, stdout, err, $"another sightline run is writing {dir.File("A.npy")} (pid {Environment.ProcessId})");
            Assert.Equal(["A.npy.lock"], Files(dir));
        }
        Assert.Equal(0, CliRunner.Run(ExtractArgs(Path.Combine(Fixtures, "inputs.npy"), dir.File("A.npy"))).Code);
    }

    // ---- 3/4. inputs checked against the model ----

    [Fact]
    public void Extract_with_inputs_of_another_size_names_both_shapes_and_leaves_no_partial_files()
    {
        using var dir = new TempDir();
        Npy.Write<float>(dir.File("small.npy"), new float[2 * 3 * 28 * 28], 2, 3, 28, 28);
        var (code, stdout, err) = CliRunner.Run(ExtractArgs(dir.File("small.npy"), dir.File("out/A.npy")));
        AssertOneLineError(code, stdout, err, "3×28×28", "3×32×32");
        Assert.Equal(["small.npy"], Files(dir));
    }

    [Fact]
    public void Extract_refuses_channels_last_inputs_on_a_channels_first_model()
    {
        using var dir = new TempDir();
        var x = Inputs();
        var hwc = new float[x.Length];
        for (int n = 0; n < 4; n++)
            for (int c = 0; c < 3; c++)
                for (int p = 0; p < 32 * 32; p++) hwc[(n * 32 * 32 + p) * 3 + c] = x[(n * 3 + c) * 32 * 32 + p];
        Npy.Write<float>(dir.File("hwc.npy"), hwc, 4, 32, 32, 3);
        var (code, stdout, err) = CliRunner.Run(ExtractArgs(dir.File("hwc.npy"), dir.File("A.npy")));
        AssertOneLineError(code, stdout, err, "32×32×3", "3×32×32", "channels-last");
        Assert.Equal(["hwc.npy"], Files(dir));
    }

    [Fact]
    public void Extract_on_a_channels_last_model_feeds_it_channels_last()
    {
        // x: N×4×4×3 → Transpose(0,3,1,2) → xt: N×3×4×4 (the layer) → Flatten → Gemm. Fed C×H×W inputs, the layer must
        // give them back exactly: the model sees them transposed to H×W×C.
        using var dir = new TempDir();
        var b = new Sightline.Onnx.Tests.OnnxBuilder().Output("logits", "N", 2L).Floats("W", [2, 48], new float[96]).Floats("b", [2], [0.1f, -0.2f])
            .Input("x", "N", 4L, 4L, 3L).Node("Transpose", ["x"], ["xt"], "t", Sightline.Onnx.Tests.OnnxBuilder.IntsAttr("perm", 0, 3, 1, 2))
            .Node("Flatten", ["xt"], ["flat"], "flatten", Sightline.Onnx.Tests.OnnxBuilder.IntAttr("axis", 1))
            .Node("Gemm", ["flat", "W", "b"], ["logits"], "fc", Sightline.Onnx.Tests.OnnxBuilder.IntAttr("transB", 1));
        var model = b.Save(dir.Path, "nhwc.onnx");
        var x = Enumerable.Range(0, 2 * 48).Select(i => (float)Math.Sin(i)).ToArray();
        Npy.Write<float>(dir.File("x.npy"), x, 2, 3, 4, 4);
        var (code, stdout, err) = CliRunner.Run("neurons", "extract", "--model", model, "--layer", "xt", "--inputs", dir.File("x.npy"), "--reduce", "none", "--out", dir.File("A.npy"));
        Assert.True(code == 0, stdout + err);
        using var a = NpyReader.Open(dir.File("A.npy"));
        Assert.Equal(new[] { 2 * 16, 3 }, a.Shape);
        var got = a.ReadAll<float>();
        for (int n = 0; n < 2; n++)
            for (int c = 0; c < 3; c++)
                for (int p = 0; p < 16; p++) Assert.Equal(x[(n * 3 + c) * 16 + p], got[(n * 16 + p) * 3 + c]);
    }

    [Fact]
    public void Extract_reads_a_layer_of_a_backbone_whose_output_is_a_feature_map()
    {
        // explain refuses outputs that are not N×K; extract reads only the layer, so a feature-map output is fine.
        using var dir = new TempDir();
        var b = new Sightline.Onnx.Tests.OnnxBuilder().Output("features", "N", 3L, 4L, 4L)
            .Input("x", "N", 3L, 4L, 4L).Node("Relu", ["x"], ["features"], "relu");
        var model = b.Save(dir.Path, "backbone.onnx");
        var x = Enumerable.Range(0, 2 * 48).Select(i => (float)Math.Sin(i)).ToArray();
        Npy.Write<float>(dir.File("x.npy"), x, 2, 3, 4, 4);
        var (code, stdout, err) = CliRunner.Run("neurons", "extract", "--model", model, "--layer", "features", "--inputs", dir.File("x.npy"), "--out", dir.File("A.npy"));
        Assert.True(code == 0, stdout + err);
        var got = NpyReader.Open(dir.File("A.npy")).ReadAll<float>();
        Assert.Equal(2 * 3, got.Length);
        // Default reduce: the spatial mean of relu(x) per channel.
        Assert.Equal(x.AsSpan(0, 16).ToArray().Select(v => Math.Max(v, 0f)).Average(), got[0], 5);
    }

    // ---- 4. no silent drops, no empty outputs ----

    [Fact]
    public void Extract_with_no_samples_is_refused()
    {
        using var dir = new TempDir();
        Npy.Write<float>(dir.File("empty.npy"), Array.Empty<float>(), 0, 3, 32, 32);
        var (code, stdout, err) = CliRunner.Run(ExtractArgs(dir.File("empty.npy"), dir.File("A.npy")));
        AssertOneLineError(code, stdout, err, $"no samples in {dir.File("empty.npy")}");
        Assert.Equal(["empty.npy"], Files(dir));
    }

    [Fact]
    public void Concepts_with_no_labels_or_no_masks_are_refused()
    {
        using var dir = new TempDir();
        Npy.Write<long>(dir.File("l.npy"), Array.Empty<long>(), 0);
        var (code, stdout, err) = CliRunner.Run("neurons", "concepts", "--labels", dir.File("l.npy"), "--classes", "3", "--out", dir.File("C.npy"));
        AssertOneLineError(code, stdout, err, $"no samples in {dir.File("l.npy")}");
        Directory.CreateDirectory(dir.File("masks"));
        (code, stdout, err) = CliRunner.Run("neurons", "concepts", "--masks", dir.File("masks"), "--classes", "3", "--out", dir.File("C.npy"));
        AssertOneLineError(code, stdout, err, $"no samples in {dir.File("masks")}");
        Assert.False(File.Exists(dir.File("C.npy")));
    }

    [Theory]
    [InlineData("2000000000")]
    [InlineData("2147483647")]
    public void Concepts_with_an_impossible_number_of_classes_is_refused(string classes)
    {
        using var dir = new TempDir();
        Npy.Write<long>(dir.File("l.npy"), new long[] { 2, 0 }, 2);
        var (code, stdout, err) = CliRunner.Run("neurons", "concepts", "--labels", dir.File("l.npy"), "--classes", classes, "--out", dir.File("C.npy"));
        AssertOneLineError(code, stdout, err, "--classes " + classes);
        Directory.CreateDirectory(dir.File("masks"));
        Png.WriteGray8(Path.Combine(dir.File("masks"), "a.png"), 2, 2, [0, 1, 1, 0]);
        Png.WriteGray8(Path.Combine(dir.File("masks"), "b.png"), 2, 2, [0, 1, 1, 0]);
        (code, stdout, err) = CliRunner.Run("neurons", "concepts", "--masks", dir.File("masks"), "--classes", classes, "--out", dir.File("C.npy"));
        AssertOneLineError(code, stdout, err, "--classes " + classes);
        (code, stdout, err) = CliRunner.Run("neurons", "concepts", "--masks", dir.File("masks"), "--classes", "3", "--mode", "location", "--grid", "100000,100000", "--out", dir.File("C.npy"));
        AssertOneLineError(code, stdout, err, "--grid");
        Assert.False(File.Exists(dir.File("C.npy")));
    }

    [Fact]
    public void Concepts_refuse_mask_ids_above_classes_unless_ignored()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("masks"));
        // 2×2 map: class 1, class 2, background and 255 (a VOC-style boundary) in the grayscale encoding.
        Png.WriteGray8(Path.Combine(dir.File("masks"), "a.png"), 2, 2, [1, 2, 0, 255]);
        string[] run = ["neurons", "concepts", "--masks", dir.File("masks"), "--encoding", "grayscale", "--classes", "2", "--mode", "fraction", "--out", dir.File("C.npy")];
        var (code, stdout, err) = CliRunner.Run(run);
        AssertOneLineError(code, stdout, err, "a.png", "class id 255", "--classes 2", "--ignore-ids");
        Assert.False(File.Exists(dir.File("C.npy")));
        (code, _, err) = CliRunner.Run([.. run, "--ignore-ids", "255"]);
        Assert.True(code == 0, err);
        // The ignored pixel is left out of the denominator: 1 of 3 pixels each.
        Assert.Equal(new[] { 1 / 3f, 1 / 3f }, NpyReader.Open(dir.File("C.npy")).ReadAll<float>());
        (code, stdout, err) = CliRunner.Run([.. run, "--ignore-ids", "25x"]);
        AssertOneLineError(code, stdout, err, "--ignore-ids");
    }

    [Fact]
    public void Concepts_labels_in_ignore_ids_give_rows_without_concepts()
    {
        using var dir = new TempDir();
        Npy.Write<long>(dir.File("l.npy"), new long[] { 1, 255, 0 }, 3);
        string[] run = ["neurons", "concepts", "--labels", dir.File("l.npy"), "--classes", "2", "--out", dir.File("C.npy")];
        var (code, stdout, err) = CliRunner.Run(run);
        AssertOneLineError(code, stdout, err, "l.npy", "label 255", "--classes 2", "--ignore-ids");
        (code, _, err) = CliRunner.Run([.. run, "--ignore-ids", "255"]);
        Assert.True(code == 0, err);
        Assert.Equal(new[] { 0f, 1, 0, 0, 1, 0 }, NpyReader.Open(dir.File("C.npy")).ReadAll<float>());
    }

    [Fact]
    public void Concepts_refuse_masks_together_with_labels()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("masks"));
        Png.WriteGray8(Path.Combine(dir.File("masks"), "a.png"), 2, 2, [1, 2, 0, 0]);
        Npy.Write<long>(dir.File("l.npy"), new long[] { 1 }, 1);
        var (code, stdout, err) = CliRunner.Run("neurons", "concepts", "--masks", dir.File("masks"), "--labels", dir.File("l.npy"), "--classes", "2", "--out", dir.File("C.npy"));
        AssertOneLineError(code, stdout, err, "--masks", "--labels");
        (code, stdout, err) = CliRunner.Run("neurons", "concepts", "--labels", dir.File("l.npy"), "--classes", "2", "--mode", "location", "--grid", "2,2", "--out", dir.File("C.npy"));
        AssertOneLineError(code, stdout, err, "--mode", "--labels");
        Assert.False(File.Exists(dir.File("C.npy")));
    }

    [Fact]
    public void Sanity_refuses_known_concepts_outside_the_concepts()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("a.csv"), "1,0\n0,1\n1,0\n0,1\n");
        File.WriteAllText(dir.File("c.csv"), "1,0\n0,1\n1,0\n0,1\n");
        Npy.Write<long>(dir.File("k.npy"), new long[] { 0, 1L << 32 }, 2); // 2^32 wrapped to 0 before
        var (code, stdout, err) = CliRunner.Run("neurons", "sanity", "--activations", dir.File("a.csv"), "--concepts", dir.File("c.csv"), "--known-concepts", dir.File("k.npy"),
            "--metrics", "iou", "--alpha", "0.5", "--out", dir.File("t.csv"));
        AssertOneLineError(code, stdout, err, "k.npy");
        Assert.False(File.Exists(dir.File("t.csv")));
    }

    [Fact]
    public void Score_with_k_above_the_number_of_inputs_takes_every_input_instead_of_crashing()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("a.csv"), "0.9,0.1\n0.2,0.8\n0.7,0.3\n0.1,0.6\n");
        File.WriteAllText(dir.File("c.csv"), "1,0\n0,1\n1,0\n0,1\n");
        string[] run = ["neurons", "score", "--activations", dir.File("a.csv"), "--concepts", dir.File("c.csv"), "--metrics", "correlation_top_random,spearman_top_random"];
        var (code, _, err) = CliRunner.Run([.. run, "--k", "4", "--out", dir.File("k4.csv")]);
        Assert.True(code == 0, err);
        (code, _, err) = CliRunner.Run([.. run, "--k", "2147483647", "--out", dir.File("kmax.csv")]);
        Assert.True(code == 0, err);
        Assert.Equal(File.ReadAllText(dir.File("k4.csv")), File.ReadAllText(dir.File("kmax.csv")));
    }

    [Fact]
    public void Score_refuses_a_lambda_that_is_not_finite_and_sanity_refuses_per_frequency_for_the_experimental_test()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("a.csv"), "1,0\n0,1\n1,0\n0,1\n");
        var (code, stdout, err) = CliRunner.Run("neurons", "score", "--activations", dir.File("a.csv"), "--concepts", dir.File("a.csv"), "--metrics", "wpmi", "--lambda", "NaN", "--out", dir.File("s.csv"));
        AssertOneLineError(code, stdout, err, "--lambda");
        (code, stdout, err) = CliRunner.Run("neurons", "sanity", "--activations", dir.File("a.csv"), "--concepts", dir.File("a.csv"), "--metrics", "iou", "--alpha", "0.5",
            "--out", dir.File("t.csv"), "--per-frequency", dir.File("f.csv"));
        AssertOneLineError(code, stdout, err, "--per-frequency");
        Assert.Equal(["a.csv"], Files(dir));
    }

    [Fact]
    public void A_finished_extract_over_an_image_folder_recomputes_when_an_image_changes()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("images"));
        var rng = new Random(7);
        byte[] Pixels() { var px = new byte[32 * 32 * 4]; rng.NextBytes(px); return px; }
        Sightline.Data.ImageDecoder.WritePng(Path.Combine(dir.File("images"), "a.png"), 32, 32, Pixels());
        Sightline.Data.ImageDecoder.WritePng(Path.Combine(dir.File("images"), "b.png"), 32, 32, Pixels());
        string[] run = ["neurons", "extract", "--model", Model, "--layer", Layer, "--images", dir.File("images"), "--out", dir.File("A.npy")];
        Assert.Equal(0, CliRunner.Run(run).Code);
        var first = NpyReader.Open(dir.File("A.npy")).ReadAll<float>();
        var (code, stdout, _) = CliRunner.Run(run);
        Assert.Equal(0, code);
        Assert.Contains("Already complete", stdout);
        Sightline.Data.ImageDecoder.WritePng(Path.Combine(dir.File("images"), "b.png"), 32, 32, Pixels()); // same name, size and shape; new pixels
        (code, stdout, var err) = CliRunner.Run(run);
        Assert.True(code == 0, err);
        Assert.DoesNotContain("Already complete", stdout);
        var again = NpyReader.Open(dir.File("A.npy")).ReadAll<float>();
        int c = again.Length / 2;
        Assert.Equal(first[..c], again[..c]);
        Assert.NotEqual(first[c..], again[c..]);
    }

    [Fact]
    public void An_extract_that_fails_after_committing_batches_says_how_to_resume()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("images"));
        var rng = new Random(9);
        byte[] Pixels() { var px = new byte[32 * 32 * 4]; rng.NextBytes(px); return px; }
        Sightline.Data.ImageDecoder.WritePng(Path.Combine(dir.File("images"), "a.png"), 32, 32, Pixels());
        Sightline.Data.ImageDecoder.WritePng(Path.Combine(dir.File("images"), "b.png"), 32, 32, Pixels());
        File.WriteAllText(Path.Combine(dir.File("images"), "c.png"), "not a PNG");
        string[] run = ["neurons", "extract", "--model", Model, "--layer", Layer, "--images", dir.File("images"), "--batch-size", "1", "--out", dir.File("A.npy")];
        var (code, stdout, err) = CliRunner.Run(run);
        AssertOneLineError(code, stdout, err, "c.png", $"2 of 3 samples are saved in {dir.File("A.npy")}.partial", "run the same command again to resume");
        Assert.True(File.Exists(dir.File("A.npy.partial")));
        Assert.False(File.Exists(dir.File("A.npy")));
        // Replacing the bad image changes the inputs' content: the next run starts afresh rather than mixing.
        Sightline.Data.ImageDecoder.WritePng(Path.Combine(dir.File("images"), "c.png"), 32, 32, Pixels());
        var starts = new List<int>();
        (code, stdout, err) = RunWithHook(starts.Add, run);
        Assert.True(code == 0, err);
        Assert.Equal([0, 1, 2], starts);
        Assert.DoesNotContain("resumed", stdout);
        Assert.Equal(["A.npy", "A.npy.sightline.json", "A.rows.csv", "images/a.png", "images/b.png", "images/c.png"], Files(dir));
    }

    // ---- inputs are used in place (memory-mapped): a rewrite during the run is an input error, not mixed results ----

    [Fact]
    public void A_mapped_input_rewritten_in_place_after_it_was_read_is_refused_by_name_and_an_untouched_one_is_not()
    {
        using var dir = new TempDir();
        string a = dir.File("a.npy"), c = dir.File("c.npy");
        Npy.Write<float>(a, [0.5f, 1, 2, 0, 3, 1], 3, 2);
        Npy.Write<float>(c, [1f, 0, 0, 1, 1, 0], 3, 2);
        // Old enough that a write now gets another time stamp whatever the file system's clock granularity.
        foreach (var f in new[] { a, c }) File.SetLastWriteTimeUtc(f, DateTime.UtcNow.AddHours(-1));
        using (var untouched = new NeuronsCommand.ProbeMappings())
        {
            var probe = NeuronsCommand.LoadProbe(a, c, untouched, out _);
            Assert.Equal(3, probe.Samples);
            untouched.ThrowIfChanged();
        }
        using var mappings = new NeuronsCommand.ProbeMappings();
        NeuronsCommand.LoadProbe(a, c, mappings, out _);
        using (var w = new FileStream(c, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            w.Seek(-4, SeekOrigin.End);
            w.Write(BitConverter.GetBytes(1f)); // same length, one label changed, in place
        }
        var e = Assert.Throws<InputDataException>(mappings.ThrowIfChanged);
        Assert.Contains(c, e.Message);
        Assert.Contains("written to while this run read it", e.Message);
    }
}
