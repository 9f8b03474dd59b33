using System.Globalization;
using System.Text.Json.Nodes;
using Sightline.Evaluation;
using Sightline.Results;
using Sightline.Studies;
using Sightline.Tests.Cli;

namespace Sightline.Tests.Studies;

/// <summary>
/// <c>study merge</c> on hand-made run stores whose every row value is known, so each aggregate is checked against a
/// number computed by hand from the definitions (SemScore spec §6; Explanation Alignment §7.3; Holm 1979), not against
/// a re-implementation of the merge.
/// </summary>
public sealed class StudyMergeKnownAnswerTests
{
    private const string Signature = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    /// <summary>One row of a study chunk (the columns of <see cref="StudyRunner.ColumnNames"/> after study, model, method).</summary>
    internal sealed record Row(string Mask, long Sample, long Target, long Label, long Predicted, string Metric, double Value, string? Reason = null);

    /// <summary>
    /// Writes a store by hand: the manifest (format 1) and one chunk per model (a single method, one unit per model,
    /// so unit id = model index).
    /// </summary>
    internal static string WriteStore(TempDir dir, string targets, string[] models, string method, string[] maskSets, string[] roles, string[] metrics,
        int samples, int classRank, Func<string, IEnumerable<Row>> rowsOf)
    {
        var outDir = dir.File("store");
        var chunks = Path.Combine(outDir, "chunks", Signature[..16]);
        Directory.CreateDirectory(chunks);
        static JsonArray A(IEnumerable<string> xs) => new([.. xs.Select(x => (JsonNode)x)]);
        var manifest = new JsonObject
        {
            ["format"] = 1, ["study"] = "known", ["signature"] = Signature, ["study_file"] = dir.File("study.yaml"), ["samples"] = samples,
            ["units"] = models.Length, ["chunk"] = samples, ["models"] = A(models), ["methods"] = A([method]), ["mask_sets"] = A(maskSets),
            ["mask_roles"] = A(roles), ["metrics"] = A(metrics), ["targets"] = targets,
            ["definition"] = new JsonObject
            {
                ["statistics"] = new JsonObject
                {
                    ["bootstrap"] = 500, ["permutations"] = 2000, ["seed"] = 42, ["class_rank"] = classRank, ["feature_ranking"] = A(["iou", "pointing_game"]),
                },
            },
        };
        File.WriteAllText(Path.Combine(outDir, "manifest.json"), manifest.ToJsonString());
        for (int u = 0; u < models.Length; u++)
        {
            var rows = rowsOf(models[u]).ToList();
            int n = rows.Count;
            var table = new ResultTable()
                .Add(new StringColumn("study", [.. Enumerable.Repeat("known", n)]))
                .Add(new StringColumn("model", [.. Enumerable.Repeat(models[u], n)]))
                .Add(new StringColumn("method", [.. Enumerable.Repeat(method, n)]))
                .Add(new StringColumn("mask_set", [.. rows.Select(r => r.Mask)]))
                .Add(new Int64Column("sample", [.. rows.Select(r => r.Sample)]))
                .Add(new StringColumn("image_id", [.. rows.Select(r => $"img{r.Sample}")]))
                .Add(new Int64Column("target", [.. rows.Select(r => r.Target)]))
                .Add(new Int64Column("label", [.. rows.Select(r => r.Label)]))
                .Add(new Int64Column("predicted", [.. rows.Select(r => r.Predicted)]))
                .Add(new StringColumn("metric", [.. rows.Select(r => r.Metric)]))
                .Add(new DoubleColumn("value", [.. rows.Select(r => r.Value)]))
                .Add(new StringColumn("reason", [.. rows.Select(r => r.Reason)]));
            ResultWriter.Write(table, Path.Combine(chunks, $"u{u:D6}.parquet"));
        }
        return outDir;
    }

    /// <summary>An aggregate CSV as rows keyed by column name.</summary>
    private static List<Dictionary<string, string>> Csv(string store, string table)
    {
        var lines = File.ReadAllLines(Path.Combine(store, "aggregates", table + ".csv"));
        var header = lines[0].Split(',');
        return [.. lines.Skip(1).Select(l => l.Split(',')).Select(cells => header.Zip(cells).ToDictionary(p => p.First, p => p.Second))];
    }

