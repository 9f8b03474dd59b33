using Sightline.Models;
using Sightline.Statistics;

namespace Sightline.Onnx.Graph;

/// <summary>
/// The parameterised layers of an ONNX graph and the two edits model-randomisation metrics need, shared by every back
/// end (ONNX Runtime opens a session on the edited bytes, the TorchSharp lowering lowers them), so the same
/// (layers, seed) gives the same copy everywhere.
/// <list type="bullet">
/// <item><b>Layers</b> (<see cref="Layers"/>): nodes, in graph order, owning float initialisers as parameters: Conv and
/// ConvTranspose (W, B), Gemm (B, C), MatMul with an initialiser operand (plus the bias of an Add that is its only
/// consumer, as PyTorch exports a Linear on 3-D inputs), BatchNormalization / InstanceNormalization / LayerNormalization
/// (scale, bias; BatchNormalization's running mean and variance are statistics, not parameters, and are kept), PRelu
/// (slope). An initialiser shared by several nodes belongs to the first. The layer's name is the node's name, or its
/// first output when unnamed.</item>
/// <item><b>Re-initialisation</b> (<see cref="Randomise"/>): each parameter tensor t of a randomised layer is replaced by
/// draws of N(0, σ_t²), σ_t the population standard deviation of t's original values (a tensor without spread —
/// say BatchNorm's all-ones scale of an untrained net, or an all-zero bias — keeps its values). The draws come from
/// SplitMix64 (Box–Muller) seeded by (seed, FNV-1a of the tensor's name): a tensor gets the same values whichever other
/// layers are randomised with it, so the cascading copies of MPRT nest as in Quantus, where each layer is reset once
/// and stays reset. Quantus (PyTorch) calls each module's <c>reset_parameters</c> instead (Kaiming-uniform weights,
/// U(±1/√fan_in) biases, BatchNorm to 1 and 0); Adebayo et al. (2018) re-initialised from a truncated normal. We keep
/// each tensor's own scale because an ONNX graph no longer says which module a tensor came from (BatchNorm is often
/// folded into the preceding Conv, Linear layers become MatMul + Add), so fan-in rules cannot be applied faithfully,
/// while σ_t preserves the activations' magnitude for any operator.</item>
/// <item><b>Input shift</b> (<see cref="ShiftInput"/>, Kindermans et al., "The (Un)reliability of Saliency Methods",
/// 2019): the first parameterised layer, which must read the graph input directly (or through Flatten / Reshape /
/// Identity / Transpose), absorbs a constant shift s of every input value: its bias becomes b' = b − s·Σ W over the
/// weights feeding each output (all input channels and kernel taps for Conv, the input dimension for Gemm/MatMul), so
/// f'(x + s) = f(x). Exact except where a Conv zero-pads: padded taps see 0, not s, so border outputs differ (Kindermans
/// et al. pad with the shifted mean; we document instead of changing the graph). A Conv or Gemm without a bias gets one.</item>
/// </list>
/// </summary>
public static class OnnxParameters
{
    private static readonly Dictionary<string, int[]> ParameterInputs = new(StringComparer.Ordinal)
    {
        ["Conv"] = [1, 2],
        ["ConvTranspose"] = [1, 2],
        ["Gemm"] = [1, 2],
        ["BatchNormalization"] = [1, 2],
        ["InstanceNormalization"] = [1, 2],
        ["LayerNormalization"] = [1, 2],
        ["PRelu"] = [1],
    };

    private static readonly HashSet<string> ShapeOnly = new(StringComparer.Ordinal) { "Flatten", "Reshape", "Identity", "Transpose", "Squeeze", "Unsqueeze" };

    /// <summary>The parameterised layers of <paramref name="proto"/>, in graph order.</summary>
    public static IReadOnlyList<ParameterLayer> Layers(OnnxModelProto proto) => [.. LayersWithNodes(proto).Select(l => l.Layer)];

