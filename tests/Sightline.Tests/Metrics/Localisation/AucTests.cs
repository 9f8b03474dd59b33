using CsCheck;
using Sightline.Metrics;
using Sightline.Metrics.Localisation;
using static Sightline.Tests.Metrics.Localisation.LocalisationFixtures;

namespace Sightline.Tests.Metrics.Localisation;

public sealed class AucTests
{
    private static readonly IMapMaskMetric Metric = Auc.Create(LocalisationSettings.Default);

    [Fact]
    public void All_in_gt_scores_one()
    {
        Assert.Equal(1.0, AllInGt2d(Background.Rand).Evaluate(Metric).Value);
        Assert.Equal(1.0, AllInGt1d(Background.Rand).Evaluate(Metric).Value);
        Assert.Equal(1.0, AllInGt2d(Background.Zeros).Evaluate(Metric).Value);
    }

    [Fact]
    public void All_in_gt_non_normalised_scores_one() =>
        Assert.Equal(1.0, AllInGtNonNormalised2d().Evaluate(Metric).Value);

    [Fact]
    public void None_in_gt_fourth_1d_scores_zero() =>
        Assert.Equal(0.0, NoneInGtFourth1d().Evaluate(Metric).Value);

    [Fact]
    public void None_in_gt_fourth_2d_scores_one_third_from_the_tied_zeros()
    {
        // ROC (0,0) → (1/3,0) → (1,1); Quantus/sklearn's trapezoid gives 0.33333333333333337, the exact count 1/3.
        Assert.Equal(0.33333333333333337, NoneInGtFourth2d().Evaluate(Metric).Value, 1e-15);
    }

    [Fact]
    public void Tiny_cases_match_quantus()
    {
        Assert.Equal(1.0, TinyAligned().Evaluate(Metric).Value);
        Assert.Equal(0.5, TinyHalf().Evaluate(Metric).Value);
    }

    [Fact]
    public void Constant_map_scores_one_half()
    {
        Assert.Equal(0.5, HalfInGt2d().WithMap(_ => 0.3f).Evaluate(Metric).Value);
        Assert.Equal(0.5, TinyAligned().WithMap(_ => 0f).Evaluate(Metric).Value);
    }

    [Fact]
    public void Ties_count_one_half_per_pair()
    {
        // Positives {1, 0}, negatives {1, 0}: pairs (1,1) tie, (1,0) win, (0,1) loss, (0,0) tie → (1 + ½ + ½) / 4.
        var c = new MapMaskCase([1f, 1f, 0f, 0f], [1, 0, 1, 0], 2, 2);
        Assert.Equal(0.5, c.Evaluate(Metric).Value);
        var d = new MapMaskCase([2f, 1f, 1f, 0f], [1, 1, 0, 0], 1, 4);
        Assert.Equal((1 + 1 + 0.5 + 1) / 4.0, d.Evaluate(Metric).Value);
    }

    [Fact]
    public void Negative_and_positive_zero_are_one_tie()
    {
        var c = new MapMaskCase([-0f, 0f, 0f, -0f], [1, 0, 1, 0], 2, 2);
        Assert.Equal(0.5, c.Evaluate(Metric).Value);
    }

    [Fact]
    public void Empty_mask_is_undefined()
    {
        var s = EmptyMask().Evaluate(Metric);
        Assert.True(double.IsNaN(s.Value));
        Assert.Equal(Reasons.EmptyMask, s.Reason);
    }

    [Fact]
    public void Mask_covering_every_pixel_is_undefined()
    {
        var s = new MapMaskCase([1f, 2f, 3f], [1, 1, 1], 1, 3).Evaluate(Metric);
        Assert.True(double.IsNaN(s.Value));
        Assert.Equal(Reasons.FullMask, s.Reason);
    }

    [Fact]
    public void Scores_lie_in_unit_interval() => AssertBounded(Metric, SmallCases(signed: true));

    [Fact]
    public void Mask_and_complement_add_up_to_one() =>
        SmallCasesWithBothClasses(signed: true).Sample(c =>
            Assert.Equal(1.0, c.Evaluate(Metric).Value + c.Complement().Evaluate(Metric).Value, 1e-12), iter: 500);

    [Fact]
    public void Equals_the_brute_force_mann_whitney_count() =>
        SmallCasesWithBothClasses(signed: true).Sample(c =>
        {
            long wins = 0, ties = 0, pos = 0, neg = 0;
            for (int i = 0; i < c.Map.Length; i++)
            {
                if (c.Mask[i] == 0) { neg++; continue; }
                pos++;
                for (int j = 0; j < c.Map.Length; j++)
                {
                    if (c.Mask[j] != 0) continue;
                    if (c.Map[i] > c.Map[j]) wins++;
                    else if (c.Map[i] == c.Map[j]) ties++;
                }
            }
            double expected = (wins + 0.5 * ties) / (pos * neg);
            Assert.Equal(expected, c.Evaluate(Metric).Value, 1e-12);
        }, iter: 1000);

    [Fact]
    public void Workspace_does_not_change_scores() => AssertWorkspaceInvariant(Metric);
}
