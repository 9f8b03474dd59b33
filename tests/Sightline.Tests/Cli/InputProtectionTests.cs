using Sightline.Data;
using Sightline.IO;

namespace Sightline.Tests.Cli;

/// <summary>Issue 9 §1–§4 on real CLI runs: no command destroys its input, outputs are whole, errors are one line.</summary>
public sealed class InputProtectionTests
{
    private static string F(string name) => Path.Combine(AlignCommandTests.RepoRoot(), "tests", "fixtures", "models", name);

    private static string[] Occlusion(string model, string inputs, string output, params string[] more) =>
        ["explain", "--model", model, "--inputs", inputs, "--method", "occlusion", "--window", "8", "--stride", "8", "--backend", "onnxruntime", "--out", output, .. more];

    private static void AssertOneLineError(int code, string err, params string[] mentions)
    {
        Assert.True(code == 2, $"exit {code}: {err}");
        var line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("sightline: error: ", line);
        foreach (var m in mentions) Assert.Contains(m, line);
    }

    private static (string Dir, string Inputs) CopyInputs(TempDir dir)
    {
        var inputs = dir.File("x.npy");
        File.Copy(F("inputs.npy"), inputs);
        return (dir.Path, inputs);
    }

    [Fact]
    public void Explain_refuses_to_write_over_its_inputs_or_one_output_over_another()
    {
        using var dir = new TempDir();
        var (_, inputs) = CopyInputs(dir);
        var before = File.ReadAllBytes(inputs);
        var (code, _, err) = CliRunner.Run(Occlusion(F("vgg_tiny.onnx"), inputs, inputs));
        AssertOneLineError(code, err, "--out", "--inputs");
        (code, _, err) = CliRunner.Run(Occlusion(F("vgg_tiny.onnx"), inputs, dir.File("maps.npy"), "--predictions", inputs));
        AssertOneLineError(code, err, "--predictions", "--inputs");
        File.Copy(F("vgg_tiny.onnx"), dir.File("m.onnx"));
        (code, _, err) = CliRunner.Run(Occlusion(dir.File("m.onnx"), inputs, dir.File("maps.npy"), "--predictions", dir.File("m.onnx")));
        AssertOneLineError(code, err, "--predictions", "--model");
        (code, _, err) = CliRunner.Run("explain", "--model", F("vgg_tiny.onnx"), "--inputs", inputs, "--method", "integrated_gradients",
            "--baseline", dir.File("maps.npy"), "--out", dir.File("maps.npy"));
        AssertOneLineError(code, err, "--out", "--baseline");
        File.CreateSymbolicLink(dir.File("alias.npy"), inputs);
        (code, _, err) = CliRunner.Run(Occlusion(F("vgg_tiny.onnx"), inputs, dir.File("alias.npy")));
        AssertOneLineError(code, err, "--out", "--inputs");
        Assert.Equal(before, File.ReadAllBytes(inputs));
        Assert.Equal([dir.File("alias.npy"), dir.File("m.onnx"), inputs], Directory.GetFiles(dir.Path).Order());
    }

    [Fact]
    public void Align_refuses_one_file_for_scores_and_summary_and_report_refuses_a_results_file()
    {
        using var dir = new TempDir();
        var examples = Path.Combine(AlignCommandTests.RepoRoot(), "examples", "align");
        var (code, _, err) = CliRunner.Run("align", "--saliency", Path.Combine(examples, "saliency.npy"), "--masks", Path.Combine(examples, "masks.npy"),
            "--out", dir.File("s.json"), "--summary", dir.File("s.json"));
        AssertOneLineError(code, err, "--out", "--summary");
        Assert.False(File.Exists(dir.File("s.json")));
        (code, _, err) = CliRunner.Run("align", "--saliency", Path.Combine(examples, "saliency.npy"), "--masks", Path.Combine(examples, "masks.npy"),
            "--out", dir.File("scores.csv"));
        Assert.True(code == 0, err);
        var scores = File.ReadAllBytes(dir.File("scores.csv"));
        (code, _, err) = CliRunner.Run("report", dir.Path, "--out", dir.File("scores.csv"));
        AssertOneLineError(code, err, "--out");
        (code, _, err) = CliRunner.Run("align", "--saliency", dir.File("scores.csv"), "--masks", Path.Combine(examples, "masks.npy"), "--out", dir.File("scores.csv"));
        AssertOneLineError(code, err, "--out", "--saliency");
        Assert.Equal(scores, File.ReadAllBytes(dir.File("scores.csv")));
    }

