using System.Diagnostics;
using Sightline.IO;
using Sightline.Studies;
using Sightline.Tests.Studies;

namespace Sightline.Tests.Cli;

/// <summary><c>sightline study run|merge|slurm</c> on real ONNX models, a real kill -9, and a real one-node Slurm cluster.</summary>
public sealed class StudyCommandTests
{
    private static string F(string name) => Path.Combine(AlignCommandTests.RepoRoot(), "tests", "fixtures", "models", name);

    /// <summary>A study over two fixture CNNs: 12 samples (the fixture batch three times), an object mask and a corner cue.</summary>
    internal static string WriteStudy(TempDir dir, int chunk = 3, string methods = "[saliency, {name: gradcam, layers: {resnet: /features/features.5/relu_1/Relu_output_0, vgg: /features/features.9/Relu_output_0}}]")
    {
        using (var r = NpyReader.Open(F("inputs.npy")))
        {
            var x = r.ReadAll<float>();
            var tiled = new float[x.Length * 3];
            for (int i = 0; i < 3; i++) x.CopyTo(tiled, i * x.Length);
            Npy.Write<float>(dir.File("x.npy"), tiled, 12, 3, 32, 32);
            Npy.Write<long>(dir.File("y.npy"), [.. Enumerable.Range(0, 12).Select(i => (long)(i % 10))], 12);
        }
        var obj = new byte[12 * 32 * 32];
        var cue = new byte[12 * 32 * 32];
        for (int n = 0; n < 12; n++)
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++)
                {
                    obj[n * 1024 + y * 32 + x] = (byte)(y >= 8 && y < 24 && x >= 8 && x < 24 ? 1 : 0);
                    cue[n * 1024 + y * 32 + x] = (byte)(y < 5 && x < 5 ? 1 : 0);
                }
        Npy.Write<byte>(dir.File("object.npy"), obj, 12, 32, 32);
        Npy.Write<byte>(dir.File("cue.npy"), cue, 12, 32, 32);
        var path = dir.File("study.yaml");
        File.WriteAllText(path, $"""
            study: fixtures
            data: {"{"}inputs: x.npy, labels: y.npy{"}"}
            masks:
              object: object.npy
              cue: {"{"}path: cue.npy, role: spurious{"}"}
            models:
              - {"{"}name: resnet, path: {F("resnet_tiny.onnx")}{"}"}
              - {"{"}name: vgg, path: {F("vgg_tiny.onnx")}{"}"}
            methods: {methods}
            metrics: [sss, iou, pointing_game]
            run: {"{"}chunk: {chunk}, examples: 2{"}"}
            statistics: {"{"}bootstrap: 100, permutations: 100{"}"}
            """);
        return path;
    }

    [Fact]
    public void Study_run_and_merge_write_the_store_scores_and_aggregates()
    {
        using var dir = new TempDir();
        var study = WriteStudy(dir);
        var outDir = dir.File("out");
        var (code, stdout, err) = CliRunner.Run("study", "run", study, "--out", outDir);
        Assert.True(code == 0, err);
        Assert.Contains("computed 16 of 16 units", stdout);
        Assert.Contains("next: sightline study merge", stdout);
        (code, stdout, _) = CliRunner.Run("study", "run", study, "--out", outDir);
        Assert.Equal(0, code);
        Assert.Contains("Already complete", stdout);
        (code, stdout, err) = CliRunner.Run("study", "merge", outDir);
        Assert.True(code == 0, err);
        Assert.Contains("Merged 16 units (288 rows)", stdout); // 2 models × 2 methods × 12 samples × 2 masks × 3 metrics
        Assert.Equal(288, StudyTestKit.Rows(Path.Combine(outDir, "scores.parquet")).Count);
        Assert.True(File.Exists(Path.Combine(outDir, "aggregates", "comparisons.csv")));
        var store = StudyStore.Read(outDir);
        Assert.True(File.Exists(Path.Combine(store.ExampleDirectory, "vgg", "gradcam", $"s000001-t{StudyTestKit.Rows(store.ChunkPath(12))[3].Split('|')[6]}.png")));

        File.AppendAllText(study, "\nparams: [iou.binarize=std:2]\n");
        (code, _, err) = CliRunner.Run("study", "run", study, "--out", outDir);
        Assert.Equal(2, code);
        Assert.Contains("with other settings or inputs", err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public void A_forward_only_method_gives_the_same_rows_whether_or_not_a_gradient_method_shares_the_study()
    {
        // With saliency beside it the loader opens the gradient back end too; Eigen-CAM still runs on ONNX Runtime
        // (explain --backend auto's choice), so its rows equal those of a study of Eigen-CAM alone, bit for bit.
        const string eigencam = "{name: eigencam, layers: {resnet: /features/features.5/relu_1/Relu_output_0, vgg: /features/features.9/Relu_output_0}}";
        using var mixed = new TempDir();
        using var alone = new TempDir();
        var a = WriteStudy(mixed, chunk: 6, methods: $"[saliency, {eigencam}]");
        var b = WriteStudy(alone, chunk: 6, methods: $"[{eigencam}]");
        Assert.Equal(0, CliRunner.Run("study", "run", a, "--out", mixed.File("out")).Code);
        Assert.Equal(0, CliRunner.Run("study", "run", b, "--out", alone.File("out")).Code);
        Assert.Equal(0, CliRunner.Run("study", "merge", mixed.File("out")).Code);
        Assert.Equal(0, CliRunner.Run("study", "merge", alone.File("out")).Code);
        var fromMixed = StudyTestKit.Rows(mixed.File("out/scores.parquet")).Where(r => r.Split('|')[2] == "eigencam").ToList();
        Assert.Equal(144, fromMixed.Count); // 2 models × 12 samples × 2 masks × 3 metrics
        Assert.Equal(StudyTestKit.Rows(alone.File("out/scores.parquet")), fromMixed);
    }

    [Theory]
    [InlineData("--shard", "3/3", "--shard 3/3: give I/N with 0 ≤ I < N")]
    [InlineData("--shard", "x", "--shard x: give I/N")]
    [InlineData("--threads", "-1", "--threads -1")]
    public void Bad_run_options_are_exit_2_with_one_line(string option, string value, string expected)
    {
        using var dir = new TempDir();
        var study = WriteStudy(dir);
        var (code, _, err) = CliRunner.Run("study", "run", study, "--out", dir.File("out"), option, value);
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public void Merge_of_a_folder_without_a_study_is_exit_2()
    {
        using var dir = new TempDir();
        var (code, _, err) = CliRunner.Run("study", "merge", dir.Path);
        Assert.Equal(2, code);
        Assert.Contains("manifest.json: not found", err);
    }

    [Fact]
    public void The_output_folder_may_not_hold_the_study_inputs()
    {
        using var dir = new TempDir();
        var study = WriteStudy(dir);
        var (code, _, err) = CliRunner.Run("study", "run", study, "--out", dir.Path);
        Assert.Equal(2, code);
        Assert.Contains("holds the input", err);
    }

    internal static ProcessStartInfo Cli(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("DOTNET_", StringComparison.Ordinal) || k.StartsWith("COR", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(key);
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Sightline.Cli.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        return start;
    }

    [Fact]
    public void A_study_run_killed_with_sigkill_resumes_to_the_rows_of_an_uninterrupted_run()
    {
        using var dir = new TempDir();
        var study = WriteStudy(dir, chunk: 1, methods: "[saliency, integrated_gradients]");
        var reference = dir.File("ref");
        Assert.Equal(0, CliRunner.Run("study", "run", study, "--out", reference).Code);
        Assert.Equal(0, CliRunner.Run("study", "merge", reference).Code);

        var outDir = dir.File("run");
        using (var p = Process.Start(Cli(["study", "run", study, "--out", outDir]))!)
        {
            var clock = Stopwatch.StartNew();
            var chunks = Path.Combine(outDir, "chunks");
            while (clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                if (p.HasExited) Assert.Fail($"the run ended (exit {p.ExitCode}) before it could be killed: {p.StandardError.ReadToEnd()}");
                if (Directory.Exists(chunks) && Directory.EnumerateFiles(chunks, "u*.parquet", SearchOption.AllDirectories).Count() >= 3) break;
                Thread.Sleep(10);
            }
            p.Kill();
            p.WaitForExit();
        }
        var store = StudyStore.Read(outDir);
        int stored = store.DoneUnits().Count;
        Assert.InRange(stored, 3, 47);
        Assert.True(File.Exists(Path.Combine(outDir, "locks", "shard-0-of-1.lock")), "a killed run leaves its stale lock");
        var (code, stdout, err) = CliRunner.Run("study", "run", study, "--out", outDir);
        Assert.True(code == 0, err);
        Assert.Contains($"(resumed: {stored} of 48 units already done)", stdout);
        Assert.Equal(0, CliRunner.Run("study", "merge", outDir).Code);
        Assert.Equal(StudyTestKit.Rows(Path.Combine(reference, "scores.parquet")), StudyTestKit.Rows(Path.Combine(outDir, "scores.parquet")));
    }

    [Fact]
    public void A_second_run_of_the_same_shard_is_refused_while_the_first_runs_and_takes_over_after_kill_9()
    {
        using var dir = new TempDir();
        var study = WriteStudy(dir, chunk: 1, methods: "[saliency, integrated_gradients]");
        var outDir = dir.File("run");
        var lockFile = Path.Combine(outDir, "locks", "shard-0-of-1.lock");
        int killed;
        using (var p = Process.Start(Cli(["study", "run", study, "--out", outDir]))!)
        {
            var clock = Stopwatch.StartNew();
            while (!File.Exists(lockFile) && !p.HasExited && clock.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(10);
            Assert.False(p.HasExited, "the first run ended before the second could start");
            var (code, _, err) = CliRunner.Run("study", "run", study, "--out", outDir);
            Assert.Equal(2, code);
            Assert.Contains($"another sightline run is writing {Path.Combine(outDir, "locks", "shard-0-of-1")} (pid {p.Id})", err);
            Assert.Single(err.Trim().Split('\n'));
            killed = p.Id;
            p.Kill();
            p.WaitForExit();
        }
        Assert.True(File.Exists(lockFile), "kill -9 leaves the lock file");
        Assert.StartsWith($"{killed} ", File.ReadAllText(lockFile), StringComparison.Ordinal);
        // Its process is gone: the lock is detectably stale and the next run takes it over, then removes it.
        var (again, stdout, error) = CliRunner.Run("study", "run", study, "--out", outDir);
        Assert.True(again == 0, error);
        Assert.Contains("of 48 units", stdout);
        Assert.False(File.Exists(lockFile));
    }

    [Fact]
    public void Slurm_scripts_are_a_job_array_of_shards_and_a_dependent_merge()
    {
        using var dir = new TempDir();
        var study = WriteStudy(dir);
        var (code, stdout, err) = CliRunner.Run("study", "slurm", study, "--out", dir.File("out"), "--shards", "4", "--partition", "gpu", "--time", "01:30:00", "--cpus", "2", "--sightline", "/shared/sightline");
        Assert.True(code == 0, err);
        Assert.Contains("4 array tasks over 16 units", stdout);
        var array = File.ReadAllText(dir.File("out/slurm/study.sbatch"));
        Assert.Contains("#SBATCH --array=0-3\n", array);
        Assert.Contains("#SBATCH --partition=gpu\n", array);
        Assert.Contains("#SBATCH --time=01:30:00\n", array);
        Assert.Contains("#SBATCH --cpus-per-task=2\n", array);
        Assert.Contains($"exec /shared/sightline study run '{study}' --out '{dir.File("out")}' --shard \"$SLURM_ARRAY_TASK_ID/4\" --threads 2\n", array);
        Assert.Contains($"exec /shared/sightline study merge '{dir.File("out")}'", File.ReadAllText(dir.File("out/slurm/merge.sbatch")));
        Assert.Contains("--dependency=afterok:$array", File.ReadAllText(dir.File("out/slurm/submit.sh")));
        (code, _, err) = CliRunner.Run("study", "slurm", study, "--out", dir.File("out"), "--shards", "17");
        Assert.Equal(2, code);
        Assert.Contains("only 16 work units", err);
    }

    /// <summary>The command the Slurm jobs run sightline with: this build, without the test host's runtime settings (sbatch passes the submitting environment on).</summary>
    private static string SightlineOnNodes()
    {
        var unset = string.Concat(Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(k => k.StartsWith("DOTNET_", StringComparison.Ordinal) || k.StartsWith("COR", StringComparison.Ordinal)).Select(k => $" -u {k}"));
        return $"/usr/bin/env{unset} dotnet '{Path.Combine(AppContext.BaseDirectory, "Sightline.Cli.dll")}'";
    }

    /// <summary>Runs <c>study slurm … --submit</c> against <paramref name="slurm"/> and returns (array job, merge job).</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static (string Array, string Merge) Submit(LocalSlurm slurm, string study, string outDir, int shards)
    {
        var previous = Environment.GetEnvironmentVariable("SLURM_CONF");
        Environment.SetEnvironmentVariable("SLURM_CONF", slurm.Conf);
        try
        {
            var (code, stdout, err) = CliRunner.Run("study", "slurm", study, "--out", outDir, "--shards", shards.ToString(System.Globalization.CultureInfo.InvariantCulture), "--submit", "--sightline", SightlineOnNodes());
            Assert.True(code == 0, err + slurm.Logs());
            var ids = System.Text.RegularExpressions.Regex.Match(stdout, @"Submitted array job (\d+) \(\d+ tasks\) and merge job (\d+)");
            Assert.True(ids.Success, stdout);
            return (ids.Groups[1].Value, ids.Groups[2].Value);
        }
        finally
        {
            Environment.SetEnvironmentVariable("SLURM_CONF", previous);
        }
    }

    /// <summary>Waits until <paramref name="done"/> holds, failing with the queue, the job logs and the cluster's logs after <paramref name="seconds"/>.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void WaitFor(LocalSlurm slurm, string outDir, Func<bool> done, string what, int seconds = 90)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(seconds))
            {
                var queue = slurm.Output("squeue", ["-h", "-o", "%i %T %r"]);
                var logs = Directory.Exists(Path.Combine(outDir, "slurm", "logs"))
                    ? string.Join("\n", Directory.EnumerateFiles(Path.Combine(outDir, "slurm", "logs")).Select(f => $"--- {Path.GetFileName(f)}\n{File.ReadAllText(f)}")) : "(no job logs)";
                Assert.Fail($"{what}: not after {clock.Elapsed.TotalSeconds:0} s (queue: '{queue.Trim()}').\n{logs}\n{slurm.Logs()}");
            }
            Thread.Sleep(250);
        }
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void A_three_task_slurm_array_and_its_merge_job_equal_the_single_process_run_row_for_row()
    {
        Assert.True(LocalSlurm.Missing() is null, LocalSlurm.Missing());
        using var dir = new TempDir();
        var (study, reference) = SingleProcessReference(dir);

        using var slurm = LocalSlurm.Start(TimeSpan.FromSeconds(30));
        var outDir = dir.File("cluster");
        Submit(slurm, study, outDir, 3);
        var last = Path.Combine(outDir, "aggregates", "accuracy.json"); // the merge job's last file
        WaitFor(slurm, outDir, () => File.Exists(last), $"the Slurm jobs did not produce {last}");
        Assert.Equal(3, Directory.EnumerateFiles(Path.Combine(outDir, "slurm", "logs"), "shard-*.out").Count());
        AssertSameResults(reference, outDir);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void A_failed_array_task_resubmitted_alone_fills_in_only_its_own_units_and_the_merge_equals_the_single_process_run()
    {
        Assert.True(LocalSlurm.Missing() is null, LocalSlurm.Missing());
        using var dir = new TempDir();
        var (study, reference) = SingleProcessReference(dir);

        // 16 units; shard 1 of 3 computes units 1, 4, 7, 10 and 13, in that order. A folder where unit 7's chunk goes
        // makes that write fail, as a full or read-only file system would: the task stores units 1 and 4, then exits 2.
        var outDir = dir.File("cluster");
        var chunks = StudyStore.ChunkFolder(outDir, StudyStore.Read(reference).Manifest.Signature);
        var blocked = Path.Combine(chunks, "u000007.parquet");
        Directory.CreateDirectory(blocked);
        using var slurm = LocalSlurm.Start(TimeSpan.FromSeconds(30));
        var (_, merge) = Submit(slurm, study, outDir, 3);

        // The array ends with task 1 failed: the merge job (afterok) never runs; it waits on a dependency never satisfied.
        WaitFor(slurm, outDir, () => slurm.Output("squeue", ["-h", "-o", "%i %T %r"]).Trim() == $"{merge} PENDING DependencyNeverSatisfied",
            "the array did not end with the merge job held back");
        var failedLog = File.ReadAllText(Path.Combine(outDir, "slurm", "logs", "shard-1.out"));
        Assert.Contains($"cannot write {blocked}", failedLog);
        Assert.DoesNotContain("at Sightline.", failedLog); // one line, no stack trace
        Assert.False(File.Exists(Path.Combine(outDir, "scores.parquet")));
        var store = StudyStore.Read(outDir);
        Assert.Equal(Enumerable.Range(0, 16).Except([7, 10, 13]), store.DoneUnits());
        var (code, _, err) = CliRunner.Run("study", "merge", outDir);
        Assert.Equal(2, code);
        Assert.Contains("3 of 16 work units are not stored yet (e.g. units 7, 10, 13)", err);
        var before = store.DoneUnits().ToDictionary(u => u, u => (File.ReadAllBytes(store.ChunkPath(u)), File.GetLastWriteTimeUtc(store.ChunkPath(u))));

        // Fix the cause, cancel the stranded merge job, resubmit task 1 alone and a merge after it (README, "Slurm").
        Directory.Delete(blocked);
        slurm.Output("scancel", [merge]);
        var task = slurm.Output("sbatch", ["--parsable", "--array=1", Path.Combine(outDir, "slurm", "study.sbatch")]).Trim().Split(';')[0];
        Assert.True(task.Length > 0, "sbatch --array=1 failed\n" + slurm.Logs());
        Assert.NotEqual("", slurm.Output("sbatch", ["--parsable", $"--dependency=afterok:{task}", Path.Combine(outDir, "slurm", "merge.sbatch")]).Trim());
        var last = Path.Combine(outDir, "aggregates", "accuracy.json");
        WaitFor(slurm, outDir, () => File.Exists(last), $"the resubmitted task and merge did not produce {last}");

        var log = File.ReadAllText(Path.Combine(outDir, "slurm", "logs", "shard-1.out"));
        Assert.Contains("shard 1/3: computed 3 of 5 units", log);
        Assert.Contains("(resumed: 2 of 5 units already done)", log);
        // Only task 1's missing units were written; every stored chunk (its own and the other shards') is untouched.
        Assert.Equal(Enumerable.Range(0, 16), store.DoneUnits());
        foreach (var (u, (bytes, written)) in before)
        {
            Assert.Equal(bytes, File.ReadAllBytes(store.ChunkPath(u)));
            Assert.Equal(written, File.GetLastWriteTimeUtc(store.ChunkPath(u)));
        }
        var rows = StudyTestKit.Rows(Path.Combine(outDir, "scores.parquet"));
        Assert.Equal(rows.Count, rows.Select(r => string.Join("|", r.Split('|').Where((_, i) => i is 1 or 2 or 3 or 4 or 6 or 9))).Distinct().Count()); // no duplicates
        AssertSameResults(reference, outDir);
    }

    /// <summary>The study of <see cref="WriteStudy"/>, run and merged in one process: what every cluster run must equal.</summary>
    private static (string Study, string Reference) SingleProcessReference(TempDir dir)
    {
        var study = WriteStudy(dir);
        var reference = dir.File("ref");
        Assert.Equal(0, CliRunner.Run("study", "run", study, "--out", reference).Code);
        Assert.Equal(0, CliRunner.Run("study", "merge", reference).Code);
        return (study, reference);
    }

    /// <summary>The merged rows equal the reference's row for row, and so does every aggregate table.</summary>
    private static void AssertSameResults(string reference, string outDir)
    {
        Assert.Equal(StudyTestKit.Rows(Path.Combine(reference, "scores.parquet")), StudyTestKit.Rows(Path.Combine(outDir, "scores.parquet")));
        foreach (var table in StudyMerge.Tables)
            Assert.Equal(File.ReadAllText(Path.Combine(reference, "aggregates", table + ".csv")), File.ReadAllText(Path.Combine(outDir, "aggregates", table + ".csv")));
    }

    [Theory]
    [InlineData("run")]
    [InlineData("merge")]
    [InlineData("slurm")]
    [InlineData("report")]
    public void Study_help_matches_its_snapshot(string sub)
    {
        var (code, stdout, _) = CliRunner.Run("study", sub, "--help");
        Assert.Equal(0, code);
        Snapshot.Match($"study-{sub}-help.txt", stdout);
    }
}
