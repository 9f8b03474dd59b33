using System.Text.Json;
using Sightline.Explainers;
using Sightline.IO;
using Sightline.Onnx.Runtime;
using Xunit.Abstractions;

namespace Sightline.Torch.Tests.Lowering;

/// <summary>
/// The lowering against PyTorch on the committed fixtures (tests/fixtures/models, references computed in float64):
/// logits, input gradients, integrated gradients, Grad-CAM, and ONNX Runtime's logits on the same files.
/// </summary>
public sealed class FixtureModelTests(ITestOutputHelper output)
{
    static readonly string Folder = FindFolder();
    static readonly JsonElement Manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "manifest.json"))).RootElement.GetProperty("models");

    public static TheoryData<string> Models() => [.. Manifest.EnumerateObject().Select(m => m.Name)];

    public static TheoryData<string> CamModels() => [.. Manifest.EnumerateObject().Where(m => m.Value.TryGetProperty("cam_layer", out var c) && c.ValueKind == JsonValueKind.Object).Select(m => m.Name)];

    static string FindFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures", "models");
            if (File.Exists(Path.Combine(candidate, "manifest.json"))) return candidate;
        }
        throw new DirectoryNotFoundException("tests/fixtures/models/manifest.json not found above " + AppContext.BaseDirectory);
    }

    static float[] Npy(string file) => NpyReader.Open(Path.Combine(Folder, file)).ReadAll<float>();
    static int[] Targets(string model) => [.. NpyReader.Open(Path.Combine(Folder, $"{model}.targets.npy")).ReadAll<long>().Select(t => (int)t)];
    static OnnxTorchModel Load(string model) => new(Path.Combine(Folder, $"{model}.onnx"));

    static double MaxAbs(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs(a[i] - b[i]));
        return m;
    }

    /// <summary>‖a − b‖₂ / ‖b‖₂.</summary>
    static double RelativeL2(float[] a, float[] b)
    {
        double num = 0, den = 0;
        for (int i = 0; i < a.Length; i++) { num += Math.Pow(a[i] - b[i], 2); den += Math.Pow(b[i], 2); }
        return Math.Sqrt(num / den);
    }

    /// <summary>max |a − b| / max |b| (the fixture README's measure).</summary>
    static double RelativeMax(float[] a, float[] b) => MaxAbs(a, b) / b.Max(Math.Abs);

    [Theory]
    [MemberData(nameof(Models))]
    public void Logits_and_input_gradients_match_PyTorch(string model)
    {
        using var m = Load(model);
        var x = Npy("inputs.npy");
        var targets = Targets(model);
        int n = targets.Length;
        Assert.Equal(10, m.OutputCount);
        var (logits, grads) = (new float[n * 10], new float[x.Length]);
        m.InputGradients(x, n, targets, grads, logits);
        var forward = new float[n * 10];
        m.Forward(x, n, forward);
        var refLogits = Npy($"{model}.logits.npy");
        var refGrad = Npy($"{model}.grad.npy");
        double logitError = MaxAbs(forward, refLogits), gradL2 = RelativeL2(grads, refGrad), gradMax = RelativeMax(grads, refGrad);
        output.WriteLine($"{model}: logits max abs {logitError:E2}; gradient rel L2 {gradL2:E2}, rel max {gradMax:E2}");
        Assert.True(logitError < 1e-4, $"logits max abs error {logitError}");
        Assert.True(MaxAbs(logits, refLogits) < 1e-4);
        Assert.True(gradL2 < 1e-4, $"gradient relative error {gradL2}");
        Assert.True(gradMax < 1e-4, $"gradient relative max error {gradMax}");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Lowered_logits_equal_ONNX_Runtime_logits(string model)
    {
        using var lowered = Load(model);
        using var ort = new OnnxRuntimeModel(Path.Combine(Folder, $"{model}.onnx"));
        var x = Npy("inputs.npy");
        var (a, b) = (new float[40], new float[40]);
        lowered.Forward(x, 4, a);
        ort.Forward(x, 4, b);
        output.WriteLine($"{model}: |ORT − lowered| max {MaxAbs(a, b):E2}");
        Assert.True(MaxAbs(a, b) < 1e-4);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Results_are_the_same_one_sample_at_a_time(string model)
    {
        using var m = Load(model);
        var x = Npy("inputs.npy");
        var targets = Targets(model);
        int size = x.Length / 4;
        var (g4, l4) = (new float[x.Length], new float[40]);
        m.InputGradients(x, 4, targets, g4, l4);
        double worst = 0;
        for (int i = 0; i < 4; i++)
        {
            var (g1, l1) = (new float[size], new float[10]);
            m.InputGradients(x.AsSpan(i * size, size), 1, targets.AsSpan(i, 1), g1, l1);
            Assert.True(MaxAbs(l1, l4.AsSpan(i * 10, 10)) < 1e-5);
            worst = Math.Max(worst, MaxAbs(g1, g4.AsSpan(i * size, size)) / g1.Max(Math.Abs));
        }
        Assert.True(worst < 1e-5, $"batch 1 vs 4 relative gradient difference {worst}");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Integrated_gradients_match_PyTorch(string model)
    {
        using var m = Load(model);
        var x = Npy("inputs.npy");
        var targets = Targets(model);
        var settings = new ExplainSettings { ChannelReduce = ChannelReduce.None, BatchSize = 32 };
        foreach (var (rule, file) in new[] { (IntegrationRule.GaussLegendre, "ig"), (IntegrationRule.RiemannRight, "ig_riemann") })
        {
            var ig = new float[x.Length];
            new IntegratedGradients(new IntegratedGradientsOptions { Steps = 32, Rule = rule }).Explain(m, x, 4, targets, ig, settings);
            var reference = Npy($"{model}.{file}.npy");
            double l2 = RelativeL2(ig, reference), max = RelativeMax(ig, reference);
            output.WriteLine($"{model} {file}: rel L2 {l2:E2}, rel max {max:E2}");
            Assert.True(l2 < 1e-4 && max < 1e-4, $"{file}: relative error {l2} (L2), {max} (max)");
        }
    }

    public static TheoryData<string, string, string> CamMethodCases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var model in CamModels())
            foreach (var method in new[] { "gradcam_plus_plus", "xgradcam", "layercam", "eigencam", "scorecam" })
            {
                data.Add(model, method, "torch");
                // Methods without gradients run on ONNX Runtime too (the CLI's default for them).
                if (method is "eigencam" or "scorecam") data.Add(model, method, "onnxruntime");
            }
        return data;
    }

    [Theory]
    [MemberData(nameof(CamMethodCases))]
    public void Cam_methods_match_pytorch_grad_cam_formulas(string model, string method, string backend)
    {
        using Sightline.Models.IModel m = backend == "torch" ? Load(model) : OnnxRuntimeModel.Open(Path.Combine(Folder, $"{model}.onnx"));
        var layer = Manifest.GetProperty(model).GetProperty("cam_layer").GetProperty("onnx_tensor").GetString()!;
        var explainer = ExplainerCatalog.Create(method, new ExplainerOptions { Layer = layer });
        var map = new float[4 * 32 * 32];
        explainer.Explain(m, Npy("inputs.npy"), 4, Targets(model), map, new ExplainSettings());
        var want = Npy($"{model}.{method}.npy");
        double error = RelativeMax(map, want);
        output.WriteLine($"{model} {method} on {backend}: relative max error {error:E2}");
        Assert.True(error < 1e-4, $"{model} {method} on {backend}: relative error {error}");
    }

    [Theory]
    [MemberData(nameof(CamModels))]
    public void GradCam_on_the_lowered_graph_matches_PyTorch(string model)
    {
        using var m = Load(model);
        var layer = Manifest.GetProperty(model).GetProperty("cam_layer").GetProperty("onnx_tensor").GetString()!;
        var x = Npy("inputs.npy");
        var targets = Targets(model);
        var shape = m.LayerShape(layer);
        int size = shape.Aggregate(1, (a, b) => a * b), hw = shape[1] * shape[2];
        var (act, grad, logits) = (new float[4 * size], new float[4 * size], new float[40]);
        m.LayerActivations(layer, x, 4, targets, act, grad, logits);
        double actError = MaxAbs(act, Npy($"{model}.cam_activation.npy"));

        // Raw map ReLU(Σ_c mean(∂y/∂A_c)·A_c) from the layer's activations and gradients.
        var raw = new float[4 * hw];
        for (int i = 0; i < 4; i++)
            for (int c = 0; c < shape[0]; c++)
            {
                double wc = 0;
                for (int p = 0; p < hw; p++) wc += grad[i * size + c * hw + p];
                wc /= hw;
                for (int p = 0; p < hw; p++) raw[i * hw + p] += (float)(wc * act[i * size + c * hw + p]);
            }
        for (int k = 0; k < raw.Length; k++) raw[k] = Math.Max(raw[k], 0);
        double rawError = MaxAbs(raw, Npy($"{model}.gradcam_raw.npy"));

        var map = new float[4 * 32 * 32];
        new GradCam(layer).Explain(m, x, 4, targets, map, new ExplainSettings());
        double mapError = MaxAbs(map, Npy($"{model}.gradcam.npy"));
        output.WriteLine($"{model}: activation max abs {actError:E2}, raw Grad-CAM {rawError:E2}, Grad-CAM map {mapError:E2}");
        Assert.True(actError < 1e-4, $"activation error {actError}");
        Assert.True(rawError < 1e-4, $"raw map error {rawError}");
        Assert.True(mapError < 1e-4, $"map error {mapError}");
    }
    [Fact]
    public void ViT_token_layer_gradients_match_finite_differences_and_give_a_GradCam_map()
    {
        const string layer = "/layers/layers.1/ln_1/LayerNormalization_output_0";
        using var m = Load("vit_tiny");
        Assert.Equal([17, 32], m.LayerShape(layer));
        var x = Npy("inputs.npy").AsSpan(0, 3 * 32 * 32).ToArray();
        int target = Targets("vit_tiny")[0];
        var (a, g, l) = (new float[17 * 32], new float[17 * 32], new float[10]);
        m.LayerActivations(layer, x, 1, [target], a, g, l);
        var probe = (float[])a.Clone();
        var logits = new float[10];
        const float h = 1e-2f;
        double num = 0, den = 0;
        for (int i = 0; i < a.Length; i += 3)
        {
            probe[i] = a[i] + h;
            m.ForwardWithLayer(layer, x, probe, 1, logits);
            double up = logits[target];
            probe[i] = a[i] - h;
            m.ForwardWithLayer(layer, x, probe, 1, logits);
            probe[i] = a[i];
            double fd = (up - logits[target]) / (2 * h);
            num += Math.Pow(fd - g[i], 2);
            den += fd * fd;
        }
        double error = Math.Sqrt(num / den);
        output.WriteLine($"vit_tiny {layer}: layer gradient vs finite differences, rel L2 {error:E2}");
        Assert.True(error < 1e-3, $"relative error {error}");

        var map = new float[32 * 32];
        new GradCam(layer).Explain(m, x, 1, [target], map, new ExplainSettings());
        Assert.All(map, v => Assert.InRange(v, 0f, 1f));
        Assert.Equal(1f, map.Max(), 4);
    }
}