    private static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    [Fact]
    public void Semscore_levels_and_the_screening_rate_equal_their_hand_computed_values()
    {
        // SemScore targets (mask_classes), one model, one method, SSS against the label map "parts". Per sample:
        //   s0: classes 1 and 2, SSS 0.2 and 0.4 (image mean 0.3)      screened
        //   s1: class 1, SSS 0.6                                       screened
        //   s2: class 2, SSS undefined (empty saliency)                screened (spec §6: reached scoring, NaN only)
        //   s3: no valid class (empty label map)                       not screened, counts in n_samples
        //   s4: the image could not be loaded                          not screened, counts in n_samples
        //   s5: classes 1 and 3, SSS 0.1 and 0.9 (image mean 0.5)      screened
        //   s6: non-finite input                                       not screened, counts in n_samples
        // Screening rate = screen_count / n_samples = 4 / 7. PPA = mean of the 5 defined predictions = 2.2 / 5 = 0.44.
        // PIA = mean over images with a defined prediction of the image mean = (0.3 + 0.6 + 0.5) / 3.
        // Class means: class 1 (0.2, 0.6, 0.1) → 0.3 (n 3); class 2 (0.4; the NaN is dropped) → 0.4 (n 1); class 3 → 0.9.
        // SSS is lower-is-better, so the ranking (best = least spurious first) is 1, 2, 3; top-1 = class 1, bottom-1 = class 3.
        using var dir = new TempDir();
        var store = WriteStore(dir, "MaskClasses", ["m"], "gradcam", ["parts"], ["object"], ["sss"], 7, 1, _ =>
        [
            new("parts", 0, 1, 0, 0, "sss", 0.2), new("parts", 0, 2, 0, 0, "sss", 0.4),
            new("parts", 1, 1, 1, 1, "sss", 0.6),
            new("parts", 2, 2, 2, 2, "sss", double.NaN, "empty-saliency"),
            new("parts", 3, -1, 0, 0, "sss", double.NaN, StudyRunner.NoValidClass),
            new("parts", 4, -1, 1, -1, "sss", double.NaN, StudyRunner.LoadFailed + "img4.png: not a PNG file"),
            new("parts", 5, 1, 2, 2, "sss", 0.1), new("parts", 5, 3, 2, 2, "sss", 0.9),
            new("parts", 6, -1, 0, -1, "sss", double.NaN, EvaluationPipeline.NonFiniteInput),
        ]);
        StudyMerge.Run(store);

        var s = Assert.Single(Csv(store, "semscore"));
        Assert.Equal(("m", "gradcam", "parts", "sss"), (s["model"], s["method"], s["mask_set"], s["metric"]));
        Assert.Equal(4.0 / 7, D(s["screening_rate"]), 15);
        Assert.Equal(("7", "4", "6", "1"), (s["samples"], s["screened"], s["predictions"], s["undefined"]));
        Assert.Equal(0.44, D(s["ppa"]), 15);
        Assert.Equal((0.3 + 0.6 + 0.5) / 3, D(s["pia"]), 15);

        var classes = Csv(store, "classes");
        Assert.Equal(["1", "2", "3"], classes.Select(c => c["class"]));
        Assert.Equal(["1", "2", "3"], classes.Select(c => c["rank"]));
        Assert.Equal(new[] { 0.3, 0.4, 0.9 }, classes.Select(c => Math.Round(D(c["mean"]), 12)));
        Assert.Equal(["3", "1", "1"], classes.Select(c => c["n"]));
        Assert.Equal(["true", "false", "false"], classes.Select(c => c["top"]));
        Assert.Equal(["false", "false", "true"], classes.Select(c => c["bottom"]));

        // The summary's mean is the PPA; n counts defined predictions, nan the undefined one (status rows are neither).
        var summary = Assert.Single(Csv(store, "summary"));
        Assert.Equal(0.44, D(summary["mean"]), 15);
        Assert.Equal(("5", "1", "lower"), (summary["n"], summary["nan"], summary["direction"]));
        // Accuracy over loaded samples with a label: s0, s1, s2, s3, s5 (predicted ≥ 0), correct s0, s1, s2, s3, s5 → 5 / 5.
        var accuracy = Assert.Single(Csv(store, "accuracy"));
        Assert.Equal(("5", "5", "1"), (accuracy["n"], accuracy["correct"], accuracy["accuracy"]));
    }

