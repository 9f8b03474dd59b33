using System.Text;

namespace Sightline.Onnx.Graph;

/// <summary>
/// An ONNX model file (<c>ModelProto</c>), decoded with a minimal hand-written protobuf schema covering what
/// Sightline needs: IR version, opset imports, producer, and the main graph (nodes, attributes, initializers, inputs,
/// outputs, value_info). Subgraph attributes (If/Loop bodies), sparse initializers, training info and functions are
/// skipped. The original bytes are kept (<see cref="RawBytes"/>) so sessions can be built from them and edits
/// (<see cref="WithExtraOutputs"/>) preserve everything not understood here.
/// </summary>
public sealed class OnnxModelProto
{
    private OnnxModelProto(string sourceName, byte[] rawBytes, long irVersion, IReadOnlyDictionary<string, long> opsets,
        string producer, string producerVersion, OnnxGraph graph)
    {
        SourceName = sourceName;
        RawBytes = rawBytes;
        IrVersion = irVersion;
        Opsets = opsets;
        Producer = producer;
        ProducerVersion = producerVersion;
        Graph = graph;
    }

    /// <summary>The file path or name the model was read from (used in error messages).</summary>
    public string SourceName { get; }

    /// <summary>The serialised model exactly as read. Do not modify.</summary>
    public byte[] RawBytes { get; }

    /// <summary>ONNX IR version.</summary>
    public long IrVersion { get; }

    /// <summary>Operator set versions by domain; the default ONNX domain is the empty string.</summary>
    public IReadOnlyDictionary<string, long> Opsets { get; }

    /// <summary>The default-domain opset version (0 when not imported).</summary>
    public long OpsetVersion => Opsets.GetValueOrDefault("");

    /// <summary>Producer name (e.g. <c>pytorch</c>), empty when not set.</summary>
    public string Producer { get; }

    /// <summary>Producer version, empty when not set.</summary>
    public string ProducerVersion { get; }

    /// <summary>The main graph.</summary>
    public OnnxGraph Graph { get; }

