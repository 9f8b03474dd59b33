using Sightline.Alignment;

namespace Sightline.Tests.Alignment;

public sealed class SharedInterestCaseTests
{
    private static readonly SharedInterestCutoffs Defaults = new();

    [Theory]
    [InlineData(0.6, 0.7, 0.8, "human_aligned", "confuser")]
    [InlineData(0.5, 0.5, 1.0, "human_aligned", "confuser")] // iou exactly at the high cut-off is high (≥)
    [InlineData(0.3, 0.8, 0.1, "sufficient_subset", "insufficient_subset")]
    [InlineData(0.3, 0.1, 0.8, "sufficient_context", "distractor")]
    [InlineData(0.1, 0.1, 0.1, "context_dependent", "context_confusion")]
    [InlineData(0.3, 0.3, 0.3, "unclassified", "unclassified")]
    [InlineData(0.3, 0.8, 0.25, "unclassified", "unclassified")] // gtc at the low cut-off is not low (<)
    [InlineData(0.2, 0.2, 0.25, "unclassified", "unclassified")]
    [InlineData(double.NaN, 0.2, 0.2, "undefined", "undefined")]
    [InlineData(0.2, double.NaN, 0.2, "undefined", "undefined")]
    [InlineData(0.2, 0.2, double.NaN, "undefined", "undefined")]
    public void Classify_follows_the_pattern_grid_for_correct_and_wrong_predictions(double iou, double sc, double gtc, string correct, string wrong)
    {
        Assert.Equal(correct, SharedInterestCase.Classify(iou, sc, gtc, correct: true, Defaults));
        Assert.Equal(wrong, SharedInterestCase.Classify(iou, sc, gtc, correct: false, Defaults));
    }

    [Fact]
    public void The_first_matching_row_wins()
    {
        // High IoU and also "high SC, low GTC" (not reachable with real masks, but the order is the contract).
        Assert.Equal("human_aligned", SharedInterestCase.Classify(0.9, 0.9, 0.1, true, Defaults));
        // High SC with low GTC and also all-low for IoU: the subset row comes before the all-low row.
        Assert.Equal("sufficient_subset", SharedInterestCase.Classify(0.1, 0.9, 0.1, true, Defaults));
    }

    [Fact]
    public void One_number_sets_all_three_cut_offs()
    {
        var c = Defaults.With("0.7", "0.1");
        Assert.Equal(new SharedInterestCutoffs(0.7, 0.7, 0.7, 0.1, 0.1, 0.1), c);
        // 0.6 IoU is no longer high; with lows at 0.1 the sample is unclassified.
        Assert.Equal("unclassified", SharedInterestCase.Classify(0.6, 0.6, 0.6, true, c));
    }

    [Fact]
    public void Named_cut_offs_change_only_the_scores_they_name()
    {
        var c = Defaults.With("iou=0.7, gtc=0.4", "sc=0.1");
        Assert.Equal(new SharedInterestCutoffs(IouHigh: 0.7, ScHigh: 0.5, GtcHigh: 0.4, IouLow: 0.25, ScLow: 0.1, GtcLow: 0.25), c);
        Assert.Equal(Defaults, Defaults.With(null, null));
        Assert.Equal(new SharedInterestCutoffs(IouHigh: 0.9), Defaults.With("IOU=0.9", null));
    }

    [Theory]
    [InlineData("iou:0.5", "--si-high", "NAME=VALUE")]
    [InlineData("dice=0.5", "--si-high", "unknown score 'dice'")]
    [InlineData("iou=high", "--si-high", "NAME=VALUE")]
    public void Malformed_cut_offs_are_input_errors_naming_the_option(string text, string option, string expected)
    {
        var e = Assert.Throws<InputDataException>(() => Defaults.With(text, null));
        Assert.Contains(option, e.Message);
        Assert.Contains(expected, e.Message);
        var low = Assert.Throws<InputDataException>(() => Defaults.With(null, text));
        Assert.Contains("--si-low", low.Message);
    }
}
