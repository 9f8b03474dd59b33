using Sightline.IO;
using Sightline.Tests.Cli;

namespace Sightline.Tests.Neurons;

public sealed class NeuronsCommandTests
{
    private static void WriteInputs(TempDir dir, int n = 40)
    {
        var a = new float[n * 2];
        var c = new float[n * 3];
        for (int i = 0; i < n; i++)
        {
            a[i * 2] = i % 4 == 0 ? 1f + i * 0.001f : 0.1f * (i % 3);
            a[i * 2 + 1] = (float)Math.Sin(i);
            c[i * 3] = i % 4 == 0 ? 1 : 0;
            c[i * 3 + 1] = i % 2;
            c[i * 3 + 2] = 0; // all-zero concept
        }
        Npy.Write<float>(dir.File("a.npy"), a, n, 2);
        Npy.Write<float>(dir.File("c.npy"), c, n, 3);
    }

    [Theory]
    [InlineData("inverse_auc")]
    [InlineData("all")]
    public void Float32_files_read_in_place_score_exactly_as_their_float64_copies(string metrics)
    {
        using var dir = new TempDir();
        var rng = new Random(5);
        int n = 300, k = 19, m = 21;
        var a = new float[n * k];
        var c = new float[n * m];
        for (int i = 0; i < a.Length; i++) a[i] = i % 3 == 0 ? 0 : MathF.Round((float)rng.NextDouble() * 4 - 1, 2);
        for (int i = 0; i < c.Length; i++) c[i] = rng.Next(5) == 0 ? 1 : i % 7 == 0 ? (float)rng.NextDouble() : 0;
        Npy.Write<float>(dir.File("a.npy"), a, n, k);
        Npy.Write<float>(dir.File("c.npy"), c, n, m);
        Npy.Write<double>(dir.File("a64.npy"), [.. a.Select(x => (double)x)], n, k);
        Npy.Write<double>(dir.File("c64.npy"), [.. c.Select(x => (double)x)], n, m);
        var (code, _, err) = CliRunner.Run("neurons", "score", "--activations", dir.File("a.npy"), "--concepts", dir.File("c.npy"),
            "--metrics", metrics, "--out", dir.File("s32.npy"));
        Assert.True(code == 0, err);
        (code, _, err) = CliRunner.Run("neurons", "score", "--activations", dir.File("a64.npy"), "--concepts", dir.File("c64.npy"),
            "--metrics", metrics, "--out", dir.File("s64.npy"));
        Assert.True(code == 0, err);
        Assert.Equal(File.ReadAllBytes(dir.File("s64.npy")), File.ReadAllBytes(dir.File("s32.npy")));
    }

    [Fact]
    public void A_non_finite_value_in_a_float32_file_read_in_place_is_named_with_the_file()
    {
        using var dir = new TempDir();
        var a = new float[40 * 20];
        a[333] = float.NaN;
        Npy.Write<float>(dir.File("a.npy"), a, 40, 20);
        Npy.Write<float>(dir.File("c.npy"), new float[40 * 3], 40, 3);
        var (code, _, err) = CliRunner.Run("neurons", "score", "--activations", dir.File("a.npy"), "--concepts", dir.File("c.npy"),
            "--metrics", "inverse_auc", "--out", dir.File("s.npy"));
        Assert.Equal(2, code);
        Assert.Contains(dir.File("a.npy") + ": Activations: value NaN at input 16, neuron 13 is not finite", err);
        Assert.False(File.Exists(dir.File("s.npy")));
    }

