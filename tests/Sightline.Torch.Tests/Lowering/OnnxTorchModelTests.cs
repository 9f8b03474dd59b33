using Sightline.Explainers;
using Sightline.Models;
using static TorchSharp.torch;

namespace Sightline.Torch.Tests.Lowering;

public sealed class OnnxTorchModelTests : IDisposable
{
    readonly string directory = Directory.CreateTempSubdirectory("sightline-lower-").FullName;

    public OnnxTorchModelTests() => TorchRuntime.EnsureInitialized();

    public void Dispose() => Directory.Delete(directory, recursive: true);

    string Save(OnnxGraphBuilder b, string name) => b.Save(Path.Combine(directory, name));

    static double MaxAbs(float[] a, float[] b) => a.Zip(b).Max(p => Math.Abs(p.First - p.Second));

    static double RelativeError(float[] g, float[] reference)
    {
        double num = 0, den = 0;
        for (int i = 0; i < g.Length; i++) { num += Math.Pow(g[i] - reference[i], 2); den += Math.Pow(reference[i], 2); }
        return Math.Sqrt(num / den);
    }

    [Fact]
    public void Lowered_graph_matches_the_same_network_as_a_TorchSharp_module()
    {
        using var net = TinyNets.ConvNetModule(seed: 3);
        using var native = new TorchModuleModel(net, [TinyNets.C, TinyNets.H, TinyNets.W]);
        using var lowered = new OnnxTorchModel(Save(TinyNets.ConvNetOnnx(net), "convnet.onnx"));
        Assert.Equal([3, 8, 8], lowered.InputShape);
        Assert.Equal(TinyNets.Classes, lowered.OutputCount);

        const int n = 4;
        var x = TinyNets.RandomInputs(n, seed: 11);
        int[] targets = [0, 3, 4, 1];
        var (l1, l2) = (new float[n * 5], new float[n * 5]);
        var (g1, g2) = (new float[x.Length], new float[x.Length]);
        native.InputGradients(x, n, targets, g1, l1);
        lowered.InputGradients(x, n, targets, g2, l2);
        Assert.True(MaxAbs(l1, l2) < 1e-5, $"logits differ by {MaxAbs(l1, l2)}");
        Assert.True(RelativeError(g2, g1) < 1e-5, $"gradients differ by {RelativeError(g2, g1)} (relative)");

        var forward = new float[n * 5];
        lowered.Forward(x, n, forward);
        Assert.True(MaxAbs(forward, l1) < 1e-5);

        // The layer's activations and gradients agree as well.
        Assert.Equal([8, 4, 4], lowered.LayerShape("relu2"));
        Assert.Equal([8, 4, 4], native.LayerShape("relu2"));
        int size = 8 * 4 * 4;
        var (a1, a2, d1, d2) = (new float[n * size], new float[n * size], new float[n * size], new float[n * size]);
        native.LayerActivations("relu2", x, n, targets, a1, d1, l1);
        lowered.LayerActivations("relu2", x, n, targets, a2, d2, l2);
        Assert.True(MaxAbs(a1, a2) < 1e-5);
        Assert.True(MaxAbs(d1, d2) < 1e-6);
        Assert.True(MaxAbs(l1, l2) < 1e-5);
        Assert.Contains(d2, v => v != 0);
    }

    [Fact]
    public void Layer_gradient_is_the_analytic_head_gradient()
    {
        // After relu2 the head is GAP + Linear: ∂y_t/∂A[k,p] = W[t,k] / P.
        using var net = TinyNets.ConvNetModule(seed: 4);
        using var lowered = new OnnxTorchModel(Save(TinyNets.ConvNetOnnx(net), "convnet.onnx"));
        var fc = net.named_parameters().Single(p => p.name == "fc.weight").parameter.detach().data<float>().ToArray();
        var x = TinyNets.RandomInputs(2, seed: 5);
        var (a, g, l) = (new float[2 * 128], new float[2 * 128], new float[10]);
        lowered.LayerActivations("relu2", x, 2, [2, 4], a, g, l);
        for (int i = 0; i < 2; i++)
            for (int k = 0; k < 8; k++)
                for (int p = 0; p < 16; p++)
                    Assert.Equal(fc[(i == 0 ? 2 : 4) * 8 + k] / 16, g[i * 128 + k * 16 + p], 6);
    }