public sealed class BenchModelTests(ITestOutputHelper output)
{
    [Fact]
    public void Torchvision_resnet18_lowered_logits_equal_ONNX_Runtime()
    {
        string? path = null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null && path is null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "bench", "models", "resnet18_random.onnx");
            if (File.Exists(candidate)) path = candidate;
        }
        Assert.NotNull(path);
        TorchRuntime.EnsureInitialized();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        using var lowered = new OnnxTorchModel(path);
        output.WriteLine($"load + probe {sw.ElapsedMilliseconds} ms, {lowered.Layers.Count} layers");
        using var ort = new OnnxRuntimeModel(path);
        var rng = new Random(1);
        const int n = 2;
        var x = Enumerable.Range(0, n * 3 * 224 * 224).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var (a, b) = (new float[n * 1000], new float[n * 1000]);
        sw.Restart();
        lowered.Forward(x, n, a);
        output.WriteLine($"lowered forward {sw.ElapsedMilliseconds} ms");
        sw.Restart();
        ort.Forward(x, n, b);
        output.WriteLine($"ORT forward {sw.ElapsedMilliseconds} ms");
        double err = 0;
        for (int i = 0; i < a.Length; i++) err = Math.Max(err, Math.Abs(a[i] - b[i]));
        output.WriteLine($"|ORT − lowered| max {err:E2}");
        Assert.True(err < 1e-4);
        var g = new float[x.Length];
        sw.Restart();
        lowered.InputGradients(x, n, [3, 7], g, a);
        output.WriteLine($"lowered gradients {sw.ElapsedMilliseconds} ms");
        Assert.All(g, v => Assert.True(float.IsFinite(v)));
        Assert.Contains(g, v => v != 0);
    }
}
