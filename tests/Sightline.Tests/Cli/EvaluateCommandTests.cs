using System.Diagnostics;
using System.Text.Json;
using Sightline.Cli.Commands;
using Sightline.IO;

namespace Sightline.Tests.Cli;

/// <summary>Real <c>sightline evaluate</c> runs on the fixture models (issue 10 §3).</summary>
public sealed class EvaluateCommandTests
{
    private static string F(string name) => Path.Combine(AlignCommandTests.RepoRoot(), "tests", "fixtures", "models", name);

    /// <summary>Writes saliency (|grad| summed over channels, 4×32×32), masks (top-left quadrant; sample 3 empty) and labels.</summary>
    private static (string Saliency, string Masks, string Labels) Fixture(TempDir dir)
    {
        using var r = NpyReader.Open(F("resnet_tiny.grad.npy"));
        var g = r.ReadAll<float>();
        var s = new float[4 * 32 * 32];
        for (int i = 0; i < 4; i++)
            for (int c = 0; c < 3; c++)
                for (int p = 0; p < 1024; p++) s[i * 1024 + p] += Math.Abs(g[(i * 3 + c) * 1024 + p]);
        var m = new bool[4 * 32 * 32];
        for (int i = 0; i < 3; i++)
            for (int y = 0; y < 16; y++)
                for (int x = 0; x < 16; x++) m[i * 1024 + y * 32 + x] = true;
        Npy.Write<float>(dir.File("s.npy"), s, 4, 32, 32);
        Npy.Write<bool>(dir.File("m.npy"), m, 4, 32, 32);
        Npy.Write<long>(dir.File("y.npy"), [1, 2, 3, 4], 4);
        return (dir.File("s.npy"), dir.File("m.npy"), dir.File("y.npy"));
    }

    private static string[] Base(string saliency, string output) =>
        ["evaluate", "--model", F("resnet_tiny.onnx"), "--inputs", F("inputs.npy"), "--saliency", saliency, "--out", output];

    [Fact]
    public void Saliency_is_scored_with_complexity_and_localisation_metrics_one_row_per_sample()
    {
        using var dir = new TempDir();
        var (s, m, _) = Fixture(dir);
        var (code, stdout, err) = CliRunner.Run([.. Base(s, dir.File("scores.csv")), "--masks", m, "--metrics", "complexity,iou,pointing_game", "--summary", dir.File("summary.json")]);
        Assert.True(code == 0, err);
        Assert.Contains("Evaluated 4 samples", stdout);
        var lines = File.ReadAllLines(dir.File("scores.csv"));
        Assert.Equal("index,target,sparseness,complexity,effective_complexity,iou,pointing_game,reason", lines[0]);
        Assert.Equal(5, lines.Length);
        // Sample 3 has an empty mask: undefined pointing game with its reason, and the run still exits 0.
        Assert.EndsWith(",NaN,pointing_game: empty-mask", lines[4]);
        var targets = lines.Skip(1).Select(l => int.Parse(l.Split(',')[1])).ToArray();
        using (var t = NpyReader.Open(F("resnet_tiny.targets.npy"))) Assert.Equal(t.ReadAll<long>().Select(v => (int)v), targets);
        using var json = JsonDocument.Parse(File.ReadAllText(dir.File("summary.json")));
        var root = json.RootElement;
        Assert.Equal(4, root.GetProperty("samples").GetInt32());
        Assert.Equal("true", root.GetProperty("settings").GetProperty("metric_options").GetProperty("sparseness").GetProperty("abs").GetString());
        Assert.Equal("1000", root.GetProperty("settings").GetProperty("metric_options").GetProperty("iou").GetProperty("k").GetString());
        var pg = root.GetProperty("metrics").GetProperty("pointing_game");
        Assert.Equal(3, pg.GetProperty("n").GetInt32());
        Assert.Equal(1, pg.GetProperty("nan").GetInt32());
        Assert.Equal("lower_is_better", root.GetProperty("metrics").GetProperty("complexity").GetProperty("direction").GetString());
        Assert.Equal(2, root.GetProperty("metrics").GetProperty("iou").GetProperty("ci95").GetArrayLength());
        // The localisation columns equal what align writes for the same maps and masks.
        (code, _, err) = CliRunner.Run("align", "--saliency", s, "--masks", m, "--metrics", "iou,pointing_game", "--out", dir.File("align.csv"));
        Assert.True(code == 0, err);
        var align = File.ReadAllLines(dir.File("align.csv")).Skip(1).Select(l => l.Split(',')[1..3]).ToArray();
        Assert.Equal(align, lines.Skip(1).Select(l => l.Split(',')[5..7]).ToArray());
    }

