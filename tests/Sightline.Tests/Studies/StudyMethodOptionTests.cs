using System.Globalization;
using Sightline.Explainers;
using Sightline.IO;
using Sightline.Studies;
using Sightline.Tests.Cli;

namespace Sightline.Tests.Studies;

/// <summary>Study methods take explain's options as explain parses them: baseline files and channel_reduce none included.</summary>
public sealed class StudyMethodOptionTests
{
    private static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    [Fact]
    public void A_per_sample_baseline_file_gives_each_explained_class_its_own_samples_baseline()
    {
        using var dir = new TempDir();
        var study = StudyTestKit.Write(dir, targets: "{kind: mask_classes, from: parts}", metrics: "[sss]",
            methods: "[{name: ig, method: integrated_gradients, steps: 4, baseline: base.npy, normalise: minmax}]", models: "a: 1");
        // Even samples: the baseline is the input itself (every attribution is 0, SSS undefined); odd samples: zeros.
        var x = NpyReader.Open(dir.File("x.npy")).ReadAll<float>();
        int size = 3 * StudyTestKit.Size * StudyTestKit.Size;
        var baseline = new float[x.Length];
        for (int i = 0; i < 24; i += 2) x.AsSpan(i * size, size).CopyTo(baseline.AsSpan(i * size, size));
        Npy.Write<float>(dir.File("base.npy"), baseline, 24, 3, StudyTestKit.Size, StudyTestKit.Size);
        StudyTestKit.Run(study, dir.File("out"));
        StudyMerge.Run(dir.File("out"));
        var rows = StudyTestKit.Rows(dir.File("out/scores.parquet")).Select(r => r.Split('|')).Where(r => r[3] == "parts" && r[11] != StudyRunner.NoValidClass).ToList();
        Assert.Equal(2 * 23, rows.Count); // two classes in every label map but sample 3's
        Assert.All(rows.Where(r => int.Parse(r[4], CultureInfo.InvariantCulture) % 2 == 0), r => Assert.True(double.IsNaN(D(r[10])), string.Join("|", r)));
        Assert.All(rows.Where(r => int.Parse(r[4], CultureInfo.InvariantCulture) % 2 == 1), r => Assert.False(double.IsNaN(D(r[10])), string.Join("|", r)));

        // The same study with baseline: zero equals the odd samples' rows; the file's content is part of the signature.
        var zero = StudyTestKit.Write(dir, targets: "{kind: mask_classes, from: parts}", metrics: "[sss]",
            methods: "[{name: ig, method: integrated_gradients, steps: 4, baseline: zero, normalise: minmax}]", models: "a: 1");
        StudyTestKit.Run(zero, dir.File("zero"));
        StudyMerge.Run(dir.File("zero"));
        var zeroRows = StudyTestKit.Rows(dir.File("zero/scores.parquet")).Select(r => r.Split('|')).Where(r => r[3] == "parts" && r[11] != StudyRunner.NoValidClass).ToList();
        Assert.Equal(rows.Where(r => int.Parse(r[4], CultureInfo.InvariantCulture) % 2 == 1).Select(r => r[10]),
            zeroRows.Where(r => int.Parse(r[4], CultureInfo.InvariantCulture) % 2 == 1).Select(r => r[10]));

        File.WriteAllText(study, File.ReadAllText(study).Replace("baseline: zero", "baseline: base.npy", StringComparison.Ordinal));
        baseline[1] = 0.5f;
        Npy.Write<float>(dir.File("base.npy"), baseline, 24, 3, StudyTestKit.Size, StudyTestKit.Size);
        var e = Assert.Throws<InputDataException>(() => StudyTestKit.Run(study, dir.File("out")));
        Assert.Contains("with other settings or inputs", e.Message);
    }

