using Sightline.IO;

namespace Sightline.Tests.Cli;

public sealed class ExplainOcclusionCaptumTests
{
    private static string F(string name) => Path.Combine(AlignCommandTests.RepoRoot(), "tests", "fixtures", "models", name);

    [Theory]
    [InlineData("resnet_tiny", 15, 8, "onnxruntime")]   // windows at 0, 8, 16, 24 on 32: the last is cut to 8 pixels
    [InlineData("vgg_tiny", 15, 8, "torch")]
    [InlineData("resnet_tiny", 8, 8, "torch")]          // exact tiling
    [InlineData("vgg_tiny", 8, 8, "onnxruntime")]
    public void Occlusion_matches_captum_on_the_fixture_models(string model, int window, int stride, string backend)
    {
        // The references are Captum's Occlusion(sliding_window_shapes=(3, s, s), strides=(3, d, d), baselines=0) with
        // target = the fixture's targets (tools/fixtures/generate.py, occlusion_captum), per channel.
        using var dir = new TempDir();
        var (code, stdout, err) = CliRunner.Run("explain", "--model", F($"{model}.onnx"), "--inputs", F("inputs.npy"), "--method", "occlusion",
            "--window", $"{window}", "--stride", $"{stride}", "--channel-reduce", "none", "--backend", backend, "--out", dir.File("occ.npy"));
        Assert.True(code == 0, stdout + err);
        using var got = NpyReader.Open(dir.File("occ.npy"));
        Assert.Equal(new[] { 4, 3, 32, 32 }, got.Shape);
        var a = got.ReadAll<float>();
        var want = NpyReader.Open(F($"{model}.occlusion_w{window}_s{stride}.npy")).ReadAll<float>();
        var targets = NpyReader.Open(F($"{model}.targets.npy")).ReadAll<long>();
        var rows = File.ReadAllLines(dir.File("predictions.csv")).Skip(1).Select(l => l.Split(',')[5]).ToArray();
        Assert.Equal(targets.Select(t => t.ToString()), rows);
        double num = 0, den = 0, maxAbs = 0;
        for (int i = 0; i < want.Length; i++)
        {
            double d = a[i] - (double)want[i];
            num += d * d;
            den += want[i] * (double)want[i];
            maxAbs = Math.Max(maxAbs, Math.Abs(d));
        }
        Assert.True(maxAbs <= 1e-5 && Math.Sqrt(num / den) <= 1e-5, $"max abs {maxAbs:E2}, relative L2 {Math.Sqrt(num / den):E2}");
    }
}
