using Sightline.Neurons;
using Sightline.Neurons.Sanity;

namespace Sightline.Tests.Neurons;

public sealed class NeuronMetricTests
{
    private static readonly double[] A0 = [0.9, 0.1, 0.75, 0.3, 0.05, 0.6, 0.2, 0.85, 0.4, 0.15, 0.5, 0.0];
    private static readonly double[] A1 = [-0.2, 1.3, 0.4, 2.1, 0.7, -0.5, 1.8, 0.0, 0.9, 1.1, -0.1, 0.25];
    private static readonly double[] C0 = [0.95, 0.05, 0.7, 0.2, 0.1, 0.55, 0.3, 0.8, 0.45, 0.15, 0.35, 0.02];
    private static readonly double[] C1 = [0.1, 0.6, 0.25, 0.9, 0.4, 0.05, 0.85, 0.12, 0.52, 0.65, 0.2, 0.3];

    internal static NeuronProbe R1() => NeuronProbe.FromColumns([A0, A1], [C0, C1]);

    private static double[] Score(string metric, NeuronMetricOptions o, NeuronProbe? p = null) =>
        NeuronMetricRegistry.Get(metric).Create(o).Evaluate(p ?? R1()).Values;

    [Theory]
    [InlineData("recall", 0.25, new[] { 1, 0, 0, 1.0 })]
    [InlineData("precision", 0.25, new[] { 0.75, 0, 0, 0.6 })]
    [InlineData("f1", 0.25, new[] { 0.857143, 0, 0, 0.75 })]
    [InlineData("iou", 0.25, new[] { 0.75, 0, 0, 0.6 })]
    [InlineData("accuracy", 0.25, new[] { 0.916667, 0.333333, 0.416667, 0.833333 })]
    [InlineData("balanced_accuracy", 0.25, new[] { 0.944444, 0.222222, 0.277778, 0.888889 })]
    [InlineData("inverse_balanced_accuracy", 0.25, new[] { 0.875, 0.285714, 0.3125, 0.8 })]
    [InlineData("auc", 0.25, new[] { 1, 0.148148, 0.259259, 0.962963 })]
    [InlineData("auprc", 0.25, new[] { 1, 0.199242, 0.221861, 0.916667 })]
    [InlineData("wpmi", 0.25, new[] { 0.744141, -1.048840, -0.981869, 0.627973 })]
    [InlineData("combined_auc", 0.25, new[] { 1, 0.195122, 0.137705, 0.981132 })]
    [InlineData("combined_balanced_acc", 0.25, new[] { 0.908397, 0.25, 0.294118, 0.842105 })]
    [InlineData("precision_bal_acc", 0.25, new[] { 0.836066, 0, 0, 0.716418 })]
    [InlineData("precision_inverse_bal_acc", 0.25, new[] { 0.807692, 0, 0, 0.685714 })]
    [InlineData("recall", 0.5, new[] { 0.666667, 0.166667, 0, 0.833333 })]
    [InlineData("precision", 0.5, new[] { 1, 0.2, 0, 1.0 })]
    [InlineData("f1", 0.5, new[] { 0.8, 0.181818, 0, 0.909091 })]
    [InlineData("iou", 0.5, new[] { 0.666667, 0.1, 0, 0.833333 })]
    [InlineData("accuracy", 0.5, new[] { 0.833333, 0.25, 0.166667, 0.916667 })]
    [InlineData("balanced_accuracy", 0.5, new[] { 0.833333, 0.25, 0.166667, 0.916667 })]
    [InlineData("inverse_balanced_accuracy", 0.5, new[] { 0.875, 0.242857, 0.125, 0.928571 })]
    [InlineData("auc", 0.5, new[] { 1, 0.055556, 0.194444, 1.0 })]
    [InlineData("auprc", 0.5, new[] { 1, 0.356313, 0.391769, 1.0 })]
    [InlineData("wpmi", 0.5, new[] { 0.441632, -0.957165, -0.846714, 0.424257 })]
    [InlineData("combined_auc", 0.5, new[] { 1, 0.093023, 0.126506, 1.0 })]
    [InlineData("combined_balanced_acc", 0.5, new[] { 0.853659, 0.246377, 0.142857, 0.922581 })]
    [InlineData("recall_auc", 0.5, new[] { 0.8, 0.083333, 0, 0.909091 })]
    [InlineData("recall_inv_auc", 0.5, new[] { 0.8, 0.210526, 0, 0.909091 })]
    [InlineData("precision_bal_acc", 0.5, new[] { 0.909091, 0.222222, 0, 0.956522 })]
    [InlineData("precision_inverse_bal_acc", 0.5, new[] { 0.933333, 0.219355, 0, 0.962963 })]
    public void Set_and_rank_metrics_match_the_reference_values_of_R1(string metric, double alpha, double[] expected)
    {
        var v = Score(metric, new NeuronMetricOptions { Alpha = alpha });
        for (int i = 0; i < 4; i++) Assert.Equal(expected[i], v[i], 1e-6);
    }

