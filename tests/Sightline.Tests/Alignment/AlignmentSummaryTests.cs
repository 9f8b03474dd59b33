using Sightline.Alignment;
using Sightline.Metrics;
using Sightline.Results;

namespace Sightline.Tests.Alignment;

public sealed class AlignmentSummaryTests
{
    /// <summary>A hand-made result: sss per row, which rows were screened, optional si_case column.</summary>
    private static AlignmentResult Result(double[] sss, bool[] screened, string?[]? cases = null)
    {
        var table = new ResultTable();
        table.Add(new Int64Column("index", [.. Enumerable.Range(0, sss.Length).Select(i => (long)i)]));
        table.Add(new DoubleColumn("sss", sss));
        if (cases is not null) table.Add(new StringColumn("si_case", cases));
        return new AlignmentResult(table, new Dictionary<string, double[]> { ["sss"] = sss }, 0, screened.Count(s => s)) { Screened = screened };
    }

    // Rows: sss .2, .4, (unscreened), .9, .5; images 0,0,1,1,2; classes 3,3,7,7,5.
    private static readonly double[] Sss = [0.2, 0.4, double.NaN, 0.9, 0.5];
    private static readonly bool[] Screened = [true, true, false, true, true];
    private static readonly int[] Images = [0, 0, 1, 1, 2];
    private static readonly int[] Labels = [3, 3, 7, 7, 5];

    [Fact]
    public void Ppa_pools_predictions_and_pia_averages_image_means()
    {
        var s = AlignmentSummary.Build(Result(Sss, Screened), null, new SummaryOptions(100, 1, Images)).SemScore!;
        Assert.Equal((0.2 + 0.4 + 0.9 + 0.5) / 4, s.Ppa, 12);
        // Image means: (.2 + .4)/2 = .3, .9 (row 2 has no SSS), .5 → (.3 + .9 + .5)/3.
        Assert.Equal((0.3 + 0.9 + 0.5) / 3, s.Pia, 12);
        var noIds = AlignmentSummary.Build(Result(Sss, Screened), null, new SummaryOptions(100, 1)).SemScore!;
        Assert.Equal(noIds.Ppa, noIds.Pia);
    }

    [Fact]
    public void Screening_rate_counts_images_with_a_screened_row_over_images()
    {
        // Only row 1 has an empty mask; ids [0,0,1,1,2] → every image has a screened row → 3/3.
        bool[] screened = [true, false, true, true, true];
        double[] sss = [0.5, double.NaN, 0.5, 0.5, 0.5];
        var withIds = AlignmentSummary.Build(Result(sss, screened), null, new SummaryOptions(10, 1, Images)).SemScore!;
        Assert.Equal(1.0, withIds.ScreeningRate);
        // Without ids every row is an image: 4/5.
        Assert.Equal(0.8, AlignmentSummary.Build(Result(sss, screened), null, new SummaryOptions(10, 1)).SemScore!.ScreeningRate, 12);
        // Image 2's only row unscreened → 2/3.
        bool[] lastOut = [true, true, true, true, false];
        Assert.Equal(2.0 / 3, AlignmentSummary.Build(Result(sss, lastOut), null, new SummaryOptions(10, 1, Images)).SemScore!.ScreeningRate, 12);
    }

    [Fact]
    public void Undefined_predictions_count_only_screened_rows_with_nan_sss()
    {
        // Row 2 is unscreened (not a prediction); row 4 reached scoring but has no saliency → 1 undefined.
        double[] sss = [0.2, 0.4, double.NaN, 0.9, double.NaN];
        var s = AlignmentSummary.Build(Result(sss, Screened), null, new SummaryOptions(10, 1)).SemScore!;
        Assert.Equal(1, s.Dropped);
        Assert.Equal(0, AlignmentSummary.Build(Result(Sss, Screened), null, new SummaryOptions(10, 1)).SemScore!.Dropped);
    }

    [Fact]
    public void Class_ranking_lists_lowest_means_first_and_respects_class_rank()
    {
        var s = AlignmentSummary.Build(Result(Sss, Screened), Labels, new SummaryOptions(10, 1, null, ClassRank: 2)).SemScore!;
        // Class means: 3 → .3 (2 rows), 5 → .5, 7 → .9 (its other row has no SSS).
        Assert.Equal(new[] { (3, 2), (5, 1) }, s.Top.Select(c => (c.Class, c.N)));
        Assert.Equal(0.3, s.Top[0].Mean, 12);
        Assert.Equal(0.5, s.Top[1].Mean, 12);
        Assert.Equal(new[] { 7, 5 }, s.Bottom.Select(c => c.Class));
        Assert.Equal(0.9, s.Bottom[0].Mean, 12);
        Assert.Empty(AlignmentSummary.Build(Result(Sss, Screened), Labels, new SummaryOptions(10, 1, null, ClassRank: 0)).SemScore!.Top);
        // Equal means break ties by ascending class in both lists.
        var tied = AlignmentSummary.Build(Result([0.5, 0.5], [true, true]), [9, 4], new SummaryOptions(10, 1)).SemScore!;
        Assert.Equal(new[] { 4, 9 }, tied.Top.Select(c => c.Class));
        Assert.Equal(new[] { 4, 9 }, tied.Bottom.Select(c => c.Class));
    }