    [Fact]
    public void Score_writes_a_metrics_by_neurons_by_concepts_npy_that_reads_back()
    {
        using var dir = new TempDir();
        WriteInputs(dir);
        var (code, _, err) = CliRunner.Run("neurons", "score", "--activations", dir.File("a.npy"), "--concepts", dir.File("c.npy"),
            "--alpha", "0.25", "--metrics", "iou,correlation", "--out", dir.File("s.npy"));
        Assert.True(code == 0, err);
        using var r = NpyReader.Open(dir.File("s.npy"));
        Assert.Equal([2, 2, 3], r.Shape);
        var v = r.ReadAll<double>();
        Assert.Equal(1.0, v[0], 1e-12); // neuron 0 fires exactly on concept 0
        Assert.Equal(["iou", "correlation"], File.ReadAllLines(dir.File("s.npy.metrics.txt")));
        var (code1, _, _) = CliRunner.Run("neurons", "score", "--activations", dir.File("a.npy"), "--concepts", dir.File("c.npy"),
            "--metrics", "iou", "--out", dir.File("one.npy"));
        Assert.Equal(0, code1);
        using var r1 = NpyReader.Open(dir.File("one.npy"));
        Assert.Equal([2, 3], r1.Shape);
    }

    [Fact]
    public void Score_csv_is_long_format_with_names_and_reasons_for_undefined_cells()
    {
        using var dir = new TempDir();
        WriteInputs(dir);
        File.WriteAllLines(dir.File("names.txt"), ["dog", "even", "nothing"]);
        var (code, _, err) = CliRunner.Run("neurons", "score", "--activations", dir.File("a.npy"), "--concepts", dir.File("c.npy"),
            "--alpha", "0.25", "--metrics", "recall_auc,wpmi", "--concept-names", dir.File("names.txt"), "--out", dir.File("s.csv"));
        Assert.True(code == 0, err);
        var lines = File.ReadAllLines(dir.File("s.csv"));
        Assert.Equal("neuron,concept,metric,value,reason", lines[0]);
        Assert.Equal(1 + 2 * 2 * 3, lines.Length);
        Assert.StartsWith("0,dog,recall_auc,", lines[1]);
        Assert.Contains(lines, l => l.Contains(",nothing,wpmi,inf,") && l.Contains("all zero"));
    }

    [Fact]
    public void Score_top_writes_the_best_concepts_per_neuron()
    {
        using var dir = new TempDir();
        WriteInputs(dir);
        var (code, _, err) = CliRunner.Run("neurons", "score", "--activations", dir.File("a.npy"), "--concepts", dir.File("c.npy"),
            "--alpha", "0.25", "--metrics", "iou", "--top", "1", "--out", dir.File("top.csv"));
        Assert.True(code == 0, err);
        var lines = File.ReadAllLines(dir.File("top.csv"));
        Assert.Equal("neuron,rank,concept,metric,value,reason", lines[0]);
        Assert.Equal("0,1,0,iou,1,", lines[1]);
        Assert.Equal(3, lines.Length);
    }

    [Fact]
    public void Score_top_ranks_infinite_wpmi_of_an_all_zero_concept_last_with_its_reason()
    {
        using var dir = new TempDir();
        WriteInputs(dir); // concept 2 is all zero: wpmi = +∞ for every neuron
        var (code, _, err) = CliRunner.Run("neurons", "score", "--activations", dir.File("a.npy"), "--concepts", dir.File("c.npy"),
            "--alpha", "0.25", "--metrics", "wpmi", "--top", "3", "--out", dir.File("top.csv"));
        Assert.True(code == 0, err);
        var lines = File.ReadAllLines(dir.File("top.csv"));
        Assert.Equal(1 + 2 * 3, lines.Length);
        for (int k = 0; k < 2; k++)
        {
            Assert.DoesNotContain(",inf", lines[1 + 3 * k]);
            Assert.StartsWith($"{k},1,", lines[1 + 3 * k]);
            Assert.StartsWith($"{k},3,2,wpmi,inf,", lines[3 + 3 * k]);
            Assert.Contains("all zero", lines[3 + 3 * k]);
        }
        Assert.StartsWith("0,1,0,wpmi,", lines[1]); // neuron 0 fires on concept 0
    }

