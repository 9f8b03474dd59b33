using Sightline.Evaluation;
using Sightline.Explainers;
using Sightline.IO;
using Sightline.Metrics.Axiomatic;
using Sightline.Metrics.Randomisation;
using Sightline.Models;
using Sightline.Onnx.Runtime;
using Sightline.Torch.Tests.Lowering;
using Xunit.Abstractions;

namespace Sightline.Torch.Tests;

/// <summary>
/// <see cref="IRandomisableModel"/> on the TorchSharp lowering against ONNX Runtime (both load the same edited bytes),
/// and the randomisation / input-invariance metrics on a real gradient back end.
/// </summary>
public sealed class RandomisableModelTests : IDisposable
{
    readonly string directory = Directory.CreateTempSubdirectory("sightline-random-").FullName;
    readonly ITestOutputHelper output;

    public RandomisableModelTests(ITestOutputHelper output)
    {
        this.output = output;
        TorchRuntime.EnsureInitialized();
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);

    static string Fixtures()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures", "models");
            if (File.Exists(Path.Combine(candidate, "manifest.json"))) return candidate;
        }
        throw new DirectoryNotFoundException("tests/fixtures/models not found");
    }

    static float[] Logits(IModel model, float[] x, int n)
    {
        var y = new float[n * model.OutputCount];
        model.Forward(x, n, y);
        return y;
    }

    static double MaxAbs(float[] a, float[] b) => a.Zip(b).Max(p => Math.Abs((double)p.First - p.Second));

    /// <summary>Conv 3→4 3×3 without padding (first layer, exact shift compensation) → ReLU → Conv 4→4 3×3 pad 1 → ReLU → GAP → Gemm.</summary>
    string NoPaddingNet(bool softmax = false)
    {
        var rng = new Random(11);
        float[] R(int n, double scale) => [.. Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2 - 1) * scale))];
        var b = new OnnxGraphBuilder(13);
        b.Input("input", -1, TinyNets.C, TinyNets.H, TinyNets.W);
        b.Init("c1.w", R(4 * 3 * 9, 0.5), 4, 3, 3, 3);
        b.Init("c1.b", R(4, 0.2), 4);
        b.Init("c2.w", R(4 * 4 * 9, 0.5), 4, 4, 3, 3);
        b.Init("c2.b", R(4, 0.2), 4);
        b.Init("fc.w", R(TinyNets.Classes * 4, 0.5), TinyNets.Classes, 4);
        b.Init("fc.b", R(TinyNets.Classes, 0.2), TinyNets.Classes);
        b.NodeNamed("conv1", "Conv", ["input", "c1.w", "c1.b"], ["conv1_out"], ("kernel_shape", new long[] { 3, 3 }));
        b.NodeNamed("relu1", "Relu", ["conv1_out"], ["relu1_out"]);
        b.NodeNamed("conv2", "Conv", ["relu1_out", "c2.w", "c2.b"], ["conv2_out"], ("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 }));
        b.NodeNamed("relu2", "Relu", ["conv2_out"], ["relu2_out"]);
        b.NodeNamed("gap", "GlobalAveragePool", ["relu2_out"], ["gap_out"]);
        b.NodeNamed("flatten", "Flatten", ["gap_out"], ["flat"], ("axis", 1L));
        b.NodeNamed("fc", "Gemm", ["flat", "fc.w", "fc.b"], ["logits"], ("transB", 1L));
        if (softmax)
        {
            b.NodeNamed("softmax", "Softmax", ["logits"], ["probs"], ("axis", 1L));
            b.Output("probs", -1, TinyNets.Classes);
        }
        else b.Output("logits", -1, TinyNets.Classes);
        return b.Save(Path.Combine(directory, softmax ? "nopad_softmax.onnx" : "nopad.onnx"));
    }

    public static TheoryData<string> FixtureModels() => ["resnet_tiny", "vgg_tiny", "mobilenet_tiny", "densenet_tiny", "efficientnet_tiny", "vit_tiny"];

    [Theory]
    [MemberData(nameof(FixtureModels))]
    public void Both_back_ends_give_the_same_randomised_copy(string name)
    {
        string path = Path.Combine(Fixtures(), name + ".onnx");
        using var ort = OnnxRuntimeModel.Open(path);
        using var torch = new OnnxTorchModel(path);
        Assert.Equal(ort.ParameterLayers, torch.ParameterLayers, (a, b) => a.Name == b.Name && a.Parameters.SequenceEqual(b.Parameters));
        var x = TinyNets.RandomInputs(2, seed: 5);
        x = [.. Enumerable.Range(0, 2 * 3 * 32 * 32).Select(i => x[i % x.Length])];
        var layers = ort.ParameterLayers.Select(l => l.Name).ToArray();
        foreach (var chosen in new[] { layers[^1..], layers[..(layers.Length / 2)], layers })
        {
            using var a = ort.WithRandomisedLayers(chosen, 42);
            using var b = torch.WithRandomisedLayers(chosen, 42);
            Assert.IsAssignableFrom<IGradientModel>(b);
            var ya = Logits(a, x, 2);
            var yb = Logits(b, x, 2);
            double scale = Math.Max(1, ya.Max(v => Math.Abs((double)v)));
            output.WriteLine($"{name}: {chosen.Length} layers randomised, max |Δlogit| = {MaxAbs(ya, yb):E2} (max |logit| {scale:G3})");
            Assert.True(MaxAbs(ya, yb) <= 1e-4 * scale, $"{name}: {MaxAbs(ya, yb)}");
            Assert.True(MaxAbs(ya, Logits(ort, x, 2)) > 1e-4);
        }
    }

    [Fact]
    public void Copies_of_a_softmax_headed_model_still_give_logits()
    {
        using var model = new OnnxTorchModel(NoPaddingNet(softmax: true));
        Assert.Equal(ModelOutputKind.Softmax, model.OutputKind);
        using var copy = model.WithRandomisedLayers(["fc"], 1);
        using var shifted = model.WithInputShift(-1);
        Assert.Equal(ModelOutputKind.Softmax, copy.OutputKind);
        Assert.Equal(ModelOutputKind.Softmax, shifted.OutputKind);
        var x = TinyNets.RandomInputs(2, seed: 4);
        Assert.True(MaxAbs(Logits(model, x, 2), Logits(shifted, x.Select(v => v - 1).ToArray(), 2)) < 1e-5);
    }

    [Fact]
    public void Shifted_copy_has_the_original_gradient_at_the_shifted_input()
    {
        using var model = new OnnxTorchModel(NoPaddingNet());
        using var shifted = (IGradientModel)model.WithInputShift(-1);
        int n = 3, size = TinyNets.C * TinyNets.H * TinyNets.W;
        var x = TinyNets.RandomInputs(n, seed: 8);
        var xs = x.Select(v => v - 1).ToArray();
        int[] targets = [0, 2, 4];
        var g = new float[n * size];
        var gs = new float[n * size];
        var y = new float[n * TinyNets.Classes];
        var ys = new float[n * TinyNets.Classes];
        model.InputGradients(x, n, targets, g, y);
        shifted.InputGradients(xs, n, targets, gs, ys);
        Assert.True(MaxAbs(y, ys) < 1e-5);
        Assert.True(MaxAbs(g, gs) < 1e-5);
    }

    [Fact]
    public void Input_invariance_holds_for_saliency_and_fails_for_input_x_gradient_on_torch()
    {
        using var model = new OnnxTorchModel(NoPaddingNet());
        Assert.Equal(1, Score(new Saliency(absolute: false)));
        Assert.Equal(0, Score(new InputXGradient()));

        double Score(IExplainer method)
        {
            int n = 4;
            var x = TinyNets.RandomInputs(n, seed: 9);
            int[] targets = [0, 1, 2, 3];
            var explainer = new ExplainerReexplainer(method, new ExplainSettings());
            var shape = new EvaluationShape(TinyNets.C, TinyNets.H, TinyNets.W, 1, TinyNets.Classes);
            var a = new float[n * shape.AttributionValues];
            explainer.Explain(model, x, n, targets, a, 0);
            var batch = new EvaluationBatch(shape, n, x, a, targets, model: model, explainer: explainer);
            var metric = new InputInvariance();
            var result = new MetricOutput(n, metric.Columns(shape, model));
            metric.Evaluate(batch, result);
            Assert.All(result.Values, v => Assert.Equal(result.Values[0], v));
            return result.Values[0];
        }
    }

    [Fact]
    public void Mprt_on_torch_writes_a_column_per_layer_and_repeats()
    {
        string path = NoPaddingNet();
        using var forward = OnnxRuntimeModel.Open(path);
        using var gradients = new OnnxTorchModel(path);
        int n = 3;
        var x = TinyNets.RandomInputs(n, seed: 10);
        int[] targets = [1, 2, 3];
        var explainer = new ExplainerReexplainer(new Saliency(), new ExplainSettings());
        var shape = new EvaluationShape(TinyNets.C, TinyNets.H, TinyNets.W, 1, TinyNets.Classes);
        var a = new float[n * shape.AttributionValues];
        explainer.Explain(gradients, x, n, targets, a, 0);
        var batch = new EvaluationBatch(shape, n, x, a, targets, model: forward, explainer: explainer, explainModel: gradients);
        var metric = new MPRT();
        var columns = metric.Columns(shape, forward);
        Assert.Equal(["mprt", "mprt:original", "mprt:fc", "mprt:conv2", "mprt:conv1"], columns);
        var first = new MetricOutput(n, columns);
        metric.Evaluate(batch, first);
        var second = new MetricOutput(n, columns);
        metric.Evaluate(batch, second);
        Assert.Equal(first.Values, second.Values);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(1.0, first.Values[i * columns.Count + 1], 6);
            Assert.All(first.Values.AsSpan(i * columns.Count + 2, 3).ToArray(), v => Assert.InRange(v, -1, 1));
            output.WriteLine(string.Join(", ", first.Values.AsSpan(i * columns.Count, columns.Count).ToArray().Select(v => v.ToString("F3"))));
        }
        // Randomising every layer leaves little of the original saliency.
        Assert.True(Enumerable.Range(0, n).Average(i => first.Values[i * columns.Count + 4]) < 0.9);
    }

    [Fact]
    public void Randomisation_metrics_run_on_a_fixture_cnn()
    {
        string path = Path.Combine(Fixtures(), "resnet_tiny.onnx");
        using var forward = OnnxRuntimeModel.Open(path);
        using var gradients = new OnnxTorchModel(path);
        int n = 8, size = 3 * 32 * 32;
        var all = NpyReader.Open(Path.Combine(Fixtures(), "inputs.npy")).ReadAll<float>();
        var inputs = all.AsSpan(0, Math.Min(n, all.Length / size) * size).ToArray();
        n = inputs.Length / size;
        var targets = Enumerable.Range(0, n).Select(i => i % forward.OutputCount).ToArray();
        var explainer = new ExplainerReexplainer(new Saliency(), new ExplainSettings());
        var shape = new EvaluationShape(3, 32, 32, 1, forward.OutputCount);
        var a = new float[n * shape.AttributionValues];
        explainer.Explain(gradients, inputs, n, targets, a, 0);
        var batch = new EvaluationBatch(shape, n, inputs, a, targets, model: forward, explainer: explainer, explainModel: gradients);
        foreach (var metric in new IEvaluationMetric[] { new MPRT(), new EfficientMPRT(), new RandomLogit(), new SmoothMPRT(new SmoothMPRTOptions { NrSamples = 5 }) })
        {
            var columns = metric.Columns(shape, forward);
            var result = new MetricOutput(n, columns);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            metric.Evaluate(batch, result);
            output.WriteLine($"{metric.Name}: {columns.Count} columns, {n} samples in {watch.Elapsed.TotalSeconds:F2} s; mean {Enumerable.Range(0, n).Average(i => result[i]):F3}");
            for (int i = 0; i < n; i++)
                Assert.InRange(result[i], metric.Info.Minimum, metric.Info.Maximum);
        }
    }
}