    [Fact]
    public void Input_gradients_match_central_finite_differences()
    {
        using var model = new OnnxTorchModel(Save(TinyNets.SmoothNet(seed: 1), "smooth.onnx"));
        var x = TinyNets.RandomInputs(1, seed: 2);
        var (g, l) = (new float[x.Length], new float[5]);
        const int target = 3;
        model.InputGradients(x, 1, [target], g, l);
        const float h = 1e-2f;
        var logits = new float[5];
        var numeric = new float[x.Length];
        var analytic = new float[x.Length];
        for (int i = 0; i < x.Length; i += 7)
        {
            var probe = (float[])x.Clone();
            probe[i] = x[i] + h;
            model.Forward(probe, 1, logits);
            double up = logits[target];
            probe[i] = x[i] - h;
            model.Forward(probe, 1, logits);
            numeric[i] = (float)((up - logits[target]) / (2 * h));
            analytic[i] = g[i];
        }
        var error = RelativeError(analytic, numeric);
        Assert.True(error < 2e-3, $"relative error {error}");
        Assert.Contains(numeric, v => Math.Abs(v) > 1e-3);
    }

    [Fact]
    public void Results_do_not_depend_on_the_batch_size()
    {
        using var model = new OnnxTorchModel(Save(TinyNets.SmoothNet(seed: 6), "smooth.onnx"));
        const int n = 4, size = 3 * 8 * 8;
        var x = TinyNets.RandomInputs(n, seed: 7);
        int[] targets = [1, 0, 4, 2];
        var (g4, l4) = (new float[x.Length], new float[n * 5]);
        model.InputGradients(x, n, targets, g4, l4);
        for (int i = 0; i < n; i++)
        {
            var (g1, l1) = (new float[size], new float[5]);
            model.InputGradients(x.AsSpan(i * size, size), 1, [targets[i]], g1, l1);
            Assert.True(MaxAbs(l1, l4[(i * 5)..((i + 1) * 5)]) < 1e-5);
            Assert.True(MaxAbs(g1, g4[(i * size)..((i + 1) * size)]) < 1e-6);
        }
    }

    [Fact]
    public void Layers_are_the_float_outputs_that_carry_the_batch()
    {
        using var net = TinyNets.ConvNetModule(seed: 3);
        using var model = new OnnxTorchModel(Save(TinyNets.ConvNetOnnx(net), "convnet.onnx"));
        Assert.Equal(["conv1", "bn1", "relu1", "pool", "conv2", "relu2", "gap", "flatten", "fc"], model.Layers.Select(l => l.Name));
        Assert.Equal(("pool", "MaxPool"), (model.Layers[3].Name, model.Layers[3].Operator));
        Assert.Equal([8, 4, 4], model.Layers[3].Shape);
        Assert.Equal([5], model.LayerShape("fc"));

        using var smooth = new OnnxTorchModel(Save(TinyNets.SmoothNet(seed: 1), "smooth.onnx"));
        Assert.DoesNotContain(smooth.Layers, l => l.Operator == "Constant");
        Assert.Contains(smooth.Layers, l => l.Operator == "LayerNormalization" && l.Shape.SequenceEqual([16, 6]));
    }

    [Fact]
    public void Unknown_layer_names_close_candidates()
    {
        using var net = TinyNets.ConvNetModule(seed: 3);
        using var model = new OnnxTorchModel(Save(TinyNets.ConvNetOnnx(net), "convnet.onnx"));
        var e = Assert.Throws<InputDataException>(() => model.LayerShape("relu"));
        Assert.Contains("'relu'", e.Message);
        Assert.Contains("relu1", e.Message);
        Assert.Contains("relu2", e.Message);
        Assert.DoesNotContain("conv1", e.Message);
    }

