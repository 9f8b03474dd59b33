using CsCheck;
using Sightline.Metrics;
using Sightline.Metrics.Localisation;
using static Sightline.Tests.Metrics.Localisation.LocalisationFixtures;

namespace Sightline.Tests.Metrics.Localisation;

public sealed class RelevanceRankAccuracyTests
{
    private static readonly IMapMaskMetric Metric = RelevanceRankAccuracy.Create(LocalisationSettings.Default);

    [Fact]
    public void All_in_gt_scores_one()
    {
        Assert.Equal(1.0, AllInGt2d(Background.Rand).Evaluate(Metric).Value);
        Assert.Equal(1.0, AllInGt1d(Background.Rand).Evaluate(Metric).Value);
        Assert.Equal(1.0, AllInGt2d(Background.Zeros).Evaluate(Metric).Value);
    }

    [Fact]
    public void None_in_gt_scores_zero()
    {
        Assert.Equal(0.0, NoneInGt2d(Background.Rand).Evaluate(Metric).Value);
        Assert.Equal(0.0, NoneInGt1d(Background.Rand).Evaluate(Metric).Value);
    }

    [Fact]
    public void Half_in_gt_2d_scores_one_half() => Assert.Equal(0.5, HalfInGt2d().Evaluate(Metric).Value);

    [Fact]
    public void Segment_bigger_than_the_explanation_scores_between_one_half_and_one()
    {
        double value = SegBigger2d().Evaluate(Metric).Value;
        Assert.True(value > 0.5 && value < 1.0, $"got {value}");
        double value1d = SegBigger1d().Evaluate(Metric).Value;
        Assert.True(value1d > 0.5 && value1d < 1.0, $"got {value1d}");
    }

    [Fact]
    public void Half_in_gt_1d_takes_the_first_tied_maxima_under_the_stable_rule()
    {
        // Quantus xfails this case: the 100 tied maxima [0, 100) straddle S = [50, 100); the stable order takes [0, 50).
        Assert.Equal(0.0, HalfInGt1d(Background.Rand).Evaluate(Metric).Value);
    }

    [Fact]
    public void Tiny_cases_match_quantus()
    {
        Assert.Equal(1.0, TinyAligned().Evaluate(Metric).Value);
        Assert.Equal(0.5, TinyHalf().Evaluate(Metric).Value);
    }

    [Fact]
    public void Empty_mask_is_undefined()
    {
        var s = EmptyMask().Evaluate(Metric);
        Assert.True(double.IsNaN(s.Value));
        Assert.Equal(Reasons.EmptyMask, s.Reason);
    }

    [Fact]
    public void Scores_lie_in_unit_interval() => AssertBounded(Metric, SmallCases(signed: true));

    [Fact]
    public void Scores_are_invariant_under_a_strictly_increasing_transform() =>
        SmallCases(signed: true).Sample(c => Assert.Equal(c.Evaluate(Metric), c.WithMap(v => 3 * v + 1).Evaluate(Metric)), iter: 500);

    [Fact]
    public void Workspace_does_not_change_scores() => AssertWorkspaceInvariant(Metric);

    [Fact]
    public void Negative_zero_ties_with_positive_zero_as_in_numpy()
    {
        // 3×3 zero map with −0 at (0,0), mask at (0,0): all nine values tie, so index 0 ranks first → RRA 1.
        var mask = new byte[9];
        mask[0] = 1;
        var negative = new float[9];
        negative[0] = -0f;
        Assert.Equal(1.0, new MapMaskCase(new float[9], mask, 3, 3).Evaluate(Metric).Value);
        Assert.Equal(1.0, new MapMaskCase(negative, mask, 3, 3).Evaluate(Metric).Value);
        Assert.Equal(1.0, new MapMaskCase(negative, mask, 3, 3).Evaluate(Metric, new SampleWorkspace()).Value);
    }
}
