using Sightline.IO;
using B = Sightline.Onnx.Tests.OnnxBuilder;

namespace Sightline.Tests.Cli;

public sealed class ExplainNhwcCamTests
{
    /// <summary>
    /// x: N×8×8×3 (TensorFlow layout) → Transpose → Conv(5 filters 3×3, stride 2, pad 1) "conv" (N×5×4×4) → Relu "relu"
    /// → Transpose back to channels-last "relu_nhwc" (N×4×4×5) → ReduceMean over H, W → Gemm → N×3, as tf2onnx exports a
    /// Keras model. <paramref name="nhwc"/> false gives the N×3×8×8 twin (no input Transpose).
    /// </summary>
    internal static string ConvModel(TempDir dir, bool nhwc)
    {
        var rng = new Random(11);
        float[] R(int n) => [.. Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
        var b = new B().Output("logits", "N", 3L)
            .Floats("conv.w", [5, 3, 3, 3], R(135)).Floats("conv.b", [5], R(5))
            .Floats("fc.w", [3, 5], R(15)).Floats("fc.b", [3], R(3));
        b = nhwc
            ? b.Input("x", "N", 8L, 8L, 3L).Node("Transpose", ["x"], ["xt"], "to_nchw", B.IntsAttr("perm", 0, 3, 1, 2))
            : b.Input("xt", "N", 3L, 8L, 8L);
        b = b.Node("Conv", ["xt", "conv.w", "conv.b"], ["conv"], "conv", B.IntsAttr("kernel_shape", 3, 3), B.IntsAttr("strides", 2, 2), B.IntsAttr("pads", 1, 1, 1, 1))
            .Node("Relu", ["conv"], ["relu"], "relu")
            .Node("Transpose", ["relu"], ["relu_nhwc"], "to_nhwc", B.IntsAttr("perm", 0, 2, 3, 1))
            .Node("ReduceMean", ["relu_nhwc"], ["pooled"], "gap", B.IntsAttr("axes", 1, 2), B.IntAttr("keepdims", 0))
            .Node("Gemm", ["pooled", "fc.w", "fc.b"], ["logits"], "fc", B.IntAttr("transB", 1));
        var sub = dir.File(nhwc ? "nhwc" : "nchw");
        Directory.CreateDirectory(sub);
        return b.Save(sub, "m.onnx");
    }

    [Theory]
    [InlineData("gradcam", "torch", "relu")]
    [InlineData("gradcam", "torch", "relu_nhwc")]
    [InlineData("eigencam", "onnxruntime", "relu")]
    [InlineData("eigencam", "onnxruntime", "relu_nhwc")]
    [InlineData("scorecam", "onnxruntime", "relu")]
    [InlineData("scorecam", "onnxruntime", "relu_nhwc")]
    [InlineData("eigencam", "torch", "relu_nhwc")]
    [InlineData("scorecam", "torch", "relu")]
    [InlineData("ablationcam", "torch", "relu_nhwc")]   // replaces the layer's output: activations go back channels-last
    [InlineData("gradcam_plus_plus", "torch", "relu_nhwc")]
    public void Cam_maps_of_an_nhwc_model_equal_those_of_its_nchw_twin_at_input_resolution(string method, string backend, string layer)
    {
        using var dir = new TempDir();
        var nhwc = ConvModel(dir, nhwc: true);
        var nchw = ConvModel(dir, nhwc: false);
        var rng = new Random(5);
        Npy.Write<float>(dir.File("x.npy"), [.. Enumerable.Range(0, 4 * 192).Select(_ => (float)rng.NextDouble())], 4, 3, 8, 8);
        string[] run = ["--inputs", dir.File("x.npy"), "--method", method, "--backend", backend];
        var (code, stdout, err) = CliRunner.Run(["explain", "--model", nhwc, "--layer", layer, "--out", dir.File("a/a.npy"), .. run]);
        Assert.True(code == 0, stdout + err);
        // The twin's channels-last layer is read as its channels-first source, which holds the same values.
        (code, stdout, err) = CliRunner.Run(["explain", "--model", nchw, "--layer", "relu", "--out", dir.File("b/b.npy"), .. run]);
        Assert.True(code == 0, stdout + err);
        using var a = NpyReader.Open(dir.File("a/a.npy"));
        Assert.Equal(new[] { 4, 8, 8 }, a.Shape);
        var want = NpyReader.Open(dir.File("b/b.npy")).ReadAll<float>();
        var got = a.ReadAll<float>();
        Assert.Contains(want, v => v > 0.01f);
        for (int i = 0; i < want.Length; i++) Assert.True(Math.Abs(want[i] - got[i]) < 1e-5, $"{i}: {got[i]} vs {want[i]}");
    }
}
