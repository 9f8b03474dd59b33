using CsCheck;
using Sightline.Metrics;
using Sightline.Metrics.Localisation;
using static Sightline.Tests.Metrics.Localisation.LocalisationFixtures;

namespace Sightline.Tests.Metrics.Localisation;

public sealed class TopKIntersectionTests
{
    private static Score Tki(MapMaskCase c, int k, bool conceptInfluence = false, SampleWorkspace? ws = null) =>
        c.Evaluate(new TopKIntersection(k, conceptInfluence), ws);

    [Fact]
    public void All_in_gt_scores_one_when_k_fits_the_region()
    {
        Assert.Equal(1.0, Tki(AllInGt1d(Background.Rand), 100).Value);
        Assert.Equal(1.0, Tki(AllInGt2d(Background.Rand), 10000).Value);
    }

    [Fact]
    public void All_in_gt_scores_the_region_share_of_k_when_k_exceeds_the_region()
    {
        Assert.Equal(0.5, Tki(AllInGt1d(Background.Rand), 200).Value);
        Assert.Equal(0.25, Tki(AllInGt2d(Background.Rand), 40000).Value);
    }

    [Fact]
    public void None_in_gt_scores_zero()
    {
        Assert.Equal(0.0, Tki(NoneInGt1d(Background.Rand), 100).Value);
        Assert.Equal(0.0, Tki(NoneInGt2d(Background.Rand), 10000).Value);
        Assert.Equal(0.0, Tki(NoneInGt1d(Background.Zeros), 100).Value);
        Assert.Equal(0.0, Tki(NoneInGt2d(Background.Zeros), 10000).Value);
    }

    [Fact]
    public void Half_in_gt_zeros_matches_quantus()
    {
        Assert.Equal(0.5, Tki(HalfInGtZeros2d(), 2500).Value);
        Assert.Equal(0.4, Tki(HalfInGt1d(Background.Zeros), 125).Value, 1e-12);
    }

    [Fact]
    public void Tied_pixels_follow_the_stable_rule_not_the_reference_argsort()
    {
        // Reference: 0.158975 and 0.5072 (unstable argsort); the closed ranges are [0.1, 0.25] and [0.5, 1.0].
        Assert.Equal(0.25, Tki(NoneInGt2d(Background.Zeros), 40000).Value);
        Assert.Equal(1.0, Tki(HalfInGtZeros2d(), 1250).Value);
    }

    [Fact]
    public void Concept_influence_multiplies_by_size_over_mask_size()
    {
        Assert.Equal(2.24, Tki(AllInGt1d(Background.Rand), 100, conceptInfluence: true).Value, 1e-12);
        Assert.Equal(5.0176, Tki(AllInGt2d(Background.Rand), 10000, conceptInfluence: true).Value, 1e-12);
    }

    [Fact]
    public void Registry_factory_reads_k_and_concept_influence_from_settings()
    {
        var metric = (TopKIntersection)TopKIntersection.Create(LocalisationSettings.Default with { TopK = 7, ConceptInfluence = true });
        Assert.Equal(7, metric.K);
        Assert.True(metric.ConceptInfluence);
        Assert.Equal(1000, ((TopKIntersection)TopKIntersection.Create(LocalisationSettings.Default)).K);
    }

    [Fact]
    public void Tiny_cases_match_quantus()
    {
        Assert.Equal(1.0, Tki(TinyAligned(), 2).Value);
        Assert.Equal(0.5, Tki(TinyHalf(), 2).Value);
    }

    [Fact]
    public void K_larger_than_the_map_is_undefined()
    {
        var s = Tki(TinyAligned(), 5);
        Assert.True(double.IsNaN(s.Value));
        Assert.Equal(Reasons.KExceedsSize, s.Reason);
    }

    [Fact]
    public void K_below_one_is_rejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new TopKIntersection(0));

    [Fact]
    public void Empty_mask_is_undefined()
    {
        var s = Tki(EmptyMask(), 3);
        Assert.True(double.IsNaN(s.Value));
        Assert.Equal(Reasons.EmptyMask, s.Reason);
    }

    [Fact]
    public void Scores_lie_in_unit_interval() =>
        (from c in SmallCases(signed: true) from k in Gen.Int[1, c.Map.Length] select (c, k))
            .Sample((c, k) =>
            {
                var s = Tki(c, k);
                if (s.IsDefined) Assert.InRange(s.Value, 0, 1);
                else Assert.Equal(Reasons.EmptyMask, s.Reason);
            }, iter: 500);

    [Fact]
    public void Scores_are_invariant_under_a_strictly_increasing_transform() =>
        (from c in SmallCases(signed: true) from k in Gen.Int[1, c.Map.Length] select (c, k))
            .Sample((c, k) => Assert.Equal(Tki(c, k), Tki(c.WithMap(v => 3 * v + 1), k)), iter: 500);

    [Fact]
    public void Workspace_does_not_change_scores()
    {
        AssertWorkspaceInvariant(TopKIntersection.Create(LocalisationSettings.Default with { TopK = 3 }));
        AssertWorkspaceInvariant(TopKIntersection.Create(LocalisationSettings.Default with { TopK = 1, ConceptInfluence = true }));
    }

    [Fact]
    public void Negative_zero_ties_with_positive_zero_as_in_numpy()
    {
        // 3×3 zero map with −0 at (0,0), mask at (0,0), k = 2: the top two are indices 0 and 1 → 1/2.
        var mask = new byte[9];
        mask[0] = 1;
        var negative = new float[9];
        negative[0] = -0f;
        Assert.Equal(0.5, Tki(new MapMaskCase(new float[9], mask, 3, 3), 2).Value);
        Assert.Equal(0.5, Tki(new MapMaskCase(negative, mask, 3, 3), 2).Value);
        Assert.Equal(0.5, Tki(new MapMaskCase(negative, mask, 3, 3), 2, ws: new SampleWorkspace()).Value);
    }
}
