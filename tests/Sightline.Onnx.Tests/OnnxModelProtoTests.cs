using Sightline.Onnx.Graph;

namespace Sightline.Onnx.Tests;

public sealed class OnnxModelProtoTests
{
    [Fact]
    public void Parses_model_header_nodes_attributes_and_initializers()
    {
        var model = OnnxModelProto.Parse(TestModels.FlattenGemm("N").Build(), "tiny.onnx");

        Assert.Equal(8, model.IrVersion);
        Assert.Equal(13, model.OpsetVersion);
        Assert.Equal("sightline-tests", model.Producer);
        Assert.Equal("1.0", model.ProducerVersion);
        Assert.Equal("g", model.Graph.Name);

        var nodes = model.Graph.Nodes;
        Assert.Equal(["Flatten", "Gemm"], nodes.Select(n => n.OpType));
        Assert.Equal(["flat", "W", "b"], nodes[1].Inputs);
        Assert.Equal(["logits"], nodes[1].Outputs);
        Assert.Equal("fc", nodes[1].Name);
        Assert.Equal("", nodes[1].Domain);
        Assert.Equal(1, nodes[0].GetInt("axis"));
        Assert.Equal(1, nodes[1].GetInt("transB"));
        Assert.Equal(0, nodes[1].GetInt("transA"));
        Assert.Equal(1f, nodes[1].GetFloat("alpha"));
        Assert.Equal(7f, nodes[1].GetFloat("beta", 7f));
        Assert.Same(nodes[1], model.Graph.Producer("logits"));
        Assert.Null(model.Graph.Producer("x"));

        var w = model.Graph.Initializers["W"];
        Assert.Equal(OnnxDataType.Float, w.DataType);
        Assert.Equal([3L, 4L], w.Dims);
        Assert.Equal(TestModels.GemmW, w.ToFloats());
        Assert.Equal(48, w.RawData.Length);
        var b = model.Graph.Initializers["b"];
        Assert.True(b.RawData.IsEmpty);
        Assert.Equal(TestModels.GemmB, b.ToFloats());
        Assert.Equal(TestModels.GemmB.Select(v => (double)v), b.ToDoubles());
    }

    [Fact]
    public void Inputs_exclude_initializers_and_shapes_keep_symbolic_dims()
    {
        // Older exporters list initializers among the graph inputs too.
        var builder = TestModels.FlattenGemm("batch").Input("W", 3L, 4L);
        var graph = OnnxModelProto.Parse(builder.Build(), "m.onnx").Graph;

        Assert.Equal(["x", "W"], graph.AllInputs.Select(i => i.Name));
        var x = Assert.Single(graph.Inputs);
        Assert.Equal("x", x.Name);
        Assert.Equal(OnnxDataType.Float, x.ElemType);
        Assert.Equal([new OnnxDim(null, "batch"), new OnnxDim(1, null), new OnnxDim(2, null), new OnnxDim(2, null)], x.Shape);
        Assert.Equal("x: Float[batch, 1, 2, 2]", x.ToString());
        Assert.Equal("logits", Assert.Single(graph.Outputs).Name);
        Assert.Equal(OnnxDataType.Float, graph.ElemTypeOf("W"));
        Assert.Equal(OnnxDataType.Undefined, graph.ElemTypeOf("flat"));
    }

    [Fact]
    public void Reads_list_string_and_tensor_attributes_and_value_info()
    {
        var tensor = OnnxBuilder.FloatTensor("", [2], [1.5f, -2f]);
        var bytes = new OnnxBuilder()
            .Input("x", 1L, 4L)
            .Output("y", 1L, 4L)
            .ValueInfoEntry("c", 1, 2L)
            .Node("Constant", [], ["c"], "const", OnnxBuilder.TensorAttr("value", tensor))
            .Node("Custom", ["x", "", "c"], ["y"], "custom",
                OnnxBuilder.IntsAttr("pads", 0, 1, -2, 3),
                OnnxBuilder.FloatsAttr("scales", 0.5f, 2f),
                OnnxBuilder.StringAttr("mode", "nearest"))
            .Build();
        var graph = OnnxModelProto.Parse(bytes, "attrs.onnx").Graph;

        var custom = graph.Nodes[1];
        Assert.Equal([0L, 1L, -2L, 3L], custom.GetInts("pads"));
        Assert.Equal([0.5f, 2f], custom.GetFloats("scales"));
        Assert.Equal("nearest", custom.GetString("mode"));
        Assert.Null(custom.GetInts("dilations"));
        Assert.Null(custom.InputOrNull(1));
        Assert.Equal("c", custom.InputOrNull(2));
        Assert.Throws<InvalidOperationException>(() => custom.GetInt("pads"));
        Assert.Equal([1.5f, -2f], graph.Nodes[0].GetTensor("value")!.ToFloats());
        Assert.Equal(OnnxDataType.Float, graph.ElemTypeOf("c"));
        Assert.True(graph.TryGetValueInfo("c", out var c));
        Assert.Equal(2, c.Shape![0].Value);
    }

