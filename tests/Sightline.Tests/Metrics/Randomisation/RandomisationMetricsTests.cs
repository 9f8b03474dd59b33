using System.Text.Json;
using Sightline.Evaluation;
using Sightline.Explainers;
using Sightline.Metrics;
using Sightline.Metrics.Axiomatic;
using Sightline.Metrics.Randomisation;
using Sightline.Models;

namespace Sightline.Tests.Metrics.Randomisation;

public sealed class RandomisationMetricsTests
{
    private const int C = 1, H = 3, W = 4, K = 5;

    private static (RandomisableAffine Model, float[] X, int[] Y) Setup(int n = 4)
    {
        var model = RandomisableAffine.Random(C, H, W, K, seed: 3);
        var x = RandomisationBatches.Inputs(n, C * H * W, seed: 7);
        int[] y = [.. Enumerable.Range(0, n).Select(i => i % K)];
        return (model, x, y);
    }

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

    [Fact]
    public void Mprt_columns_are_named_by_layer_in_randomisation_order()
    {
        var (model, _, _) = Setup();
        var shape = new EvaluationShape(C, H, W, C, K);
        Assert.Equal(["mprt", "mprt:original", "mprt:bias", "mprt:weight"], new MPRT().Columns(shape, model));
        var bottomUp = new MPRT(new MPRTOptions { LayerOrder = RandomisationOrder.BottomUp });
        Assert.Equal(["mprt", "mprt:original", "mprt:weight", "mprt:bias"], bottomUp.Columns(shape, model));
        Assert.Equal(["smooth_mprt", "smooth_mprt:original", "smooth_mprt:weight", "smooth_mprt:bias"], new SmoothMPRT().Columns(shape, model));
    }

    [Fact]
    public void Mprt_of_a_model_independent_explanation_is_one_everywhere()
    {
        var (model, x, y) = Setup();
        float[] map = [.. Enumerable.Range(0, C * H * W).Select(i => (float)Math.Cos(i))];
        var batch = RandomisationBatches.Make(model, x, y, new TestReexplainer("fixed", map));
        var output = RandomisationBatches.Run(new MPRT(), batch);
        Assert.All(output.Values, v => Assert.Equal(1.0, v, 12));
    }