    [Theory]
    [InlineData("inverse_auc", new[] { 1, 0.285714, 0.09375, 1.0 })]
    [InlineData("inverse_auprc", new[] { 1, 0.354365, 0.242785, 1.0 })]
    [InlineData("correlation", new[] { 0.892527, -0.577955, -0.506292, 0.903854 })]
    [InlineData("spearman", new[] { 0.897436, -0.570513, -0.493590, 0.897436 })]
    [InlineData("cosine", new[] { 0.990289, 0.445412, 0.245245, 0.953180 })]
    [InlineData("mad", new[] { 0.5625, -0.291429, -1.08125, 1.361429 })]
    public void Metrics_without_alpha_match_the_reference_values_of_R1(string metric, double[] expected)
    {
        var v = Score(metric, NeuronMetricOptions.Default);
        for (int i = 0; i < 4; i++) Assert.Equal(expected[i], v[i], 1e-6);
    }

    [Fact]
    public void Wpmi_with_lambda_one_half_matches_R1()
    {
        var v = Score("wpmi", new NeuronMetricOptions { Alpha = 0.25, Lambda = 0.5 });
        double[] e = [0.266885, -1.492610, -1.459125, 0.184202];
        for (int i = 0; i < 4; i++) Assert.Equal(e[i], v[i], 1e-6);
        var w = Score("wpmi", new NeuronMetricOptions { Alpha = 0.5, Lambda = 0.5 });
        Assert.Equal(-0.035624, w[0], 1e-6);
    }

    [Fact]
    public void Recall_inv_auc_at_alpha_one_quarter_is_the_harmonic_mean_of_its_parts()
    {
        var v = Score("recall_inv_auc", new NeuronMetricOptions { Alpha = 0.25 });
        Assert.Equal([1.0, 0, 0, 1], v.Select(x => Math.Round(x, 6)));
    }

    public static TheoryData<string, double, double, double> R2Cases => new()
    {
        { "recall", 1, 0.5, 1 }, { "precision", 1, 1, 0.5 }, { "f1", 1, 0.666667, 0.666667 }, { "iou", 1, 0.5, 0.5 },
        { "accuracy", 1, 0.95, 0.9 }, { "balanced_accuracy", 1, 0.75, 0.944444 }, { "inverse_balanced_accuracy", 1, 0.973684, 0.75 },
        { "correlation", 0.999, 0.687559, 0.666 }, { "cosine", 1, 0.707107, 0.707107 }, { "wpmi", 2.302585, -6.214608, 1.609438 },
        { "mad", 1, 0.947368, 0.5 }, { "auprc", 1, 0.55, 0.5 }, { "inverse_auprc", 1, 0.5, 0.6 },
        { "auc", 1, 0.75, 0.944444 }, { "inverse_auc", 1, 0.973684, 0.75 }, { "spearman", 0.999, 0.687559, 0.666 },
    };

    [Theory]
    [MemberData(nameof(R2Cases))]
    public void Missing_and_extra_case_R2_matches_with_alpha_disabled(string metric, double original, double missing, double extra)
    {
        var a = new double[1000]; var cm = new double[1000]; var cp = new double[1000];
        for (int i = 0; i < 100; i++) a[i] = 1;
        for (int i = 0; i < 100; i += 2) cm[i] = 1;
        for (int i = 0; i < 200; i++) cp[i] = 1;
        var v = Score(metric, new NeuronMetricOptions { Alpha = 0 }, NeuronProbe.FromColumns([a], [a, cm, cp]));
        Assert.Equal(original, v[0], 1e-6);
        Assert.Equal(missing, v[1], 1e-6);
        Assert.Equal(extra, v[2], 1e-6);
    }

    [Theory]
    [InlineData(new[] { 0.1, 0.5, 0.7, 0.8 }, new[] { true, false, true, true }, 0.916667)]
    [InlineData(new[] { 1.0, 1, 1, 0 }, new[] { true, false, true, false }, 0.666667)]
    [InlineData(new[] { 0.9, 0.8, 0.8, 0.3, 0.3, 0.1 }, new[] { true, false, true, true, false, false }, 0.755556)]
    [InlineData(new[] { 0.2, 0.2, 0.2 }, new[] { true, false, false }, 0.333333)]
    [InlineData(new[] { 0.5, 0.4 }, new[] { false, false }, 0)]
    public void Average_precision_matches_the_R3_vectors(double[] scores, bool[] labels, double expected) =>
        Assert.Equal(expected, NeuronKernels.AveragePrecision(scores, labels), 1e-6);

    [Fact]
    public void Top_alpha_binarisation_includes_ties_at_the_cut_off()
    {
        double[] a = [3, 2, 2, 1];
        Assert.Equal([0], NeuronProbe.TopAlpha(a, 0.25));
        Assert.Equal([0, 1, 2], NeuronProbe.TopAlpha(a, 0.5));
        Assert.Equal([0, 1, 2], NeuronProbe.TopAlpha(a, 0.75));
        var x = Enumerable.Range(0, 100).Select(i => (double)i).ToArray();
        Assert.Equal(8, NeuronProbe.TopAlpha(x, 0.07).Length); // ⌈0.07·100⌉ = 8 in IEEE double
    }

