using Sightline.Onnx.Graph;
using Sightline.Onnx.Runtime;

namespace Sightline.Onnx.Tests;

/// <summary><see cref="OnnxModelWriter"/>: every attribute kind it writes is read back as written, and ONNX Runtime runs the model.</summary>
public sealed class OnnxModelWriterTests
{
    private static OnnxModelWriter Model() => new OnnxModelWriter("t")
        .Input("x", -1, 1, 2, 2)
        .Initializer("w", [3, 4], [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, -1])
        .Initializer("k", [1, 1, 1, 1], [1])
        .Node("LeakyRelu", ["x"], ["leaky"], ("alpha", 0.25f))
        .Node("Conv", ["leaky", "k"], ["conv"], ("kernel_shape", new[] { 1, 1 }), ("auto_pad", "NOTSET"))
        .Node("Flatten", ["conv"], ["flat"], ("axis", 1L))
        .Node("Gemm", ["flat", "w"], ["logits"], ("transB", 1))
        .Node("Transpose", ["logits"], ["named"], ("perm", new long[] { 0, 1 }))
        .Output("logits", -1, 3);

    [Fact]
    public void Attributes_shapes_and_initializers_read_back_as_written()
    {
        var proto = OnnxModelProto.Parse(Model().ToBytes(), "t.onnx");
        Assert.Equal(13, proto.OpsetVersion);
        Assert.Equal("sightline", proto.Producer);
        Assert.Equal(["LeakyRelu", "Conv", "Flatten", "Gemm", "Transpose"], proto.Graph.Nodes.Select(n => n.OpType));
        Assert.Equal(0.25f, proto.Graph.Nodes[0].GetFloat("alpha"));
        Assert.Equal([1L, 1L], proto.Graph.Nodes[1].GetInts("kernel_shape"));
        Assert.Equal("NOTSET", proto.Graph.Nodes[1].GetString("auto_pad"));
        Assert.Equal(1, proto.Graph.Nodes[2].GetInt("axis"));
        Assert.Equal(1, proto.Graph.Nodes[3].GetInt("transB"));
        Assert.Equal([0L, 1L], proto.Graph.Nodes[4].GetInts("perm"));
        Assert.Equal([1f, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, -1], proto.Graph.Initializers["w"].ToFloats());
        Assert.Equal(["x"], proto.Graph.Inputs.Select(i => i.Name));
    }

    [Fact]
    public void Onnx_runtime_computes_the_written_graph()
    {
        var bytes = Model().Output("named", -1, 3).ToBytes();
        using var model = new OnnxRuntimeModel(OnnxModelProto.Parse(bytes, "t.onnx"), [], new OnnxRuntimeOptions { IntraOpThreads = 1 });
        var logits = new float[2 * 3];
        model.Forward([-4, 2, 0, 8, 1, -1, 3, 0], 2, logits);
        // leaky(x) = x for x ≥ 0, x / 4 otherwise; logits = (v0, v1, −v3).
        Assert.Equal([-1f, 2, -8, 1, -0.25f, -0f], logits);
    }

    [Fact]
    public void Bad_shapes_duplicate_names_and_empty_graphs_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new OnnxModelWriter("t").Initializer("w", [2, 2], [1, 2, 3]));
        Assert.Throws<ArgumentException>(() => new OnnxModelWriter("t").Input("x", 1).Node("Relu", ["x"], ["x"]));
        Assert.Throws<ArgumentException>(() => new OnnxModelWriter("t").Input("x", 1).Node("Relu", ["x"], ["y"], ("bad", new object())));
        Assert.Throws<InvalidOperationException>(() => new OnnxModelWriter("t").Input("x", 1).ToBytes());
    }
}