    [Fact]
    public void Json_and_parquet_hold_the_same_rows_and_curves_are_an_npz()
    {
        using var dir = new TempDir();
        var (s, _, y) = Fixture(dir);
        var (code, _, err) = CliRunner.Run([.. Base(s, dir.File("scores.json")), "--labels", y, "--metrics", "sparseness,effective_complexity", "--curves", dir.File("c.npz")]);
        Assert.True(code == 0, err);
        using var json = JsonDocument.Parse(File.ReadAllText(dir.File("scores.json")));
        var rows = json.RootElement.EnumerateArray().ToArray();
        Assert.Equal(4, rows.Length);
        // --labels: the targets are the labels (Quantus's y_batch).
        Assert.Equal([1, 2, 3, 4], rows.Select(r => r.GetProperty("target").GetInt32()));
        Assert.Equal(JsonValueKind.Null, rows[0].GetProperty("reason").ValueKind);
        Assert.True(File.Exists(dir.File("c.npz")));
        Assert.Empty(Npz.List(dir.File("c.npz"))); // no curve metric chosen
        (code, _, err) = CliRunner.Run([.. Base(s, dir.File("scores.parquet")), "--labels", y, "--metrics", "sparseness,effective_complexity"]);
        Assert.True(code == 0, err);
        var values = ReadParquet(dir.File("scores.parquet"), "sparseness");
        Assert.Equal(rows.Select(r => r.GetProperty("sparseness").GetDouble()), values);
    }

    private static double[] ReadParquet(string path, string column)
    {
        return Task.Run(async () =>
        {
            await using var reader = await Parquet.ParquetReader.CreateAsync(path);
            using var group = reader.OpenRowGroupReader(0);
            var field = reader.Schema.DataFields.Single(f => f.Name == column);
            var values = new double[group.RowCount];
            await group.ReadAsync<double>(field, values);
            return values;
        }).GetAwaiter().GetResult();
    }

    [Fact]
    public void A_method_computes_the_attributions_on_onnx_runtime_and_its_maps_score_as_given_maps_do()
    {
        using var dir = new TempDir();
        string[] occlusion = ["--method", "occlusion", "--window", "8", "--stride", "8"];
        var (code, stdout, err) = CliRunner.Run(["evaluate", "--model", F("resnet_tiny.onnx"), "--inputs", F("inputs.npy"), .. occlusion,
            "--metrics", "complexity", "--out", dir.File("a.csv"), "--backend", "onnxruntime"]);
        Assert.True(code == 0, err);
        (code, _, err) = CliRunner.Run(["explain", "--model", F("resnet_tiny.onnx"), "--inputs", F("inputs.npy"), .. occlusion, "--out", dir.File("maps.npy")]);
        Assert.True(code == 0, err);
        (code, _, err) = CliRunner.Run([.. Base(dir.File("maps.npy"), dir.File("b.csv")), "--metrics", "complexity"]);
        Assert.True(code == 0, err);
        Assert.Equal(File.ReadAllLines(dir.File("b.csv")), File.ReadAllLines(dir.File("a.csv")));
        // Gradient methods run on the torch back end (forward passes stay on ONNX Runtime).
        (code, stdout, err) = CliRunner.Run("evaluate", "--model", F("resnet_tiny.onnx"), "--inputs", F("inputs.npy"), "--method", "saliency",
            "--metrics", "sparseness", "--out", dir.File("g.csv"));
        Assert.True(code == 0, err);
        Assert.Equal(5, File.ReadAllLines(dir.File("g.csv")).Length);
    }