    [Fact]
    public void Per_class_summaries_group_rows_by_label_and_are_printed()
    {
        var summary = AlignmentSummary.Build(Result(Sss, Screened), Labels, new SummaryOptions(10, 1));
        var sss = summary.PerClass!["sss"];
        Assert.Equal(new[] { 3, 5, 7 }, sss.Keys.Order());
        Assert.Equal((2, 0), (sss[3].N, sss[3].NanCount));
        Assert.Equal(0.3, sss[3].Mean, 12);
        Assert.Equal((1, 1), (sss[7].N, sss[7].NanCount));
        var table = summary.FormatTable().Split('\n');
        Assert.Contains(table, l => l.StartsWith("class") && l.Contains(" n") && l.Contains("sss"));
        Assert.Contains(table, l => l.StartsWith("3 ") && l.Contains(" 2 ") && l.EndsWith("0.3000"));
        Assert.Contains(table, l => l.StartsWith("7 ") && l.Contains(" 2 ") && l.EndsWith("0.9000"));
        Assert.DoesNotContain(AlignmentSummary.Build(Result(Sss, Screened), null, new SummaryOptions(10, 1)).FormatTable().Split('\n'), l => l.StartsWith("class"));
    }

    [Fact]
    public void Case_counts_come_from_the_si_case_column()
    {
        var summary = AlignmentSummary.Build(Result(Sss, Screened, ["human_aligned", "confuser", "undefined", "human_aligned", null]), null, new SummaryOptions(10, 1));
        Assert.Equal(new Dictionary<string, int> { ["confuser"] = 1, ["human_aligned"] = 2, ["undefined"] = 2 }, summary.Cases);
    }

    [Fact]
    public void Scorer_leaves_rows_with_an_empty_mask_unscreened_and_out_of_every_level()
    {
        // Five 1×2 samples, map [1, 1]; masks [1, 0] except row 1 (empty). τ none → SSS = 0.5 for scored rows.
        var maps = new ArraySampleSource("maps", [.. Enumerable.Repeat(1f, 10)], 5, 1, 2);
        var masks = new ArraySampleSource("masks", [1, 0, 0, 0, 1, 0, 1, 0, 1, 0], 5, 1, 2);
        var options = new AlignmentOptions { Metrics = ["sss"], Settings = LocalisationSettings.Default with { SssThreshold = null }, ImageIds = Images };
        var result = AlignmentScorer.Run(maps, masks, options);
        Assert.Equal(4, result.ScreenedSamples);
        Assert.Equal(new[] { true, false, true, true, true }, result.Screened);
        Assert.True(double.IsNaN(result.Scores["sss"][1]));
        Assert.Equal("empty-mask", ((StringColumn)result.Table["reason"]!).Values[1]);
        var s = AlignmentSummary.Build(result, null, new SummaryOptions(10, 1, Images)).SemScore!;
        Assert.Equal(1.0, s.ScreeningRate);
        Assert.Equal((0.5, 0.5, 0), (s.Ppa, s.Pia, s.Dropped));
    }

    [Fact]
    public void A_mask_emptied_only_by_resizing_is_screened_and_scored_as_fully_spurious()
    {
        // SemScore §9: a tiny object lost in the resize is scored normally (SSS = 1) and flagged empty-mask.
        var maps = new ArraySampleSource("maps", [1f, 1f], 1, 1, 2);
        var masks = new ArraySampleSource("masks", [0, 1, 0, 0], 1, 1, 4);
        var options = new AlignmentOptions { Metrics = ["sss"], Settings = LocalisationSettings.Default with { SssThreshold = null }, ResizeMasks = true };
        var result = AlignmentScorer.Run(maps, masks, options);
        Assert.Equal(1, result.ScreenedSamples);
        Assert.Equal(1.0, result.Scores["sss"][0]);
        Assert.Equal("empty-mask", ((StringColumn)result.Table["reason"]!).Values[0]);
    }

    [Fact]
    public void Label_prediction_and_image_id_lengths_are_checked_before_scoring()
    {
        var maps = new ArraySampleSource("maps", new float[4], 2, 1, 2);
        var masks = new ArraySampleSource("masks", [1, 0, 1, 0], 2, 1, 2);
        foreach (var (options, name) in new[]
        {
            (new AlignmentOptions { ImageIds = [0, 1, 2] }, "--image-ids"),
            (new AlignmentOptions { Labels = [0] }, "--labels"),
            (new AlignmentOptions { Labels = [0, 1], Predictions = [0, 1, 1] }, "--predictions"),
        })
        {
            var e = Assert.Throws<InputDataException>(() => AlignmentScorer.Run(maps, masks, options));
            Assert.Contains(name, e.Message);
            Assert.Contains("2 samples", e.Message);
        }
    }
}
