using System.Globalization;
using Sightline.Studies;
using Sightline.Tests.Cli;

namespace Sightline.Tests.Studies;

public sealed class StudyMergeTests
{
    private static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    [Fact]
    public void Holm_adjusts_p_values_step_down_and_keeps_them_monotone()
    {
        var adjusted = StudyMerge.HolmAdjusted([0.01, 0.04, 0.03, 0.005, double.NaN]);
        Assert.Equal(0.03, adjusted[0], 12);
        Assert.Equal(0.06, adjusted[1], 12);
        Assert.Equal(0.06, adjusted[2], 12);
        Assert.Equal(0.02, adjusted[3], 12);
        Assert.True(double.IsNaN(adjusted[4]));
        Assert.Equal(1.0, StudyMerge.HolmAdjusted([0.6, 0.7])[0]);
    }

    [Fact]
    public void Merge_refuses_while_units_are_missing_and_names_the_fix()
    {
        using var dir = new TempDir();
        var study = StudyTestKit.Write(dir);
        StudyTestKit.Run(study, dir.File("out"), 0, 2);
        var e = Assert.Throws<InputDataException>(() => StudyMerge.Run(dir.File("out")));
        Assert.Contains("10 of 20 work units are not stored yet", e.Message);
        Assert.Contains("study run", e.Message);
    }

    [Fact]
    public void Aggregates_agree_with_the_merged_rows()
    {
        using var dir = new TempDir();
        var study = StudyTestKit.Write(dir, targets: "{kind: mask_classes, from: parts}", metrics: "[sss, iou, pointing_game]");
        StudyTestKit.Run(study, dir.File("out"));
        StudyMerge.Run(dir.File("out"));
        var rows = StudyTestKit.Rows(dir.File("out/scores.parquet")).Select(r => r.Split('|'))
            .Where(r => r[1] == "b" && r[2] == "gradcam" && r[3] == "object" && r[9] == "iou" && r[11] != StudyRunner.NoValidClass).ToList();
        var values = rows.Select(r => D(r[10])).Where(v => !double.IsNaN(v)).ToList();

        var summary = File.ReadAllLines(dir.File("out/aggregates/summary.csv")).Single(l => l.StartsWith("b,gradcam,object,object,iou,", StringComparison.Ordinal)).Split(',');
        Assert.Equal(values.Average(), D(summary[6]), 12);
        Assert.True(D(summary[7]) <= D(summary[6]) && D(summary[6]) <= D(summary[8]));
        Assert.Equal(values.Count.ToString(CultureInfo.InvariantCulture), summary[11]);

        var semscore = File.ReadAllLines(dir.File("out/aggregates/semscore.csv")).Single(l => l.StartsWith("b,gradcam,object,iou,", StringComparison.Ordinal)).Split(',');
        var pia = rows.Where(r => !double.IsNaN(D(r[10]))).GroupBy(r => r[4]).Select(g => g.Average(r => D(r[10]))).Average();
        Assert.Equal(values.Average(), D(semscore[4]), 12); // PPA
        Assert.Equal(pia, D(semscore[5]), 12);

        var classes = File.ReadAllLines(dir.File("out/aggregates/classes.csv")).Where(l => l.StartsWith("b,gradcam,object,iou,", StringComparison.Ordinal)).Select(l => l.Split(',')).ToList();
        Assert.Equal(2, classes.Count);
        Assert.True(D(classes[0][6]) >= D(classes[1][6])); // higher iou is better: best first
        foreach (var c in classes)
            Assert.Equal(rows.Where(r => r[6] == c[4]).Select(r => D(r[10])).Where(v => !double.IsNaN(v)).Average(), D(c[6]), 12);

        var comparisons = File.ReadAllLines(dir.File("out/aggregates/comparisons.csv"));
        Assert.Equal("method,mask_set,role,metric,model_a,model_b,n,mean_difference,ci_low,ci_high,p_value,p_holm,significant,better", comparisons[0]);
        Assert.Contains(comparisons, l => l.StartsWith("gradcam,object,object,iou,a,b,46,", StringComparison.Ordinal));

        var ranking = File.ReadAllLines(dir.File("out/aggregates/feature_ranking.csv")).Skip(1).Select(l => l.Split(','))
            .Where(r => r[0] == "a" && r[1] == "saliency" && r[2] == "iou").ToList();
        Assert.Equal(["1", "2"], ranking.Select(r => r[3]));
        Assert.True(D(ranking[0][6]) >= D(ranking[1][6]));
        Assert.Equal(ranking[1][4], ranking[0][10]);
        Assert.Contains(ranking[0][15], new[] { "true", "false" });

        var accuracy = File.ReadAllLines(dir.File("out/aggregates/accuracy.csv"));
        Assert.Equal(3, accuracy.Length);
        Assert.StartsWith("a,24,", accuracy[1]);
        foreach (var ext in new[] { ".parquet", ".json" })
            Assert.True(File.Exists(dir.File("out/aggregates/summary" + ext)));
    }
}
