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

    [Fact]
    public void Bar_chart_labels_that_do_not_fit_their_cluster_are_drawn_in_full_at_45_degrees_and_the_chart_grows()
    {
        string[] metrics = ["sss", "iou", "gtc", "sc", "sc_soft", "pointing_game", "energy_pointing_game", "attribution_localisation",
            "attribution_localisation_weighted", "top_k_intersection", "relevance_rank_accuracy", "relevance_mass_accuracy", "auc"];
        var svg = SvgCharts.GroupedBars("means", metrics, [new ChartSeries("a", "#000"), new ChartSeries("b", "#111")], (c, s) => new BarValue(0.5, 0.4, 0.6));
        var labels = Regex.Matches(svg, "<text class=\"x-label\" x=\"([\\d.]+)\" y=\"[\\d.]+\" transform=\"rotate\\(45 [^\"]+\">([^<]+)</text>").ToList();
        Assert.Equal(metrics, labels.Select(m => m.Groups[2].Value));
        // Ticks at least MinClusterWidth apart (neighbouring 45° labels do not touch), the plot wider than the default.
        var x = labels.Select(m => double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.All(x.Zip(x.Skip(1)), p => Assert.True(p.Second - p.First >= SvgCharts.MinClusterWidth - 1e-9, $"{p.First} → {p.Second}"));
        var size = Regex.Match(svg, "<svg width=\"(\\d+)\" height=\"(\\d+)\"");
        int height = int.Parse(size.Groups[2].Value);
        // The longest label (33 characters) needs ≥ 33·6.5·cos 45° ≈ 152 px below the axis.
        Assert.True(height >= 200 + 152, $"height {height}");
    }

    [Fact]
    public void Bar_chart_labels_whose_neighbours_leave_room_stay_horizontal_and_in_full()
    {
        var svg = SvgCharts.GroupedBars("means", ["sss", "iou", "pointing_game"], [new ChartSeries("a", "#000"), new ChartSeries("b", "#111")], (c, s) => new BarValue(0.5, 0.4, 0.6));
        Assert.Contains("text-anchor=\"middle\">pointing_game</text>", svg);
        Assert.DoesNotContain("rotate(45", svg);
    }

    [Fact]
    public void Bar_chart_labels_that_fit_stay_horizontal()
    {
        var svg = SvgCharts.GroupedBars("means", ["sss", "iou"], [new ChartSeries("a", "#000")], (c, s) => new BarValue(0.5, double.NaN, double.NaN));
        Assert.Contains("<text class=\"x-label\" x=\"114\" y=\"216\" text-anchor=\"middle\">sss</text>", svg);
        Assert.DoesNotContain("rotate(45", svg);
        Assert.StartsWith("<svg width=\"440\" height=\"250\"", svg);
    }
}
