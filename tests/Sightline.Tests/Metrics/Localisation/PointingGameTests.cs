using Sightline.Metrics;
using Sightline.Metrics.Localisation;
using static Sightline.Tests.Metrics.Localisation.LocalisationFixtures;

namespace Sightline.Tests.Metrics.Localisation;

public sealed class PointingGameTests
{
    private static readonly IMapMaskMetric FirstMax = PointingGame.Create(LocalisationSettings.Default);
    private static readonly IMapMaskMetric AnyTie = PointingGame.Create(LocalisationSettings.Default with { PointingTieAny = true });

    [Fact]
    public void All_in_gt_is_a_hit()
    {
        foreach (var metric in new[] { FirstMax, AnyTie })
        {
            Assert.Equal(1.0, AllInGt2d(Background.Rand).Evaluate(metric).Value);
            Assert.Equal(1.0, AllInGt1d(Background.Rand).Evaluate(metric).Value);
        }
    }

    [Fact]
    public void None_in_gt_is_a_miss()
    {
        foreach (var metric in new[] { FirstMax, AnyTie })
        {
            Assert.Equal(0.0, NoneInGt2d(Background.Rand).Evaluate(metric).Value);
            Assert.Equal(0.0, NoneInGt1d(Background.Rand).Evaluate(metric).Value);
        }
    }

    [Fact]
    public void Half_in_gt_is_a_hit_under_the_any_tie_rule_only()
    {
        // The tied maxima start outside S: the first-maximum default misses, Quantus' any-tie rule hits.
        Assert.Equal(1.0, HalfInGt2d().Evaluate(AnyTie).Value);
        Assert.Equal(1.0, HalfInGt1d(Background.Rand).Evaluate(AnyTie).Value);
        Assert.Equal(0.0, HalfInGt2d().Evaluate(FirstMax).Value);
        Assert.Equal(0.0, HalfInGt1d(Background.Rand).Evaluate(FirstMax).Value);
    }

    [Fact]
    public void First_maximum_is_the_default_rule()
    {
        Assert.False(LocalisationSettings.Default.PointingTieAny);
        Assert.False(((PointingGame)FirstMax).TieAny);
        Assert.True(((PointingGame)AnyTie).TieAny);
    }

    [Fact]
    public void Tiny_cases_match_quantus()
    {
        Assert.Equal(1.0, TinyAligned().Evaluate(AnyTie).Value);
        Assert.Equal(1.0, TinyHalf().Evaluate(AnyTie).Value);
    }

    [Fact]
    public void Any_tie_rule_honours_the_tolerance()
    {
        // Maxima at (0,0) and (0,4); the mask pixel (2,4) is 2 px from the second one.
        var map = new float[25];
        map[0] = 1;
        map[4] = 1;
        var mask = new byte[25];
        mask[14] = 1;
        var c = new MapMaskCase(map, mask, 5, 5);
        Assert.Equal(0.0, c.Evaluate(new PointingGame(1.5, tieAny: true)).Value);
        Assert.Equal(1.0, c.Evaluate(new PointingGame(2, tieAny: true)).Value);
        Assert.Equal(0.0, c.Evaluate(new PointingGame(2)).Value);
    }

    [Fact]
    public void Empty_mask_is_undefined_never_a_hit()
    {
        var s = EmptyMask().Evaluate(AnyTie);
        Assert.True(double.IsNaN(s.Value));
        Assert.Equal(Reasons.EmptyMask, s.Reason);
    }

    [Fact]
    public void Scores_lie_in_unit_interval() => AssertBounded(AnyTie, SmallCases(signed: true));

    [Fact]
    public void Workspace_does_not_change_scores() => AssertWorkspaceInvariant(AnyTie);
}

