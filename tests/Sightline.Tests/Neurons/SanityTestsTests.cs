using Sightline.Neurons;
using Sightline.Neurons.Sanity;

namespace Sightline.Tests.Neurons;

public sealed class SanityTestsTests
{
    private static readonly TheoreticalSanityOptions Small = new() { Inputs = 50_000, Draws = 20, Seed = 0 };
    private static readonly Lazy<IReadOnlyList<SanityResult>> Table = new(() =>
        SanityTests.Theoretical(NeuronMetricRegistry.BuiltIn, Small, new NeuronMetricOptions { ReferenceCompat = true }));

    private static SanityResult Row(string name) => Table.Value.Single(r => r.Metric == name);

    // The reference's tie handling (random noise) and sampling quirk, approximated by RankTies.Random and ReferenceCompat.
    private static readonly Lazy<IReadOnlyList<SanityResult>> ReferenceTable = new(() =>
        SanityTests.Theoretical(NeuronMetricRegistry.BuiltIn, Small, new NeuronMetricOptions { ReferenceCompat = true, Ties = RankTies.Random }));

    private static SanityResult ReferenceRow(string name) => ReferenceTable.Value.Single(r => r.Metric == name);

    // inverse_auprc's extra-labels column is a Monte-Carlo coin flip (E[Δ] = −ε exactly at γ = 0.499: paper 89.54, repository
    // rerun 90.46), so its verdict is checked by the band test below rather than asserted here.
    private static string[] Passing(IReadOnlyList<SanityResult> table) =>
        [.. table.Where(r => r.Pass && r.Metric != "inverse_auprc").Select(r => r.Metric)];

    [Fact]
    public void Theoretical_table_with_midranks_passes_these_metrics()
    {
        // The computed table itself. With midranks spearman = correlation on 0/1 data, so it passes (spec §5).
        Assert.Equal(["f1", "iou", "correlation", "spearman", "cosine", "wpmi", "auprc",
            "combined_auc", "combined_balanced_acc", "recall_inv_auc", "precision_bal_acc"], Passing(Table.Value));
    }

    [Fact]
    public void Theoretical_table_with_the_reference_tie_breaking_fails_spearman()
    {
        Assert.Equal(["f1", "iou", "correlation", "cosine", "wpmi", "auprc",
            "combined_auc", "combined_balanced_acc", "recall_inv_auc", "precision_bal_acc"], Passing(ReferenceTable.Value));
        Assert.True(Row("spearman").Pass);
        var sp = ReferenceRow("spearman");
        Assert.False(sp.Pass);
        Assert.InRange(sp.ExtraDecrease, 0, 80); // paper 44.08, repository rerun 53.90
    }

    [Fact]
    public void With_the_reference_tie_breaking_every_verdict_matches_the_paper_theoretical_columns()
    {
        foreach (var paper in PaperResults.Table)
        {
            string name = paper.Metric.EndsWith("_top_random", StringComparison.Ordinal) ? paper.Metric + "_binary" : paper.Metric;
            var ours = ReferenceRow(name);
            Assert.True(ours.MissingPass == paper.MissingTheoretical >= 90, $"{name} missing: ours {ours.MissingDecrease}, paper {paper.MissingTheoretical}");
            if (name == "inverse_auprc") continue; // the coin flip
            Assert.True(ours.ExtraPass == paper.ExtraTheoretical >= 90, $"{name} extra: ours {ours.ExtraDecrease}, paper {paper.ExtraTheoretical}");
        }
    }

    [Fact]
    public void The_paper_finding_of_five_needs_its_experimental_test_because_wpmi_passes_the_theoretical_one()
    {
        // Of the paper's 18 metrics, those passing our theoretical test are the paper's five plus wpmi, which passes the
        // theoretical test in the paper too (100/100) and fails only its experimental extra-labels test (58.84).
        var inPaper = Passing(ReferenceTable.Value).Where(n => PaperResults.Find(n) is not null).ToArray();
        Assert.Equal(["f1", "iou", "correlation", "cosine", "wpmi", "auprc"], inPaper);
        Assert.Equal(["f1", "iou", "correlation", "cosine", "auprc"], inPaper.Where(n => PaperResults.Find(n)!.ExperimentalPass));
        Assert.False(PaperResults.Find("wpmi")!.ExperimentalPass);
        Assert.True(PaperResults.Find("wpmi")!.TheoreticalPass);
    }

    [Fact]
    public void Inverse_auprc_extra_labels_column_is_the_coin_flip_around_ninety_percent_of_the_paper()
    {
        var r = Row("inverse_auprc");
        Assert.InRange(r.MissingDecrease, 95, 100);
        Assert.InRange(r.ExtraDecrease, 85, 95);
        var at0499 = r.PerFrequency.Single(f => f.Gamma == 0.499);
        Assert.InRange(at0499.ExtraDecrease, 25, 75);
        Assert.Equal(-0.001, at0499.ExtraDelta, 0.0005);
    }

    public static double H(double x, double y) => 2 * x * y / (x + y);

