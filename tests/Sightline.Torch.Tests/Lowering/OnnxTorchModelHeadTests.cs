using Sightline.Models;
using Sightline.Torch.Lowering;

namespace Sightline.Torch.Tests.Lowering;

/// <summary>Final Softmax heads, exports with a batch fixed at 1, graphs ONNX Runtime rejects, libtorch messages.</summary>
public sealed class OnnxTorchModelHeadTests : IDisposable
{
    static readonly float[] Wt = [1, 0, 0, 0, 0, 1, 1, 0, 0.5f, -1, 0, 2]; // 3×4
    static readonly float[] B = [0.5f, 0, -1];
    static readonly float[] X = [1, 2, 3, 4, -1, 0.5f, 0, 2, 0.25f, -2, 1, 1];

    readonly string directory = Directory.CreateTempSubdirectory("sightline-head-").FullName;

    public OnnxTorchModelHeadTests() => TorchRuntime.EnsureInitialized();

    public void Dispose() => Directory.Delete(directory, recursive: true);

    static float[] Logits(ReadOnlySpan<float> x, int n)
    {
        var y = new float[n * 3];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < 3; k++)
            {
                float s = B[k];
                for (int j = 0; j < 4; j++) s += Wt[k * 4 + j] * x[i * 4 + j];
                y[i * 3 + k] = s;
            }
        return y;
    }

    string GemmModel(string name, long batch, string? head = null, long opset = 13)
    {
        var b = new OnnxGraphBuilder(opset);
        b.Input("x", batch, 1, 2, 2);
        var w = b.Init("W", Wt, 3, 4);
        var bias = b.Init("B", B, 3);
        var flat = batch == 1
            ? b.Node("Reshape", ["x", b.InitLongs("shape", [1, 4], 2)]) // a fixed-batch export bakes N = 1 into Reshape
            : b.Node("Flatten", ["x"], ("axis", 1L));
        var y = b.Node("Gemm", [flat, w, bias], ("transB", 1L));
        if (head is not null) y = b.Node(head, [y], ("axis", 1L));
        b.Output(y, batch, 3);
        return b.Save(Path.Combine(directory, name));
    }

    [Theory]
    [InlineData("Softmax", 13, ModelOutputKind.Softmax)]
    [InlineData("LogSoftmax", 13, ModelOutputKind.LogSoftmax)]
    [InlineData("Softmax", 11, ModelOutputKind.Softmax)]
    public void A_final_softmax_is_not_run_and_gradients_are_those_of_the_logit(string op, long opset, ModelOutputKind kind)
    {
        using var model = new OnnxTorchModel(GemmModel("head.onnx", -1, op, opset));
        Assert.Equal(kind, model.OutputKind);
        var logits = new float[9];
        model.Forward(X, 3, logits);
        var want = Logits(X, 3);
        for (int i = 0; i < 9; i++) Assert.Equal(want[i], logits[i], 1e-5f);
        var g = new float[12];
        model.InputGradients(X, 3, [2, 0, 1], g, logits);
        int[] t = [2, 0, 1];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 4; j++) Assert.Equal(Wt[t[i] * 4 + j], g[i * 4 + j], 1e-6f);
        Assert.DoesNotContain(model.Layers, l => l.Operator == op);
    }

    [Fact]
    public void Keeping_the_softmax_gives_probabilities()
    {
        using var model = new OnnxTorchModel(GemmModel("keep.onnx", -1, "Softmax"), keepFinalSoftmax: true);
        Assert.Equal(ModelOutputKind.Logits, model.OutputKind);
        var p = new float[3];
        model.Forward(X.AsSpan(0, 4), 1, p);
        var z = Logits(X, 1);
        double sum = z.Sum(v => Math.Exp(v));
        for (int k = 0; k < 3; k++) Assert.Equal(Math.Exp(z[k]) / sum, p[k], 1e-6);
    }

    [Fact]
    public void Exports_with_a_batch_fixed_at_one_run_one_sample_at_a_time()
    {
        using var model = new OnnxTorchModel(GemmModel("batch1.onnx", 1));
        var logits = new float[9];
        model.Forward(X, 3, logits);
        var want = Logits(X, 3);
        for (int i = 0; i < 9; i++) Assert.Equal(want[i], logits[i], 1e-5f);
        var g = new float[12];
        model.InputGradients(X, 3, [1, 2, 0], g, logits);
        int[] t = [1, 2, 0];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 4; j++) Assert.Equal(Wt[t[i] * 4 + j], g[i * 4 + j], 1e-6f);
        var layer = model.Layers[0];
        int per = layer.Shape.Aggregate(1, (a, b) => a * b);
        var act = new float[3 * per];
        var lg = new float[3 * per];
        model.LayerActivations(layer.Name, X, 3, [0, 1, 2], act, lg, logits);
        for (int i = 0; i < 9; i++) Assert.Equal(want[i], logits[i], 1e-5f);
    }

    [Fact]
    public void An_inconsistent_graph_is_a_clean_error_not_an_abort()
    {
        // x (N×4) · W (3×2): ONNX Runtime's shape inference rejects it before libtorch ever sees the MatMul.
        var b = new OnnxGraphBuilder();
        b.Input("x", -1, 4);
        var y = b.Node("MatMul", ["x", b.Init("W", [1, 2, 3, 4, 5, 6], 3, 2)]);
        b.Output(y, -1, 2);
        var path = b.Save(Path.Combine(directory, "bad.onnx"));
        var e = Assert.Throws<InputDataException>(() => new OnnxTorchModel(path));
        Assert.Contains("ONNX Runtime", e.Message);
        Assert.Contains("bad.onnx", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void Libtorch_messages_keep_their_first_meaningful_line()
    {
        const string message = "mat1 and mat2 shapes cannot be multiplied (1x768 and 192x5)\nException raised from meta at /pytorch/aten/src/ATen/native/LinearAlgebra.cpp:200 (most recent call first):\nframe #0: c10::Error::Error(c10::SourceLocation, std::string) + 0x57 (0x7f in libc10.so)\nframe #1: at::native::addmm + 0x1 (0x7f in libtorch_cpu.so)\n";
        Assert.Equal("mat1 and mat2 shapes cannot be multiplied (1x768 and 192x5)", LibTorchMessages.FirstMeaningfulLine(message));
        Assert.Equal("x", LibTorchMessages.FirstMeaningfulLine("\n  x  \nframe #0: y"));
    }
}