    [Fact]
    public void Bad_inputs_exit_with_code_2_and_one_clear_line()
    {
        using var dir = new TempDir();
        WriteInputs(dir);
        Npy.Write<float>(dir.File("short.npy"), new float[30], 10, 3);
        var (code, _, err) = CliRunner.Run("neurons", "score", "--activations", dir.File("a.npy"), "--concepts", dir.File("short.npy"), "--out", dir.File("s.npy"));
        Assert.Equal(2, code);
        Assert.Contains("N = 40", err);
        var nan = new float[80]; nan[3] = float.NaN;
        Npy.Write<float>(dir.File("nan.npy"), nan, 40, 2);
        (code, _, err) = CliRunner.Run("neurons", "score", "--activations", dir.File("nan.npy"), "--concepts", dir.File("c.npy"), "--out", dir.File("s.npy"));
        Assert.Equal(2, code);
        Assert.Contains("not finite", err);
        (code, _, err) = CliRunner.Run("neurons", "score", "--activations", dir.File("a.npy"), "--concepts", dir.File("c.npy"), "--metrics", "nope", "--out", dir.File("s.npy"));
        Assert.Equal(2, code);
        Assert.Contains("nope", err);
    }

    [Fact]
    public void Alpha_none_scores_binary_activations_raw_and_rejects_continuous_ones_with_exit_2()
    {
        using var dir = new TempDir();
        WriteInputs(dir);
        var bin = new float[40 * 2];
        for (int i = 0; i < 40; i++) { bin[i * 2] = i % 4 == 0 ? 1 : 0; bin[i * 2 + 1] = i % 2; }
        Npy.Write<float>(dir.File("bin.npy"), bin, 40, 2);
        var (code, _, err) = CliRunner.Run("neurons", "score", "--activations", dir.File("bin.npy"), "--concepts", dir.File("c.npy"),
            "--alpha", "none", "--metrics", "iou,auc", "--out", dir.File("s.npy"));
        Assert.True(code == 0, err);
        double[] v;
        using (var r = NpyReader.Open(dir.File("s.npy"))) v = r.ReadAll<double>();
        Assert.Equal(1, v[0], 12); // iou(neuron 0, concept 0): the raw 0/1 neuron equals the concept
        Assert.Equal(1, v[4], 12); // iou(neuron 1, concept 1)
        Assert.Equal(1, v[6], 12); // auc(neuron 0, concept 0)
        (code, _, err) = CliRunner.Run("neurons", "score", "--activations", dir.File("a.npy"), "--concepts", dir.File("c.npy"),
            "--alpha", "none", "--metrics", "auc", "--out", dir.File("s.npy"));
        Assert.Equal(2, code);
        Assert.Contains("--alpha none", err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public void Score_ties_and_reference_compat_options_reach_the_metrics()
    {
        using var dir = new TempDir();
        var bin = new float[40 * 1];
        var c = new float[40 * 1];
        for (int i = 0; i < 40; i++) { bin[i] = i < 20 ? 1 : 0; c[i] = i % 2; }
        Npy.Write<float>(dir.File("b.npy"), bin, 40, 1);
        Npy.Write<float>(dir.File("c.npy"), c, 40, 1);
        double Run(params string[] extra)
        {
            var (code, _, err) = CliRunner.Run([.. new[] { "neurons", "score", "--activations", dir.File("b.npy"), "--concepts", dir.File("c.npy"), "--out", dir.File("s.npy") }, .. extra]);
            Assert.True(code == 0, err);
            using var r = NpyReader.Open(dir.File("s.npy"));
            return r.ReadAll<double>()[0];
        }
        // Midranks: spearman = correlation on 0/1 data (here 0: the halves are balanced); random ties break that equality.
        Assert.Equal(Run("--metrics", "correlation"), Run("--metrics", "spearman"), 12);
        Assert.NotEqual(Run("--metrics", "spearman"), Run("--metrics", "spearman", "--ties", "random"));
        Assert.Equal(Run("--metrics", "spearman", "--ties", "random", "--seed", "3"), Run("--metrics", "spearman", "--ties", "random", "--seed", "3"));
        // Binary top-and-random: k = 2 of the 20 ones + 2 random (4 inputs), or with --reference-compat all 20 ones + 2 random.
        double intended = Run("--metrics", "correlation_top_random_binary", "--k", "2", "--seed", "1");
        double compat = Run("--metrics", "correlation_top_random_binary", "--k", "2", "--seed", "1", "--reference-compat");
        Assert.NotEqual(intended, compat);
    }

    [Fact]
    public void Sanity_writes_the_pass_fail_table_theoretically_and_experimentally()
    {
        using var dir = new TempDir();
        var (code, _, err) = CliRunner.Run("neurons", "sanity", "--metrics", "iou,recall", "--inputs", "50000", "--draws", "3", "--out", dir.File("t.csv"));
        Assert.True(code == 0, err);
        var lines = File.ReadAllLines(dir.File("t.csv"));
        Assert.Equal("metric,missing_labels_pass,extra_labels_pass,missing_labels_decrease,extra_labels_decrease,missing_labels_mean_delta,extra_labels_mean_delta,paper_theoretical_pass,paper_experimental_pass,paper_pass", lines[0]);
        Assert.StartsWith("iou,true,true,", lines[1]);
        Assert.EndsWith(",true,true,true", lines[1]);
        Assert.StartsWith("recall,true,false,", lines[2]);
        Assert.EndsWith(",false,false,false", lines[2]);
        WriteInputs(dir);
        (code, _, err) = CliRunner.Run("neurons", "sanity", "--metrics", "correlation", "--activations", dir.File("a.npy"), "--concepts", dir.File("c.npy"), "--out", dir.File("e.csv"));
        Assert.True(code == 0, err);
        Assert.EndsWith("meta_auprc", File.ReadAllLines(dir.File("e.csv"))[0]);
    }

    [Fact]
    public void Sanity_with_random_ties_fails_spearman_and_says_the_paper_finding_needs_the_experimental_test()
    {
        using var dir = new TempDir();
        string[] common = ["neurons", "sanity", "--metrics", "spearman,wpmi,combined_auc", "--inputs", "50000", "--draws", "10"];
        var (code, stdout, err) = CliRunner.Run([.. common, "--out", dir.File("mid.csv"), "--per-frequency", dir.File("freq.csv")]);
        Assert.True(code == 0, err);
        var mid = File.ReadAllLines(dir.File("mid.csv"));
        Assert.StartsWith("spearman,true,true,", mid[1]);
        Assert.EndsWith(",false,false,false", mid[1]);
        Assert.StartsWith("wpmi,true,true,", mid[2]);
        Assert.EndsWith(",true,false,false", mid[2]); // passes the paper's theoretical test too, fails its experimental one
        Assert.EndsWith(",,,", mid[3]); // combined_auc: not in the paper's main table
        Assert.Contains("also needs its experimental test", stdout);
        var freq = File.ReadAllLines(dir.File("freq.csv"));
        Assert.Equal("metric,gamma,missing_labels_decrease,extra_labels_decrease,missing_labels_mean_delta,extra_labels_mean_delta", freq[0]);
        Assert.Equal(1 + 3 * 5, freq.Length);
        Assert.StartsWith("spearman,0.499,100,100,", freq[1]);
        (code, _, err) = CliRunner.Run([.. common, "--ties", "random", "--reference-compat", "--out", dir.File("rand.csv")]);
        Assert.True(code == 0, err);
        var rand = File.ReadAllLines(dir.File("rand.csv"));
        Assert.Matches("^spearman,(true,false|false,true|false,false),", rand[1]);
        Assert.StartsWith("wpmi,true,true,", rand[2]);
    }

    [Theory]
    [InlineData("score")]
    [InlineData("sanity")]
    public void Help_text_matches_the_snapshot(string sub)
    {
        var (code, stdout, _) = CliRunner.Run("neurons", sub, "--help");
        Assert.Equal(0, code);
        Snapshot.Match($"neurons-{sub}-help.txt", stdout);
    }
}
