using Sightline.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Sightline.Torch.Tests;

/// <summary>
/// <see cref="SmallCnnModel"/> runs on <see cref="TorchModuleModel"/>: it must give exactly what the network computes
/// directly (its features trunk, its head, autograd of the selected logits), as its own implementation did.
/// </summary>
public sealed class SmallCnnModelTests
{
    public SmallCnnModelTests() => TorchRuntime.EnsureInitialized();

    private static (SmallCnnModel Model, SmallCnn Net, float[] X) Make(int n)
    {
        torch.manual_seed(11);
        var net = new SmallCnn(10);
        var model = new SmallCnnModel(net, "small", [3, 28, 28], 10);
        var rng = new Random(5);
        return (model, net, [.. Enumerable.Range(0, n * 3 * 28 * 28).Select(_ => (float)rng.NextDouble())]);
    }

    private static Tensor Input(float[] x, int n) => torch.tensor(x, [n, 3, 28, 28]);

    private static Tensor Selected(Tensor logits, int[] targets) =>
        logits.gather(1, torch.tensor(targets.Select(t => (long)t).ToArray(), [targets.Length, 1])).sum();

    [Fact]
    public void Only_the_cam_layer_is_listed_with_its_shape_and_other_names_are_input_errors()
    {
        var (model, _, _) = Make(1);
        using var _model = model;
        var layer = Assert.Single(model.Layers);
        Assert.Equal(("features", "Relu"), (layer.Name, layer.Operator));
        Assert.Equal([32, 14, 14], layer.Shape);
        Assert.Equal(10, model.OutputCount);
        Assert.Equal([3, 28, 28], model.InputShape);
        Assert.Contains("its layer is 'features'", Assert.Throws<InputDataException>(() => model.LayerShape("head")).Message);
    }

    [Fact]
    public void Forward_gradients_and_layer_activations_equal_the_network_computed_directly()
    {
        const int n = 3;
        var (model, net, x) = Make(n);
        using var _model = model;
        int[] targets = [1, 7, 3];
        var logits = new float[n * 10];
        model.Forward(x, n, logits);
        var inputGrad = new float[x.Length];
        var logits2 = new float[n * 10];
        model.InputGradients(x, n, targets, inputGrad, logits2);
        var act = new float[n * 32 * 14 * 14];
        var actGrad = new float[act.Length];
        var logits3 = new float[n * 10];
        model.LayerActivations("features", x, n, targets, act, actGrad, logits3);
        var headLogits = new float[n * 10];
        model.ForwardWithLayer("features", x, act, n, headLogits);

        using var scope = torch.NewDisposeScope();
        float[] expectedLogits;
        using (torch.no_grad()) expectedLogits = net.call(Input(x, n)).data<float>().ToArray();
        var xi = Input(x, n).requires_grad_(true);
        var expectedInputGrad = torch.autograd.grad([Selected(net.call(xi), targets)], [xi])[0].data<float>().ToArray();
        var a = net.features.call(Input(x, n));
        var expectedActGrad = torch.autograd.grad([Selected(net.head.call(a), targets)], [a])[0].data<float>().ToArray();

        Assert.Equal(expectedLogits, logits);
        Assert.Equal(expectedLogits, logits2);
        Assert.Equal(expectedLogits, logits3);
        Assert.Equal(expectedLogits, headLogits);
        Assert.Equal(expectedInputGrad, inputGrad);
        Assert.Equal(a.detach().data<float>().ToArray(), act);
        Assert.Equal(expectedActGrad, actGrad);
    }
}
