using Sightline.IO;
using B = Sightline.Onnx.Tests.OnnxBuilder;

namespace Sightline.Tests.Cli;

/// <summary>Models Sightline cannot explain correctly are refused at load, on both back ends, with one line naming the file and the shape.</summary>
public sealed class ExplainModelShapeTests
{
    private static readonly float[] Filters = [1, -1, 0.5f, 2];

    /// <summary>x: N×1×4×4 → Conv(4 filters 1×1) → N×4×4×4, a segmentation-like output (declared, or left symbolic).</summary>
    private static string SegmentationModel(TempDir dir, bool declared)
    {
        var b = new B().Input("x", "N", 1L, 4L, 4L).Floats("w", [4, 1, 1, 1], Filters)
            .Node("Conv", ["x", "w"], ["seg"], "conv", B.IntsAttr("kernel_shape", 1, 1));
        b = declared ? b.Output("seg", "N", 4L, 4L, 4L) : b.Output("seg", "N", "K", "h", "w");
        return b.Save(dir.Path, declared ? "seg.onnx" : "seg_symbolic.onnx");
    }

    [Theory]
    [InlineData("occlusion", "onnxruntime", true)]
    [InlineData("saliency", "torch", true)]
    [InlineData("occlusion", "onnxruntime", false)]
    [InlineData("saliency", "torch", false)]
    public void A_segmentation_output_is_refused_naming_the_file_and_the_shape(string method, string backend, bool declared)
    {
        using var dir = new TempDir();
        var model = SegmentationModel(dir, declared);
        Npy.Write<float>(dir.File("x.npy"), new float[2 * 16], 2, 1, 4, 4);
        var (code, stdout, err) = CliRunner.Run("explain", "--model", model, "--inputs", dir.File("x.npy"), "--method", method,
            "--window", "2", "--stride", "2", "--backend", backend, "--out", dir.File("maps.npy"));
        Assert.True(code == 2, stdout + err);
        Assert.Contains(Path.GetFileName(model), err);
        Assert.Contains("N×4×4×4", err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.False(File.Exists(dir.File("maps.npy")));
    }

    [Theory]
    [InlineData("occlusion", "onnxruntime")]
    [InlineData("saliency", "torch")]
    public void A_convolutional_head_with_an_n_by_k_by_1_by_1_output_is_a_classifier(string method, string backend)
    {
        // x: N×1×2×2 → Conv(3 filters 2×2) → N×3×1×1: logit k = Σ_j w_kj x_j, i.e. the Flatten → Gemm model without bias.
        using var dir = new TempDir();
        var model = new B().Input("x", "N", 1L, 2L, 2L).Output("logits", "N", 3L, 1L, 1L)
            .Floats("w", [3, 1, 2, 2], Sightline.Onnx.Tests.TestModels.GemmW)
            .Node("Conv", ["x", "w"], ["logits"], "head", B.IntsAttr("kernel_shape", 2, 2)).Save(dir.Path, "head.onnx");
        float[] x = [1, 2, 3, 4];
        Npy.Write<float>(dir.File("x.npy"), x, 1, 1, 2, 2);
        var (code, stdout, err) = CliRunner.Run("explain", "--model", model, "--inputs", dir.File("x.npy"), "--method", method,
            "--window", "1", "--stride", "1", "--backend", backend, "--out", dir.File("maps.npy"));
        Assert.True(code == 0, stdout + err);
        Assert.Equal(new[] { 1, 2, 2 }, NpyReader.Open(dir.File("maps.npy")).Shape);
        // Logits (1, 5, 6.5): class 2 is predicted.
        Assert.Equal("2", File.ReadAllLines(dir.File("predictions.csv"))[1].Split(',')[3]);
    }

    [Theory]
    [InlineData("occlusion", "onnxruntime")]
    [InlineData("saliency", "torch")]
    public void An_absurd_input_size_is_refused_instead_of_overflowing(string method, string backend)
    {
        using var dir = new TempDir();
        var model = new B().Input("x", "N", 3L, 100000L, 100000L).Output("y", "N", 3L)
            .Node("ReduceMean", ["x"], ["y"], "mean", B.IntsAttr("axes", 2, 3), B.IntAttr("keepdims", 0)).Save(dir.Path, "huge.onnx");
        Npy.Write<float>(dir.File("x.npy"), new float[3 * 4], 1, 3, 2, 2);
        var (code, stdout, err) = CliRunner.Run("explain", "--model", model, "--inputs", dir.File("x.npy"), "--method", method,
            "--backend", backend, "--out", dir.File("maps.npy"));
        Assert.True(code == 2, stdout + err);
        Assert.Contains("huge.onnx", err);
        Assert.Contains("3×100000×100000", err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Theory]
    [InlineData("occlusion", "onnxruntime")]
    [InlineData("saliency", "torch")]
    public void An_absurd_input_size_from_the_config_is_refused_too(string method, string backend)
    {
        using var dir = new TempDir();
        var model = Sightline.Onnx.Tests.TestModels.ConvNet("H", "W").Save(dir.Path, "dyn.onnx");
        File.WriteAllText(dir.File("dyn.json"), """{ "input_size": [100000, 100000] }""");
        Npy.Write<float>(dir.File("x.npy"), new float[9], 1, 1, 3, 3);
        var (code, stdout, err) = CliRunner.Run("explain", "--model", model, "--inputs", dir.File("x.npy"), "--method", method,
            "--backend", backend, "--out", dir.File("maps.npy"));
        Assert.True(code == 2, stdout + err);
        Assert.Contains("1×100000×100000", err);
    }

    [Theory]
    [InlineData("occlusion", "onnxruntime")]
    [InlineData("saliency", "torch")]
    public void A_dynamic_size_model_without_a_config_is_told_how_to_give_the_size(string method, string backend)
    {
        using var dir = new TempDir();
        var model = Sightline.Onnx.Tests.TestModels.ConvNet("H", "W").Save(dir.Path, "dyn.onnx");
        Npy.Write<float>(dir.File("x.npy"), new float[9], 1, 1, 3, 3);
        var (code, stdout, err) = CliRunner.Run("explain", "--model", model, "--inputs", dir.File("x.npy"), "--method", method,
            "--backend", backend, "--out", dir.File("maps.npy"));
        Assert.True(code == 2, stdout + err);
        Assert.Contains("dyn.onnx", err);
        Assert.Contains("\"input_size\": [H, W]", err);
        Assert.Contains("dyn.json", err);
        Assert.Contains("--config", err);
    }

    [Theory]
    [InlineData("occlusion", "onnxruntime")]
    [InlineData("saliency", "torch")]
    public void A_channels_last_model_with_a_dynamic_size_is_told_to_fix_the_size_not_the_channels(string method, string backend)
    {
        using var dir = new TempDir();
        var model = new B().Input("x", "N", "H", "W", 3L).Output("y", "N", 3L)
            .Node("ReduceMean", ["x"], ["y"], "mean", B.IntsAttr("axes", 1, 2), B.IntAttr("keepdims", 0)).Save(dir.Path, "tf.onnx");
        Npy.Write<float>(dir.File("x.npy"), new float[12], 1, 3, 2, 2);
        var (code, stdout, err) = CliRunner.Run("explain", "--model", model, "--inputs", dir.File("x.npy"), "--method", method,
            "--backend", backend, "--out", dir.File("maps.npy"));
        Assert.True(code == 2, stdout + err);
        Assert.Contains("tf.onnx", err);
        Assert.Contains("channels-last", err);
        Assert.DoesNotContain("channel count", err);
    }
}
