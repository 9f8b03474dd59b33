using Sightline.Metrics;
using Sightline.Metrics.Localisation;

namespace Sightline.Tests.Metrics.Localisation;

public sealed class PointingGameTests
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
    public void Constant_map_points_at_the_first_pixel()
    {
        var mask = new byte[4];
        mask[0] = 1;
        Assert.Equal(1, new PointingGame(0).Evaluate(new MapMaskSample(new float[4], mask, 2, 2)).Value);
    }

    [Fact]
    public void Empty_mask_is_undefined_never_a_hit()
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
}
