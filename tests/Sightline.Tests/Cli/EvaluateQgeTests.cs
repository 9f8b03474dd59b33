using System.Globalization;

namespace Sightline.Tests.Cli;

public sealed class EvaluateQgeTests
{
    private static string F(string name) => Path.Combine(AlignCommandTests.RepoRoot(), "tests", "fixtures", "models", name);

    private static double[][] Rows(string csv, out string[] header)
    {
        var lines = File.ReadAllLines(csv);
        header = lines[0].Split(',');
        return [.. lines.Skip(1).Select(l => l.Split(',').Take(lines[0].Split(',').Length).Select(c => double.TryParse(c, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN).ToArray())];
    }

    [Fact]
    public void Evaluate_qge_writes_psi_inverse_and_gap_per_metric_and_sign_flip_is_refused_for_abs_metrics()
    {
        using var dir = new TempDir();
        string[] common = ["evaluate", "--model", F("resnet_tiny.onnx"), "--inputs", F("inputs.npy"), "--saliency", F("resnet_tiny.grad.npy"),
            "--metrics", "sparseness,pixel_flipping", "--param", "pixel_flipping.features_in_step=64"];
        var (code, _, err) = CliRunner.Run([.. common, "--qge", "--out", dir.File("q.csv")]);
        Assert.True(code == 0, err);
        var rows = Rows(dir.File("q.csv"), out var header);
        Assert.Equal(["index", "target", "sparseness", "sparseness_inverse", "sparseness_qge", "pixel_flipping", "pixel_flipping_inverse", "pixel_flipping_qge"], header.Take(8));
        foreach (var r in rows)
        {
            Assert.Equal(r[2] - r[3], r[4], 9);
            Assert.Equal(r[5] - r[6], r[7], 9);
            Assert.InRange(r[3], 0, 1);
        }
        // Without QGE the main columns are the same numbers.
        (code, _, err) = CliRunner.Run([.. common, "--out", dir.File("plain.csv")]);
        Assert.True(code == 0, err);
        var plain = Rows(dir.File("plain.csv"), out _);
        for (int i = 0; i < rows.Length; i++)
        {
            Assert.Equal(plain[i][2], rows[i][2], 12);
            Assert.Equal(plain[i][3], rows[i][5], 12);
        }
        (code, _, err) = CliRunner.Run([.. common, "--qge", "sign_flip", "--out", dir.File("s.csv")]);
        Assert.Equal(2, code);
        Assert.Contains("--qge sign_flip: metric 'sparseness' scores |a|", err);
        Assert.False(File.Exists(dir.File("s.csv")));
    }
}
