using Sightline.Evaluation;
using Sightline.Metrics;

namespace Sightline.Tests.Metrics.Faithfulness;

public sealed class PerturbationCatalogueTests
{
    [Theory]
    [InlineData("monotonicity", MetricFamily.Faithfulness, 5, ScoreDirection.HigherIsBetter, false, true)]
    [InlineData("monotonicity_correlation", MetricFamily.Faithfulness, 6, ScoreDirection.HigherIsBetter, false, true)]
    [InlineData("pixel_flipping", MetricFamily.Faithfulness, 7, ScoreDirection.LowerIsBetter, true, false)]
    [InlineData("region_perturbation", MetricFamily.Faithfulness, 8, ScoreDirection.HigherIsBetter, true, false)]
    [InlineData("selectivity", MetricFamily.Faithfulness, 10, ScoreDirection.LowerIsBetter, true, false)]
    [InlineData("completeness", MetricFamily.Axiomatic, 1, ScoreDirection.HigherIsBetter, false, false)]
    [InlineData("non_sensitivity", MetricFamily.Axiomatic, 2, ScoreDirection.LowerIsBetter, false, true)]
    public void Metadata_matches_the_issue(string name, MetricFamily family, int order, ScoreDirection direction, bool curve, bool abs)
    {
        var entry = MetricCatalogue.All.Single(e => e.Name == name);
        Assert.Equal(MetricKind.Evaluation, entry.Kind);
        Assert.Equal(family, entry.Family);
        Assert.Equal(order, entry.Info.Order);
        Assert.Equal(direction, entry.Info.Direction);
        Assert.Equal(curve, entry.Info.Curve);
        Assert.Equal(abs, entry.Info.TakesAbsolute);
        Assert.True(entry.Info.Needs.HasFlag(MetricNeeds.Model));
        Assert.NotEmpty(entry.Info.Cost);
        var metric = entry.Create();
        Assert.Equal(abs, metric.UsesAbsolute);
        var shape = new EvaluationShape(3, 32, 32, 1, 10);
        Assert.Equal(curve, metric.CurveLength(shape) > 0);
        Assert.NotEmpty(MetricParameters.Describe(metric.Options));
    }

    [Fact]
    public void Curve_lengths_follow_the_options()
    {
        var shape = new EvaluationShape(3, 224, 224, 1, 1000);
        Assert.Equal(3 * 224 * 224, MetricCatalogue.All.Single(e => e.Name == "pixel_flipping").Create().CurveLength(shape));
        Assert.Equal(784, MetricCatalogue.All.Single(e => e.Name == "selectivity").Create().CurveLength(shape));
        Assert.Equal(100, MetricCatalogue.All.Single(e => e.Name == "region_perturbation").Create().CurveLength(shape));
        Assert.Equal(16, MetricCatalogue.All.Single(e => e.Name == "region_perturbation").Create().CurveLength(new EvaluationShape(3, 32, 32, 1, 10)));
        Assert.Equal(["completeness", "completeness_residual"], MetricCatalogue.All.Single(e => e.Name == "completeness").Create().Columns(shape, null));
    }

    [Fact]
    public void Enum_options_bind_from_snake_case()
    {
        var m = (Sightline.Metrics.Faithfulness.RegionPerturbation)MetricCatalogue.All.Single(e => e.Name == "region_perturbation")
            .Create([new("order", "random"), new("perturb_baseline", "uniform"), new("regions_evaluation", "5")]);
        Assert.Equal(Sightline.Metrics.Faithfulness.RegionOrder.Random, m.Settings.Order);
        Assert.Equal(PerturbBaseline.Uniform, m.Settings.PerturbBaseline);
        Assert.Equal(5, m.Settings.RegionsEvaluation);
    }
}