    [Fact]
    public void Mprt_of_the_gradient_drops_when_the_weights_are_randomised()
    {
        var (model, x, y) = Setup();
        var explainer = new TestReexplainer("gradient");
        var batch = RandomisationBatches.Make(model, x, y, explainer);
        var output = RandomisationBatches.Run(new MPRT(), batch);
        int cols = output.Columns.Count;
        for (int i = 0; i < batch.Count; i++)
        {
            Assert.Equal(1.0, output.Values[i * cols + 1], 12);      // original
            Assert.Equal(1.0, output.Values[i * cols + 2], 12);      // bias only: the gradient is W[t]
            Assert.True(output.Values[i * cols + 3] < 0.9);          // weight randomised too
            Assert.Equal((output.Values[i * cols + 2] + output.Values[i * cols + 3]) / 2, output[i], 12);
        }
        // One copy per step per batch, and every re-explanation covers all samples at once.
        Assert.Equal(2, model.CopiesMade);
        Assert.Equal([["bias"], ["bias", "weight"]], model.Requests);
        Assert.All(explainer.Rows.Skip(1), r => Assert.Equal(batch.Count, r));
        var last = RandomisationBatches.Run(new MPRT(new MPRTOptions { ReturnLastCorrelation = true }), batch);
        for (int i = 0; i < batch.Count; i++) Assert.Equal(last.Values[i * cols + 3], last[i], 12);
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
    public void Smooth_mprt_with_one_sample_is_mprt_on_the_original_explanation()
    {
        var (model, x, y) = Setup();
        var explainer = new TestReexplainer("input_x_gradient");
        var batch = RandomisationBatches.Make(model, x, y, explainer);
        var smooth = RandomisationBatches.Run(new SmoothMPRT(new SmoothMPRTOptions { NrSamples = 1 }), batch);
        var plain = RandomisationBatches.Run(new MPRT(new MPRTOptions { LayerOrder = RandomisationOrder.BottomUp, NormaliseFunc = Normalisation.BySecondMoment }), batch);
        Assert.Equal(plain.Values, smooth.Values);
    }

    [Fact]
    public void Smooth_mprt_averages_noisy_explanations_of_all_samples_per_call()
    {
        var (model, x, y) = Setup();
        var explainer = new TestReexplainer("input_x_gradient");
        var batch = RandomisationBatches.Make(model, x, y, explainer);
        int before = explainer.Calls;
        var output = RandomisationBatches.Run(new SmoothMPRT(new SmoothMPRTOptions { NrSamples = 3 }), batch);
        Assert.Equal(3 * 3, explainer.Calls - before);     // (L + 1) models × 3 draws
        Assert.All(explainer.Rows.Skip(1), r => Assert.Equal(batch.Count, r));
        Assert.All(output.Values, v => Assert.InRange(v, -1, 1));
    }

    [Fact]
    public void Efficient_mprt_is_zero_for_a_model_independent_explanation_and_rises_for_the_gradient()
    {
        var (model, x, y) = Setup();
        float[] map = [.. Enumerable.Range(0, C * H * W).Select(i => (float)(i % 3))];
        var fixedBatch = RandomisationBatches.Make(model, x, y, new TestReexplainer("fixed", map));
        Assert.All(RandomisationBatches.Run(new EfficientMPRT(), fixedBatch).Values, v => Assert.Equal(0, v, 12));
        // Known answer: a constant original map has entropy 0 → undefined.
        var constant = RandomisationBatches.Make(model, x, y, new TestReexplainer("fixed", new float[C * H * W]));
        var undefined = RandomisationBatches.Run(new EfficientMPRT(), constant);
        Assert.All(undefined.Reasons, r => Assert.Equal(RandomisationReasons.ZeroEntropy, r));
        // The score is (H(random) − H(original)) / H(original) of the two explanations.
        var grad = RandomisationBatches.Make(model, x, y, new TestReexplainer("gradient"));
        var output = RandomisationBatches.Run(new EfficientMPRT(new EfficientMPRTOptions { NBins = 4 }), grad);
        using var copy = (IGradientModel)model.WithRandomisedLayers(["weight", "bias"], 42);
        int size = C * H * W;
        for (int i = 0; i < y.Length; i++)
        {
            var g0 = grad.Attribution(i).ToArray();
            var g1 = new float[size];
            copy.InputGradients(x.AsSpan(i * size, size), 1, [y[i]], g1, new float[K]);
            double h0 = RandomisationSupport.DiscreteEntropy(g0, 4), h1 = RandomisationSupport.DiscreteEntropy(g1, 4);
            Assert.Equal((h1 - h0) / h0, output[i], 12);
        }
    }

    [Fact]
    public void Random_logit_draws_another_class_per_sample()
    {
        var counts = new int[K];
        for (int s = 0; s < 2000; s++)
        {
            int y = RandomLogit.OffTarget(new Random(s), 2, K);
            Assert.NotEqual(2, y);
            counts[y]++;
        }
        Assert.Equal(0, counts[2]);
        Assert.All(counts.Where((_, k) => k != 2), c => Assert.InRange(c, 400, 600));
        // Quantus reseeds with 42 per sample: every sample of a class gets the same y'. Ours differ across samples.
        var (model, x, y2) = Setup(40);
        var batch = RandomisationBatches.Make(model, x, [.. Enumerable.Repeat(1, 40)], new TestReexplainer("gradient"));
        var offs = Enumerable.Range(0, 40).Select(i => RandomLogit.OffTarget(batch.RandomFor(i, "random_logit"), 1, K)).Distinct().Count();
        Assert.True(offs > 1);
    }

    [Fact]
    public void Random_logit_of_a_class_independent_map_is_one_and_of_the_gradient_is_its_ssim()
    {
        var (model, x, y) = Setup();
        float[] map = [.. Enumerable.Range(0, C * H * W).Select(i => (float)Math.Cos(i))];
        var fixedBatch = RandomisationBatches.Make(model, x, y, new TestReexplainer("fixed", map));
        Assert.All(RandomisationBatches.Run(new RandomLogit(), fixedBatch).Values, v => Assert.Equal(1.0, v, 12));
        var batch = RandomisationBatches.Make(model, x, y, new TestReexplainer("gradient"));
        var output = RandomisationBatches.Run(new RandomLogit(), batch);
        int size = C * H * W;
        for (int i = 0; i < y.Length; i++)
        {
            int off = RandomLogit.OffTarget(batch.RandomFor(i, "random_logit"), y[i], K);
            var a = batch.Attribution(i).ToArray();
            var b = new float[size];
            for (int j = 0; j < size; j++) b[j] = model.Weights[off * size + j];
            AttributionPreprocessing.Normalize(a, Normalisation.ByMax);
            AttributionPreprocessing.Normalize(b, Normalisation.ByMax);
            Assert.Equal(RandomisationSupport.Ssim(a, b).Value, output[i], 12);
        }
        Assert.Throws<InputDataException>(() => RandomisationBatches.Run(new RandomLogit(new RandomLogitOptions { NumClasses = 1000 }), batch));
    }

    [Fact]
    public void Input_invariance_holds_for_the_gradient_and_fails_for_input_x_gradient()
    {
        var (model, x, y) = Setup();
        var grad = RandomisationBatches.Run(new InputInvariance(), RandomisationBatches.Make(model, x, y, new TestReexplainer("gradient")));
        Assert.All(grad.Values, v => Assert.Equal(1, v));
        var ixg = RandomisationBatches.Run(new InputInvariance(), RandomisationBatches.Make(model, x, y, new TestReexplainer("input_x_gradient")));
        Assert.All(ixg.Values, v => Assert.Equal(0, v));
        // The real explainers agree (Kindermans et al. 2019).
        var settings = new ExplainSettings();
        var saliency = new ExplainerReexplainer(new Saliency(absolute: false), settings);
        Assert.All(RandomisationBatches.Run(new InputInvariance(), Given(model, x, y, saliency)).Values, v => Assert.Equal(1, v));
        var inputXGrad = new ExplainerReexplainer(new InputXGradient(), settings);
        Assert.All(RandomisationBatches.Run(new InputInvariance(), Given(model, x, y, inputXGrad)).Values, v => Assert.Equal(0, v));
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

    private static EvaluationBatch Given(RandomisableAffine model, float[] x, int[] y, IReexplainer explainer)
    {
        int size = C * H * W;
        var probe = new float[y.Length * size];
        explainer.Explain(model, x, y.Length, y, probe, 0);
        int channels = probe.Length / (y.Length * H * W);
        return new EvaluationBatch(new EvaluationShape(C, H, W, channels, K), y.Length, x, probe, y, model: model, explainer: explainer);
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
