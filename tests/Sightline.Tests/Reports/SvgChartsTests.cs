using System.Text.RegularExpressions;
using Sightline.Reports;

namespace Sightline.Tests.Reports;

public sealed class SvgChartsTests
{
    [Theory]
    [InlineData(1.0, 1.0)]
    [InlineData(0.5, 0.5)]
    [InlineData(0.51, 1.0)]
    [InlineData(0.3, 0.5)]
    [InlineData(0.12, 0.2)]
    [InlineData(0.25, 0.25)]
    [InlineData(2.0, 2.0)]
    [InlineData(7.0, 10.0)]
    [InlineData(0.0, 1.0)]
    public void Nice_max_is_the_smallest_round_value_not_below_the_input(double v, double expected) =>
        Assert.Equal(expected, SvgCharts.NiceMax(v), 12);

    [Fact]
    public void A_histogram_with_every_sample_in_one_bin_tops_out_at_one()
    {
        var svg = SvgCharts.Histogram("t", "x", [(new ChartSeries("a", "#000"), new double[] { 0.05, 0.05, 0.05 })], 0, 1);
        var ticks = Regex.Matches(svg, "text-anchor=\"end\">([^<]+)<").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal("1", ticks[^1]);
        Assert.DoesNotContain("2", ticks);
    }
}