    private static List<(ParameterLayer Layer, int Node)> LayersWithNodes(OnnxModelProto proto)
    {
        var graph = proto.Graph;
        var owned = new HashSet<string>(StringComparer.Ordinal);
        var consumers = Consumers(graph);
        var layers = new List<(ParameterLayer, int)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int index = 0; index < graph.Nodes.Count; index++)
        {
            var node = graph.Nodes[index];
            var parameters = new List<string>();
            if (node.Domain.Length == 0 && ParameterInputs.TryGetValue(node.OpType, out var indices))
            {
                foreach (int i in indices) Claim(node.InputOrNull(i));
            }
            else if (node.Domain.Length == 0 && node.OpType == "MatMul")
            {
                Claim(node.InputOrNull(0));
                Claim(node.InputOrNull(1));
                if (parameters.Count > 0 && node.Outputs.Count == 1 && consumers.TryGetValue(node.Outputs[0], out var uses) && uses.Count == 1
                    && uses[0].OpType == "Add")
                    foreach (var input in uses[0].Inputs) Claim(input);
            }
            if (parameters.Count == 0) continue;
            string name = node.Name.Length > 0 ? node.Name : node.Outputs.FirstOrDefault(o => o.Length > 0) ?? $"node{layers.Count}";
            if (!names.Add(name)) { name = $"{name}#{layers.Count}"; names.Add(name); }
            layers.Add((new ParameterLayer(name, node.OpType, parameters), index));

            void Claim(string? tensor)
            {
                if (tensor is null || !graph.Initializers.TryGetValue(tensor, out var t) || t.DataType != OnnxDataType.Float
                    || t.ElementCount == 0 || !owned.Add(tensor)) return;
                parameters.Add(tensor);
            }
        }
        return layers;
    }

    /// <summary>
    /// The model's bytes with the parameters of <paramref name="layers"/> (names from <see cref="Layers"/>) re-initialised
    /// (see the class remarks), seeded by <paramref name="seed"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A name is not a parameterised layer.</exception>
    public static byte[] Randomise(OnnxModelProto proto, IReadOnlyList<string> layers, int seed)
    {
        var all = Layers(proto).ToDictionary(l => l.Name, StringComparer.Ordinal);
        var replaced = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        foreach (var name in layers)
        {
            if (!all.TryGetValue(name, out var layer))
                throw new ArgumentException($"'{name}' is not a parameterised layer of {proto.SourceName}; its layers: {string.Join(", ", all.Keys)}.", nameof(layers));
            foreach (var p in layer.Parameters)
            {
                var t = proto.Graph.Initializers[p];
                replaced[p] = OnnxTensor.FromFloats(p, t.DimsArray(), Redraw(t.ToFloats(), seed, p));
            }
        }
        return proto.WithInitializers(replaced);
    }

    /// <summary>
    /// Values drawn from N(0, σ²), σ the population standard deviation of <paramref name="original"/> (returned unchanged
    /// when σ is 0 or not finite), from the stream of (<paramref name="seed"/>, <paramref name="tensor"/>).
    /// </summary>
    public static float[] Redraw(float[] original, int seed, string tensor)
    {
        double mean = 0, sq = 0;
        foreach (var v in original) mean += v;
        mean /= Math.Max(1, original.Length);
        foreach (var v in original) sq += (v - mean) * (v - mean);
        double sigma = Math.Sqrt(sq / Math.Max(1, original.Length));
        if (!(sigma > 0) || !double.IsFinite(sigma)) return original;
        ulong h = 14695981039346656037UL;
        foreach (char c in tensor) { h ^= c; h *= 1099511628211UL; }
        var rng = new SplitMix(SplitMix.Derive(unchecked((ulong)(uint)seed), unchecked((long)h)));
        var result = new float[original.Length];
        for (int i = 0; i < result.Length; i += 2)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            double r = Math.Sqrt(-2.0 * Math.Log(u1)), theta = 2.0 * Math.PI * u2;
            result[i] = (float)(sigma * r * Math.Cos(theta));
            if (i + 1 < result.Length) result[i + 1] = (float)(sigma * r * Math.Sin(theta));
        }
        return result;
    }

    /// <summary>
    /// The model's bytes with its first parameterised layer absorbing the input shift <paramref name="shift"/> (see the
    /// class remarks): the copy's output on x + shift equals the original's on x.
    /// </summary>
    /// <exception cref="InputDataException">The first parameterised layer does not read the input directly, or is not a Conv, Gemm or MatMul(+Add).</exception>
    public static byte[] ShiftInput(OnnxModelProto proto, float shift)
    {
        var graph = proto.Graph;
        var nodes = graph.Nodes;
        var consumers = Consumers(graph);
        var all = LayersWithNodes(proto);
        if (all.Count == 0) throw new InputDataException($"{proto.SourceName}: the model has no parameterised layer to absorb an input shift.");
        var (first, index) = all[0];
        var node = nodes[index];
        string input = graph.Inputs.Count > 0 ? graph.Inputs[0].Name : "";
        string data = node.OpType == "MatMul" && graph.Initializers.ContainsKey(node.Inputs[0]) ? node.Inputs[1] : node.Inputs[0];
        if (!ReadsInput(data))
            throw new InputDataException($"{proto.SourceName}: input invariance needs the first parameterised layer ('{first.Name}', {node.OpType}) to read the input directly; it reads '{data}'.");
        var replaced = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        var added = new List<OnnxTensor>();
        var append = new Dictionary<int, string>();
        switch (node.OpType)
        {
            case "Conv":
            {
                var w = graph.Initializers[node.Inputs[1]];
                var wv = w.ToFloats();
                int outs = (int)w.Dims[0], per = wv.Length / outs;
                var sums = new double[outs];
                for (int o = 0; o < outs; o++)
                    for (int j = 0; j < per; j++) sums[o] += wv[o * per + j];
                Bias(node.InputOrNull(2), 2, [outs], sums, 1.0);
                break;
            }
            case "Gemm":
            {
                var w = graph.Initializers[node.Inputs[1]];
                var wv = w.ToFloats();
                bool transB = node.GetInt("transB") != 0;
                if (node.GetInt("transA") != 0 || w.Dims.Count != 2)
                    throw new InputDataException($"{proto.SourceName}: input invariance cannot shift Gemm '{first.Name}' with transA set.");
                int rows = (int)w.Dims[0], cols = (int)w.Dims[1];
                int outs = transB ? rows : cols;
                var sums = new double[outs];
                for (int r = 0; r < rows; r++)
                    for (int c = 0; c < cols; c++) sums[transB ? r : c] += wv[r * cols + c];
                double alpha = node.GetFloat("alpha", 1f), beta = node.GetFloat("beta", 1f);
                Bias(node.InputOrNull(2), 2, [outs], sums, alpha / beta);
                break;
            }
            case "MatMul" when node.InputOrNull(1) is { } wName && graph.Initializers.ContainsKey(wName) && graph.Initializers[wName].Dims.Count == 2:
            {
                var w = graph.Initializers[wName];
                var wv = w.ToFloats();
                int rows = (int)w.Dims[0], cols = (int)w.Dims[1];
                var sums = new double[cols];
                for (int r = 0; r < rows; r++)
                    for (int c = 0; c < cols; c++) sums[c] += wv[r * cols + c];
                var add = consumers.TryGetValue(node.Outputs[0], out var uses) && uses.Count == 1 && uses[0].OpType == "Add" ? uses[0] : null;
                string? b = add?.Inputs.FirstOrDefault(i => graph.Initializers.ContainsKey(i));
                if (b is null)
                    throw new InputDataException($"{proto.SourceName}: input invariance needs a bias after MatMul '{first.Name}' to absorb the shift.");
                Bias(b, -1, [cols], sums, 1.0);
                break;
            }
            default:
                throw new InputDataException($"{proto.SourceName}: input invariance cannot shift the first parameterised layer '{first.Name}' ({node.OpType}); a Conv, Gemm or MatMul + Add is needed.");
        }
        return proto.WithInitializers(replaced, added, append);

        void Bias(string? name, int inputIndex, long[] dims, double[] sums, double scale)
        {
            float[] b;
            if (name is not null)
            {
                var t = graph.Initializers[name];
                b = t.ToFloats();
                if (b.Length != sums.Length)
                    throw new InputDataException($"{proto.SourceName}: the bias '{name}' of '{first.Name}' has {b.Length} values for {sums.Length} outputs; input invariance cannot shift it.");
                dims = t.DimsArray();
            }
            else
            {
                b = new float[sums.Length];
                name = UniqueName(first.Name + ".shift_bias");
                if (inputIndex < 0 || node.Inputs.Count != inputIndex)
                    throw new InputDataException($"{proto.SourceName}: '{first.Name}' has no bias input to absorb the input shift.");
                append[index] = name;
            }
            var shifted = new float[b.Length];
            for (int o = 0; o < b.Length; o++) shifted[o] = (float)(b[o] - shift * scale * sums[o]);
            var tensor = OnnxTensor.FromFloats(name, dims, shifted);
            if (graph.Initializers.ContainsKey(name)) replaced[name] = tensor; else added.Add(tensor);
        }

        bool ReadsInput(string tensor)
        {
            for (int guard = 0; guard < 64; guard++)
            {
                if (tensor == input) return true;
                var p = graph.Producer(tensor);
                if (p is null || !ShapeOnly.Contains(p.OpType) || p.Inputs.Count == 0) return false;
                tensor = p.Inputs[0];
            }
            return false;
        }

        string UniqueName(string baseName)
        {
            string n = baseName;
            for (int k = 1; graph.Initializers.ContainsKey(n) || graph.Producer(n) is not null; k++) n = $"{baseName}{k}";
            return n;
        }
    }

    private static Dictionary<string, List<OnnxNode>> Consumers(OnnxGraph graph)
    {
        var consumers = new Dictionary<string, List<OnnxNode>>(StringComparer.Ordinal);
        foreach (var n in graph.Nodes)
            foreach (var i in n.Inputs)
                if (i.Length > 0)
                {
                    if (!consumers.TryGetValue(i, out var list)) consumers[i] = list = [];
                    if (!list.Contains(n)) list.Add(n);
                }
        return consumers;
    }
}
