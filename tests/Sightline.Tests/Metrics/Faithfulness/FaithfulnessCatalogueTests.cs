using Sightline.Evaluation;
using Sightline.Metrics;
using Sightline.Metrics.Faithfulness;

namespace Sightline.Tests.Metrics.Faithfulness;

public sealed class FaithfulnessCatalogueTests
{
    [Theory]
    [InlineData("faithfulness_correlation", 1, ScoreDirection.HigherIsBetter, false)]
    [InlineData("faithfulness_estimate", 2, ScoreDirection.HigherIsBetter, false)]
    [InlineData("infidelity", 3, ScoreDirection.LowerIsBetter, false)]
    [InlineData("irof", 4, ScoreDirection.HigherIsBetter, false)]
    [InlineData("road", 9, ScoreDirection.LowerIsBetter, true)]
    [InlineData("sensitivity_n", 11, ScoreDirection.HigherIsBetter, false)]
    [InlineData("sufficiency", 12, ScoreDirection.HigherIsBetter, false)]
    public void Is_catalogued_with_its_metadata(string name, int order, ScoreDirection direction, bool curve)
    {
        var entry = MetricCatalogue.Evaluate.Single(e => e.Name == name);
        Assert.Equal(MetricFamily.Faithfulness, entry.Family);
        Assert.Equal(order, entry.Info.Order);
        Assert.Equal(direction, entry.Info.Direction);
        Assert.Equal(curve, entry.Info.Curve);
        Assert.True(entry.Info.Needs.HasFlag(MetricNeeds.Model));
        Assert.NotEmpty(entry.Info.Cost);
        Assert.NotEmpty(entry.Info.Citation);
    }

    [Fact]
    public void Options_bind_from_quantus_argument_names()
    {
        var road = (ROAD)MetricCatalogue.Evaluate.Single(e => e.Name == "road").Create([new("percentages", "10,20,30"), new("noise", "0")]);
        Assert.Equal([10.0, 20, 30], road.Settings.Percentages);
        Assert.Equal(3, road.CurveLength(new EvaluationShape(3, 8, 8, 1, 10)));
        Assert.Equal(Normalisation.ByNegative, road.Settings.NormaliseFunc);
        var sn = (SensitivityN)MetricCatalogue.Evaluate.Single(e => e.Name == "sensitivity_n").Create([new("random_subsets", "true"), new("n_max_percentage", "0.5")]);
        Assert.True(sn.Settings.RandomSubsets);
        var inf = (Infidelity)MetricCatalogue.Evaluate.Single(e => e.Name == "infidelity").Create([new("perturb_patch_sizes", "2,4"), new("perturb_baseline", "white")]);
        Assert.Equal([2, 4], inf.Settings.PerturbPatchSizes);
        Assert.False(inf.Settings.Normalise);
        var fc = (FaithfulnessCorrelation)MetricCatalogue.Evaluate.Single(e => e.Name == "faithfulness_correlation").Create([new("similarity_func", "spearman"), new("nr_runs", "50")]);
        Assert.Equal(SimilarityFunc.Spearman, fc.Settings.SimilarityFunc);
        Assert.Equal(50, fc.Settings.NrRuns);
        Assert.True(((IEvaluationMetric)MetricCatalogue.Evaluate.Single(e => e.Name == "sufficiency").Create()).UsesAbsolute);
        var e = Assert.Throws<InputDataException>(() => MetricCatalogue.Evaluate.Single(e => e.Name == "irof").Create([new("nr_runs", "3")]));
        Assert.Contains("n_segments", e.Message);
    }
}
