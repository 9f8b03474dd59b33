using Sightline.Metrics;

namespace Sightline.Tests.Metrics;

public sealed class BinarizerTests
{
    private static byte[] Run(float[] map, Binarization rule)
    {
        var dst = new byte[map.Length];
        Binarizer.Binarize(map, rule, dst, new float[map.Length]);
        return dst;
    }

    private static readonly float[] A = [0, 1, 2, 3, 4, 5, 6, 7, 8];

    [Fact]
    public void Vector_A_std1_keeps_the_two_largest()
    {
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 0, 1, 1 }, Run(A, Binarization.Std(1)));
    }

    [Fact]
    public void Vector_A_percentile_half_keeps_values_from_four_and_ninety_keeps_one()
    {
        Assert.Equal(new byte[] { 0, 0, 0, 0, 1, 1, 1, 1, 1 }, Run(A, Binarization.Percentile(0.5)));
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 1 }, Run(A, Binarization.Percentile(0.9)));
    }

    [Fact]
    public void Vector_B_std1_mask_matches_the_spec()
    {
        float[] b = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4, 6, 2, 6, 4, 3];
        byte[] expected = [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        Assert.Equal(expected, Run(b, Binarization.Std(1)));
    }

    [Fact]
    public void Constant_map_binarises_to_empty()
    {
        Assert.All(Run([3, 3, 3, 3], Binarization.Threshold(0)), v => Assert.Equal(0, v));
    }

    [Fact]
    public void Threshold_uses_greater_or_equal_on_the_normalised_map()
    {
        Assert.Equal(new byte[] { 0, 0, 0, 0, 1, 1, 1, 1, 1 }, Run(A, Binarization.Threshold(0.5)));
    }

    [Fact]
    public void Vectorised_threshold_equals_the_float64_definition_on_long_maps()
    {
        CsCheck.Gen.Float[-3f, 3f].Array[97, 300].Select(CsCheck.Gen.Double[0, 1]).Sample((map, t) =>
        {
            var got = Run(map, Binarization.Threshold(t));
            float min = map.Min(), max = map.Max();
            double range = (double)max - min;
            for (int i = 0; i < map.Length; i++)
            {
                byte want = range > 0 && ((double)map[i] - min) / range >= t ? (byte)1 : (byte)0;
                Assert.Equal(want, got[i]);
            }
        });
    }

    [Theory]
    [InlineData("std:1", BinarizationKind.Std, 1)]
    [InlineData("percentile:0.9", BinarizationKind.Percentile, 0.9)]
    [InlineData("percentile:1", BinarizationKind.Percentile, 1.0)]
    [InlineData("percentile:0", BinarizationKind.Percentile, 0.0)]
    [InlineData("threshold:0.5", BinarizationKind.Threshold, 0.5)]
    public void Parses_the_three_rules(string text, BinarizationKind kind, double value)
    {
        var b = Binarization.Parse(text);
        Assert.Equal(kind, b.Kind);
        Assert.Equal(value, b.Value, 1e-12);
    }

    [Theory]
    [InlineData("std")]
    [InlineData("median:3")]
    [InlineData("percentile:150")]
    [InlineData("percentile:90")]
    [InlineData("percentile:2")]
    [InlineData("percentile:-0.1")]
    public void Rejects_malformed_rules(string text)
    {
        Assert.Throws<InputDataException>(() => Binarization.Parse(text));
    }

    [Fact]
    public void Percentile_is_always_a_fraction_so_percentile_1_keeps_only_the_maximum()
    {
        // Spec vector A: 3×3 map 0..8, normalised v/8. p = 1 → t = 1, only v = 8; p = 0.5 → t = .5, v = 4..8.
        float[] map = [0, 1, 2, 3, 4, 5, 6, 7, 8];
        var mask = new byte[9];
        Assert.Equal(1, Binarizer.Binarize(map, Binarization.Parse("percentile:1"), mask, new float[9]));
        Assert.Equal(1, mask[8]);
        Assert.Equal(5, Binarizer.Binarize(map, Binarization.Parse("percentile:0.5"), mask, new float[9]));
        var e = Assert.Throws<InputDataException>(() => Binarization.Parse("percentile:2"));
        Assert.Contains("[0,1]", e.Message);
    }
}