    [Fact]
    public void An_output_under_a_file_is_one_line_exit_2_for_every_writer()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("plain"), "not a folder");
        var examples = Path.Combine(AlignCommandTests.RepoRoot(), "examples", "align");
        var (code, _, err) = CliRunner.Run("align", "--saliency", Path.Combine(examples, "saliency.npy"), "--masks", Path.Combine(examples, "masks.npy"),
            "--out", Path.Combine(dir.File("plain"), "scores.csv"));
        AssertOneLineError(code, err, "is a file, not a folder");
        (code, _, err) = CliRunner.Run("align", "--saliency", Path.Combine(examples, "saliency.npy"), "--masks", Path.Combine(examples, "masks.npy"),
            "--out", dir.File("ok.csv"), "--summary", Path.Combine(dir.File("plain"), "s.json"));
        AssertOneLineError(code, err, "is a file, not a folder");
        (code, _, err) = CliRunner.Run(Occlusion(F("vgg_tiny.onnx"), F("inputs.npy"), Path.Combine(dir.File("plain"), "maps.npy")));
        AssertOneLineError(code, err, "is a file, not a folder");
        (code, _, err) = CliRunner.Run(Occlusion(F("vgg_tiny.onnx"), F("inputs.npy"), dir.File("m.npy"), "--overlays", Path.Combine(dir.File("plain"), "ov")));
        AssertOneLineError(code, err, "--overlays", "is a file, not a folder");
        Assert.False(File.Exists(dir.File("m.npy.partial")));
        (code, _, err) = CliRunner.Run("report", dir.Path, "--out", Path.Combine(dir.File("plain"), "r.html"));
        AssertOneLineError(code, err, "is a file, not a folder");
        (code, _, err) = CliRunner.Run(Occlusion(F("vgg_tiny.onnx"), F("inputs.npy"), "/dev/full.npy"));
        AssertOneLineError(code, err, "--out");
    }

    [Fact]
    public void A_second_explain_on_an_output_being_written_exits_2_at_once_naming_the_holder()
    {
        using var dir = new TempDir();
        var output = dir.File("maps.npy");
        using (OutputLock.Acquire(output))
        {
            var (code, _, err) = CliRunner.Run(Occlusion(F("vgg_tiny.onnx"), F("inputs.npy"), output));
            AssertOneLineError(code, err, $"another sightline run is writing {output} (pid {Environment.ProcessId})");
            Assert.False(File.Exists(output + ".partial"));
        }
        var (ok, _, e2) = CliRunner.Run(Occlusion(F("vgg_tiny.onnx"), F("inputs.npy"), output));
        Assert.True(ok == 0, e2);
        Assert.False(File.Exists(output + ".lock"));
        Assert.True(File.Exists(output + ".sightline.json"));
    }

    [Fact]
    public void Explain_recomputes_when_the_inputs_change_with_the_same_size_and_date()
    {
        using var dir = new TempDir();
        var (_, inputs) = CopyInputs(dir);
        var output = dir.File("maps.npy");
        var (code, _, err) = CliRunner.Run(Occlusion(F("vgg_tiny.onnx"), inputs, output));
        Assert.True(code == 0, err);
        var first = File.ReadAllBytes(output);
        // Other data, same shape, same size, same modification time.
        var date = File.GetLastWriteTimeUtc(inputs);
        using (var r = NpyReader.Open(inputs))
        {
            var x = r.ReadAll<float>();
            for (int i = 0; i < x.Length; i++) x[i] = -x[i] + 0.25f;
            r.Dispose();
            Npy.Write<float>(inputs, x, [.. r.Shape]);
        }
        File.SetLastWriteTimeUtc(inputs, date);
        string stdout;
        (code, stdout, err) = CliRunner.Run(Occlusion(F("vgg_tiny.onnx"), inputs, output));
        Assert.True(code == 0, err);
        Assert.DoesNotContain("Already complete", stdout);
        Assert.NotEqual(first, File.ReadAllBytes(output));
        (code, stdout, _) = CliRunner.Run(Occlusion(F("vgg_tiny.onnx"), inputs, output));
        Assert.Contains("Already complete", stdout);
    }

    [Fact]
    public void Explain_flags_a_non_finite_input_sample_and_a_truncated_image()
    {
        using var dir = new TempDir();
        float[] x;
        int[] shape;
        using (var r = NpyReader.Open(F("inputs.npy"))) { x = r.ReadAll<float>(); shape = [.. r.Shape]; }
        x[1 * shape[1] * shape[2] * shape[3] + 7] = float.NaN;
        Npy.Write<float>(dir.File("x.npy"), x, shape);
        var (code, _, err) = CliRunner.Run(Occlusion(F("vgg_tiny.onnx"), dir.File("x.npy"), dir.File("maps.npy")));
        Assert.True(code == 1, err);
        var rows = File.ReadAllLines(dir.File("predictions.csv"));
        Assert.EndsWith("the input holds NaN or infinite values", rows[2]);
        Assert.EndsWith(",", rows[1]);
        var maps = NpyReader.Open(dir.File("maps.npy")).ReadAll<float>();
        int per = maps.Length / shape[0];
        Assert.All(maps.AsSpan(per, per).ToArray(), v => Assert.True(float.IsNaN(v)));
        Assert.All(maps.AsSpan(0, per).ToArray(), v => Assert.True(float.IsFinite(v)));

        // A PNG cut in the middle of its image data is a failed sample, not a black image.
        Directory.CreateDirectory(dir.File("images"));
        var px = new byte[32 * 32 * 4];
        new Random(1).NextBytes(px);
        ImageDecoder.WritePng(dir.File("images/a.png"), 32, 32, px);
        ImageDecoder.WritePng(dir.File("images/b.png"), 32, 32, px);
        var bytes = File.ReadAllBytes(dir.File("images/b.png"));
        File.WriteAllBytes(dir.File("images/b.png"), bytes[..(bytes.Length / 2)]);
        (code, _, err) = CliRunner.Run("explain", "--model", F("vgg_tiny.onnx"), "--images", dir.File("images"), "--method", "occlusion",
            "--window", "8", "--stride", "8", "--backend", "onnxruntime", "--out", dir.File("img/maps.npy"));
        Assert.True(code == 1, err);
        rows = File.ReadAllLines(dir.File("img/predictions.csv"));
        Assert.EndsWith(",", rows[1]);
        Assert.Contains("truncated or corrupt image", rows[2]);
    }

    [Fact]
    public void Zero_samples_and_nonsense_options_are_refused()
    {
        using var dir = new TempDir();
        Npy.Write<float>(dir.File("empty.npy"), [], 0, 3, 32, 32);
        var (code, _, err) = CliRunner.Run(Occlusion(F("vgg_tiny.onnx"), dir.File("empty.npy"), dir.File("maps.npy")));
        AssertOneLineError(code, err, "no samples in");
        Assert.Equal([dir.File("empty.npy")], Directory.GetFiles(dir.Path));
        Npy.Write<float>(dir.File("s0.npy"), [], 0, 4, 4);
        Npy.Write<bool>(dir.File("m0.npy"), [], 0, 4, 4);
        (code, _, err) = CliRunner.Run("align", "--saliency", dir.File("s0.npy"), "--masks", dir.File("m0.npy"), "--out", dir.File("o.csv"));
        AssertOneLineError(code, err, "no samples in");

        var examples = Path.Combine(AlignCommandTests.RepoRoot(), "examples", "align");
        string[] align = ["align", "--saliency", Path.Combine(examples, "saliency.npy"), "--masks", Path.Combine(examples, "masks.npy"), "--out", dir.File("o.csv")];
        foreach (var (opt, value) in new[] { ("--bootstrap", "-1"), ("--threads", "-3"), ("--metrics", ""), ("--metrics", " , ") })
        {
            (code, _, err) = CliRunner.Run([.. align, opt, value]);
            AssertOneLineError(code, err, opt);
        }
        foreach (var extra in new[] { new[] { "--batch-size", "-1" }, ["--noise-level", "-1"], ["--images", dir.Path] })
        {
            (code, _, err) = CliRunner.Run(Occlusion(F("vgg_tiny.onnx"), F("inputs.npy"), dir.File("maps.npy"), extra));
            AssertOneLineError(code, err, extra[0]);
        }
        Assert.False(File.Exists(dir.File("o.csv")));
        Assert.False(File.Exists(dir.File("maps.npy")));
    }

    [Fact]
    public void A_huge_png_mask_is_refused_from_its_header_before_decoding()
    {
        using var dir = new TempDir();
        Npy.Write<float>(dir.File("s.npy"), new float[2 * 8 * 8], 2, 8, 8);
        Directory.CreateDirectory(dir.File("masks"));
        // Valid PNG headers claiming 20000×20000 pixels, with no image data: only the header may be read.
        foreach (var name in new[] { "a.png", "b.png" })
        {
            var png = new byte[33];
            new byte[] { 137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R' }.CopyTo(png, 0);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), 20000);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), 20000);
            png[24] = 8;
            File.WriteAllBytes(dir.File("masks/" + name), png);
        }
        var (code, _, err) = CliRunner.Run("align", "--saliency", dir.File("s.npy"), "--masks", dir.File("masks"), "--out", dir.File("o.csv"));
        AssertOneLineError(code, err, "20000");
    }
}

public sealed class DemoOptionTests
{
    [Fact]
    public void Demo_refuses_more_samples_than_the_test_set_holds_instead_of_cutting_silently()
    {
        using var dir = new TempDir();
        var (code, _, err) = CliRunner.Run("demo", "--data", dir.File("no-such-dir"), "--out", dir.File("o"), "--train-size", "100", "--samples", "100000000");
        Assert.Equal(2, code);
        Assert.Contains("--samples 100000000: the shapes test set has 4000 images; give at most 4000.", err);
    }

    [Fact]
    public void Demo_refuses_to_write_into_its_data_folder()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("train-images-idx3-ubyte"), "x");
        var (code, _, err) = CliRunner.Run("demo", "--data", dir.Path, "--out", dir.Path);
        Assert.Equal(2, code);
        Assert.Contains("--out", err);
        Assert.Contains("--data", err);
        Assert.Equal([dir.File("train-images-idx3-ubyte")], Directory.GetFiles(dir.Path));
    }
}