    [Fact]
    public void Unsupported_operator_is_reported_at_load_with_node_and_file()
    {
        var b = new OnnxGraphBuilder();
        b.Input("x", 1, 3, 4, 4);
        var relu = b.Node("Relu", ["x"]);
        b.NodeNamed("my_fancy_node", "FancyOp", [relu], ["y"]);
        b.NodeNamed("other", "AlsoMissing", ["y"], ["z"]);
        b.Output("z", 1, 48);
        var path = Save(b, "fancy.onnx");
        var e = Assert.Throws<InputDataException>(() => new OnnxTorchModel(path));
        Assert.Contains("'FancyOp'", e.Message);
        Assert.Contains("'my_fancy_node'", e.Message);
        Assert.Contains(path, e.Message);
        Assert.DoesNotContain("AlsoMissing", e.Message);
    }

    [Fact]
    public void A_file_that_is_not_onnx_is_an_input_error()
    {
        var path = Path.Combine(directory, "broken.onnx");
        File.WriteAllBytes(path, [0x0a, 0xff, 0xff, 0x01]);
        var e = Assert.Throws<InputDataException>(() => new OnnxTorchModel(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Forward_with_layer_reruns_only_the_rest_of_the_graph()
    {
        using var net = TinyNets.ConvNetModule(seed: 8);
        using var model = new OnnxTorchModel(Save(TinyNets.ConvNetOnnx(net), "convnet.onnx"));
        const int n = 2;
        var x = TinyNets.RandomInputs(n, seed: 9);
        var (a, l) = (new float[n * 128], new float[n * 5]);
        model.LayerActivations("relu2", x, n, [0, 0], a, [], l);
        var replayed = new float[n * 5];
        model.ForwardWithLayer("relu2", x, a, n, replayed);
        Assert.True(MaxAbs(l, replayed) < 1e-6);

        // Zero activations leave only the bias of the head.
        var bias = net.named_parameters().Single(p => p.name == "fc.bias").parameter.detach().data<float>().ToArray();
        model.ForwardWithLayer("relu2", new float[x.Length], new float[n * 128], n, replayed);
        Assert.True(MaxAbs(replayed, [.. bias, .. bias]) < 1e-6);
    }

    [Fact]
    public void GradCam_on_the_lowered_graph_equals_GradCam_on_the_module()
    {
        using var net = TinyNets.ConvNetModule(seed: 12);
        using var native = new TorchModuleModel(net, [3, 8, 8]);
        using var lowered = new OnnxTorchModel(Save(TinyNets.ConvNetOnnx(net), "convnet.onnx"));
        const int n = 3;
        var x = TinyNets.RandomInputs(n, seed: 13);
        var (m1, m2) = (new float[n * 64], new float[n * 64]);
        var settings = new ExplainSettings();
        new GradCam("relu2").Explain(native, x, n, [0, 1, 2], m1, settings);
        new GradCam("relu2").Explain(lowered, x, n, [0, 1, 2], m2, settings);
        Assert.True(MaxAbs(m1, m2) < 1e-5);
        Assert.Contains(m2, v => v > 0);
    }

    [Fact]
    public void Long_runs_do_not_grow_native_memory_handles()
    {
        using var model = new OnnxTorchModel(Save(TinyNets.SmoothNet(seed: 1), "smooth.onnx"));
        var x = TinyNets.RandomInputs(2, seed: 3);
        var (g, l) = (new float[x.Length], new float[10]);
        model.InputGradients(x, 2, [0, 1], g, l);
        long before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 20; i++)
        {
            model.InputGradients(x, 2, [0, 1], g, l);
            model.Forward(x, 2, l);
            model.LayerActivations(model.Layers[3].Name, x, 2, [0, 1], new float[2 * model.Layers[3].Shape.Aggregate(1, (p, d) => p * d)], new float[2 * model.Layers[3].Shape.Aggregate(1, (p, d) => p * d)], l);
        }
        Assert.Equal(before, TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
