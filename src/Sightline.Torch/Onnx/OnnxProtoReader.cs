using System.Buffers.Binary;
using System.Text;

namespace Sightline.Torch.Onnx;

/// <summary>
/// A minimal, allocation-light reader of the ONNX protobuf schema (ModelProto → GraphProto → NodeProto, TensorProto,
/// AttributeProto, ValueInfoProto): only the fields the lowering needs; unknown fields are skipped as protobuf allows.
/// Nested messages are decoded in place (offset ranges into one byte array), so large initializers are copied once.
/// </summary>
internal static class OnnxProtoReader
{
    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <exception cref="InputDataException">The file is missing, not an ONNX model, truncated, or uses external data.</exception>
    public static GraphData Load(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputDataException($"Cannot read the ONNX model '{path}': {e.Message}", e);
        }
        try
        {
            return Parse(bytes, path);
        }
        catch (ProtoFormatException e)
        {
            throw new InputDataException($"'{path}' is not a readable ONNX model ({e.Message}); export it again with torch.onnx.export or check that the file is complete.", e);
        }
    }

    internal static GraphData Parse(byte[] bytes, string path)
    {
        var model = new ProtoSpan(bytes, 0, bytes.Length);
        ProtoSpan? graph = null;
        long opset = 0;
        foreach (var f in model.Fields())
        {
            if (f.Number == 7) graph = f.Message;
            else if (f.Number == 8)
            {
                string domain = "";
                long version = 0;
                foreach (var g in f.Message.Fields())
                {
                    if (g.Number == 1) domain = g.String;
                    else if (g.Number == 2) version = g.Varint;
                }
                if (domain is "" or "ai.onnx") opset = version;
            }
        }
        if (graph is null) throw new ProtoFormatException("no graph");

        var nodes = new List<GraphNode>();
        var initializers = new Dictionary<string, GraphTensor>(StringComparer.Ordinal);
        var inputs = new List<GraphValue>();
        var outputs = new List<GraphValue>();
        foreach (var f in graph.Value.Fields())
        {
            switch (f.Number)
            {
                case 1: nodes.Add(ReadNode(f.Message, path)); break;
                case 5:
                    var t = ReadTensor(f.Message, path);
                    initializers[t.Name] = t;
                    break;
                case 11: inputs.Add(ReadValueInfo(f.Message)); break;
                case 12: outputs.Add(ReadValueInfo(f.Message)); break;
            }
        }
        if (opset == 0) opset = 13;
        return new GraphData(path, nodes, initializers, inputs, outputs, opset);
    }

    static GraphNode ReadNode(ProtoSpan m, string path)
    {
        var inputs = new List<string>();
        var outputs = new List<string>();
        string name = "", op = "", domain = "";
        var attributes = new Dictionary<string, NodeAttribute>(StringComparer.Ordinal);
        foreach (var f in m.Fields())
        {
            switch (f.Number)
            {
                case 1: inputs.Add(f.String); break;
                case 2: outputs.Add(f.String); break;
                case 3: name = f.String; break;
                case 4: op = f.String; break;
                case 5:
                    var a = ReadAttribute(f.Message, path);
                    attributes[a.Name] = a;
                    break;
                case 7: domain = f.String; break;
            }
        }
        return new GraphNode(name, op, domain, inputs, outputs, attributes);
    }

    static NodeAttribute ReadAttribute(ProtoSpan m, string path)
    {
        string name = "";
        long? i = null;
        float? fl = null;
        string? s = null;
        List<long>? ints = null;
        List<float>? floats = null;
        GraphTensor? t = null;
        foreach (var f in m.Fields())
        {
            switch (f.Number)
            {
                case 1: name = f.String; break;
                case 2: fl = f.Fixed32AsFloat; break;
                case 3: i = f.Varint; break;
                case 4: s = f.String; break;
                case 5: t = ReadTensor(f.Message, path); break;
                case 7: f.AppendFloats(floats ??= []); break;
                case 8: f.AppendVarints(ints ??= []); break;
            }
        }
        return new NodeAttribute(name, i, fl, s, ints?.ToArray(), floats?.ToArray(), t);
    }

    static GraphValue ReadValueInfo(ProtoSpan m)
    {
        string name = "";
        var type = OnnxDataType.Undefined;
        long[]? dims = null;
        foreach (var f in m.Fields())
        {
            if (f.Number == 1) name = f.String;
            else if (f.Number == 2)
                foreach (var tt in f.Message.Fields())
                {
                    if (tt.Number != 1) continue; // tensor_type
                    foreach (var g in tt.Message.Fields())
                    {
                        if (g.Number == 1) type = (OnnxDataType)g.Varint;
                        else if (g.Number == 2)
                        {
                            var list = new List<long>();
                            foreach (var d in g.Message.Fields())
                            {
                                if (d.Number != 1) continue;
                                long value = -1;
                                foreach (var dv in d.Message.Fields())
                                    if (dv.Number == 1) value = dv.Varint;
                                list.Add(value);
                            }
                            dims = [.. list];
                        }
                    }
                }
        }
        return new GraphValue(name, type, dims);
    }

    internal static GraphTensor ReadTensor(ProtoSpan m, string path)
    {
        var dims = new List<long>();
        var type = OnnxDataType.Undefined;
        string name = "";
        ProtoField? raw = null;
        var floatData = new List<float>();
        var intData = new List<long>();
        var doubleData = new List<double>();
        bool external = false;
        foreach (var f in m.Fields())
        {
            switch (f.Number)
            {
                case 1: f.AppendVarints(dims); break;
                case 2: type = (OnnxDataType)f.Varint; break;
                case 4: f.AppendFloats(floatData); break;
                case 5: case 7: case 11: f.AppendVarints(intData); break;
                case 8: name = f.String; break;
                case 9: raw = f; break;
                case 10: f.AppendDoubles(doubleData); break;
                case 13: external = true; break;
                case 14: external |= f.Varint == 1; break;
            }
        }
        if (external)
            throw new InputDataException($"Tensor '{name}' of '{path}' keeps its data in an external file, which Sightline does not read; save the model as one file (onnx.save with save_as_external_data=False).");
        long count = dims.Aggregate(1L, (a, b) => a * b);
        var shape = dims.ToArray();
        bool floating = type is OnnxDataType.Float or OnnxDataType.Double or OnnxDataType.Float16 or OnnxDataType.BFloat16;
        if (type == OnnxDataType.String) return new GraphTensor(name, shape, type, null, []);
        if (raw is { } r)
        {
            var span = r.Bytes;
            if (floating)
            {
                var values = new float[count];
                for (long k = 0; k < count; k++)
                    values[k] = type switch
                    {
                        OnnxDataType.Float => BinaryPrimitives.ReadSingleLittleEndian(span[(int)(k * 4)..]),
                        OnnxDataType.Double => (float)BinaryPrimitives.ReadDoubleLittleEndian(span[(int)(k * 8)..]),
                        OnnxDataType.Float16 => (float)BinaryPrimitives.ReadHalfLittleEndian(span[(int)(k * 2)..]),
                        _ => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(span[(int)(k * 2)..]) << 16),
                    };
                return new GraphTensor(name, shape, type, values, null);
            }
            var longs = new long[count];
            for (long k = 0; k < count; k++)
                longs[k] = type switch
                {
                    OnnxDataType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(span[(int)(k * 8)..]),
                    OnnxDataType.UInt64 => (long)BinaryPrimitives.ReadUInt64LittleEndian(span[(int)(k * 8)..]),
                    OnnxDataType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(span[(int)(k * 4)..]),
                    OnnxDataType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(span[(int)(k * 4)..]),
                    OnnxDataType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(span[(int)(k * 2)..]),
                    OnnxDataType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(span[(int)(k * 2)..]),
                    OnnxDataType.Int8 => (sbyte)span[(int)k],
                    _ => span[(int)k], // uint8, bool
                };
            return new GraphTensor(name, shape, type, null, longs);
        }
        if (floating)
        {
            float[] values = type switch
            {
                OnnxDataType.Double => [.. doubleData.Select(d => (float)d)],
                OnnxDataType.Float => [.. floatData],
                // float16/bfloat16 are stored as their bit patterns in int32_data
                OnnxDataType.Float16 => [.. intData.Select(b => (float)BitConverter.UInt16BitsToHalf((ushort)b))],
                _ => [.. intData.Select(b => BitConverter.Int32BitsToSingle((int)b << 16))],
            };
            if (values.Length != count) throw new ProtoFormatException($"tensor '{name}' holds {values.Length} values for {count} elements");
            return new GraphTensor(name, shape, type, values, null);
        }
        if (intData.Count != count) throw new ProtoFormatException($"tensor '{name}' holds {intData.Count} values for {count} elements");
        return new GraphTensor(name, shape, type, null, [.. intData]);
    }
}

