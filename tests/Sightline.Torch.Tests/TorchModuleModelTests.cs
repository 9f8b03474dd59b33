using Sightline.Torch.Tests.Lowering;
using TorchSharp;
using static TorchSharp.torch;

namespace Sightline.Torch.Tests;

public sealed class TorchModuleModelTests
{
    public TorchModuleModelTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void Layers_are_module_paths_with_per_sample_shapes()
    {
        using var net = TinyNets.ConvNetModule(seed: 1);
        using var model = new TorchModuleModel(net, [3, 8, 8], "tiny");
        Assert.Equal(["conv1", "bn1", "relu1", "pool", "conv2", "relu2", "gap", "flatten", "fc"], model.Layers.Select(l => l.Name));
        Assert.Equal([8, 4, 4], model.LayerShape("conv2"));
        Assert.Equal("Conv2d", model.Layers[0].Operator);
        Assert.Equal(5, model.OutputCount);
        Assert.Throws<InputDataException>(() => model.LayerShape("conv3"));
    }

    [Fact]
    public void Layer_gradient_matches_finite_differences_through_forward_with_layer()
    {
        using var net = TinyNets.ConvNetModule(seed: 2);
        using var model = new TorchModuleModel(net, [3, 8, 8]);
        var x = TinyNets.RandomInputs(1, seed: 3);
        const int size = 8 * 4 * 4;
        var (a, g, l) = (new float[size], new float[size], new float[5]);
        model.LayerActivations("conv2", x, 1, [2], a, g, l);

        // ∂y/∂A by central differences, re-running only the head with edited activations.
        var logits = new float[5];
        var probe = (float[])a.Clone();
        const float h = 1e-2f;
        for (int i = 0; i < size; i += 5)
        {
            probe[i] = a[i] + h;
            model.ForwardWithLayer("conv2", x, probe, 1, logits);
            double up = logits[2];
            probe[i] = a[i] - h;
            model.ForwardWithLayer("conv2", x, probe, 1, logits);
            probe[i] = a[i];
            double numeric = (up - logits[2]) / (2 * h);
            // ReLU kinks make single points unreliable only when A sits within h of 0.
            if (Math.Abs(a[i]) > 2 * h) Assert.True(Math.Abs(numeric - g[i]) < 1e-3, $"element {i}: {numeric} vs {g[i]}");
        }
        var forward = new float[5];
        model.Forward(x, 1, forward);
        Assert.Equal(forward, l);
    }

    [Fact]
    public void Input_gradients_do_not_depend_on_the_batch_size()
    {
        using var net = TinyNets.ConvNetModule(seed: 4);
        using var model = new TorchModuleModel(net, [3, 8, 8]);
        const int n = 3, size = 192;
        var x = TinyNets.RandomInputs(n, seed: 5);
        var (g, l) = (new float[n * size], new float[n * 5]);
        model.InputGradients(x, n, [0, 1, 2], g, l);
        for (int i = 0; i < n; i++)
        {
            var (g1, l1) = (new float[size], new float[5]);
            model.InputGradients(x.AsSpan(i * size, size), 1, [i], g1, l1);
            for (int j = 0; j < size; j++) Assert.Equal(g[i * size + j], g1[j], 5);
        }
    }
}
