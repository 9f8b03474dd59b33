using Sightline.Metrics;
using Sightline.Metrics.Localisation;
using static Sightline.Tests.Metrics.Localisation.LocalisationFixtures;

namespace Sightline.Tests.Metrics.Localisation;

public sealed class FocusTests
{
    private static readonly IMapMaskMetric Metric = Focus.Create(LocalisationSettings.Default);

    public static TheoryData<int, int, int, int> Patterns => new()
    {
        { 0, 0, 1, 1 },
        { 1, 1, 0, 0 },
        { 0, 1, 0, 1 },
        { 1, 0, 1, 0 },
    };

    /// <summary>A 56×56 mosaic of 28×28 quadrants holding the pattern's value (row-major TL, TR, BL, BR).</summary>
    private static float[] Mosaic(int height, int width, params int[] pattern)
    {
        var map = new float[height * width];
        for (int r = 0; r < height; r++)
            for (int c = 0; c < width; c++)
                map[r * width + c] = pattern[(r < height / 2 ? 0 : 2) + (c < width / 2 ? 0 : 1)];
        return map;
    }

    private static MapMaskCase MosaicCase(int[] explanation, int[] maskPattern) =>
        new(Mosaic(56, 56, explanation), [.. Mosaic(56, 56, maskPattern).Select(v => (byte)v)], 56, 56);

    [Theory]
    [MemberData(nameof(Patterns))]
    public void Explanation_on_the_target_quadrants_scores_one(int tl, int tr, int bl, int br)
    {
        int[] p = [tl, tr, bl, br];
        Assert.Equal(1.0, MosaicCase(p, p).Evaluate(Metric).Value, 1e-6);
        var map = Mosaic(56, 56, p);
        Assert.Equal(1.0, Focus.Evaluate(map, 56, 56, tl == 1, tr == 1, bl == 1, br == 1).Value, 1e-6);
    }

    [Theory]
    [MemberData(nameof(Patterns))]
    public void Explanation_on_the_complementary_quadrants_scores_zero(int tl, int tr, int bl, int br)
    {
        int[] p = [tl, tr, bl, br];
        int[] complement = [.. p.Select(v => 1 - v)];
        Assert.Equal(0.0, MosaicCase(p, complement).Evaluate(Metric).Value, 1e-6);
        var map = Mosaic(56, 56, p);
        Assert.Equal(0.0, Focus.Evaluate(map, 56, 56, tl == 0, tr == 0, bl == 0, br == 0).Value, 1e-6);
    }

    [Fact]
    public void A_quadrant_is_a_target_when_at_least_half_of_it_is_masked()
    {
        // 4×4 map, quadrants of 2×2; the mask covers 2 of TL's 4 pixels (a target) and 1 of TR's (not a target).
        float[] map = [1, 1, 2, 2, 1, 1, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0];
        byte[] mask = [1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        Assert.Equal(4.0 / 12, new MapMaskCase(map, mask, 4, 4).Evaluate(Metric).Value, 1e-6);
    }

    [Fact]
    public void Odd_sizes_give_the_first_half_the_floor()
    {
        // 3×3: the top-left quadrant is the single pixel (0,0); the bottom-right one is 2×2.
        float[] map = [5, 0, 0, 0, 1, 1, 0, 1, 1];
        Assert.Equal(5.0 / 9, Focus.Evaluate(map, 3, 3, true, false, false, false).Value, 1e-6);
        Assert.Equal(4.0 / 9, Focus.Evaluate(map, 3, 3, false, false, false, true).Value, 1e-6);
        byte[] mask = [1, 0, 0, 0, 0, 0, 0, 0, 0];
        Assert.Equal(5.0 / 9, new MapMaskCase(map, mask, 3, 3).Evaluate(Metric).Value, 1e-6);
    }

    [Fact]
    public void Only_positive_attribution_counts()
    {
        float[] map = [1, -3, 0, 1];
        Assert.Equal(0.5, Focus.Evaluate(map, 2, 2, true, true, false, false).Value, 1e-6);
    }

    [Fact]
    public void No_target_quadrant_is_undefined()
    {
        var s = EmptyMask().Evaluate(Metric);
        Assert.True(double.IsNaN(s.Value));
        Assert.Equal(Reasons.EmptyMask, s.Reason);
        Assert.Equal(Reasons.NoTargetQuadrant, Focus.Evaluate([1f, 2f, 3f, 4f], 2, 2, false, false, false, false).Reason);
        // A single pixel in a 2×2 quadrant is less than half of it: the mask is not empty, but no quadrant is a target.
        byte[] mask = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        var partial = new MapMaskCase(new float[16], mask, 4, 4).Evaluate(Metric);
        Assert.True(double.IsNaN(partial.Value));
        Assert.Equal("no-target-quadrant", partial.Reason);
    }

    [Fact]
    public void No_positive_attribution_is_undefined()
    {
        var s = Focus.Evaluate([-1f, 0f, -2f, 0f], 2, 2, true, false, false, false);
        Assert.True(double.IsNaN(s.Value));
        Assert.Equal(Reasons.EmptySaliency, s.Reason);
    }

    [Fact]
    public void Explicit_quadrants_need_a_map_of_the_stated_shape() =>
        Assert.Throws<ArgumentException>(() => Focus.Evaluate([1f, 2f, 3f], 2, 2, true, false, false, false));

    [Fact]
    public void Needs_extra_inputs_so_it_is_not_in_the_default_set() =>
        Assert.True(MetricRegistry.Get("focus").Info.NeedsExtraInputs);

    [Fact]
    public void Scores_lie_in_unit_interval() => AssertBounded(Metric, SmallCases(signed: true));

    [Fact]
    public void Workspace_does_not_change_scores() => AssertWorkspaceInvariant(Metric);
}
