using Sightline.Torch.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Sightline.Torch.Tests;

public sealed class LibTorchContextTests
{
    public LibTorchContextTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void With_the_defaults_float32_convolution_gradients_of_a_batch_match_float64()
    {
        LibTorchContext.ApplyDefaults();
        Assert.False(LibTorchContext.OneDnnEnabled);
        using var scope = NewDisposeScope();
        manual_seed(1);
        var w = randn(2, 3, 3, 3);
        var x = randn(3, 3, 8, 8);
        var upstream = randn(3, 2, 8, 8);
        Tensor Grad(ScalarType type)
        {
            var xr = x.to_type(type).requires_grad_(true);
            var y = nn.functional.conv2d(xr, w.to_type(type), padding: [1L, 1L]);
            return autograd.grad([(y * upstream.to_type(type)).sum()], [xr])[0].to_type(ScalarType.Float64);
        }
        for (int repeat = 0; repeat < 5; repeat++)
            Assert.True((Grad(ScalarType.Float32) - Grad(ScalarType.Float64)).abs().max().item<double>() < 1e-4);
    }
}
