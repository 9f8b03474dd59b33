using System.Diagnostics;
using Sightline.Benchmarks.Study;
using Sightline.Studies;
using Sightline.Tests.Cli;

namespace Sightline.Tests.Studies;

/// <summary>The small version of the load benchmark (bench/study): 8 methods × 2 models, killed at three random points.</summary>
public sealed class StudyLoadTests
{
    [Fact]
    public void A_load_study_killed_at_three_random_points_resumes_to_the_uninterrupted_result()
    {
        using var dir = new TempDir();
        const int samples = 160;
        var study = SyntheticStudy.Write(dir.File("data"), samples, AlignCommandTests.RepoRoot(), chunk: 20);
        var reference = dir.File("ref");
        var (code, _, err) = CliRunner.Run("study", "run", study, "--out", reference);
        Assert.True(code == 0, err);
        Assert.Equal(0, CliRunner.Run("study", "merge", reference).Code);
        var expected = StudyTestKit.Rows(Path.Combine(reference, "scores.parquet"));
        Assert.Equal(samples * 8 * 2 * 2 * 3, expected.Count); // samples × methods × models × mask sets × metrics, once each

        var outDir = dir.File("killed");
        int units = 2 * 8 * (samples / 20);
        var rng = new Random(13);
        var points = Enumerable.Range(0, 3).Select(_ => rng.Next(1, units)).Order().ToList();
        int Stored() => Directory.Exists(Path.Combine(outDir, "chunks")) ? Directory.EnumerateFiles(Path.Combine(outDir, "chunks"), "u*.parquet", SearchOption.AllDirectories).Count() : 0;
        foreach (var point in points)
        {
            if (Stored() >= point) continue;
            using var p = Process.Start(StudyCommandTests.Cli(["study", "run", study, "--out", outDir]))!;
            var clock = Stopwatch.StartNew();
            while (Stored() < point && !p.HasExited && clock.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(5);
            Assert.False(p.HasExited && p.ExitCode != 0, $"the run failed before the kill: {(p.HasExited ? p.StandardError.ReadToEnd() : "")}");
            if (!p.HasExited) p.Kill();
            p.WaitForExit();
        }
        int before = Stored();
        string stdout;
        (code, stdout, err) = CliRunner.Run("study", "run", study, "--out", outDir);
        Assert.True(code == 0, err);
        if (before < units) Assert.Contains($"(resumed: {before} of {units} units already done)", stdout);
        Assert.Equal(0, CliRunner.Run("study", "merge", outDir).Code);
        Assert.Equal(expected, StudyTestKit.Rows(Path.Combine(outDir, "scores.parquet")));
        foreach (var table in StudyMerge.Tables)
            Assert.Equal(File.ReadAllText(Path.Combine(reference, "aggregates", table + ".csv")), File.ReadAllText(Path.Combine(outDir, "aggregates", table + ".csv")));
    }
}
