using Sightline.IO;
using Sightline.Onnx.Runtime;

namespace Sightline.Tests.Cli;

public sealed class NeuronsDataCommandsTests
{
    private static string Fixtures => Path.Combine(AlignCommandTests.RepoRoot(), "tests", "fixtures", "models");
    private const string Layer = "/features/features.5/relu_1/Relu_output_0";

    [Theory]
    [InlineData("mean")]
    [InlineData("max")]
    [InlineData("none")]
    public void Extract_reduces_the_layer_activations_onnx_runtime_reports(string reduce)
    {
        using var dir = new TempDir();
        var model = Path.Combine(Fixtures, "resnet_tiny.onnx");
        var inputs = Path.Combine(Fixtures, "inputs.npy");
        var (code, stdout, err) = CliRunner.Run("neurons", "extract", "--model", model, "--layer", Layer, "--inputs", inputs,
            "--out", dir.File("A.npy"), "--reduce", reduce, "--batch-size", "3");
        Assert.True(code == 0, stdout + err);

        using var ort = OnnxRuntimeModel.Open(model, [Layer]);
        var x = NpyReader.Open(inputs).ReadAll<float>();
        var act = ort.Activations(Layer, x, 4, out var shape);
        int c = shape[0], hw = shape[1] * shape[2];
        using var a = NpyReader.Open(dir.File("A.npy"));
        var got = a.ReadAll<float>();
        int per = reduce == "none" ? hw : 1;
        Assert.Equal(new[] { 4 * per, c }, a.Shape);
        for (int i = 0; i < 4; i++)
            for (int k = 0; k < c; k++)
            {
                var plane = act.AsSpan((i * c + k) * hw, hw).ToArray();
                if (reduce == "none")
                    for (int p = 0; p < hw; p++) Assert.Equal(plane[p], got[(i * hw + p) * c + k], 5);
                else
                    Assert.Equal(reduce == "mean" ? plane.Average() : plane.Max(), got[i * c + k], 4);
            }
        Assert.Equal(1 + 4 * per, File.ReadAllLines(dir.File("A.rows.csv")).Length);
    }

    [Fact]
    public void Extract_reads_an_image_folder_with_the_model_preprocessing()
    {
        using var dir = new TempDir();
        File.Copy(Path.Combine(Fixtures, "resnet_tiny.onnx"), dir.File("m.onnx"));
        var rng = new Random(4);
        foreach (var cls in new[] { "cat", "dog" })
        {
            Directory.CreateDirectory(Path.Combine(dir.File("images"), cls));
            for (int i = 0; i < 2; i++)
            {
                var px = new byte[40 * 36 * 4];
                rng.NextBytes(px);
                Sightline.Data.ImageDecoder.WritePng(Path.Combine(dir.File("images"), cls, $"{i}.png"), 40, 36, px);
            }
        }
        var (code, stdout, err) = CliRunner.Run("neurons", "extract", "--model", dir.File("m.onnx"), "--layer", Layer,
            "--images", dir.File("images"), "--out", dir.File("A.npy"), "--batch-size", "3");
        Assert.True(code == 0, stdout + err);
        using var a = NpyReader.Open(dir.File("A.npy"));
        Assert.Equal(4, a.Shape[0]);
        Assert.All(a.ReadAll<float>(), v => Assert.True(float.IsFinite(v) && v >= 0)); // after a ReLU
        var rows = File.ReadAllLines(dir.File("A.rows.csv"));
        Assert.Equal("row,image,path,y,x", rows[0]);
        Assert.Contains("cat", rows[1]);
        Assert.Contains("dog", rows[4]);
    }

