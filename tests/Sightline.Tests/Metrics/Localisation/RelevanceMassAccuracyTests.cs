using CsCheck;
using Sightline.Metrics;
using Sightline.Metrics.Localisation;
using static Sightline.Tests.Metrics.Localisation.LocalisationFixtures;

namespace Sightline.Tests.Metrics.Localisation;

public sealed class RelevanceMassAccuracyTests
{
    private static readonly IMapMaskMetric Metric = RelevanceMassAccuracy.Create(LocalisationSettings.Default);

    [Fact]
    public void All_in_gt_zeros_scores_one()
    {
        Assert.Equal(1.0, Math.Round(AllInGt2d(Background.Zeros).Evaluate(Metric).Value, 2));
        Assert.Equal(1.0, Math.Round(AllInGt1d(Background.Zeros).Evaluate(Metric).Value, 2));
    }

    [Fact]
    public void None_in_gt_zeros_scores_zero()
    {
        Assert.Equal(0.0, Math.Round(NoneInGt2d(Background.Zeros).Evaluate(Metric).Value, 2));
        Assert.Equal(0.0, Math.Round(NoneInGt1d(Background.Zeros).Evaluate(Metric).Value, 2));
    }

    [Fact]
    public void Half_in_gt_zeros_scores_one_half()
    {
        Assert.Equal(0.5, Math.Round(HalfInGtZeros2d().Evaluate(Metric).Value, 2));
        Assert.Equal(0.5, Math.Round(HalfInGt1d(Background.Zeros).Evaluate(Metric).Value, 2));
    }

    [Fact]
    public void Segment_bigger_than_the_explanation_scores_the_mass_inside()
    {
        var c = SegBigger2d();
        double value = c.Evaluate(Metric).Value;
        Assert.True(value > 0.5 && value < 1.0, $"got {value}");
        Assert.Equal(0.8848, value, 0.01);
        double inside = c.Map.Zip(c.Mask).Where(t => t.Second != 0).Sum(t => (double)t.First);
        Assert.Equal(inside / c.Map.Sum(v => (double)v), value, 1e-12);
    }

    [Fact]
    public void Tiny_cases_match_quantus()
    {
        Assert.Equal(0.85, TinyAligned().Evaluate(Metric).Value, 1e-6);
        Assert.Equal(0.5263, Math.Round(TinyHalf().Evaluate(Metric).Value, 4));
    }

    [Fact]
    public void Empty_mask_and_zero_mass_are_undefined()
    {
        Assert.Equal(Reasons.EmptyMask, EmptyMask().Evaluate(Metric).Reason);
        var zero = TinyAligned().WithMap(_ => 0f).Evaluate(Metric);
        Assert.True(double.IsNaN(zero.Value));
        Assert.Equal(Reasons.EmptySaliency, zero.Reason);
    }

    [Fact]
    public void Scores_lie_in_unit_interval_for_non_negative_maps() => AssertBounded(Metric, SmallCases());

    [Fact]
    public void Mass_inside_and_outside_add_up_to_one() =>
        SmallCasesWithBothClasses().Sample(c =>
        {
            var inside = c.Evaluate(Metric);
            var outside = c.Complement().Evaluate(Metric);
            Assert.Equal(inside.IsDefined, outside.IsDefined);
            if (inside.IsDefined) Assert.Equal(1.0, inside.Value + outside.Value, 1e-12);
        }, iter: 500);

    [Fact]
    public void Workspace_does_not_change_scores() => AssertWorkspaceInvariant(Metric);
}
