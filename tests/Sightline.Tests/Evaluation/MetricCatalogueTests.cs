using Sightline.Evaluation;
using Sightline.Metrics;

namespace Sightline.Tests.Evaluation;

public sealed class MetricCatalogueTests
{
    [Fact]
    public void Every_align_metric_is_in_the_evaluate_catalogue_in_the_same_order()
    {
        var align = MetricRegistry.MapMask.Select(d => d.Name).ToList();
        var evaluate = MetricCatalogue.Evaluate.Where(e => e.Family == MetricFamily.Localisation).Select(e => e.Name).ToList();
        Assert.Equal(align, evaluate);
        Assert.Equal(["sss", "iou", "gtc", "sc", "sc_soft", "pointing_game"], align.Take(6));
    }

    [Fact]
    public void Neuron_order_comes_from_the_classes_metadata()
    {
        Assert.Equal(["recall", "precision", "f1", "iou", "accuracy"], Sightline.Neurons.NeuronMetricRegistry.CatalogueOrder.Take(5));
        Assert.Equal(Sightline.Neurons.NeuronMetricRegistry.BuiltIn.Count, MetricCatalogue.Neuron.Count);
    }

    [Fact]
    public void Localisation_adapter_gives_align_values()
    {
        // 1×2×2, s = [[1,0],[0,1]], e = [[.9,.1],[.2,.8]] (spec §9 extra cases): RMA 0.85, AUC 1.0, RRA 1.0.
        var batch = EvalBatches.Make(1, 2, 2, [0, 0, 0, 0], [.9f, .1f, .2f, .8f], [0], masks: [1, 0, 0, 1]);
        foreach (var (name, expected) in new[] { ("relevance_mass_accuracy", 0.85), ("auc", 1.0), ("relevance_rank_accuracy", 1.0) })
        {
            var m = MetricCatalogue.GetEvaluate(name).Create();
            var o = new MetricOutput(1, m.Columns(batch.Shape, null));
            m.Evaluate(batch, o);
            Assert.Equal(expected, o[0], 6);
        }
    }

    [Fact]
    public void Localisation_adapter_takes_k_from_param()
    {
        var batch = EvalBatches.Make(1, 2, 2, [0, 0, 0, 0], [.9f, .7f, .2f, .1f], [0], masks: [1, 0, 0, 1]);
        var m = MetricCatalogue.GetEvaluate("top_k_intersection").Create([new("k", "2")]);
        var o = new MetricOutput(1, [m.Name]);
        m.Evaluate(batch, o);
        Assert.Equal(0.5, o[0], 12);
    }

    [Fact]
    public void Localisation_without_masks_is_an_input_error()
    {
        var batch = EvalBatches.Make(1, 2, 2, [0, 0, 0, 0], [.9f, .1f, .2f, .8f], [0]);
        var m = MetricCatalogue.GetEvaluate("auc").Create();
        var e = Assert.Throws<InputDataException>(() => m.Evaluate(batch, new MetricOutput(1, [m.Name])));
        Assert.Contains("--masks", e.Message);
    }

    [Fact]
    public void Family_words_and_names_parse_without_duplicates()
    {
        var list = MetricCatalogue.ParseEvaluate("auc,localisation,auc");
        Assert.Equal(MetricCatalogue.MapMask.Count, list.Count);
        Assert.Equal("auc", list[0].Name);
        var e = Assert.Throws<InputDataException>(() => MetricCatalogue.ParseEvaluate("no_such_metric"));
        Assert.Contains("Known metrics", e.Message);
        Assert.Throws<InputDataException>(() => MetricCatalogue.ParseEvaluate(" , "));
    }

    [Fact]
    public void Unknown_param_key_lists_the_valid_keys()
    {
        var e = Assert.Throws<InputDataException>(() => MetricCatalogue.GetEvaluate("auc").Create([new("features_in_step", "3")]));
        Assert.Contains("'auc' has no option 'features_in_step'", e.Message);
        Assert.Contains("normalise", e.Message);
    }
}

public sealed class MetricCatalogueNameTests
{
    [Fact]
    public void Complexity_is_the_family_and_metric_prefix_selects_the_metric_alone()
    {
        Assert.Equal(["sparseness", "complexity", "effective_complexity"], MetricCatalogue.ParseEvaluate("complexity").Select(e => e.Name));
        Assert.Equal(["complexity"], MetricCatalogue.ParseEvaluate("metric:complexity").Select(e => e.Name));
    }
}