    [Theory]
    [InlineData("iou.k=3", "metric 'iou' is not in --metrics")]
    [InlineData("*.k=3", "none of the chosen metrics (sparseness) has an option 'k'")]
    [InlineData("sparseness.foo=1", "'sparseness' has no option 'foo'. Its options: normalise, normalise_func, abs")]
    [InlineData("sparseness.abs=maybe", "'maybe' is not true or false")]
    [InlineData("sparseness", "write METRIC.KEY=VALUE")]
    [InlineData("no_such_metric.k=1", "Unknown metric 'no_such_metric'")]
    public void Bad_params_are_usage_errors(string param, string expected)
    {
        using var dir = new TempDir();
        var (s, _, _) = Fixture(dir);
        var (code, _, err) = CliRunner.Run([.. Base(s, dir.File("o.csv")), "--metrics", "sparseness", "--param", param]);
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
        Assert.False(File.Exists(dir.File("o.csv")));
    }

    [Fact]
    public void Star_params_reach_every_metric_that_has_the_key()
    {
        using var dir = new TempDir();
        var (s, _, _) = Fixture(dir);
        var (code, _, err) = CliRunner.Run([.. Base(s, dir.File("o.csv")), "--metrics", "sparseness,effective_complexity", "--param", "*.normalise=false",
            "--param", "effective_complexity.eps=0.5", "--summary", dir.File("sum.json")]);
        Assert.True(code == 0, err);
        using var json = JsonDocument.Parse(File.ReadAllText(dir.File("sum.json")));
        var options = json.RootElement.GetProperty("settings").GetProperty("metric_options");
        Assert.Equal("false", options.GetProperty("sparseness").GetProperty("normalise").GetString());
        Assert.Equal("false", options.GetProperty("effective_complexity").GetProperty("normalise").GetString());
        Assert.Equal("0.5", options.GetProperty("effective_complexity").GetProperty("eps").GetString());
    }

    [Fact]
    public void Missing_masks_or_method_name_the_option_that_supplies_them()
    {
        using var dir = new TempDir();
        var (s, _, _) = Fixture(dir);
        var (code, _, err) = CliRunner.Run([.. Base(s, dir.File("o.csv")), "--metrics", "iou"]);
        Assert.Equal(2, code);
        Assert.Contains("give --masks", err);
        (code, _, err) = CliRunner.Run("evaluate", "--model", F("resnet_tiny.onnx"), "--inputs", F("inputs.npy"), "--metrics", "sparseness", "--out", dir.File("o.csv"));
        Assert.Equal(2, code);
        Assert.Contains("--saliency S.npy", err);
        Assert.Contains("--method NAME", err);
        // A metric that re-explains (Needs Reexplain) with --saliency only: every catalogued one names --method.
        foreach (var entry in Sightline.Evaluation.MetricCatalogue.Evaluate.Where(e => (e.Info.Needs & (Sightline.Metrics.MetricNeeds.Reexplain | Sightline.Metrics.MetricNeeds.RandomisedModels)) != 0))
        {
            (code, _, err) = CliRunner.Run([.. Base(s, dir.File("o.csv")), "--metrics", entry.Name]);
            Assert.Equal(2, code);
            Assert.Contains("--method", err);
        }
        var e = Assert.Throws<InputDataException>(() => Sightline.Evaluation.EvaluationPipeline.CheckNeeds(
            [new Sightline.Metrics.MetricAttribute("r", Sightline.Metrics.MetricFamily.Robustness, Sightline.Metrics.ScoreDirection.LowerIsBetter) { Needs = Sightline.Metrics.MetricNeeds.Reexplain }],
            masks: false, method: false, model: true));
        Assert.Contains("give --method NAME", e.Message);
        Assert.False(File.Exists(dir.File("o.csv")));
    }

    [Fact]
    public void Outputs_may_not_replace_inputs_or_each_other()
    {
        using var dir = new TempDir();
        var (s, _, _) = Fixture(dir);
        var (code, _, err) = CliRunner.Run([.. Base(s, s.Replace(".npy", ".csv")), "--metrics", "sparseness", "--summary", s]);
        Assert.Equal(2, code);
        Assert.Contains("--summary", err);
        (code, _, err) = CliRunner.Run([.. Base(s, dir.File("o.json")), "--metrics", "sparseness", "--summary", dir.File("o.json")]);
        Assert.Equal(2, code);
        Assert.Contains("--out", err);
    }

