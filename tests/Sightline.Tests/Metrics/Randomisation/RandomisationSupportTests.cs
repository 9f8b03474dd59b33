using System.Text.Json;
using Sightline.Evaluation;
using Sightline.Explainers;
using Sightline.Metrics;
using Sightline.Metrics.Axiomatic;
using Sightline.Metrics.Randomisation;
using Sightline.Models;

using static Sightline.Tests.Metrics.Randomisation.RandomisationBatches;

namespace Sightline.Tests.Metrics.Randomisation;

public sealed class RandomisationSupportTests
{
    [Fact]
    public void Steps_follow_the_order()
    {
        ParameterLayer[] layers = [new("a", "Conv", ["wa"]), new("b", "Conv", ["wb"]), new("c", "Gemm", ["wc"])];
        var top = Sightline.Models.Randomisation.Steps(layers, RandomisationOrder.TopDown);
        Assert.Equal(["c", "b", "a"], top.Select(s => s.Layer));
        Assert.Equal(["c", "b"], top[1].Randomised);
        var bottom = Sightline.Models.Randomisation.Steps(layers, RandomisationOrder.BottomUp);
        Assert.Equal(["a", "b", "c"], bottom[2].Randomised);
        var independent = Sightline.Models.Randomisation.Steps(layers, RandomisationOrder.Independent);
        Assert.Equal(["b"], independent[1].Randomised);
    }

    [Fact]
    public void Ssim_of_identical_maps_is_one_and_undefined_cases_have_reasons()
    {
        float[] a = [.. Enumerable.Range(0, 20).Select(i => MathF.Sin(i))];
        Assert.Equal(1.0, RandomisationSupport.Ssim(a, a).Value, 12);
        Assert.Equal(RandomisationReasons.MapTooSmall, RandomisationSupport.Ssim(a.AsSpan(0, 6), a.AsSpan(0, 6)).Reason);
        float[] flat = [.. Enumerable.Repeat(2f, 10)];
        Assert.Equal(RandomisationReasons.ZeroDataRange, RandomisationSupport.Ssim(flat, flat).Reason);
    }

    [Fact]
    public void Ssim_and_entropy_match_skimage_and_numpy()
    {
        var path = FindFixture("tests/fixtures/evaluate/randomisation/ssim_entropy.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            float[] F(string name) => [.. c.GetProperty(name).EnumerateArray().Select(v => (float)v.GetDouble())];
            var (a, b, cc) = (F("a"), F("b"), F("c"));
            Assert.Equal(c.GetProperty("ssim_ab").GetDouble(), RandomisationSupport.Ssim(a, b).Value, 9);
            Assert.Equal(c.GetProperty("ssim_ac").GetDouble(), RandomisationSupport.Ssim(a, cc).Value, 9);
            Assert.Equal(c.GetProperty("entropy_a_100").GetDouble(), RandomisationSupport.DiscreteEntropy(a, 100), 9);
            Assert.Equal(c.GetProperty("entropy_c_10").GetDouble(), RandomisationSupport.DiscreteEntropy(cc, 10), 9);
        }
    }

    [Fact]
    public void Entropy_of_known_histograms()
    {
        Assert.Equal(Math.Log(2), RandomisationSupport.DiscreteEntropy([0, 0, 1, 1], 2), 12);
        Assert.Equal(Math.Log(4), RandomisationSupport.DiscreteEntropy([0, 1, 2, 3], 4), 12);
        Assert.Equal(0, RandomisationSupport.DiscreteEntropy([5, 5, 5], 100));
        // 3 of 4 in the first bin, 1 in the last: −(¾ ln ¾ + ¼ ln ¼).
        Assert.Equal(-(0.75 * Math.Log(0.75) + 0.25 * Math.Log(0.25)), RandomisationSupport.DiscreteEntropy([0, 0.01f, 0.02f, 1], 10), 12);
    }

    public static TheoryData<string> Metrics() => ["mprt", "smooth_mprt", "efficient_mprt", "random_logit", "input_invariance"];

    [Theory]
    [MemberData(nameof(Metrics))]
    public void Scores_do_not_depend_on_the_batch_split_and_repeat_with_the_seed(string name)
    {
        var (model, x, y) = Setup(5);
        var metric = MetricCatalogue.GetEvaluate(name).Create(name == "smooth_mprt" ? [new("nr_samples", "4")] : null);
        var explainer = new TestReexplainer("input_x_gradient");
        var whole = RandomisationBatches.Run(metric, RandomisationBatches.Make(model, x, y, explainer, seed: 9));
        var again = RandomisationBatches.Run(metric, RandomisationBatches.Make(model, x, y, explainer, seed: 9));
        Assert.Equal(whole.Values, again.Values);
        int size = C * H * W;
        for (int i = 0; i < y.Length; i++)
        {
            var one = RandomisationBatches.Run(metric, RandomisationBatches.Make(model, x.AsSpan(i * size, size).ToArray(), [y[i]], explainer, seed: 9, firstIndex: i));
            Assert.Equal(whole.Values.AsSpan(i * whole.Columns.Count, whole.Columns.Count).ToArray(), one.Values);
        }
    }

    [Fact]
    public void Catalogue_lists_the_randomisation_family_in_order()
    {
        var names = MetricCatalogue.Evaluate.Where(e => e.Family == MetricFamily.Randomisation).Select(e => e.Name);
        Assert.Equal(["mprt", "smooth_mprt", "efficient_mprt", "random_logit"], names);
        var ii = MetricCatalogue.GetEvaluate("input_invariance");
        Assert.Equal(MetricFamily.Axiomatic, ii.Family);
        Assert.True(ii.Info.Needs.HasFlag(MetricNeeds.RandomisedModels));
        Assert.Contains("layer_order", MetricCatalogue.GetEvaluate("mprt").ParameterKeys);
        var m = (MPRT)MetricCatalogue.GetEvaluate("mprt").Create([new("layer_order", "bottom_up"), new("similarity_func", "pearson")]);
        Assert.Equal(RandomisationOrder.BottomUp, m.Settings.LayerOrder);
    }

    [Fact]
    public void Randomisation_needs_a_method_and_a_randomisable_model()
    {
        var (model, x, y) = Setup();
        var withoutMethod = new EvaluationBatch(new EvaluationShape(C, H, W, C, K), y.Length, x, new float[x.Length], y, model: model);
        Assert.Contains("--method", Assert.Throws<InputDataException>(() => RandomisationBatches.Run(new MPRT(), withoutMethod)).Message);
        var plain = new Sightline.Tests.Evaluation.AffineModel(C, H, W, model.Weights, model.Bias);
        var notRandomisable = new EvaluationBatch(new EvaluationShape(C, H, W, C, K), y.Length, x, new float[x.Length], y, model: plain,
            explainer: new TestReexplainer("gradient"));
        Assert.Throws<InputDataException>(() => RandomisationBatches.Run(new InputInvariance(), notRandomisable));
    }

    private static string FindFixture(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException(relative);
    }
}