    [Fact]
    public void Screening_counts_each_sample_once_whatever_its_number_of_classes()
    {
        // Three samples, one of them with three classes and one without a class: 2 of 3 samples screened (not 4 of 5 rows).
        using var dir = new TempDir();
        var store = WriteStore(dir, "MaskClasses", ["m"], "gradcam", ["parts"], ["object"], ["sss"], 3, 1, _ =>
        [
            new("parts", 0, 1, 0, 0, "sss", 0.5), new("parts", 0, 2, 0, 0, "sss", 0.5), new("parts", 0, 3, 0, 0, "sss", double.NaN, "empty-saliency"),
            new("parts", 1, -1, 0, 0, "sss", double.NaN, StudyRunner.NoValidClass),
            new("parts", 2, 4, 0, 0, "sss", 0.25),
        ]);
        StudyMerge.Run(store);
        var s = Assert.Single(Csv(store, "semscore"));
        Assert.Equal(2.0 / 3, D(s["screening_rate"]), 15);
        Assert.Equal(("3", "2", "4", "1"), (s["samples"], s["screened"], s["predictions"], s["undefined"]));
        Assert.Equal(1.25 / 3, D(s["ppa"]), 15);
        Assert.Equal((0.5 + 0.25) / 2, D(s["pia"]), 15);
    }

    /// <summary>
    /// Three models on 12 samples (predicted targets), IoU against three object-role mask sets and one spurious cue.
    /// a: v_i = 0.6 + 0.025·i on "object", v_i − 0.2 on "hair" and on "mouth", v_i − 0.5 on "cue";
    /// b: a − 0.1 everywhere, but sample 11 undefined, and samples 0–2 mispredicted; c: equal to a.
    /// </summary>
    internal static string ComparisonStore(TempDir dir)
    {
        string[] sets = ["object", "hair", "mouth", "cue"];
        double[] offset = [0, -0.2, -0.2, -0.5];
        return WriteStore(dir, "Predicted", ["a", "b", "c"], "saliency", sets, ["object", "object", "object", "spurious"], ["iou"], 12, 5, model =>
            Enumerable.Range(0, 12).SelectMany(i => sets.Select((set, k) =>
            {
                double v = 0.6 + 0.025 * i + offset[k];
                long label = i % 3, predicted = model == "b" && i < 3 ? (label + 1) % 3 : label;
                return model switch
                {
                    "b" when i == 11 => new Row(set, i, predicted, label, predicted, "iou", double.NaN, "empty-saliency"),
                    "b" => new Row(set, i, predicted, label, predicted, "iou", v - 0.1),
                    _ => new Row(set, i, predicted, label, predicted, "iou", v),
                };
            })));
    }