    [Fact]
    public void A_sample_with_a_nan_input_gets_nan_and_a_reason_for_every_metric_and_exit_1()
    {
        using var dir = new TempDir();
        var (s, _, _) = Fixture(dir);
        using (var r = NpyReader.Open(F("inputs.npy")))
        {
            var x = r.ReadAll<float>();
            x[2 * 3072 + 17] = float.NaN;
            Npy.Write<float>(dir.File("x.npy"), x, 4, 3, 32, 32);
        }
        string[] args = ["evaluate", "--model", F("resnet_tiny.onnx"), "--inputs", dir.File("x.npy"), "--saliency", s, "--metrics", "sparseness,effective_complexity", "--out", dir.File("o.csv")];
        var (code, stdout, err) = CliRunner.Run(args);
        Assert.Equal(1, code);
        Assert.Contains("1 of 4 samples failed", err);
        var lines = File.ReadAllLines(dir.File("o.csv"));
        Assert.Matches(@"^2,\d+,NaN,NaN,sparseness: non-finite-input; effective_complexity: non-finite-input$", lines[3]);
        Assert.DoesNotContain("NaN", lines[1] + lines[2] + lines[4]);
        // Re-running the finished command says so, and still exits 1.
        (code, stdout, _) = CliRunner.Run(args);
        Assert.Equal(1, code);
        Assert.Contains("Already complete", stdout);
        (code, stdout, _) = CliRunner.Run([.. args, "--force"]);
        Assert.Equal(1, code);
        Assert.Contains("Evaluated 4 samples", stdout);
    }

    [Fact]
    public void Unreadable_images_fail_alone_and_the_run_exits_1()
    {
        using var dir = new TempDir();
        var images = dir.File("images");
        Directory.CreateDirectory(Path.Combine(images, "a"));
        var rng = new Random(7);
        for (int i = 0; i < 3; i++)
        {
            var px = new byte[40 * 36 * 4];
            rng.NextBytes(px);
            Sightline.Data.ImageDecoder.WritePng(Path.Combine(images, "a", $"{i}.png"), 40, 36, px);
        }
        File.WriteAllText(Path.Combine(images, "a", "1.png"), "not a png");
        var (code, stdout, err) = CliRunner.Run("evaluate", "--model", F("resnet_tiny.onnx"), "--images", images, "--method", "occlusion", "--window", "16", "--stride", "16",
            "--metrics", "sparseness", "--out", dir.File("o.csv"));
        Assert.True(code == 1, stdout + err);
        Assert.Contains("1 of 3 samples failed", err);
        var rows = File.ReadAllLines(dir.File("o.csv"));
        Assert.Contains("sparseness: ", rows[2]);
        Assert.Contains("1.png: not a readable image", rows[2]);
        Assert.DoesNotContain("NaN", rows[1] + rows[3]);
        // --target label needs a label for every sample.
        (code, _, err) = CliRunner.Run("evaluate", "--model", F("resnet_tiny.onnx"), "--inputs", F("inputs.npy"), "--method", "occlusion",
            "--metrics", "sparseness", "--target", "label", "--out", dir.File("p.csv"));
        Assert.Equal(2, code);
        Assert.Contains("--target label, but sample 0", err);
    }

