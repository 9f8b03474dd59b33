using Sightline.Studies;
using Sightline.Tests.Cli;

namespace Sightline.Tests.Studies;

public sealed class StudyRunnerTests
{
    private const string Order = "model, method, mask_set, sample, target, metric";

    [Fact]
    public void Shards_opening_a_new_store_at_the_same_moment_all_succeed_with_one_manifest()
    {
        // The tasks of a Slurm array start together: each must see either no manifest (and write it) or the complete one,
        // never refuse a manifest another shard has just created (a check-then-read race once made one task exit 2).
        using var dir = new TempDir();
        var plan = StudyPlan.Create(StudyFile.Load(StudyTestKit.Write(dir)));
        var signature = plan.Signature(new ManagedStudyLoader());
        for (int round = 0; round < 300; round++)
        {
            var outDir = dir.File($"out{round}");
            using var go = new Barrier(8);
            var errors = new System.Collections.Concurrent.ConcurrentBag<Exception>();
            var threads = Enumerable.Range(0, 8).Select(_ => new Thread(() =>
            {
                go.SignalAndWait();
                try { StudyStore.Open(outDir, plan, signature, force: false); }
                catch (Exception e) { errors.Add(e); }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            Assert.Empty(errors);
            Assert.Equal(signature, StudyStore.Read(outDir).Manifest.Signature);
        }
    }

    [Fact]
    public void Shards_partition_the_work_units_exactly_once_and_deterministically()
    {
        using var dir = new TempDir();
        var plan = StudyPlan.Create(StudyFile.Load(StudyTestKit.Write(dir)));
        Assert.Equal(2 * 2 * 5, plan.Units); // 2 models × 2 methods × ⌈24/5⌉ chunks
        var all = Enumerable.Range(0, 3).SelectMany(s => plan.Shard(s, 3)).Select(u => u.Id).OrderBy(i => i).ToList();
        Assert.Equal(Enumerable.Range(0, plan.Units), all);
        Assert.Equal(plan.Shard(1, 3).Select(u => u.Id), plan.Shard(1, 3).Select(u => u.Id));
        var last = plan.Unit(plan.Units - 1);
        Assert.Equal((1, 1, 20, 4), (last.Model, last.Method, last.Start, last.Count));
        Assert.Equal(24, Enumerable.Range(0, 5).Sum(c => plan.Unit(c).Count));
    }

    [Fact]
    public void Three_shards_merge_to_the_same_rows_as_one_process()
    {
        using var dir = new TempDir();
        var study = StudyTestKit.Write(dir);
        var single = StudyTestKit.Run(study, dir.File("one"));
        Assert.True(single.StudyComplete);
        Assert.Equal(0, single.FailedSamples);
        for (int s = 0; s < 3; s++)
        {
            var r = StudyTestKit.Run(study, dir.File("three"), s, 3);
            Assert.Equal(s == 2, r.StudyComplete);
        }
        // One worker thread (nested parallel loops limited to it) gives the same rows too.
        StudyRunner.Run(StudyPlan.Create(StudyFile.Load(study)), new ManagedStudyLoader(), new StudyRunOptions(dir.File("thread"), Threads: 1));
        StudyMerge.Run(dir.File("one"));
        StudyMerge.Run(dir.File("three"));
        StudyMerge.Run(dir.File("thread"));
        Assert.Equal(StudyTestKit.Rows(dir.File("one/scores.parquet")), StudyTestKit.Rows(dir.File("thread/scores.parquet")));
        var a = StudyTestKit.Rows(dir.File("one/scores.parquet"));
        var b = StudyTestKit.Rows(dir.File("three/scores.parquet"));
        // 24 predicted targets × (3 mask metrics × 2 sets + sparseness) per model and method.
        Assert.Equal(2 * 2 * 24 * 7, a.Count);
        Assert.Equal(a, b);
        foreach (var table in StudyMerge.Tables)
            Assert.Equal(File.ReadAllText(dir.File($"one/aggregates/{table}.csv")), File.ReadAllText(dir.File($"three/aggregates/{table}.csv")));
    }

    [Fact]
    public void Rows_are_long_format_with_mask_free_metrics_scored_once()
    {
        using var dir = new TempDir();
        var study = StudyTestKit.Write(dir);
        StudyTestKit.Run(study, dir.File("out"));
        var store = StudyStore.Read(dir.File("out"));
        var rows = StudyTestKit.Rows(store.ChunkPath(0));
        Assert.Equal(5 * 7, rows.Count);
        var cells = rows[0].Split('|');
        Assert.Equal(StudyRunner.ColumnNames.Count, cells.Length);
        Assert.Equal(["kit", "a", "saliency", "object", "0", "0"], cells[..6]);
        var sparseness = rows.Where(r => r.Split('|')[9] == "sparseness").ToList();
        Assert.Equal(5, sparseness.Count);
        Assert.All(sparseness, r => Assert.Equal("", r.Split('|')[3]));
    }

    [Fact]
    public void A_killed_run_resumes_with_only_the_missing_units_and_identical_rows()
    {
        using var dir = new TempDir();
        var study = StudyTestKit.Write(dir);
        var outDir = dir.File("out");
        StudyTestKit.Run(study, outDir);
        StudyMerge.Run(outDir);
        var before = StudyTestKit.Rows(dir.File("out/scores.parquet"));
        var store = StudyStore.Read(outDir);
        // What a kill leaves: units never written, and a temporary file of a unit in flight.
        File.Delete(store.ChunkPath(3));
        File.Delete(store.ChunkPath(11));
        var stale = Path.Combine(store.ChunkDirectory, ".u000011.parquet.99999.tmp");
        File.WriteAllText(stale, "half a parquet file");
        Assert.Throws<InputDataException>(() => StudyMerge.Run(outDir));
        var resumed = StudyTestKit.Run(study, outDir);
        Assert.Equal(2, resumed.Computed);
        Assert.Equal(18, resumed.AlreadyDone);
        Assert.False(File.Exists(stale));
        StudyMerge.Run(outDir);
        Assert.Equal(before, StudyTestKit.Rows(dir.File("out/scores.parquet")));
        Assert.Equal(0, StudyTestKit.Run(study, outDir).Computed);
    }

    [Fact]
    public void A_changed_study_or_input_is_refused_unless_forced_but_statistics_may_change()
    {
        using var dir = new TempDir();
        var study = StudyTestKit.Write(dir);
        var outDir = dir.File("out");
        StudyTestKit.Run(study, outDir);
        var text = File.ReadAllText(study);

        File.WriteAllText(study, text.Replace("bootstrap: 200", "bootstrap: 300"));
        Assert.Equal(0, StudyTestKit.Run(study, outDir).Computed);
        Assert.Equal(300, StudyMerge.Statistics(StudyStore.Read(outDir).Manifest).Bootstrap);

        File.WriteAllText(study, text.Replace("sparseness]", "sparseness, gtc]"));
        var e = Assert.Throws<InputDataException>(() => StudyTestKit.Run(study, outDir));
        Assert.Contains("with other settings or inputs", e.Message);
        Assert.Contains("--force", e.Message);
        File.WriteAllText(study, text);

        File.WriteAllText(dir.File("a.model"), "5"); // the same size and name, another model
        Assert.Throws<InputDataException>(() => StudyTestKit.Run(study, outDir));
        var forced = StudyTestKit.Run(study, outDir, force: true);
        Assert.Equal(20, forced.Computed);
        Assert.Single(Directory.GetDirectories(dir.File("out/chunks")));
    }

    [Theory]
    [InlineData("x.npy")]   // the data
    [InlineData("y.npy")]   // the labels
    [InlineData("obj.npy")] // a mask set
    [InlineData("parts.npy")]
    public void A_changed_input_file_of_the_same_size_is_refused_and_the_original_is_accepted_again(string file)
    {
        using var dir = new TempDir();
        var study = StudyTestKit.Write(dir, samples: 10);
        var outDir = dir.File("out");
        StudyTestKit.Run(study, outDir, 0, 2); // a half-done run: its other shard must not mix with other inputs
        var original = File.ReadAllBytes(dir.File(file));
        var changed = (byte[])original.Clone();
        changed[^3] ^= 1; // one bit of the last sample, same size and name
        File.WriteAllBytes(dir.File(file), changed);
        var e = Assert.Throws<InputDataException>(() => StudyTestKit.Run(study, outDir, 1, 2));
        Assert.Contains("with other settings or inputs", e.Message);
        File.WriteAllBytes(dir.File(file), original);
        var resumed = StudyTestKit.Run(study, outDir, 1, 2);
        Assert.True(resumed.StudyComplete);
        Assert.Equal(0, resumed.AlreadyDone);
    }

    [Fact]
    public void Mask_classes_explains_every_class_of_the_label_map_and_keeps_empty_samples_as_status_rows()
    {
        using var dir = new TempDir();
        var study = StudyTestKit.Write(dir, targets: "{kind: mask_classes, from: parts}", metrics: "[sss, iou]", models: "a: 1", methods: "[{name: gradcam, layer: features}]");
        var outDir = dir.File("out");
        StudyTestKit.Run(study, outDir);
        StudyMerge.Run(outDir);
        var rows = StudyTestKit.Rows(dir.File("out/scores.parquet")).Select(r => r.Split('|')).ToList();
        // sample 3 has no class: one status row per mask set and metric
        var empty = rows.Where(r => r[4] == "3").ToList();
        Assert.Equal(4, empty.Count);
        Assert.All(empty, r => Assert.Equal(("-1", "NaN", StudyRunner.NoValidClass), (r[6], r[10], r[11])));
        Assert.Equal(["1", "3"], rows.Where(r => r[4] == "0").Select(r => r[6]).Distinct());
        var semscore = File.ReadAllLines(dir.File("out/aggregates/semscore.csv"));
        var sss = semscore.Single(l => l.StartsWith("a,gradcam,parts,sss,", StringComparison.Ordinal)).Split(',');
        Assert.Equal((23.0 / 24).ToString("R", System.Globalization.CultureInfo.InvariantCulture), sss[6]); // screening rate
        Assert.Equal(("24", "23", "46"), (sss[7], sss[8], sss[9]));
        // Per target, the parts mask is the class's own pixels: a map scored against class 2 and class 4 differs.
        var iouParts = rows.Where(r => r[3] == "parts" && r[9] == "iou" && r[4] == "0").Select(r => r[10]).ToList();
        Assert.Equal(2, iouParts.Count);
        Assert.NotEqual(iouParts[0], iouParts[1]);
    }

    [Fact]
    public void A_sample_with_a_non_finite_input_fails_alone_with_status_rows()
    {
        using var dir = new TempDir();
        var study = StudyTestKit.Write(dir, metrics: "[iou, sparseness]", models: "a: 1", methods: "[saliency]");
        float[] x;
        using (var reader = Sightline.IO.NpyReader.Open(dir.File("x.npy"))) x = reader.ReadAll<float>();
        x[2 * 3 * 64 + 5] = float.NaN; // sample 2
        Sightline.IO.Npy.Write<float>(dir.File("x.npy"), x, 24, 3, 8, 8);
        var result = StudyTestKit.Run(study, dir.File("out"));
        Assert.Equal(1, result.FailedSamples);
        StudyMerge.Run(dir.File("out"));
        var rows = StudyTestKit.Rows(dir.File("out/scores.parquet")).Select(r => r.Split('|')).Where(r => r[4] == "2").ToList();
        Assert.Equal(3, rows.Count); // iou × 2 mask sets + sparseness
        Assert.All(rows, r => Assert.Equal(("-1", "-1", "NaN", Sightline.Evaluation.EvaluationPipeline.NonFiniteInput), (r[6], r[8], r[10], r[11])));
        var semscore = File.ReadAllLines(dir.File("out/aggregates/semscore.csv")).Single(l => l.StartsWith("a,saliency,object,iou,", StringComparison.Ordinal)).Split(',');
        Assert.Equal(("24", "23"), (semscore[7], semscore[8])); // counted in samples, not screened
    }
}