    [Fact]
    public void A_shared_baseline_file_and_a_wrong_shape_are_checked_against_the_model()
    {
        using var dir = new TempDir();
        var study = StudyTestKit.Write(dir, metrics: "[sss]", methods: "[{name: ig, method: integrated_gradients, steps: 4, baseline: base.npy}]", models: "a: 1");
        Npy.Write<float>(dir.File("base.npy"), new float[3 * 8 * 8], 3, 8, 8);
        StudyTestKit.Run(study, dir.File("shared"));
        var zero = StudyTestKit.Write(dir, metrics: "[sss]", methods: "[{name: ig, method: integrated_gradients, steps: 4}]", models: "a: 1");
        StudyTestKit.Run(zero, dir.File("zero"));
        StudyMerge.Run(dir.File("shared"));
        StudyMerge.Run(dir.File("zero"));
        Assert.Equal(StudyTestKit.Rows(dir.File("zero/scores.parquet")).Select(r => r.Split('|')[10]), StudyTestKit.Rows(dir.File("shared/scores.parquet")).Select(r => r.Split('|')[10]));

        Npy.Write<float>(dir.File("base.npy"), new float[3 * 4 * 4], 3, 4, 4);
        var e = Assert.Throws<InputDataException>(() => StudyTestKit.Run(StudyTestKit.Write(dir, metrics: "[sss]", methods: "[{name: ig, method: integrated_gradients, baseline: base.npy}]", models: "a: 1"), dir.File("bad")));
        Assert.Contains("methods.ig.baseline", e.Message);
        Assert.Contains("expected 3×8×8 (C×H×W) or 24×3×8×8", e.Message);

        var missing = Assert.Throws<InputDataException>(() => StudyFile.Load(StudyTestKit.Write(dir, metrics: "[sss]", methods: "[{name: ig, method: integrated_gradients, baseline: nope.npy}]")));
        Assert.Contains("methods[0].baseline", missing.Message);
        Assert.Contains("file not found", missing.Message);
        var wrong = Assert.Throws<InputDataException>(() => StudyFile.Load(StudyTestKit.Write(dir, metrics: "[sss]", methods: "[{name: saliency, baseline: base.npy}]")));
        Assert.Contains("applies to integrated_gradients", wrong.Message);
    }

    [Fact]
    public void Channel_reduce_none_scores_per_channel_maps_like_evaluate()
    {
        using var dir = new TempDir();
        var study = StudyTestKit.Write(dir, metrics: "[iou, sparseness]", methods: "[{name: sal3, method: saliency, channel_reduce: none}, {name: sal, method: saliency}]", models: "a: 1");
        var result = StudyTestKit.Run(study, dir.File("out"));
        Assert.Equal(0, result.FailedSamples);
        StudyMerge.Run(dir.File("out"));
        var rows = StudyTestKit.Rows(dir.File("out/scores.parquet")).Select(r => r.Split('|')).ToList();
        var perChannel = rows.Where(r => r[2] == "sal3").ToList();
        Assert.NotEmpty(perChannel);
        Assert.Contains(perChannel, r => !double.IsNaN(D(r[10])));
        Assert.Equal(rows.Count(r => r[2] == "sal"), perChannel.Count);
    }

    [Fact]
    public void Explain_and_study_share_one_parser_of_the_method_options()
    {
        Assert.True(ExplainOptionValues.TryParseBaseline("runs/b.NPY", out var kind, out var file));
        Assert.Equal((BaselineKind.File, "runs/b.NPY"), (kind, file));
        Assert.False(ExplainOptionValues.TryParseBaseline("blck", out _, out _));
        Assert.True(ExplainOptionValues.TryParseChannelReduce("none", out var reduce));
        Assert.Equal(ChannelReduce.None, reduce);
        Assert.False(ExplainOptionValues.TryParseChannelReduce("median", out _));
        Assert.True(ExplainOptionValues.TryParseCamStyle("captum", out var style));
        Assert.Equal(CamStyle.Captum, style);
        Assert.True(ExplainOptionValues.CheckBaselineShape([30, 3, 8, 8], [3, 8, 8], 24, "x", "f", atLeast: true));
        Assert.Throws<InputDataException>(() => ExplainOptionValues.CheckBaselineShape([30, 3, 8, 8], [3, 8, 8], 24, "x", "f"));
        Assert.False(ExplainOptionValues.CheckBaselineShape([1, 3, 8, 8], [3, 8, 8], 24, "x", "f"));
    }
}