/// <summary>Spec vectors of the alignment spec (§8 vector B) and tolerance geometry.</summary>
public sealed class PointingGameSpecVectorTests
{
    private static readonly float[] B = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4, 6, 2, 6, 4, 3];

    private static byte[] GtB()
    {
        var g = new byte[25];
        for (int r = 1; r <= 3; r++) for (int c = 1; c <= 3; c++) g[r * 5 + c] = 1;
        return g;
    }

    [Fact]
    public void First_maximum_outside_the_mask_is_a_miss()
    {
        Assert.Equal(0, new PointingGame(0).Evaluate(new MapMaskSample(B, GtB(), 5, 5)).Value);
    }

    [Fact]
    public void Tolerance_of_one_pixel_turns_the_miss_into_a_hit()
    {
        Assert.Equal(1, new PointingGame(1).Evaluate(new MapMaskSample(B, GtB(), 5, 5)).Value);
    }

    [Fact]
    public void Tolerance_is_euclidean_not_chebyshev()
    {
        var map = new float[25];
        map[0] = 1; // (0,0)
        var mask = new byte[25];
        mask[1 * 5 + 1] = 1; // (1,1): distance √2
        Assert.Equal(0, new PointingGame(1.4).Evaluate(new MapMaskSample(map, mask, 5, 5)).Value);
        Assert.Equal(1, new PointingGame(1.42).Evaluate(new MapMaskSample(map, mask, 5, 5)).Value);
    }

    [Fact]
    public void Constant_map_is_undefined_not_a_hit_at_the_first_pixel()
    {
        // The EA reference points a constant map at (0,0); a mask covering that corner (the planted square) would count a hit.
        var mask = new byte[4];
        mask[0] = 1;
        foreach (var map in new[] { new float[4], new float[] { 0.5f, 0.5f, 0.5f, 0.5f } })
            foreach (var metric in new[] { new PointingGame(0), new PointingGame(1, tieAny: true) })
            {
                var s = metric.Evaluate(new MapMaskSample(map, mask, 2, 2));
                Assert.True(double.IsNaN(s.Value));
                Assert.Equal(Reasons.ConstantMap, s.Reason);
            }
        // One differing pixel is enough for a maximum.
        Assert.Equal(1, new PointingGame(0).Evaluate(new MapMaskSample([1f, 0, 0, 0], mask, 2, 2)).Value);
    }

    [Fact]
    public void Empty_mask_is_undefined_even_with_a_tolerance()
    {
        var s = new PointingGame(15).Evaluate(new MapMaskSample(B, new byte[25], 5, 5));
        Assert.True(double.IsNaN(s.Value));
        Assert.Equal(Reasons.EmptyMask, s.Reason);
    }

    [Fact]
    public void Tolerance_hit_agrees_with_brute_force_distance()
    {
        CsCheck.Gen.Select(CsCheck.Gen.Byte[0, 1].Array[63], CsCheck.Gen.Int[0, 62], CsCheck.Gen.Double[0, 6]).Sample((mask, idx, r) =>
        {
            bool want = false;
            for (int i = 0; i < 63; i++)
            {
                if (mask[i] == 0) continue;
                double dy = i / 9 - idx / 9, dx = i % 9 - idx % 9;
                if (Math.Sqrt(dy * dy + dx * dx) <= r) want = true;
            }
            Assert.Equal(want, PointingGame.Hit(mask, 7, 9, idx, r));
        });
    }

    [Fact]
    public void Negative_zero_ties_with_positive_zero_as_in_numpy()
    {
        // 3×3 map whose maximum 0 is tied by (0,0), (0,1), (0,2), the rest −1; mask at (0,0). With −0 at (0,0)
        // NumPy's argmax is still 0 (−0 == +0), so it is a hit like the +0 map.
        var mask = new byte[9];
        mask[0] = 1;
        float[] positive = [0f, 0f, 0f, -1f, -1f, -1f, -1f, -1f, -1f];
        var negative = (float[])positive.Clone();
        negative[0] = -0f;
        Assert.True(float.IsNegative(negative[0]));
        // An all-zero map with one −0 is still constant: no maximum to point at.
        var flat = new float[9];
        flat[0] = -0f;
        var undefined = new MapMaskCase(flat, mask, 3, 3).Evaluate(PointingGame.Create(LocalisationSettings.Default));
        Assert.True(double.IsNaN(undefined.Value));
        Assert.Equal(Reasons.ConstantMap, undefined.Reason);
        foreach (var metric in new[] { PointingGame.Create(LocalisationSettings.Default), PointingGame.Create(LocalisationSettings.Default with { PointingTieAny = true }) })
        {
            Assert.Equal(1.0, new MapMaskCase(positive, mask, 3, 3).Evaluate(metric).Value);
            Assert.Equal(1.0, new MapMaskCase(negative, mask, 3, 3).Evaluate(metric).Value);
        }
        // The first maximum ignores the sign of zero everywhere: −0 at 0 and 1, +0 at 2 → index 0.
        Assert.Equal(0, PointingGame.FirstMaximum([-0f, -0f, 0f, -1f]));
        Assert.Equal(2, PointingGame.FirstMaximum([-1f, -2f, 0f, -0f]));
        Assert.Equal(1, PointingGame.FirstMaximum([-1f, 3f, 0f, 3f]));
    }
}