    [Fact]
    public void List_metrics_prints_the_catalogue_table_that_the_readme_holds()
    {
        var (code, stdout, _) = CliRunner.Run("evaluate", "--list-metrics");
        Assert.Equal(0, code);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(EvaluateCommand.CatalogueTable(), lines);
        Assert.Contains(lines, l => l.StartsWith("| `sparseness` | complexity | higher | — | 0 | normalise=true, normalise_func=by_max, abs=true |", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("| `iou` | localisation | higher | masks |", StringComparison.Ordinal));
        var readme = File.ReadAllText(Path.Combine(AlignCommandTests.RepoRoot(), "README.md"));
        foreach (var line in lines) Assert.Contains(line, readme);
    }

    [Fact]
    public void Evaluate_help_matches_the_snapshot_and_the_readme()
    {
        var (code, stdout, _) = CliRunner.Run("evaluate", "--help");
        Assert.Equal(0, code);
        Snapshot.Match("evaluate-help.txt", stdout);
        var readme = File.ReadAllText(Path.Combine(AlignCommandTests.RepoRoot(), "README.md"));
        foreach (var line in stdout.Split("Options:\n", 2)[1].Split('\n', StringSplitOptions.RemoveEmptyEntries)) Assert.Contains(line.TrimEnd(), readme);
    }

    private static string[] KillArgs(string inputs, string output) =>
        ["evaluate", "--model", F("vgg_tiny.onnx"), "--inputs", inputs, "--method", "occlusion", "--window", "2", "--stride", "1",
         "--backend", "onnxruntime", "--chunk", "1", "--metrics", "complexity", "--out", output, "--summary", output + ".summary.json"];

    [Fact]
    public void A_killed_evaluate_resumes_with_nothing_lost_or_duplicated_and_changed_inputs_start_afresh()
    {
        using var dir = new TempDir();
        var inputs = dir.File("x.npy");
        int n;
        using (var r = NpyReader.Open(F("inputs.npy")))
        {
            var x = r.ReadAll<float>();
            var tiled = new float[x.Length * 6];
            for (int i = 0; i < 6; i++) x.CopyTo(tiled, i * x.Length);
            n = 24;
            Npy.Write<float>(inputs, tiled, n, 3, 32, 32);
        }
        var (code, _, err) = CliRunner.Run(KillArgs(inputs, dir.File("ref/s.csv")));
        Assert.True(code == 0, err);
        var reference = File.ReadAllLines(dir.File("ref/s.csv"));
        Assert.Equal(n + 1, reference.Length);

        var output = dir.File("run/s.csv");
        RunAndKill(KillArgs(inputs, output), output, atLeast: 2);
        Assert.False(File.Exists(output));
        Assert.True(File.Exists(output + ".rows.partial"));
        string stdout;
        (code, stdout, err) = CliRunner.Run(KillArgs(inputs, output));
        Assert.True(code == 0, err);
        Assert.Matches($@"resumed: \d+ of {n} already done", stdout);
        Assert.Equal(reference, File.ReadAllLines(output));
        Assert.False(File.Exists(output + ".lock"));
        Assert.False(File.Exists(output + ".rows.partial"));

        // Killed again, then the inputs change (same name and size): nothing of the old run is kept.
        var other = dir.File("other/s.csv");
        RunAndKill(KillArgs(inputs, other), other, atLeast: 2);
        using (var r = NpyReader.Open(inputs))
        {
            var x = r.ReadAll<float>();
            for (int i = 0; i < x.Length; i++) x[i] = 0.5f - x[i];
            r.Dispose();
            Npy.Write<float>(inputs, x, n, 3, 32, 32);
        }
        (code, stdout, err) = CliRunner.Run(KillArgs(inputs, other));
        Assert.True(code == 0, err);
        Assert.DoesNotContain("resumed", stdout);
        (code, _, err) = CliRunner.Run(KillArgs(inputs, dir.File("fresh/s.csv")));
        Assert.True(code == 0, err);
        Assert.Equal(File.ReadAllLines(dir.File("fresh/s.csv")), File.ReadAllLines(other));
    }

    private static void RunAndKill(string[] args, string output, int atLeast)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "Sightline.Cli.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("DOTNET_", StringComparison.Ordinal) || k.StartsWith("COR", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(key);
        start.ArgumentList.Add(cli);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var progress = output + ".progress.json";
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(2))
        {
            if (p.HasExited) Assert.Fail($"the run ended (exit {p.ExitCode}) before it could be killed: {p.StandardOutput.ReadToEnd()}{p.StandardError.ReadToEnd()}");
            try
            {
                if (File.Exists(progress) && JsonDocument.Parse(File.ReadAllText(progress)).RootElement.GetProperty("Done").GetInt32() >= atLeast) break;
            }
            catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException) { }
            Thread.Sleep(20);
        }
        p.Kill();
        p.WaitForExit();
    }
}