    [Fact]
    public void Extract_takes_the_preprocessing_from_config_or_from_a_yaml_config_beside_the_model()
    {
        using var dir = new TempDir();
        File.Copy(Path.Combine(Fixtures, "resnet_tiny.onnx"), dir.File("m.onnx"));
        var rng = new Random(5);
        Directory.CreateDirectory(dir.File("images"));
        for (int i = 0; i < 3; i++)
        {
            var px = new byte[40 * 36 * 4];
            rng.NextBytes(px);
            Sightline.Data.ImageDecoder.WritePng(Path.Combine(dir.File("images"), $"{i}.png"), 40, 36, px);
        }
        const string yaml = "# grayscale-ish normalisation, far from ImageNet's\nmean: [0.5, 0.5, 0.5]\nstd: [0.1, 0.1, 0.1]\n";
        File.WriteAllText(dir.File("other.yaml"), yaml);
        float[] Extract(string name, params string[] extra)
        {
            var (code, stdout, err) = CliRunner.Run(["neurons", "extract", "--model", dir.File("m.onnx"), "--layer", Layer, "--images", dir.File("images"), "--out", dir.File(name), .. extra]);
            Assert.True(code == 0, stdout + err);
            return NpyReader.Open(dir.File(name)).ReadAll<float>();
        }
        var defaults = Extract("default.npy");
        var given = Extract("given.npy", "--config", dir.File("other.yaml"));
        Assert.NotEqual(defaults, given);
        // The same YAML beside the model is what a run without --config reads.
        File.WriteAllText(dir.File("m.yaml"), yaml);
        Assert.Equal(given, Extract("beside.npy"));
        // --config wins over the config beside the model.
        File.WriteAllText(dir.File("imagenet.json"), "{\"mean\": [0.485, 0.456, 0.406], \"std\": [0.229, 0.224, 0.225]}");
        Assert.Equal(defaults, Extract("json.npy", "--config", dir.File("imagenet.json")));

        var (c2, _, e2) = CliRunner.Run("neurons", "extract", "--model", dir.File("m.onnx"), "--layer", Layer, "--images", dir.File("images"), "--out", dir.File("x.npy"), "--config", dir.File("nope.yaml"));
        Assert.Equal(2, c2);
        Assert.Contains("--config", e2);
        Assert.Contains("nope.yaml: file not found", e2);
        (c2, _, e2) = CliRunner.Run("neurons", "extract", "--model", dir.File("m.onnx"), "--layer", Layer, "--inputs", Path.Combine(Fixtures, "inputs.npy"), "--out", dir.File("y.npy"), "--config", dir.File("other.yaml"));
        Assert.Equal(2, c2);
        Assert.Contains("--inputs are already preprocessed", e2);
        Assert.False(File.Exists(dir.File("y.npy")));
    }

    [Fact]
    public void Extract_killed_after_a_batch_resumes_from_the_next_batch_and_gives_the_same_file()
    {
        using var dir = new TempDir();
        var model = Path.Combine(Fixtures, "resnet_tiny.onnx");
        var inputs = Path.Combine(Fixtures, "inputs.npy");
        string[] args = ["neurons", "extract", "--model", model, "--layer", Layer, "--inputs", inputs, "--batch-size", "1"];
        var (code, _, _) = CliRunner.Run([.. args, "--out", dir.File("full.npy")]);
        Assert.Equal(0, code);
        var starts = new List<int>();
        Sightline.Cli.Commands.NeuronsDataCommands.BeforeBatch.Value = start =>
        {
            if (start == 2) throw new OperationCanceledException(); // killed before the third image
            starts.Add(start);
        };
        try { (code, _, _) = CliRunner.Run([.. args, "--out", dir.File("A.npy")]); }
        finally { Sightline.Cli.Commands.NeuronsDataCommands.BeforeBatch.Value = null; }
        Assert.NotEqual(0, code);
        Assert.True(File.Exists(dir.File("A.npy.progress.json")));
        Sightline.Cli.Commands.NeuronsDataCommands.BeforeBatch.Value = starts.Add;
        try { (code, _, var err) = CliRunner.Run([.. args, "--out", dir.File("A.npy")]); Assert.True(code == 0, err); }
        finally { Sightline.Cli.Commands.NeuronsDataCommands.BeforeBatch.Value = null; }
        Assert.Equal([0, 1, 2, 3], starts); // the second run starts at image 2, not 0
        Assert.Equal(NpyReader.Open(dir.File("full.npy")).ReadAll<float>(), NpyReader.Open(dir.File("A.npy")).ReadAll<float>());
        Assert.Equal(File.ReadAllLines(dir.File("full.rows.csv")).Skip(1).Select(l => l.Split(',')[0]), File.ReadAllLines(dir.File("A.rows.csv")).Skip(1).Select(l => l.Split(',')[0]));
    }

    [Fact]
    public void Extract_with_an_unknown_layer_is_a_one_line_input_error_naming_close_layers()
    {
        using var dir = new TempDir();
        var (code, stdout, err) = CliRunner.Run("neurons", "extract", "--model", Path.Combine(Fixtures, "resnet_tiny.onnx"),
            "--layer", "/features/features.5/relu_1/Relu_outpt_0", "--inputs", Path.Combine(Fixtures, "inputs.npy"), "--out", dir.File("A.npy"));
        Assert.True(code == 2, stdout + err);
        Assert.Contains("is not a node output", err);
        Assert.Contains(Layer, err);
        Assert.DoesNotContain("   at ", err);
        Assert.False(File.Exists(dir.File("A.npy")));
    }

