using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Sightline.Torch.Tests;

public sealed class TorchSharpSmokeTests
{
    public TorchSharpSmokeTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void Tensors_are_created_computed_and_printed()
    {
        using var scope = NewDisposeScope();
        var a = arange(6, dtype: float32).reshape(2, 3);
        var b = ones(3, 2);
        var c = a.matmul(b);
        Assert.Equal([2L, 2L], c.shape);
        Assert.Equal([3f, 3f, 12f, 12f], c.data<float>().ToArray());
        Assert.Contains("12", c.ToString(TorchSharp.TensorStringStyle.Julia));
    }

    [Fact]
    public void Input_gradient_of_conv_relu_linear_matches_central_finite_differences()
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        var model = Model();
        var x = randn(new long[] { 1, 2, 5, 5 }, dtype: float64).requires_grad_(true);
        var output = model.call(x)[0, 1];
        var grad = autograd.grad([output], [x], retain_graph: true)[0].detach();
        output.backward(); // the parameter path works too
        Assert.NotNull(model.parameters().First().grad);

        using var noGrad = no_grad();
        const double h = 1e-6;
        var flat = x.detach().clone().flatten();
        var numeric = new double[flat.numel()];
        for (int i = 0; i < numeric.Length; i++)
        {
            double Eval(double delta)
            {
                var probe = flat.clone();
                probe[i] = probe[i] + delta;
                return model.call(probe.reshape(1, 2, 5, 5))[0, 1].item<double>();
            }
            numeric[i] = (Eval(h) - Eval(-h)) / (2 * h);
        }
        var analytic = grad.flatten().data<double>().ToArray();
        for (int i = 0; i < numeric.Length; i++)
            Assert.True(Math.Abs(analytic[i] - numeric[i]) <= 1e-6 * (1 + Math.Abs(numeric[i])), $"element {i}: autograd {analytic[i]}, finite differences {numeric[i]}");
        Assert.Contains(analytic, g => g != 0);
    }

    [Fact]
    public void A_forward_hook_fires_through_call()
    {
        using var scope = NewDisposeScope();
        var model = Model();
        var relu = model.named_children().Single(c => c.name == "relu").module as Module<Tensor, Tensor>;
        Assert.NotNull(relu);
        Tensor? seen = null;
        var handle = relu.register_forward_hook((module, input, output) =>
        {
            seen = output.alias().DetachFromDisposeScope();
            return output;
        });
        var x = randn(new long[] { 3, 2, 5, 5 }, dtype: float64);
        model.call(x);
        Assert.NotNull(seen);
        Assert.Equal([3L, 4L, 3L, 3L], seen.shape);
        Assert.True(seen.min().item<double>() >= 0);
        handle.remove();
        seen.Dispose();
    }

    static Sequential Model() => Sequential(
        ("conv", Conv2d(2, 4, kernel_size: 3)),
        ("relu", ReLU()),
        ("flatten", Flatten()),
        ("linear", Linear(4 * 3 * 3, 3))).to(float64);
}