    /// <summary>Reads and parses an ONNX file.</summary>
    /// <exception cref="InputDataException">The file is missing, unreadable, not an ONNX model, or truncated.</exception>
    public static OnnxModelProto Load(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new InputDataException($"{path}: cannot read the ONNX model ({e.Message}); check the path.", e);
        }
        return ParseOwned(bytes, path);
    }

    /// <summary>Parses ONNX bytes; <paramref name="sourceName"/> names the origin in error messages.</summary>
    /// <exception cref="InputDataException">The bytes are not an ONNX model, or are truncated.</exception>
    public static OnnxModelProto Parse(ReadOnlySpan<byte> bytes, string sourceName) => ParseOwned(bytes.ToArray(), sourceName);

    private static OnnxModelProto ParseOwned(byte[] bytes, string source)
    {
        if (bytes.Length == 0)
            throw new InputDataException($"{source}: the file is empty, not an ONNX model; re-export or re-download it.");
        try
        {
            return new Parser(bytes, source).ParseModel();
        }
        catch (ProtoException e)
        {
            throw new InputDataException($"{source}: not a valid ONNX model ({e.Message}); check that it is a complete .onnx file (re-export or re-download it).", e);
        }
        catch (OverflowException e)
        {
            throw new InputDataException($"{source}: not a valid ONNX model (a size overflows); check that it is a complete .onnx file.", e);
        }
    }

    /// <summary>
    /// Returns the model re-serialised with <paramref name="tensorNames"/> appended to the graph outputs, so a session
    /// returns those intermediate values too. Names already among the outputs are skipped; each new output carries its
    /// element type when known (value_info or initializer), otherwise no type (ONNX Runtime infers it). Everything else
    /// in the file is copied byte for byte.
    /// </summary>
    /// <exception cref="ArgumentException">A name is not a node output, graph input or initializer of the main graph.</exception>
    public byte[] WithExtraOutputs(IEnumerable<string> tensorNames)
    {
        var existing = new HashSet<string>(Graph.Outputs.Select(o => o.Name), StringComparer.Ordinal);
        var extras = new ProtoWriter();
        foreach (var name in tensorNames)
        {
            if (!existing.Add(name)) continue;
            if (Graph.Producer(name) is null && !Graph.Initializers.ContainsKey(name) && !Graph.AllInputs.Any(i => i.Name == name))
                throw new ArgumentException($"'{name}' is not a tensor of the graph of {SourceName}.", nameof(tensorNames));
            var info = new ProtoWriter();
            info.WriteString(1, name);
            var elem = Graph.ElemTypeOf(name);
            if (elem != OnnxDataType.Undefined)
            {
                var tensorType = new ProtoWriter();
                tensorType.WriteInt64(1, (long)elem);
                var type = new ProtoWriter();
                type.WriteMessage(1, tensorType);
                info.WriteMessage(2, type);
            }
            extras.WriteMessage(GraphField.Output, info);
        }

        var model = new ProtoWriter();
        var graphBytes = new ProtoWriter();
        var reader = new ProtoReader(RawBytes, 0, RawBytes.Length);
        while (true)
        {
            int start = reader.Position;
            if (!reader.Next(out int field, out int wire)) break;
            if (field == ModelField.Graph && wire == WireType.LengthDelimited)
            {
                // Repeated occurrences of an embedded message merge; concatenating their bytes is that merge.
                var (offset, length) = reader.ReadLengthDelimited();
                graphBytes.WriteRaw(RawBytes.AsSpan(offset, length));
            }
            else
            {
                reader.Skip(wire);
                model.WriteRaw(RawBytes.AsSpan(start, reader.Position - start));
            }
        }
        graphBytes.WriteRaw(extras.ToArray());
        model.WriteMessage(ModelField.Graph, graphBytes);
        return model.ToArray();
    }

    /// <summary>
    /// Returns the model re-serialised with initialisers replaced and added, and inputs appended to nodes: each
    /// initialiser named in <paramref name="replaced"/> is written anew (float32 raw data, same name and dims as the
    /// replacement), <paramref name="added"/> are appended to the graph's initialisers, and node <c>i</c> (graph order) of
    /// <paramref name="appendInputs"/> gets the given tensor appended to its inputs (e.g. a bias for a Conv that had
    /// none). Everything else is copied byte for byte.
    /// </summary>
    public byte[] WithInitializers(IReadOnlyDictionary<string, OnnxTensor> replaced, IReadOnlyList<OnnxTensor>? added = null,
        IReadOnlyDictionary<int, string>? appendInputs = null)
    {
        var model = new ProtoWriter();
        var graph = new ProtoWriter();
        var reader = new ProtoReader(RawBytes, 0, RawBytes.Length);
        while (true)
        {
            int start = reader.Position;
            if (!reader.Next(out int field, out int wire)) break;
            if (field == ModelField.Graph && wire == WireType.LengthDelimited)
            {
                var (offset, length) = reader.ReadLengthDelimited();
                var g = new ProtoReader(RawBytes, offset, length);
                int node = 0;
                while (true)
                {
                    int gs = g.Position;
                    if (!g.Next(out int gf, out int gw)) break;
                    if (gf == GraphField.Initializer && gw == WireType.LengthDelimited)
                    {
                        var (to, tl) = g.ReadLengthDelimited();
                        string name = TensorName(new ProtoReader(RawBytes, to, tl));
                        if (replaced.TryGetValue(name, out var t)) graph.WriteMessage(GraphField.Initializer, FloatTensor(t));
                        else graph.WriteRaw(RawBytes.AsSpan(gs, g.Position - gs));
                    }
                    else if (gf == GraphField.Node && gw == WireType.LengthDelimited)
                    {
                        var (no, nl) = g.ReadLengthDelimited();
                        if (appendInputs is not null && appendInputs.TryGetValue(node, out var extra))
                        {
                            var n = new ProtoWriter();
                            n.WriteRaw(RawBytes.AsSpan(no, nl));
                            // Repeated fields keep their order of appearance: this becomes the node's last input.
                            n.WriteString(1, extra);
                            graph.WriteMessage(GraphField.Node, n);
                        }
                        else graph.WriteRaw(RawBytes.AsSpan(gs, g.Position - gs));
                        node++;
                    }
                    else
                    {
                        g.Skip(gw);
                        graph.WriteRaw(RawBytes.AsSpan(gs, g.Position - gs));
                    }
                }
                foreach (var t in added ?? []) graph.WriteMessage(GraphField.Initializer, FloatTensor(t));
            }
            else
            {
                reader.Skip(wire);
                model.WriteRaw(RawBytes.AsSpan(start, reader.Position - start));
            }
        }
        model.WriteMessage(ModelField.Graph, graph);
        return model.ToArray();

        static string TensorName(ProtoReader r)
        {
            while (r.Next(out int f, out int w))
            {
                if (f == 8 && w == WireType.LengthDelimited) return r.ReadString();
                r.Skip(w);
            }
            return "";
        }

        static ProtoWriter FloatTensor(OnnxTensor t)
        {
            var w = new ProtoWriter();
            foreach (var d in t.Dims) w.WriteInt64(1, d);
            w.WriteInt64(2, (long)OnnxDataType.Float);
            w.WriteString(8, t.Name);
            var values = t.ToFloats();
            var raw = new byte[values.Length * sizeof(float)];
            for (int i = 0; i < values.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * 4), values[i]);
            w.WriteBytes(9, raw);
            return w;
        }
    }

    private static class ModelField
    {
        public const int IrVersion = 1, ProducerName = 2, ProducerVersion = 3, Graph = 7, OpsetImport = 8;
    }

    private static class GraphField
    {
        public const int Node = 1, Name = 2, Initializer = 5, Input = 11, Output = 12, ValueInfo = 13;
    }

    private sealed class Parser(byte[] bytes, string source)
    {
        public OnnxModelProto ParseModel()
        {
            var r = new ProtoReader(bytes, 0, bytes.Length);
            long ir = 0;
            string producer = "", producerVersion = "";
            var opsets = new Dictionary<string, long>(StringComparer.Ordinal);
            var graphs = new List<(int Offset, int Length)>();
            while (r.Next(out int field, out int wire))
            {
                switch (field)
                {
                    case ModelField.IrVersion: r.Expect(wire, WireType.Varint, field); ir = r.ReadInt64(); break;
                    case ModelField.ProducerName: r.Expect(wire, WireType.LengthDelimited, field); producer = r.ReadString(); break;
                    case ModelField.ProducerVersion: r.Expect(wire, WireType.LengthDelimited, field); producerVersion = r.ReadString(); break;
                    case ModelField.Graph: r.Expect(wire, WireType.LengthDelimited, field); graphs.Add(r.ReadLengthDelimited()); break;
                    case ModelField.OpsetImport:
                        r.Expect(wire, WireType.LengthDelimited, field);
                        var (domain, version) = ParseOpset(r.ReadMessage());
                        opsets[domain] = version;
                        break;
                    default: r.Skip(wire); break;
                }
            }
            if (graphs.Count == 0 || ir <= 0)
                throw new ProtoException(graphs.Count == 0 ? "no graph found" : "no IR version found");
            if (graphs.Count > 1)
                throw new ProtoException("the graph field occurs more than once");
            var graph = ParseGraph(new ProtoReader(bytes, graphs[0].Offset, graphs[0].Length));
            return new OnnxModelProto(source, bytes, ir, opsets, producer, producerVersion, graph);
        }

        private static (string Domain, long Version) ParseOpset(ProtoReader r)
        {
            string domain = "";
            long version = 0;
            while (r.Next(out int field, out int wire))
            {
                if (field == 1 && wire == WireType.LengthDelimited) domain = r.ReadString();
                else if (field == 2 && wire == WireType.Varint) version = r.ReadInt64();
                else r.Skip(wire);
            }
            return (NormaliseDomain(domain), version);
        }

        private static string NormaliseDomain(string domain) => domain == "ai.onnx" ? "" : domain;

        private OnnxGraph ParseGraph(ProtoReader r)
        {
            string name = "";
            var nodes = new List<OnnxNode>();
            var initializers = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
            var inputs = new List<OnnxValueInfo>();
            var outputs = new List<OnnxValueInfo>();
            var valueInfos = new List<OnnxValueInfo>();
            while (r.Next(out int field, out int wire))
            {
                switch (field)
                {
                    case GraphField.Node: r.Expect(wire, WireType.LengthDelimited, field); nodes.Add(ParseNode(r.ReadMessage())); break;
                    case GraphField.Name: r.Expect(wire, WireType.LengthDelimited, field); name = r.ReadString(); break;
                    case GraphField.Initializer:
                        r.Expect(wire, WireType.LengthDelimited, field);
                        var t = ParseTensor(r.ReadMessage());
                        initializers[t.Name] = t;
                        break;
                    case GraphField.Input: r.Expect(wire, WireType.LengthDelimited, field); inputs.Add(ParseValueInfo(r.ReadMessage())); break;
                    case GraphField.Output: r.Expect(wire, WireType.LengthDelimited, field); outputs.Add(ParseValueInfo(r.ReadMessage())); break;
                    case GraphField.ValueInfo: r.Expect(wire, WireType.LengthDelimited, field); valueInfos.Add(ParseValueInfo(r.ReadMessage())); break;
                    default: r.Skip(wire); break;
                }
            }
            return new OnnxGraph(name, nodes, initializers, inputs, outputs, valueInfos);
        }

        private OnnxNode ParseNode(ProtoReader r)
        {
            var inputs = new List<string>();
            var outputs = new List<string>();
            string name = "", opType = "", domain = "";
            var attributes = new Dictionary<string, OnnxAttribute>(StringComparer.Ordinal);
            while (r.Next(out int field, out int wire))
            {
                switch (field)
                {
                    case 1: r.Expect(wire, WireType.LengthDelimited, field); inputs.Add(r.ReadString()); break;
                    case 2: r.Expect(wire, WireType.LengthDelimited, field); outputs.Add(r.ReadString()); break;
                    case 3: r.Expect(wire, WireType.LengthDelimited, field); name = r.ReadString(); break;
                    case 4: r.Expect(wire, WireType.LengthDelimited, field); opType = r.ReadString(); break;
                    case 5:
                        r.Expect(wire, WireType.LengthDelimited, field);
                        var a = ParseAttribute(r.ReadMessage());
                        attributes[a.Name] = a;
                        break;
                    case 7: r.Expect(wire, WireType.LengthDelimited, field); domain = NormaliseDomain(r.ReadString()); break;
                    default: r.Skip(wire); break;
                }
            }
            if (opType.Length == 0) throw new ProtoException($"node '{name}' has no op_type");
            return new OnnxNode(name, opType, domain, inputs, outputs, attributes);
        }

        private OnnxAttribute ParseAttribute(ProtoReader r)
        {
            string name = "", s = "";
            var type = OnnxAttributeType.Undefined;
            float f = 0;
            long i = 0;
            OnnxTensor? t = null;
            var floats = new List<float>();
            var ints = new List<long>();
            var strings = new List<string>();
            // Fields present, for files that do not set `type` (IR version 1/2).
            var inferred = OnnxAttributeType.Undefined;
            while (r.Next(out int field, out int wire))
            {
                switch (field)
                {
                    case 1: r.Expect(wire, WireType.LengthDelimited, field); name = r.ReadString(); break;
                    case 20: r.Expect(wire, WireType.Varint, field); type = (OnnxAttributeType)r.ReadInt32(); break;
                    case 2: r.Expect(wire, WireType.Fixed32, field); f = r.ReadFloat(); inferred = OnnxAttributeType.Float; break;
                    case 3: r.Expect(wire, WireType.Varint, field); i = r.ReadInt64(); inferred = OnnxAttributeType.Int; break;
                    case 4: r.Expect(wire, WireType.LengthDelimited, field); s = r.ReadString(); inferred = OnnxAttributeType.String; break;
                    case 5: r.Expect(wire, WireType.LengthDelimited, field); t = ParseTensor(r.ReadMessage()); inferred = OnnxAttributeType.Tensor; break;
                    case 6: r.Skip(wire); inferred = OnnxAttributeType.Graph; break;
                    case 7: r.ReadFloats(wire, floats); inferred = OnnxAttributeType.Floats; break;
                    case 8: r.ReadVarints(wire, ints); inferred = OnnxAttributeType.Ints; break;
                    case 9: r.Expect(wire, WireType.LengthDelimited, field); strings.Add(r.ReadString()); inferred = OnnxAttributeType.Strings; break;
                    default: r.Skip(wire); break;
                }
            }
            if (type == OnnxAttributeType.Undefined) type = inferred;
            return new OnnxAttribute(name, type, f, i, s, t, floats, ints, strings);
        }

        private OnnxTensor ParseTensor(ProtoReader r)
        {
            var dims = new List<long>();
            var dataType = OnnxDataType.Undefined;
            string name = "";
            (int Offset, int Length)? raw = null;
            List<float>? floats = null;
            List<long>? int32s = null, int64s = null, uint64s = null;
            List<double>? doubles = null;
            List<byte[]>? strings = null;
            bool external = false;
            while (r.Next(out int field, out int wire))
            {
                switch (field)
                {
                    case 1: r.ReadVarints(wire, dims); break;
                    case 2: r.Expect(wire, WireType.Varint, field); dataType = (OnnxDataType)r.ReadInt32(); break;
                    case 4: r.ReadFloats(wire, floats ??= []); break;
                    case 5: r.ReadVarints(wire, int32s ??= []); break;
                    case 6:
                        r.Expect(wire, WireType.LengthDelimited, field);
                        var (so, sl) = r.ReadLengthDelimited();
                        (strings ??= []).Add(bytes.AsSpan(so, sl).ToArray());
                        break;
                    case 7: r.ReadVarints(wire, int64s ??= []); break;
                    case 8: r.Expect(wire, WireType.LengthDelimited, field); name = r.ReadString(); break;
                    case 9: r.Expect(wire, WireType.LengthDelimited, field); raw = r.ReadLengthDelimited(); break;
                    case 10: r.ReadDoubles(wire, doubles ??= []); break;
                    case 11: r.ReadVarints(wire, uint64s ??= []); break;
                    case 13: r.Skip(wire); external = true; break;
                    case 14: r.Expect(wire, WireType.Varint, field); external |= r.ReadInt64() == 1; break;
                    default: r.Skip(wire); break;
                }
            }
            return new OnnxTensor(name, dataType, dims.ToArray(),
                raw is { } rr ? (ReadOnlyMemory<byte>?)new ReadOnlyMemory<byte>(bytes, rr.Offset, rr.Length) : null,
                floats?.ToArray(), int32s?.Select(v => unchecked((int)v)).ToArray(), int64s?.ToArray(), doubles?.ToArray(),
                uint64s?.Select(v => unchecked((ulong)v)).ToArray(), strings?.ToArray(), external, source);
        }

        private static OnnxValueInfo ParseValueInfo(ProtoReader r)
        {
            string name = "";
            var elem = OnnxDataType.Undefined;
            List<OnnxDim>? shape = null;
            while (r.Next(out int field, out int wire))
            {
                if (field == 1 && wire == WireType.LengthDelimited) name = r.ReadString();
                else if (field == 2 && wire == WireType.LengthDelimited)
                {
                    var type = r.ReadMessage();
                    while (type.Next(out int tf, out int tw))
                    {
                        if (tf == 1 && tw == WireType.LengthDelimited)
                        {
                            var tensor = type.ReadMessage();
                            while (tensor.Next(out int nf, out int nw))
                            {
                                if (nf == 1 && nw == WireType.Varint) elem = (OnnxDataType)tensor.ReadInt32();
                                else if (nf == 2 && nw == WireType.LengthDelimited) shape = ParseShape(tensor.ReadMessage());
                                else tensor.Skip(nw);
                            }
                        }
                        else type.Skip(tw);
                    }
                }
                else r.Skip(wire);
            }
            return new OnnxValueInfo(name, elem, shape);
        }

        private static List<OnnxDim> ParseShape(ProtoReader r)
        {
            var dims = new List<OnnxDim>();
            while (r.Next(out int field, out int wire))
            {
                if (field != 1 || wire != WireType.LengthDelimited)
                {
                    r.Skip(wire);
                    continue;
                }
                var d = r.ReadMessage();
                long? value = null;
                string? param = null;
                while (d.Next(out int df, out int dw))
                {
                    if (df == 1 && dw == WireType.Varint) value = d.ReadInt64();
                    else if (df == 2 && dw == WireType.LengthDelimited) param = d.ReadString();
                    else d.Skip(dw);
                }
                dims.Add(new OnnxDim(value, param));
            }
            return dims;
        }
    }

    /// <summary>A one-line summary: producer, IR and opset versions, node and initializer counts.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(Path.GetFileName(SourceName)).Append(": ");
        if (Producer.Length > 0) sb.Append(Producer).Append(' ').Append(ProducerVersion).Append(", ");
        sb.Append("IR ").Append(IrVersion).Append(", opset ").Append(OpsetVersion)
          .Append(", ").Append(Graph.Nodes.Count).Append(" nodes, ").Append(Graph.Initializers.Count).Append(" initializers");
        return sb.ToString();
    }
}