    [Fact]
    public void Concepts_from_label_maps_give_presence_fraction_and_location_rows()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("masks"));
        // 4×4 map: class 1 in the top-left 2×2, class 2 in one pixel, rest background.
        var map = new byte[16];
        map[0] = map[1] = map[4] = map[5] = 1;
        map[15] = 2;
        Png.WriteGray8(Path.Combine(dir.File("masks"), "a.png"), 4, 4, map);
        var (code, _, err) = CliRunner.Run("neurons", "concepts", "--masks", dir.File("masks"), "--classes", "3", "--mode", "fraction", "--out", dir.File("C.npy"));
        Assert.True(code == 0, err);
        Assert.Equal(new[] { 4 / 16f, 1 / 16f, 0f }, NpyReader.Open(dir.File("C.npy")).ReadAll<float>());
        (code, _, err) = CliRunner.Run("neurons", "concepts", "--masks", dir.File("masks"), "--classes", "3", "--mode", "location", "--grid", "2,2", "--out", dir.File("L.npy"));
        Assert.True(code == 0, err);
        var loc = NpyReader.Open(dir.File("L.npy")).ReadAll<float>();
        Assert.Equal(new[] { 1f, 0f, 0f }, loc[..3]);
        Assert.Equal(new[] { 0f, 0.25f, 0f }, loc[9..12]);
    }

    [Fact]
    public void Concepts_from_labels_are_one_hot_and_out_of_range_labels_are_rejected()
    {
        using var dir = new TempDir();
        Npy.Write<long>(dir.File("l.npy"), new long[] { 2, 0 }, 2);
        var (code, _, _) = CliRunner.Run("neurons", "concepts", "--labels", dir.File("l.npy"), "--classes", "3", "--out", dir.File("C.npy"));
        Assert.Equal(0, code);
        Assert.Equal(new[] { 0f, 0, 1, 1, 0, 0 }, NpyReader.Open(dir.File("C.npy")).ReadAll<float>());
        (code, _, var err) = CliRunner.Run("neurons", "concepts", "--labels", dir.File("l.npy"), "--classes", "2", "--out", dir.File("C.npy"));
        Assert.Equal(2, code);
        Assert.Contains("outside", err);
    }
}

public sealed class NeuronsDataHelpTests
{
    [Theory]
    [InlineData("extract")]
    [InlineData("concepts")]
    [InlineData("score")]
    [InlineData("sanity")]
    public void Help_matches_the_snapshot_and_the_readme(string sub)
    {
        var (code, stdout, _) = CliRunner.Run("neurons", sub, "--help");
        Assert.Equal(0, code);
        Snapshot.Match($"neurons-{sub}-help.txt", stdout);
        var readme = File.ReadAllText(Path.Combine(AlignCommandTests.RepoRoot(), "README.md"));
        foreach (var line in stdout.Split("Options:\n", 2)[1].Split('\n', StringSplitOptions.RemoveEmptyEntries)) Assert.Contains(line.TrimEnd(), readme);
    }
}

public sealed class NeuronsCsvInputTests
{
    [Fact]
    public void Score_reads_csv_matrices_and_takes_concept_names_from_the_header()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("a.csv"), "1,0\n0,1\n1,0\n0,1\n");
        File.WriteAllText(dir.File("c.csv"), "dog,cat\n1,0\n0,1\n1,0\n0,1\n");
        var (code, _, err) = CliRunner.Run("neurons", "score", "--activations", dir.File("a.csv"), "--concepts", dir.File("c.csv"),
            "--metrics", "iou", "--alpha", "0.5", "--out", dir.File("s.csv"));
        Assert.True(code == 0, err);
        var rows = File.ReadAllLines(dir.File("s.csv"));
        Assert.Equal("neuron,concept,metric,value,reason", rows[0]);
        Assert.Contains("0,dog,iou,1,", rows);
        Assert.Contains("1,cat,iou,1,", rows);
        File.WriteAllText(dir.File("bad.csv"), "1,0\n0,x\n");
        (code, _, err) = CliRunner.Run("neurons", "score", "--activations", dir.File("bad.csv"), "--concepts", dir.File("c.csv"), "--out", dir.File("s2.csv"));
        Assert.Equal(2, code);
        Assert.Contains("bad.csv:2", err);
    }
}
