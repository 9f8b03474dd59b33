using CsCheck;
using Sightline.Statistics;

namespace Sightline.Tests.Statistics;

public sealed class SummaryTests
{
    [Fact]
    public void Nan_values_are_dropped_and_counted_and_std_is_the_sample_std()
    {
        var s = Summary.Of([1, 2, double.NaN, 3, 4, double.NaN]);
        Assert.Equal(4, s.N);
        Assert.Equal(2, s.NanCount);
        Assert.Equal(2.5, s.Mean, 15);
        // Sample std (n − 1, as documented): Σ(x − 2.5)² = 5, 5/3 → √(5/3); the population std would be √(5/4).
        Assert.Equal(Math.Sqrt(5.0 / 3.0), s.Std, 15);
        Assert.Equal(2.5, s.Median, 15); // even N: mean of the two middle values
    }

    [Fact]
    public void Median_of_an_odd_count_is_the_middle_value_whatever_the_order()
    {
        Assert.Equal(2.0, Summary.Of([3, 1, 2]).Median);
        Assert.Equal(10.0, Summary.Of([10, -4, 100, 7, 12]).Median);
    }

    [Fact]
    public void Empty_and_single_value_edge_cases()
    {
        var empty = Summary.Of([double.NaN, double.NaN]);
        Assert.Equal((0, 2), (empty.N, empty.NanCount));
        Assert.True(double.IsNaN(empty.Mean) && double.IsNaN(empty.Std) && double.IsNaN(empty.Median) && double.IsNaN(empty.CiLow));
        var one = Summary.Of([0.25]);
        Assert.Equal((1, 0.25, 0.25), (one.N, one.Mean, one.Median));
        Assert.True(double.IsNaN(one.Std));
        Assert.True(double.IsNaN(one.CiLow) && double.IsNaN(one.CiHigh));
    }

    [Fact]
    public void Bootstrap_ci_is_reproducible_for_a_seed_and_contains_the_mean()
    {
        double[] x = [0.1, 0.9, 0.4, 0.35, 0.8, 0.05, 0.6, 0.75, 0.2, 0.5];
        var a = Summary.Of(x, 2000, seed: 7);
        var b = Summary.Of(x, 2000, seed: 7);
        Assert.Equal((a.CiLow, a.CiHigh), (b.CiLow, b.CiHigh));
        var other = Summary.Of(x, 2000, seed: 8);
        Assert.NotEqual((a.CiLow, a.CiHigh), (other.CiLow, other.CiHigh));
        Assert.InRange(a.Mean, a.CiLow, a.CiHigh);
        Assert.True(a.CiLow > x.Min() && a.CiHigh < x.Max());
        // A constant sample has a degenerate interval at the constant.
        var constant = Summary.Of([0.3, 0.3, 0.3], 100, 1);
        Assert.Equal((0.3, 0.3), (constant.CiLow, constant.CiHigh));
    }

    [Fact]
    public void Ci_contains_the_mean_and_lies_within_the_range_for_any_sample()
    {
        Gen.Double[-10, 10].Array[2, 40].Sample(x =>
        {
            var s = Summary.Of(x, 200, 3);
            Assert.InRange(s.CiLow, x.Min() - 1e-12, s.CiHigh);
            Assert.InRange(s.CiHigh, s.CiLow, x.Max() + 1e-12);
            Assert.InRange(s.Median, x.Min(), x.Max());
        }, iter: 50);
    }

    [Fact]
    public void Quantile_interpolates_linearly_at_q_times_n_minus_1()
    {
        double[] sorted = [0, 10, 20, 30];
        Assert.Equal(15.0, Summary.Quantile(sorted, 0.5), 12);
        Assert.Equal(7.5, Summary.Quantile(sorted, 0.25), 12);
        Assert.Equal(30.0, Summary.Quantile(sorted, 1.0), 12);
    }
}
