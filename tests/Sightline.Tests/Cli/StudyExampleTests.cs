using System.Globalization;

namespace Sightline.Tests.Cli;

/// <summary>The example studies of examples/studies run end to end (run, merge, report) and show what they are for.</summary>
public sealed class StudyExampleTests
{
    private static string Study(string name) => Path.Combine(AlignCommandTests.RepoRoot(), "examples", "studies", name, "study.yaml");

    private static string RunAll(TempDir dir, string name)
    {
        var outDir = dir.File(name);
        foreach (var args in new[]
                 {
                     new[] { "study", "run", Study(name), "--out", outDir },
                     ["study", "merge", outDir],
                     ["study", "report", outDir, "--out", Path.Combine(outDir, "report.html")],
                 })
        {
            var (code, _, err) = CliRunner.Run(args);
            Assert.True(code == 0, $"{string.Join(' ', args)}: exit {code}: {err}");
        }
        Assert.True(new FileInfo(Path.Combine(outDir, "report.html")).Length > 10_000);
        return outDir;
    }

    private static List<Dictionary<string, string>> Csv(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        return [.. lines.Skip(1).Select(l => header.Zip(l.Split(',')).ToDictionary(p => p.First, p => p.Second))];
    }

    private static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    [Fact]
    public void The_planted_cue_study_shows_the_spurious_model_pointing_at_the_square()
    {
        using var dir = new TempDir();
        var outDir = RunAll(dir, "planted-cue");
        var summary = Csv(Path.Combine(outDir, "aggregates", "summary.csv"));
        double Mean(string model, string method, string mask, string metric) =>
            D(summary.Single(r => r["model"] == model && r["method"] == method && r["mask_set"] == mask && r["metric"] == metric)["mean"]);
        Assert.True(Mean("spurious", "saliency", "square", "pointing_game") > 0.5);
        Assert.True(Mean("clean", "saliency", "square", "pointing_game") < 0.1);
        Assert.True(Mean("clean", "saliency", "object", "iou") > Mean("spurious", "saliency", "object", "iou"));
        var accuracy = Csv(Path.Combine(outDir, "aggregates", "accuracy.csv"));
        Assert.All(accuracy, r => Assert.True(D(r["accuracy"]) > 0.9, $"{r["model"]} accuracy {r["accuracy"]}"));
        var comparisons = Csv(Path.Combine(outDir, "aggregates", "comparisons.csv"));
        var squarePg = comparisons.Single(r => r["method"] == "saliency" && r["mask_set"] == "square" && r["metric"] == "pointing_game");
        Assert.Equal(("true", "clean"), (squarePg["significant"], squarePg["better"])); // on the planted cue, pointing less is better
    }

    [Fact]
    public void The_semscore_study_scores_every_class_of_every_scene()
    {
        using var dir = new TempDir();
        var outDir = RunAll(dir, "semscore");
        var semscore = Csv(Path.Combine(outDir, "aggregates", "semscore.csv"));
        var a = semscore.Single(r => r["model"] == "scenes_a" && r["method"] == "gradcam" && r["metric"] == "sss");
        Assert.Equal(("120", "120"), (a["samples"], a["screened"]));
        Assert.True(int.Parse(a["predictions"], CultureInfo.InvariantCulture) > 240); // two or three classes per scene
        Assert.InRange(D(a["ppa"]), 0, 1);
        Assert.InRange(D(a["pia"]), 0, 1);
        var classes = Csv(Path.Combine(outDir, "aggregates", "classes.csv")).Where(r => r["model"] == "scenes_a" && r["method"] == "gradcam" && r["metric"] == "sss").ToList();
        Assert.Equal(10, classes.Count);
        Assert.Equal(3, classes.Count(r => r["top"] == "true"));
        var defined = classes.Where(r => r["mean"] != "NaN").Select(r => D(r["mean"])).ToList();
        Assert.Equal(defined.Order(), defined); // least spurious first; classes whose maps are all empty (NaN) last
        Assert.Equal(classes.Select(r => r["rank"]), Enumerable.Range(1, 10).Select(i => i.ToString(CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void The_feature_ranking_study_ranks_the_object_first_for_the_clean_model_and_the_square_for_the_spurious_one()
    {
        using var dir = new TempDir();
        var outDir = RunAll(dir, "feature-ranking");
        var ranking = Csv(Path.Combine(outDir, "aggregates", "feature_ranking.csv")).Where(r => r["method"] == "saliency" && r["metric"] == "iou").ToList();
        Assert.Equal(6, ranking.Count); // 2 models × 3 mask sets
        Assert.Equal("object", ranking.Single(r => r["model"] == "clean" && r["rank"] == "1")["mask_set"]);
        var top = ranking.Single(r => r["model"] == "spurious" && r["rank"] == "1");
        Assert.Equal(("square", "true"), (top["mask_set"], top["distinguishable_from_next"]));
    }
}