    [Fact]
    public void Packed_and_raw_int64_initializers_read_the_same()
    {
        var bytes = TestModels.FlattenGemm("N")
            .Int64s("packed", [3], [1, -1, long.MaxValue])
            .Int64s("raw", [3], [1, -1, long.MaxValue], raw: true)
            .Build();
        var inits = OnnxModelProto.Parse(bytes, "m.onnx").Graph.Initializers;

        Assert.Equal([1L, -1L, long.MaxValue], inits["packed"].ToInt64s());
        Assert.Equal([1L, -1L, long.MaxValue], inits["raw"].ToInt64s());
        Assert.Throws<OverflowException>(() => inits["raw"].ToInt32s());
    }

    [Fact]
    public void Raw_data_of_every_numeric_type_converts_to_floats()
    {
        static byte[] Bytes<T>(T[] v) where T : unmanaged => System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan()).ToArray();
        var cases = new (int Type, byte[] Raw)[]
        {
            (2, [0, 7, 255]),
            (3, Bytes(new sbyte[] { 0, 7, -1 })),
            (4, Bytes(new ushort[] { 0, 7, 65535 })),
            (5, Bytes(new short[] { 0, 7, -1 })),
            (6, Bytes(new[] { 0, 7, -1 })),
            (7, Bytes(new long[] { 0, 7, -1 })),
            (9, [0, 1, 1]),
            (10, Bytes(new[] { (Half)0, (Half)7, (Half)(-1) })),
            (11, Bytes(new double[] { 0, 7, -1 })),
            (12, Bytes(new uint[] { 0, 7, 1 })),
            (13, Bytes(new ulong[] { 0, 7, 1 })),
            (16, Bytes(new ushort[] { 0, (ushort)(BitConverter.SingleToInt32Bits(7f) >> 16), (ushort)(BitConverter.SingleToInt32Bits(-1f) >> 16) })),
        };
        var builder = TestModels.FlattenGemm("N");
        foreach (var (type, raw) in cases) builder.RawInitializer(OnnxBuilder.RawTensor($"t{type}", type, [3], raw));
        var inits = OnnxModelProto.Parse(builder.Build(), "types.onnx").Graph.Initializers;