/// <summary>A protobuf wire-format error.</summary>
internal sealed class ProtoFormatException(string message) : Exception(message);

/// <summary>A message: a byte range to decode.</summary>
internal readonly record struct ProtoSpan(byte[] Buffer, int Start, int Length)
{
    public IEnumerable<ProtoField> Fields()
    {
        int pos = Start, end = Start + Length;
        while (pos < end)
        {
            ulong tag = ReadVarint(Buffer, ref pos, end);
            int number = (int)(tag >> 3);
            int wire = (int)(tag & 7);
            switch (wire)
            {
                case 0:
                    yield return new ProtoField(number, wire, ReadVarint(Buffer, ref pos, end), Buffer, 0, 0);
                    break;
                case 1:
                    if (pos + 8 > end) throw new ProtoFormatException("truncated");
                    yield return new ProtoField(number, wire, BinaryPrimitives.ReadUInt64LittleEndian(Buffer.AsSpan(pos)), Buffer, pos, 8);
                    pos += 8;
                    break;
                case 2:
                    ulong len = ReadVarint(Buffer, ref pos, end);
                    if (len > (ulong)(end - pos)) throw new ProtoFormatException("truncated");
                    yield return new ProtoField(number, wire, len, Buffer, pos, (int)len);
                    pos += (int)len;
                    break;
                case 5:
                    if (pos + 4 > end) throw new ProtoFormatException("truncated");
                    yield return new ProtoField(number, wire, BinaryPrimitives.ReadUInt32LittleEndian(Buffer.AsSpan(pos)), Buffer, pos, 4);
                    pos += 4;
                    break;
                default:
                    throw new ProtoFormatException($"unsupported wire type {wire} at byte {pos}");
            }
        }
    }

    internal static ulong ReadVarint(byte[] buffer, ref int pos, int end)
    {
        ulong result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (pos >= end) throw new ProtoFormatException("truncated varint");
            byte b = buffer[pos++];
            result |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw new ProtoFormatException("malformed varint");
    }
}

