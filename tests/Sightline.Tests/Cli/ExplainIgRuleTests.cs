using Sightline.IO;

namespace Sightline.Tests.Cli;

public sealed class ExplainIgRuleTests
{
    private static readonly float[] X = [1, 2, 3, 4, /* second sample */ -1, 0.5f, 0, 2];

    [Theory]
    [InlineData("riemann_trapezoid", 4, 1.0)]            // textbook weights 1/3, halved at the ends: Σ = 1
    [InlineData("riemann_trapezoid_captum", 4, 0.75)]    // Captum's: 1/4, halved at the ends: Σ = 3/4
    [InlineData("riemann_trapezoid_captum", 10, 0.9)]
    public void Trapezoid_rules_scale_the_integrated_gradients_of_a_linear_model_by_their_weight_sum(string rule, int steps, double weightSum)
    {
        // Flatten → Gemm: the gradient of logit t is W[t] everywhere on the path, so IG_j = x_j · W[t, j] · Σ_k w_k.
        using var dir = new TempDir();
        var model = Sightline.Onnx.Tests.TestModels.FlattenGemm("N").Save(dir.Path, "linear.onnx");
        Npy.Write<float>(dir.File("x.npy"), X, 2, 1, 2, 2);
        var (code, stdout, err) = CliRunner.Run("explain", "--model", model, "--inputs", dir.File("x.npy"), "--method", "integrated_gradients",
            "--ig-rule", rule, "--steps", $"{steps}", "--target", "2", "--backend", "torch", "--out", dir.File("ig.npy"));
        Assert.True(code == 0, stdout + err);
        var got = NpyReader.Open(dir.File("ig.npy")).ReadAll<float>();
        var w = Sightline.Onnx.Tests.TestModels.GemmW;
        for (int n = 0; n < 2; n++)
            for (int j = 0; j < 4; j++) Assert.Equal(X[n * 4 + j] * w[2 * 4 + j] * weightSum, got[n * 4 + j], 1e-6);
    }

    [Fact]
    public void Captums_trapezoid_rule_with_one_step_is_refused_before_any_output_is_written()
    {
        using var dir = new TempDir();
        var model = Sightline.Onnx.Tests.TestModels.FlattenGemm("N").Save(dir.Path, "linear.onnx");
        Npy.Write<float>(dir.File("x.npy"), X, 2, 1, 2, 2);
        var (code, _, err) = CliRunner.Run("explain", "--model", model, "--inputs", dir.File("x.npy"), "--method", "integrated_gradients",
            "--ig-rule", "riemann_trapezoid_captum", "--steps", "1", "--out", dir.File("ig.npy"));
        Assert.Equal(2, code);
        Assert.Contains("--steps", err);
        Assert.False(File.Exists(dir.File("ig.npy")));
    }
}
