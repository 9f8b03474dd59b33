using Sightline.Torch.Onnx;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Sightline.Torch.Tests.Lowering;

/// <summary>
/// The same small CNN as a TorchSharp module and as an ONNX graph with identical weights, so that the two back ends can
/// be compared; plus a smooth network for finite-difference checks. Node outputs carry the module paths as names.
/// </summary>
internal static class TinyNets
{
    public const int C = 3, H = 8, W = 8, Classes = 5;

    public static Module<Tensor, Tensor> ConvNetModule(int seed)
    {
        manual_seed(seed);
        var net = Sequential(
            ("conv1", Conv2d(3, 8, 3, padding: 1)),
            ("bn1", BatchNorm2d(8)),
            ("relu1", ReLU()),
            ("pool", MaxPool2d(2)),
            ("conv2", Conv2d(8, 8, 3, padding: 1, groups: 2)),
            ("relu2", ReLU()),
            ("gap", AdaptiveAvgPool2d(1)),
            ("flatten", Flatten()),
            ("fc", Linear(8, Classes)));
        using (no_grad())
        {
            foreach (var (name, p) in net.named_parameters())
                if (name.StartsWith("bn1", StringComparison.Ordinal)) p.copy_(rand(p.shape) + 0.5);
            foreach (var (name, b) in net.named_buffers())
                if (name == "bn1.running_mean") b.copy_(randn(b.shape) * 0.1);
                else if (name == "bn1.running_var") b.copy_(rand(b.shape) + 0.5);
        }
        net.eval();
        return net;
    }

    static float[] Values(Tensor t) => t.detach().contiguous().data<float>().ToArray();

    /// <summary>The module as ONNX (opset 13), batch axis symbolic.</summary>
    public static OnnxGraphBuilder ConvNetOnnx(Module<Tensor, Tensor> net)
    {
        var p = net.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        var buffers = net.named_buffers().ToDictionary(x => x.name, x => x.buffer);
        var b = new OnnxGraphBuilder(13);
        b.Input("input", -1, C, H, W);
        foreach (var (name, t) in p) b.Init(name, Values(t), t.shape);
        foreach (var (name, t) in buffers.Where(x => x.Key.Contains("running"))) b.Init(name, Values(t), t.shape);
        b.NodeNamed("Conv_1", "Conv", ["input", "conv1.weight", "conv1.bias"], ["conv1"], ("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 }));
        b.NodeNamed("BN_1", "BatchNormalization", ["conv1", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var"], ["bn1"], ("epsilon", 1e-5f));
        b.NodeNamed("Relu_1", "Relu", ["bn1"], ["relu1"]);
        b.NodeNamed("Pool", "MaxPool", ["relu1"], ["pool"], ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 }));
        b.NodeNamed("Conv_2", "Conv", ["pool", "conv2.weight", "conv2.bias"], ["conv2"], ("group", 2L), ("pads", new long[] { 1, 1, 1, 1 }));
        b.NodeNamed("Relu_2", "Relu", ["conv2"], ["relu2"]);
        b.NodeNamed("Gap", "GlobalAveragePool", ["relu2"], ["gap"]);
        b.NodeNamed("Flatten", "Flatten", ["gap"], ["flatten"], ("axis", 1L));
        b.NodeNamed("Gemm", "Gemm", ["flatten", "fc.weight", "fc.bias"], ["fc"], ("transB", 1L));
        b.Output("fc", -1, Classes);
        return b;
    }

    /// <summary>
    /// A smooth network exercising many operators: Conv (SAME_UPPER, stride 2) → SiLU (Sigmoid·Mul) → AveragePool
    /// (count_include_pad 0) → token path (Reshape with 0/-1, Transpose, LayerNormalization, MatMul, Softmax (opset 13),
    /// Erf-GELU, ReduceMean) → Gemm.
    /// </summary>
    public static OnnxGraphBuilder SmoothNet(int seed)
    {
        var rng = new Random(seed);
        float[] R(int n, double scale) => [.. Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2 - 1) * scale))];
        var b = new OnnxGraphBuilder(17);
        b.Input("input", -1, C, H, W);
        b.Init("w1", R(6 * 3 * 3 * 3, 0.4), 6, 3, 3, 3);
        b.Init("b1", R(6, 0.1), 6);
        b.Init("ln_scale", R(6, 0.5).Select(v => v + 1).ToArray(), 6);
        b.Init("ln_bias", R(6, 0.1), 6);
        b.Init("wq", R(36, 0.5), 6, 6);
        b.Init("fc_w", R(6 * Classes, 0.5), 6, Classes);
        b.Init("fc_b", R(Classes, 0.1), Classes);
        b.Init("half", [0.5f], []);
        b.Init("one", [1f], []);
        b.Init("rsqrt2", [(float)(1 / Math.Sqrt(2))], []);
        b.InitLongs("tokens_shape", [0, 6, -1], 3);
        var conv = b.Node("Conv", ["input", "w1", "b1"], ("auto_pad", "SAME_UPPER"), ("strides", new long[] { 2, 2 }));
        var silu = b.Node("Mul", [conv, b.Node("Sigmoid", [conv])]);
        var pooled = b.Node("AveragePool", [silu], ("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 }), ("count_include_pad", 0L));
        var tokens = b.Node("Transpose", [b.Node("Reshape", [pooled, "tokens_shape"])], ("perm", new long[] { 0, 2, 1 })); // N×16×6
        var normed = b.Node("LayerNormalization", [tokens, "ln_scale", "ln_bias"], ("axis", -1L), ("epsilon", 1e-5f));
        var q = b.Node("MatMul", [normed, "wq"]);
        var scores = b.Node("Softmax", [b.Node("MatMul", [q, b.Node("Transpose", [normed], ("perm", new long[] { 0, 2, 1 }))])], ("axis", -1L));
        var mixed = b.Node("MatMul", [scores, normed]);
        var gelu = b.Node("Mul", [b.Node("Mul", [mixed, "half"]), b.Node("Add", [b.Node("Erf", [b.Node("Mul", [mixed, "rsqrt2"])]), "one"])]);
        var pooledTokens = b.Node("ReduceMean", [gelu], ("axes", new long[] { 1 }), ("keepdims", 0L));
        b.NodeNamed("head", "Gemm", [pooledTokens, "fc_w", "fc_b"], ["logits"]);
        b.Output("logits", -1, Classes);
        return b;
    }

    public static float[] RandomInputs(int n, int seed)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, n * C * H * W).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
    }
}