    [Fact]
    public void Tie_and_edge_cases_of_R4_hold()
    {
        var auc = Score("auc", new NeuronMetricOptions { Alpha = 0.5 }, NeuronProbe.FromColumns([[4.0, 3, 2, 1]], [[0.9, 0.5, 0.5, 0.1]]));
        Assert.Equal(0.875, auc[0], 1e-12);
        var sp = Score("spearman", NeuronMetricOptions.Default, NeuronProbe.FromColumns([[1.0, 2, 2, 3]], [[0.0, 0, 1, 1]]));
        Assert.Equal(3 / Math.Sqrt(18) * 0.75, sp[0], 1e-9);
        var corr = Score("correlation", NeuronMetricOptions.Default, NeuronProbe.FromColumns([[1.0, 2, 3, 4], [1.0, 2, 3, 4]], [[0.0, 0.25, 0.5, 0.75], [0.5, 0.5, 0.5, 0.5]]));
        Assert.Equal(0.75, corr[0], 1e-12);
        Assert.Equal(0, corr[1], 1e-12);
        var empty = NeuronProbe.FromColumns([[0.0, 0, 0, 0]], [[0.0, 0, 0, 0]]);
        var raw = new NeuronMetricOptions { Alpha = 0 };
        Assert.Equal(0, Score("precision", raw, empty)[0]);
        Assert.Equal(0, Score("auprc", raw, empty)[0]);
        Assert.Equal(0, Score("inverse_auprc", raw, empty)[0]);
        Assert.Equal(0, Score("auc", raw, empty)[0]);
        Assert.True(double.IsNaN(Score("f1", raw, empty)[0]));
        Assert.True(double.IsNaN(Score("iou", raw, empty)[0]));
        Assert.True(double.IsNaN(Score("recall_auc", raw, empty)[0]));
        Assert.Equal(double.PositiveInfinity, Score("wpmi", new NeuronMetricOptions { Alpha = 0.5 }, NeuronProbe.FromColumns([[1.0, 0, 0, 0]], [[0.0, 0, 0, 0]]))[0]);
    }

    [Fact]
    public void Meta_auprc_is_one_when_every_true_concept_scores_highest_and_lower_otherwise()
    {
        var perfect = new ScoreMatrix(2, 2, [0.9, 0.1, 0.2, 0.8]);
        Assert.Equal(1, MetaAuprc.Compute(perfect, [0, 1]), 1e-12);
        var swapped = new ScoreMatrix(2, 2, [0.1, 0.9, 0.8, 0.2]);
        Assert.True(MetaAuprc.Compute(swapped, [0, 1]) < 0.6);
    }

    [Fact]
    public void The_registry_lists_every_issue_metric_in_catalogue_order()
    {
        var names = NeuronMetricRegistry.BuiltIn.Select(d => d.Name).ToArray();
        Assert.Equal(NeuronMetricRegistry.CatalogueOrder, names);
        Assert.All(NeuronMetricRegistry.BuiltIn, d => Assert.Equal(Sightline.Metrics.MetricFamily.Neuron, d.Info.Family));
    }

    [Theory]
    [InlineData("auc")]
    [InlineData("auprc")]
    [InlineData("recall")]
    [InlineData("iou")]
    [InlineData("wpmi")]
    [InlineData("combined_auc")]
    public void Disabled_alpha_on_non_binary_activations_is_rejected_instead_of_giving_out_of_range_scores(string metric)
    {
        // Without the check auc here would be 3: the positives are the exact ones, the negatives the exact zeros, but ranks span all four.
        var probe = NeuronProbe.FromColumns([[1.0, 0.5, 0.5, 0]], [[0.9, 0.8, 0.7, 0.1]]);
        var e = Assert.Throws<InputDataException>(() => Score(metric, new NeuronMetricOptions { Alpha = 0 }, probe));
        Assert.Contains("0/1 activations", e.Message);
        Assert.Contains("neuron 0", e.Message);
        // Raw-activation metrics need no binarisation and still work; with an α the same input is fine.
        Assert.Equal(1, Score("inverse_auc", new NeuronMetricOptions { Alpha = 0 }, probe)[0], 1e-12);
        Assert.InRange(Score("auc", new NeuronMetricOptions { Alpha = 0.25 }, probe)[0], 0, 1);
    }

    [Fact]
    public void Invalid_inputs_raise_input_data_exceptions()
    {
        Assert.Throws<InputDataException>(() => NeuronProbe.FromColumns([[1.0, double.NaN]], [[0.0, 1]]));
        Assert.Throws<InputDataException>(() => NeuronProbe.FromColumns([[1.0, 2]], [[0.0, 1.5]]));
        Assert.Throws<InputDataException>(() => NeuronProbe.FromColumns([[1.0, 2]], [[0.0, 1, 1]]));
    }
}