    [Fact]
    public void Model_comparisons_and_the_feature_ranking_equal_their_hand_computed_values()
    {
        using var dir = new TempDir();
        string[] sets = ["object", "hair", "mouth", "cue"];
        var store = ComparisonStore(dir);
        StudyMerge.Run(store);

        var comparisons = Csv(store, "comparisons");
        Assert.Equal(12, comparisons.Count); // 3 pairs × 4 mask sets
        foreach (var set in sets)
        {
            var rows = comparisons.Where(r => r["mask_set"] == set).ToList();
            Assert.Equal(["a|b", "a|c", "b|c"], rows.Select(r => r["model_a"] + "|" + r["model_b"]));
            var (ab, ac, bc) = (rows[0], rows[1], rows[2]);
            // a − b = 0.1 on each of the 11 samples both define: the bootstrap CI of a constant is that constant.
            Assert.Equal("11", ab["n"]);
            foreach (var col in new[] { "mean_difference", "ci_low", "ci_high" }) Assert.Equal(0.1, D(ab[col]), 12);
            foreach (var col in new[] { "mean_difference", "ci_low", "ci_high" }) Assert.Equal(-0.1, D(bc[col]), 12);
            // Sign flips of 11 equal differences reach |mean| = 0.1 only when all signs agree: P = 2/2^11 ≈ 0.001, so with
            // 2000 flips p = (1 + #extreme)/2001 stays far below 0.05; a − c = 0 everywhere: every flip ties, p = 1 exactly.
            Assert.InRange(D(ab["p_value"]), 1.0 / 2001, 0.01);
            Assert.InRange(D(bc["p_value"]), 1.0 / 2001, 0.01);
            Assert.Equal(("12", 0.0, 1.0), (ac["n"], D(ac["mean_difference"]), D(ac["p_value"])));
            // Holm over the three pairs of this mask set and metric.
            var holm = StudyMerge.HolmAdjusted([D(ab["p_value"]), D(ac["p_value"]), D(bc["p_value"])]);
            Assert.Equal(holm, rows.Select(r => D(r["p_holm"])));
            Assert.Equal(1.0, holm[1]);
            Assert.Equal(["true", "false", "true"], rows.Select(r => r["significant"]));
            // Higher IoU is better on an object mask; on a spurious cue the model that looks at it less is better.
            bool spurious = set == "cue";
            Assert.Equal(spurious ? "spurious" : "object", ab["role"]);
            Assert.Equal((spurious ? "b" : "a", "", spurious ? "b" : "c"), (ab["better"], ac["better"], bc["better"]));
        }

        // Feature ranking of model a by IoU: object (mean v̄ = 0.7375), then hair and mouth (both v̄ − 0.2, tied: study
        // order), then cue (v̄ − 0.5). object − hair = 0.2 on every sample: distinguishable; hair − mouth = 0: not.
        var ranking = Csv(store, "feature_ranking").Where(r => r["model"] == "a" && r["metric"] == "iou").ToList();
        Assert.Equal(["object", "hair", "mouth", "cue"], ranking.Select(r => r["mask_set"]));
        Assert.Equal(["1", "2", "3", "4"], ranking.Select(r => r["rank"]));
        double mean = Enumerable.Range(0, 12).Average(i => 0.6 + 0.025 * i);
        Assert.Equal(new[] { mean, mean - 0.2, mean - 0.2, mean - 0.5 }.Select(x => Math.Round(x, 12)), ranking.Select(r => Math.Round(D(r["mean"]), 12)));
        Assert.Equal(["hair", "mouth", "cue", ""], ranking.Select(r => r["next_mask_set"]));
        Assert.Equal(new[] { 0.2, 0.0, 0.3 }, ranking.Take(3).Select(r => Math.Round(D(r["difference_to_next"]), 12)));
        Assert.Equal(new[] { 0.2, 0.0, 0.3 }, ranking.Take(3).Select(r => Math.Round(D(r["difference_ci_low"]), 12)));
        Assert.Equal(new[] { 0.2, 0.0, 0.3 }, ranking.Take(3).Select(r => Math.Round(D(r["difference_ci_high"]), 12)));
        Assert.Equal(["true", "false", "true", ""], ranking.Select(r => r["distinguishable_from_next"]));
        Assert.Equal(["12", "12", "12", "12"], ranking.Select(r => r["n"]));
        // Model b's ranking uses its 11 defined samples.
        Assert.All(Csv(store, "feature_ranking").Where(r => r["model"] == "b"), r => Assert.Equal("11", r["n"]));

        // Accuracy: b mislabels samples 0–2, so 9 of 12; a and c 12 of 12.
        var accuracy = Csv(store, "accuracy");
        Assert.Equal(["a|12|12|1", "b|12|9|0.75", "c|12|12|1"], accuracy.Select(r => $"{r["model"]}|{r["n"]}|{r["correct"]}|{r["accuracy"]}"));
    }
}
