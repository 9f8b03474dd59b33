using System.Globalization;

namespace Sightline.Tests.Cli;

/// <summary><c>qge-check</c> and <c>evaluate-sanity</c> on a real ONNX model: tables, per-sample rows, refusals, help.</summary>
public sealed class QgeCheckCommandTests
{
    private static string F(string name) => Path.Combine(AlignCommandTests.RepoRoot(), "tests", "fixtures", "models", name);

    private static string[] Common(string command) => [command, "--model", F("resnet_tiny.onnx"), "--inputs", F("inputs.npy"), "--saliency", F("resnet_tiny.grad.npy"),
        "--metrics", "sparseness,pixel_flipping", "--param", "pixel_flipping.features_in_step=64"];

    [Theory]
    [InlineData("qge-check")]
    [InlineData("evaluate-sanity")]
    public void Help_matches_the_snapshot(string command)
    {
        var (code, stdout, _) = CliRunner.Run(command, "--help");
        Assert.Equal(0, code);
        Snapshot.Match($"{command}-help.txt", stdout);
    }

    [Fact]
    public void Qge_check_writes_per_sample_estimators_and_the_estimator_table_and_refuses_a_pool_of_one()
    {
        using var dir = new TempDir();
        var (code, stdout, err) = CliRunner.Run([.. Common("qge-check"), "--pool", "20", "--out", dir.File("r.csv")]);
        Assert.True(code == 0, err);
        Assert.Contains("Δτ", stdout);
        var table = File.ReadAllLines(dir.File("r.csv"));
        Assert.StartsWith("metric,estimator,evaluations,n,kendall_tau,spearman_rho,correct_pairs,delta_tau,auc_z_0.5_1", table[0]);
        Assert.Equal(1 + 2 * 12, table.Length);
        Assert.Contains(table, l => l.StartsWith("pixel_flipping,qbas_10,11,4,", StringComparison.Ordinal));
        var samples = File.ReadAllLines(dir.File("r.samples.csv"));
        var header = samples[0].Split(',');
        int psi = Array.IndexOf(header, "pixel_flipping"), inv = Array.IndexOf(header, "pixel_flipping_inverse"), qge = Array.IndexOf(header, "pixel_flipping_qge");
        Assert.True(psi > 0 && inv > 0 && qge > 0);
        Assert.Contains("sparseness_z", header);
        foreach (var line in samples.Skip(1))
        {
            var c = line.Split(',').Select(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) ? x : double.NaN).ToArray();
            // pixel_flipping is lower-is-better: qge-check signs QGE so that higher is better.
            Assert.Equal(-(c[psi] - c[inv]), c[qge], 9);
            // Sparseness sees only the multiset of values: the inverse scores the same and every ranking too (no z).
            Assert.Equal(0, c[Array.IndexOf(header, "sparseness_qge")], 12);
            Assert.True(double.IsNaN(c[Array.IndexOf(header, "sparseness_z")]));
        }
        (code, stdout, _) = CliRunner.Run([.. Common("qge-check"), "--pool", "20", "--out", dir.File("r.csv")]);
        Assert.Equal(0, code);
        Assert.Contains("Already complete", stdout);
        (code, _, err) = CliRunner.Run([.. Common("qge-check"), "--pool", "1", "--out", dir.File("p.csv")]);
        Assert.Equal(2, code);
        Assert.Contains("--pool 1", err);
    }

    [Fact]
    public void Evaluate_sanity_finds_that_sparseness_ignores_missing_evidence()
    {
        using var dir = new TempDir();
        var (code, _, err) = CliRunner.Run([.. Common("evaluate-sanity"), "--pool", "10", "--out", dir.File("s.csv")]);
        Assert.True(code == 0, err);
        var lines = File.ReadAllLines(dir.File("s.csv"));
        Assert.Equal("metric,samples,missing_evidence_worse,extra_evidence_worse,inverse_eligible,inverse_better,missing_evidence_pass,extra_evidence_pass,inverse_pass,verdict", lines[0]);
        var sparseness = lines.Single(l => l.StartsWith("sparseness,", StringComparison.Ordinal));
        // Value swap keeps the multiset, so the inverse scores exactly as e: sparseness cannot tell them apart.
        Assert.Contains("fail", sparseness);
        Assert.Contains("inverse", sparseness);
        Assert.StartsWith("pixel_flipping,4,100,", lines.Single(l => l.StartsWith("pixel_flipping,", StringComparison.Ordinal)));
        (code, _, err) = CliRunner.Run([.. Common("evaluate-sanity"), "--percent", "100", "--out", dir.File("b.csv")]);
        Assert.Equal(2, code);
        Assert.Contains("--percent 100", err);
    }
}