    public static TheoryData<string, double, double> ClosedForms()
    {
        var d = new TheoryData<string, double, double>();
        foreach (var g in new[] { 0.499, 0.1, 0.01 })
        {
            double p = g / (1 - g), q = g / (4 - 2 * g);
            void Add(string name, double missing, double extra) { d.Add(name + "@" + g, missing, extra); }
            Add("recall", -0.5, 0); Add("precision", 0, -0.5); Add("f1", -1.0 / 3, -1.0 / 3); Add("iou", -0.5, -0.5);
            Add("accuracy", -g / 2, -g); Add("balanced_accuracy", -0.25, -p / 2); Add("auc", -0.25, -p / 2);
            Add("inverse_balanced_accuracy", -q, -0.25); Add("inverse_auc", -q, -0.25);
            Add("correlation", (Math.Sqrt((1 - g) / (2 - g)) - 1) / 2, (Math.Sqrt((1 - 2 * g) / (2 * (1 - g))) - 1) / 2);
            Add("cosine", (1 / Math.Sqrt(2) - 1) / 2, (1 / Math.Sqrt(2) - 1) / 2);
            Add("auprc", -(1 - g) / 2, -0.5); Add("inverse_auprc", -0.5, -(0.5 - g));
            Add("combined_auc", H(0.75, 1 - q) - 1, H(1 - p / 2, 0.75) - 1);
            Add("recall_auc", -0.4, H(1, 1 - p / 2) - 1); Add("recall_inv_auc", H(0.5, 1 - q) - 1, -1.0 / 7);
            Add("precision_bal_acc", -1.0 / 7, H(0.5, 1 - p / 2) - 1); Add("precision_inverse_bal_acc", H(1, 1 - q) - 1, -0.4);
        }
        return d;
    }

    [Theory]
    [MemberData(nameof(ClosedForms))]
    public void Mean_normalised_decreases_match_the_closed_forms(string metricAtGamma, double missing, double extra)
    {
        var parts = metricAtGamma.Split('@');
        double g = double.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        var per = Row(parts[0]).PerFrequency.Single(f => f.Gamma == g);
        double tol = parts[0] == "correlation" || parts[0] == "cosine" ? 0.01 : 0.02;
        Assert.Equal(missing, per.MissingDelta, tol);
        Assert.Equal(extra, per.ExtraDelta, tol);
    }

    [Fact]
    public void Experimental_test_on_class_neurons_reports_decreases_and_meta_auprc()
    {
        // 3 class neurons over 600 inputs: neuron t fires (noisily) on class t.
        var rng = new Random(3);
        int n = 600;
        var a = new double[3][]; var c = new double[3][];
        for (int t = 0; t < 3; t++) { a[t] = new double[n]; c[t] = new double[n]; }
        for (int i = 0; i < n; i++)
        {
            int label = i % 3;
            c[label][i] = 1;
            for (int t = 0; t < 3; t++) a[t][i] = (t == label ? 1 : 0) + 0.3 * rng.NextDouble();
        }
        var probe = NeuronProbe.FromColumns(a, c);
        var results = SanityTests.Experimental([NeuronMetricRegistry.Get("correlation"), NeuronMetricRegistry.Get("recall")], probe, [0, 1, 2],
            new NeuronMetricOptions { Alpha = 0.2 });
        Assert.True(results[0].Pass);
        Assert.Equal(1, results[0].MetaAuprc, 1e-12);
        Assert.Equal(0, results[1].ExtraDecrease);
        Assert.Throws<InputDataException>(() => SanityTests.Experimental([NeuronMetricRegistry.Get("recall")], probe, [0, 1, 5], NeuronMetricOptions.Default));
    }

    [Fact]
    public void Known_neuron_meta_auprc_ranks_true_class_concepts_first_for_good_metrics_but_not_for_recall()
    {
        // 10 class neurons over 2000 inputs (label = i mod 10): neuron t = 1[label = t]·(0.5 + 0.5u) + 0.4u′. Concepts: the 10
        // classes plus a frequent concept independent of the classes (60% of inputs). Recall = TP/n₁ favours the frequent
        // concept (≈ 0.6 against 0.5 for the true class at α = 0.2); correlation, auprc and iou find the class.
        var rng = new Random(5);
        int n = 2000;
        var a = Enumerable.Range(0, 10).Select(_ => new double[n]).ToArray();
        var c = Enumerable.Range(0, 11).Select(_ => new double[n]).ToArray();
        for (int i = 0; i < n; i++)
        {
            int label = i % 10;
            c[label][i] = 1;
            c[10][i] = rng.NextDouble() < 0.6 ? 1 : 0;
            for (int t = 0; t < 10; t++) a[t][i] = (t == label ? 0.5 + 0.5 * rng.NextDouble() : 0) + 0.4 * rng.NextDouble();
        }
        var probe = NeuronProbe.FromColumns(a, c);
        var known = Enumerable.Range(0, 10).ToArray();
        var results = SanityTests.Experimental([.. new[] { "correlation", "auprc", "iou", "recall" }.Select(NeuronMetricRegistry.Get)], probe, known,
            new NeuronMetricOptions { Alpha = 0.2 });
        double Meta(string name) => results.Single(r => r.Metric == name).MetaAuprc;
        Assert.Equal(1, Meta("correlation"), 1e-12);
        Assert.Equal(1, Meta("auprc"), 1e-12);
        Assert.Equal(1, Meta("iou"), 1e-12);
        Assert.InRange(Meta("recall"), 0, 0.6);
        // And directly: recall's best concept is the frequent one for every neuron.
        var recall = NeuronMetricRegistry.Get("recall").Create(new NeuronMetricOptions { Alpha = 0.2 }).Evaluate(probe);
        Assert.All(known, k => Assert.Equal(10, Enumerable.Range(0, 11).MaxBy(t => recall[k, t])));
    }
}