/// <summary>One field of a message.</summary>
internal readonly record struct ProtoField(int Number, int WireType, ulong Value, byte[] Buffer, int Start, int Length)
{
    public long Varint => (long)Value;
    public float Fixed32AsFloat => BitConverter.Int32BitsToSingle((int)(uint)Value);
    public ReadOnlySpan<byte> Bytes => Buffer.AsSpan(Start, Length);
    public string String => Encoding.UTF8.GetString(Buffer, Start, Length);
    public ProtoSpan Message => WireType == 2 ? new ProtoSpan(Buffer, Start, Length) : throw new ProtoFormatException($"field {Number} is not a message");

    /// <summary>Repeated varints, packed (wire type 2) or not.</summary>
    public void AppendVarints(List<long> into)
    {
        if (WireType == 0) { into.Add((long)Value); return; }
        int pos = Start, end = Start + Length;
        while (pos < end) into.Add((long)ProtoSpan.ReadVarint(Buffer, ref pos, end));
    }

    /// <summary>Repeated floats, packed or not.</summary>
    public void AppendFloats(List<float> into)
    {
        if (WireType == 5) { into.Add(Fixed32AsFloat); return; }
        for (int p = Start; p + 4 <= Start + Length; p += 4) into.Add(BinaryPrimitives.ReadSingleLittleEndian(Buffer.AsSpan(p)));
    }

    /// <summary>Repeated doubles, packed or not.</summary>
    public void AppendDoubles(List<double> into)
    {
        if (WireType == 1) { into.Add(BitConverter.Int64BitsToDouble((long)Value)); return; }
        for (int p = Start; p + 8 <= Start + Length; p += 8) into.Add(BinaryPrimitives.ReadDoubleLittleEndian(Buffer.AsSpan(p)));
    }
}
