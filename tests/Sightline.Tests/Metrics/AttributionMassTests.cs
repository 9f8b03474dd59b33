using Sightline.Metrics;
using Sightline.Numerics;
using Sightline.Tests.Metrics.Localisation;

namespace Sightline.Tests.Metrics;

public sealed class AttributionMassTests
{
    [Theory]
    [InlineData(0.0, 0.0, true)]
    [InlineData(0.0, 1.0, true)]
    [InlineData(1e-8, 1.0, true)]
    [InlineData(-1e-8, 1.0, true)]
    [InlineData(2e-7, 1.0, false)]
    [InlineData(-2e-7, 1.0, false)]
    [InlineData(1e-300, 1e-300, false)]
    [InlineData(double.NaN, 1.0, true)]
    [InlineData(1.0, double.NaN, true)]
    public void Total_is_zero_when_within_float32_resolution_of_the_mass(double total, double abs, bool zero) =>
        Assert.Equal(zero, AttributionMass.IsZero(total, abs));

    [Fact]
    public void Non_negative_totals_are_zero_only_when_exactly_zero()
    {
        Assert.True(AttributionMass.IsZero(0, 0));
        Assert.False(AttributionMass.IsZero(double.Epsilon, double.Epsilon));
        Assert.False(AttributionMass.IsZero(1e-45, 1e-45));
    }

    [Fact]
    public void Masked_signed_sums_are_exact_where_a_plain_float64_sum_is_not()
    {
        // 40 values (vector path and scalar tail): [1, 2⁻⁶⁰, −1, −2⁻⁶⁰] repeated; plain float64 gives −2⁻⁶⁰·10.
        var map = Enumerable.Range(0, 40).Select(i => SignedMaps.TwoByTwo[i % 4]).ToArray();
        var mask = Enumerable.Range(0, 40).Select(i => (byte)(i % 4 < 2 ? 1 : 0)).ToArray();
        var (inside, total, abs) = Kernels.MaskedSignedSums(map, mask);
        Assert.Equal(0.0, total);
        Assert.Equal(10 * (1 + Math.ScaleB(1, -60)), inside);
        Assert.Equal(20 * (1 + Math.ScaleB(1, -60)), abs, 1e-12);
        double plain = 0;
        foreach (float v in map) plain += v;
        Assert.NotEqual(0.0, plain);
    }

    [Fact]
    public void Masked_signed_sums_match_exact_sums_on_cancelling_maps() =>
        SignedMaps.Cancelling().Sample(c =>
        {
            var (inside, total, _) = Kernels.MaskedSignedSums(c.Map, c.Mask);
            double scale = c.Map.Sum(v => Math.Abs((double)v));
            double exactTotal = SignedMaps.Ratio(SignedMaps.ExactSum(c.Map, c.Mask, all: true), SignedMaps.Scaled(1f));
            double exactInside = SignedMaps.Ratio(SignedMaps.ExactSum(c.Map, c.Mask, all: false), SignedMaps.Scaled(1f));
            // The documented bounds: 2⁻⁴⁰·|Σ| on the plain pass, 2⁻⁵³·|Σ| + γₙ²·Σ|x| on the compensated one.
            double plain = Math.ScaleB(1, -40) * Math.Abs(exactTotal) * (1 + 1e-9);
            Assert.Equal(exactTotal, total, plain + 4e-16 * Math.Abs(exactTotal) + 1e-28 * scale);
            Assert.Equal(exactInside, inside, plain + 4e-16 * Math.Abs(exactInside) + 1e-28 * scale);
        }, iter: 1000);
}
