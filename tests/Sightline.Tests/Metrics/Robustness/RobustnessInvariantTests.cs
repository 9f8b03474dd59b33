using Sightline.Evaluation;
using Sightline.Metrics;
using Sightline.Models;
using Sightline.Tests.Evaluation;

namespace Sightline.Tests.Metrics.Robustness;

/// <summary>Invariants of every robustness metric, generated from the catalogue.</summary>
public sealed class RobustnessInvariantTests
{
    private static IEnumerable<string> Family() => MetricCatalogue.Evaluate.Where(e => e.Family == MetricFamily.Robustness).Select(e => e.Name);

    public static TheoryData<string> Names() => [.. Family()];

    [Fact]
    public void Catalogue_lists_the_family_in_the_issue_order()
    {
        Assert.Equal(["avg_sensitivity", "max_sensitivity", "local_lipschitz_estimate", "continuity", "consistency",
            "relative_input_stability", "relative_output_stability", "relative_representation_stability"], Family());
        foreach (var e in MetricCatalogue.Evaluate.Where(e => e.Family == MetricFamily.Robustness))
        {
            Assert.Equal(e.Name == "consistency" ? ScoreDirection.HigherIsBetter : ScoreDirection.LowerIsBetter, e.Info.Direction);
            Assert.Equal(e.Name != "consistency", e.Info.Needs.HasFlag(MetricNeeds.Reexplain));
            Assert.NotEmpty(e.Info.Cost);
        }
    }

    private const int H = 3, W = 3, N = 5;

    private static IEvaluationMetric Create(string name, params (string, string)[] extra)
    {
        var entry = MetricCatalogue.GetEvaluate(name);
        var p = new List<KeyValuePair<string, string>>();
        if (entry.ParameterKeys.Contains("nr_samples")) p.Add(new("nr_samples", "6"));
        if (entry.ParameterKeys.Contains("nr_steps")) p.Add(new("nr_steps", "7"));
        if (entry.ParameterKeys.Contains("top_n")) p.Add(new("top_n", "1"));
        p.AddRange(extra.Select(e => new KeyValuePair<string, string>(e.Item1, e.Item2)));
        return entry.Create(p);
    }

    private static (HiddenAffineModel Model, float[] X, int[] T) Data()
    {
        var model = new HiddenAffineModel(AffineModel.Random(1, H, W, 3, seed: 11));
        var rng = new Random(4);
        var x = Enumerable.Range(0, N * H * W).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        return (model, x, [0, 1, 2, 1, 0]);
    }

    private static EvaluationBatch Batch(int seed = 3, int batchSize = 0)
    {
        var (model, x, t) = Data();
        return Robust.Batch(model, FuncReexplainer.Squared(), H, W, x, t, seed: seed, batchSize: batchSize, firstIndex: 20);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Scores_are_within_bounds_and_seeded(string name)
    {
        var m = Create(name);
        var a = Robust.Run(m, Batch());
        var b = Robust.Run(m, Batch());
        Assert.Equal(a.Values, b.Values);
        Assert.Equal(a.Reasons, b.Reasons);
        int defined = 0;
        for (int i = 0; i < N; i++)
            if (!double.IsNaN(a[i]))
            {
                defined++;
                Assert.InRange(a[i], m.Info.Minimum, m.Info.Maximum);
            }
        Assert.True(defined > 0 || name == "consistency", string.Join(",", a.Reasons));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Another_seed_draws_other_noise(string name)
    {
        var m = Create(name);
        if (!m.Info.Cost.Contains('E') || name == "continuity") return; // deterministic metrics
        Assert.NotEqual(Robust.Run(m, Batch(seed: 3)).Values, Robust.Run(m, Batch(seed: 4)).Values);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Budget_does_not_change_scores(string name)
    {
        var m = Create(name);
        Assert.Equal(Robust.Run(m, Batch(batchSize: 64)).Values, Robust.Run(m, Batch(batchSize: 1)).Values);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void One_batch_equals_batches_of_one(string name)
    {
        var m = Create(name);
        if (m.Info.Needs.HasFlag(MetricNeeds.WholeBatch)) return; // consistency compares the samples of a batch
        var whole = Robust.Run(m, Batch());
        var big = Batch();
        for (int i = 0; i < N; i++)
        {
            var single = Robust.Run(m, big.Slice(i, 1));
            Assert.Equal(whole.Values.AsSpan(i * whole.Columns.Count, whole.Columns.Count).ToArray(), single.Values);
        }
    }

    [Fact]
    public void Options_bind_by_their_quantus_names()
    {
        Assert.Equal(["nr_samples", "lower_bound", "upper_bound", "return_nan_when_prediction_changes", "normalise", "normalise_func", "abs"],
            MetricCatalogue.GetEvaluate("avg_sensitivity").ParameterKeys);
        var ris = (Sightline.Metrics.Robustness.RelativeInputStability)Create("relative_input_stability", ("upper_bound", "none"), ("eps_min", "1e-5"));
        Assert.Null(ris.Settings.UpperBound);
        Assert.Equal(1e-5, ris.Settings.EpsMin);
        Assert.Equal(Normalisation.BySecondMoment, ris.Settings.NormaliseFunc);
        var rrs = (Sightline.Metrics.Robustness.RelativeRepresentationStability)Create("relative_representation_stability", ("layer_names", "a,b"));
        Assert.Equal(["a", "b"], rrs.Settings.LayerNames!);
        var c = (Sightline.Metrics.Robustness.Continuity)Create("continuity", ("perturb_func", "translation_y_direction"), ("perturb_baseline", "white"));
        Assert.Equal(Sightline.Metrics.Robustness.ContinuityPerturbFunc.TranslationYDirection, c.Settings.PerturbFunc);
        Assert.True(((IEvaluationMetric)c).UsesAbsolute);
        Assert.Equal(5, ((Sightline.Metrics.Robustness.Consistency)Create("consistency", ("top_n", "5"))).Settings.TopN);
    }

    [Fact]
    public void Relative_stability_metrics_write_a_flip_column()
    {
        var shape = new EvaluationShape(1, H, W, 1, 3);
        foreach (var name in new[] { "relative_input_stability", "relative_output_stability", "relative_representation_stability" })
            Assert.Equal([name, name + "_flips"], Create(name).Columns(shape, null));
        Assert.Equal(["avg_sensitivity"], Create("avg_sensitivity").Columns(shape, null));
    }

    [Fact]
    public void Relative_representation_stability_shares_forward_calls_across_draws()
    {
        var batch = Batch();
        var model = (HiddenAffineModel)batch.Model!;
        Robust.Run(Create("relative_representation_stability"), batch);
        Assert.Equal(2, model.ActivationCalls); // the unperturbed inputs, then all 6 draws × 5 samples in one chunk
    }
}
