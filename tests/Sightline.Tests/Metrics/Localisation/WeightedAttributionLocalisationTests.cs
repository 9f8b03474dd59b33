using Sightline.Metrics;
using Sightline.Metrics.Localisation;
using static Sightline.Tests.Metrics.Localisation.LocalisationFixtures;

namespace Sightline.Tests.Metrics.Localisation;

public sealed class WeightedAttributionLocalisationTests
{
    private static readonly IMapMaskMetric Metric = WeightedAttributionLocalisation.Create(LocalisationSettings.Default);

    [Fact]
    public void All_in_gt_100_square_in_224_square_is_weighted_by_the_mask_share_of_the_sample()
    {
        Assert.Equal(10000.0 / 50176, AllInGt2d(Background.Zeros).Evaluate(Metric).Value, 1e-9);
    }

    [Fact]
    public void None_in_gt_zeros_scores_zero()
    {
        Assert.Equal(0.0, NoneInGt2d(Background.Zeros).Evaluate(Metric).Value, 1e-9);
        Assert.Equal(0.0, NoneInGt1d(Background.Zeros).Evaluate(Metric).Value, 1e-9);
    }

    [Fact]
    public void Weighted_score_is_the_unweighted_ratio_times_mask_share()
    {
        var al = AttributionLocalisation.Create(LocalisationSettings.Default);
        foreach (var c in new[] { TinyAligned(), TinyHalf(), SegBigger2d(), HalfInGt2d() })
        {
            double share = c.Mask.Count(m => m != 0) / (double)c.Map.Length;
            Assert.Equal(c.Evaluate(al).Value * share, c.Evaluate(Metric).Value, 1e-12);
        }
        Assert.Equal(0.425, TinyAligned().Evaluate(Metric).Value, 1e-6);
    }

    [Fact]
    public void Empty_mask_and_zero_map_are_undefined()
    {
        Assert.Equal(Reasons.EmptyMask, EmptyMask().Evaluate(Metric).Reason);
        var zero = TinyAligned().WithMap(_ => 0f).Evaluate(Metric);
        Assert.True(double.IsNaN(zero.Value));
        Assert.Equal(Reasons.EmptySaliency, zero.Reason);
    }

    [Fact]
    public void Scores_lie_in_unit_interval() => AssertBounded(Metric, SmallCases(signed: true));

    [Fact]
    public void Workspace_does_not_change_scores() => AssertWorkspaceInvariant(Metric);
}