        foreach (var (type, _) in cases)
        {
            var t = inits[$"t{type}"];
            Assert.Equal((OnnxDataType)type, t.DataType);
            float expectedLast = type switch { 2 => 255, 4 => 65535, 9 or 12 or 13 => 1, _ => -1 };
            Assert.Equal([0f, type == 9 ? 1f : 7f, expectedLast], t.ToFloats());
            Assert.Equal([0L, type == 9 ? 1L : 7L, (long)expectedLast], t.ToInt64s());
        }
    }

    [Fact]
    public void Tensor_whose_values_do_not_match_dims_throws_naming_the_file_and_tensor()
    {
        var bytes = TestModels.FlattenGemm("N").RawInitializer(OnnxBuilder.RawTensor("short", 1, [4], new byte[8])).Build();
        var t = OnnxModelProto.Parse(bytes, "bad.onnx").Graph.Initializers["short"];

        var e = Assert.Throws<InputDataException>(() => t.ToFloats());
        Assert.Contains("bad.onnx", e.Message);
        Assert.Contains("short", e.Message);
    }

    [Fact]
    public void External_data_is_reported_when_read()
    {
        var tensor = OnnxBuilder.Msg(o =>
        {
            o.WriteTag(1, Google.Protobuf.WireFormat.WireType.Varint); o.WriteInt64(2);
            o.WriteTag(2, Google.Protobuf.WireFormat.WireType.Varint); o.WriteInt32(1);
            o.WriteTag(8, Google.Protobuf.WireFormat.WireType.LengthDelimited); o.WriteString("big.weight");
            o.WriteTag(14, Google.Protobuf.WireFormat.WireType.Varint); o.WriteInt32(1);
        });
        var t = OnnxModelProto.Parse(TestModels.FlattenGemm("N").RawInitializer(tensor).Build(), "ext.onnx").Graph.Initializers["big.weight"];

        Assert.True(t.IsExternal);
        var e = Assert.Throws<InputDataException>(() => t.ToFloats());
        Assert.Contains("external data not supported: big.weight", e.Message);
        Assert.Contains("ext.onnx", e.Message);
    }

    [Fact]
    public void Truncated_file_throws_input_data_exception_naming_the_file()
    {
        var bytes = TestModels.FlattenGemm("N").Build();
        string dir = Directory.CreateTempSubdirectory("sightline-onnx").FullName;
        try
        {
            for (int cut = 1; cut < bytes.Length; cut += 7)
            {
                string path = Path.Combine(dir, "truncated.onnx");
                File.WriteAllBytes(path, bytes[..cut]);
                var e = Assert.Throws<InputDataException>(() => OnnxModelProto.Load(path));
                Assert.Contains("truncated.onnx", e.Message);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13 })]
    [InlineData(new byte[] { (byte)'h', (byte)'e', (byte)'l', (byte)'l', (byte)'o' })]
    [InlineData(new byte[] { 0x08, 0x07 })]
    public void Non_onnx_bytes_throw_input_data_exception_naming_the_file(byte[] bytes)
    {
        var e = Assert.Throws<InputDataException>(() => OnnxModelProto.Parse(bytes, "picture.png"));
        Assert.Contains("picture.png", e.Message);
    }

    [Fact]
    public void Missing_file_throws_input_data_exception()
    {
        var e = Assert.Throws<InputDataException>(() => OnnxModelProto.Load("/nonexistent/model.onnx"));
        Assert.Contains("/nonexistent/model.onnx", e.Message);
    }

    [Fact]
    public void Random_garbage_never_escapes_as_another_exception()
    {
        Gen.Byte.Array[0, 200].Sample(bytes =>
        {
            try
            {
                OnnxModelProto.Parse(bytes, "fuzz.onnx");
            }
            catch (InputDataException)
            {
            }
        }, iter: 2000);
    }

    [Fact]
    public void Mutated_models_never_escape_as_another_exception()
    {
        var original = TestModels.ConvNet().Build();
        Gen.Select(Gen.Int[0, original.Length - 1], Gen.Byte).Array[1, 4].Sample(edits =>
        {
            var bytes = (byte[])original.Clone();
            foreach (var (i, b) in edits) bytes[i] = b;
            try
            {
                OnnxModelProto.Parse(bytes, "fuzz.onnx");
            }
            catch (InputDataException)
            {
            }
        }, iter: 2000);
    }

    [Fact]
    public void WithExtraOutputs_round_trips_and_keeps_everything_else()
    {
        var model = OnnxModelProto.Parse(TestModels.ConvNet().ValueInfoEntry("relu_out", 1, "N", 2L, 2L, 2L).Build(), "conv.onnx");

        var edited = OnnxModelProto.Parse(model.WithExtraOutputs(["relu_out", "flat", "logits", "relu_out"]), "edited.onnx");

        Assert.Equal(["logits", "relu_out", "flat"], edited.Graph.Outputs.Select(o => o.Name));
        Assert.Equal(OnnxDataType.Float, edited.Graph.Outputs[1].ElemType);
        Assert.Equal(OnnxDataType.Undefined, edited.Graph.Outputs[2].ElemType);
        Assert.Equal(model.IrVersion, edited.IrVersion);
        Assert.Equal(model.Producer, edited.Producer);
        Assert.Equal(model.Opsets, edited.Opsets);
        Assert.Equal(model.Graph.Nodes.Select(n => n.ToString()), edited.Graph.Nodes.Select(n => n.ToString()));
        Assert.Equal(model.Graph.Initializers.Keys, edited.Graph.Initializers.Keys);
        Assert.Equal(model.Graph.Initializers["conv.w"].ToFloats(), edited.Graph.Initializers["conv.w"].ToFloats());
        Assert.Throws<ArgumentException>(() => model.WithExtraOutputs(["no_such_tensor"]));
    }
}
