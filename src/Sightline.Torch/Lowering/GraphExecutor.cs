using System.Runtime.InteropServices;
using Sightline.Torch.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Sightline.Torch.Lowering;

/// <summary>
/// Executes an ONNX graph node by node on TorchSharp tensors, in topological order, keeping a name → tensor
/// environment. Constants (initializers and Constant nodes) are converted once and live as long as the executor.
/// A run can observe every produced value and replace any node output (a "cut") by another tensor; nodes whose results
/// cannot reach the requested outputs through the cut are skipped. Intermediate handles are disposed after their last
/// use; autograd keeps what it saved through its own references.
/// </summary>
internal sealed class GraphExecutor : IDisposable
{
    readonly GraphData graph;
    readonly GraphNode[] order;
    readonly Dictionary<string, Tensor> constants = new(StringComparer.Ordinal);
    readonly Dictionary<string, GraphNode> producers = new(StringComparer.Ordinal);

    /// <summary>Prepares <paramref name="graph"/>: checks every operator, sorts the nodes, converts the constants.</summary>
    /// <exception cref="InputDataException">An operator is not supported, or the graph has no single image input.</exception>
    public GraphExecutor(GraphData graph)
    {
        this.graph = graph;
        foreach (var node in graph.Nodes)
            if (!OnnxOperators.IsSupported(node))
                throw new InputDataException($"Operator '{(node.Domain is "" or "ai.onnx" ? "" : node.Domain + ".")}{node.OpType}' (node '{(node.Name.Length > 0 ? node.Name : string.Join(",", node.Outputs))}') in '{graph.Path}' is not supported by the TorchSharp back end.");
        var inputs = graph.Inputs.Where(i => !graph.Initializers.ContainsKey(i.Name)).ToList();
        if (inputs.Count != 1)
            throw new InputDataException($"'{graph.Path}' has {inputs.Count} non-constant inputs ({string.Join(", ", inputs.Select(i => i.Name))}); the TorchSharp back end needs exactly one image input.");
        Input = inputs[0];
        if (graph.Outputs.Count == 0) throw new InputDataException($"'{graph.Path}' declares no graph output.");
        Output = graph.Outputs[0].Name;
        order = TopologicalOrder(graph);
        foreach (var node in order)
            foreach (var o in node.Outputs)
                if (o.Length > 0) producers[o] = node;

        using var scope = NewDisposeScope();
        foreach (var (name, t) in graph.Initializers)
            constants[name] = OnnxOperators.FromGraphTensor(t).DetachFromDisposeScope();
        foreach (var node in order.Where(n => n.OpType == "Constant"))
            constants[node.Outputs[0]] = OnnxOperators.Constant(new OpContext(node, graph.Opset, graph.Path, [])).DetachFromDisposeScope();
    }

    /// <summary>The image input.</summary>
    public GraphValue Input { get; }

    /// <summary>The name of the tensor a run returns (the logits): the first graph output unless <see cref="UseOutput"/> named another.</summary>
    public string Output { get; private set; }

    /// <summary>Makes runs return node output <paramref name="name"/> instead (the input of a stripped final Softmax).</summary>
    public void UseOutput(string name) =>
        Output = producers.ContainsKey(name) ? name : throw new InputDataException($"'{graph.Path}': no node produces '{name}'.");

    /// <summary>The file the graph came from.</summary>
    public string Path => graph.Path;

    /// <summary>Nodes in execution order.</summary>
    public IReadOnlyList<GraphNode> Nodes => order;

    /// <summary>The node producing <paramref name="name"/>, if any.</summary>
    public GraphNode? Producer(string name) => producers.GetValueOrDefault(name);

    /// <summary>True when <paramref name="name"/> is a constant (initializer or Constant node output).</summary>
    public bool IsConstant(string name) => constants.ContainsKey(name);

    /// <summary>
    /// Runs the graph on <paramref name="input"/>. <paramref name="cut"/> names a node output whose value is replaced by
    /// <paramref name="replace"/>(computed value, or null when <paramref name="skipUpstream"/> let the producer be skipped);
    /// <paramref name="observe"/> sees every value as it is produced (after replacement) together with whether it
    /// depends on the input. Returns the output tensor and the tensors named in <paramref name="keep"/>.
    /// </summary>
    public (Tensor Output, Dictionary<string, Tensor> Kept) Run(
        Tensor input,
        string? cut = null,
        Func<Tensor?, Tensor>? replace = null,
        bool skipUpstream = false,
        Action<string, GraphNode, Tensor, bool>? observe = null,
        IReadOnlyCollection<string>? keep = null)
    {
        keep ??= [];
        if (replace is null) cut = null;
        skipUpstream &= cut is not null;
        var needed = Needed(skipUpstream ? cut : null);
        var lastUse = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < order.Length; i++)
            if (needed[i])
                foreach (var name in order[i].Inputs)
                    if (name.Length > 0) lastUse[name] = i;

        var env = new Dictionary<string, Tensor>(StringComparer.Ordinal) { [Input.Name] = input };
        var dependent = new HashSet<string>(StringComparer.Ordinal) { Input.Name };
        var kept = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        if (cut == Input.Name) env[Input.Name] = replace!(input);
        for (int i = 0; i < order.Length; i++)
        {
            if (!needed[i]) continue;
            var node = order[i];
            Tensor[] results;
            bool fromInput = node.Inputs.Any(dependent.Contains);
            if (node.OpType == "Constant") results = [constants[node.Outputs[0]]];
            else if (skipUpstream && node.Outputs.Count == 1 && node.Outputs[0] == cut)
                results = [replace!(null)];
            else
            {
                var args = new Tensor?[node.Inputs.Count];
                for (int k = 0; k < args.Length; k++)
                {
                    var name = node.Inputs[k];
                    if (name.Length == 0) continue;
                    if (env.TryGetValue(name, out var t) || constants.TryGetValue(name, out t)) args[k] = t;
                    else throw new InputDataException($"Node {node.Describe()} of '{graph.Path}' reads '{name}', which no node, initializer or input provides.");
                }
                try
                {
                    results = OnnxOperators.Run(new OpContext(node, graph.Opset, graph.Path, args));
                }
                catch (Exception e) when (e is not InputDataException && e is ExternalException or ArgumentException or InvalidOperationException or IndexOutOfRangeException)
                {
                    throw new InputDataException($"Node {node.Describe()} of '{graph.Path}' failed on inputs of shapes {string.Join(", ", args.Select(a => a is null ? "-" : "(" + string.Join(",", a.shape) + ")"))}: {LibTorchMessages.FirstMeaningfulLine(e.Message)}", e);
                }
                for (int k = 0; k < results.Length; k++)
                    if (args.Any(a => ReferenceEquals(a, results[k]))) results[k] = results[k].alias();
                if (cut is not null)
                    for (int k = 0; k < node.Outputs.Count && k < results.Length; k++)
                        if (node.Outputs[k] == cut) results[k] = replace!(results[k]);
            }
            for (int k = 0; k < node.Outputs.Count && k < results.Length; k++)
            {
                var name = node.Outputs[k];
                if (name.Length == 0) continue;
                env[name] = results[k];
                if (fromInput || name == cut) dependent.Add(name);
                observe?.Invoke(name, node, results[k], dependent.Contains(name));
                if (keep.Contains(name)) kept[name] = results[k];
            }
            // Free handles whose last reader has run (never constants, the input, the cut, kept values or the output).
            foreach (var name in node.Inputs)
                if (name.Length > 0 && lastUse.TryGetValue(name, out var last) && last == i && name != Output && name != cut && !keep.Contains(name)
                    && name != Input.Name && !constants.ContainsKey(name) && env.Remove(name, out var done))
                    done.Dispose();
        }
        if (!env.TryGetValue(Output, out var output))
            output = constants.TryGetValue(Output, out var c) ? c : throw new InputDataException($"'{graph.Path}': no node produces the graph output '{Output}'.");
        return (output, kept);
    }

    /// <summary>Which nodes must run to compute the output when <paramref name="cut"/> is supplied from outside.</summary>
    bool[] Needed(string? cut)
    {
        var needed = new bool[order.Length];
        var wanted = new HashSet<string>(StringComparer.Ordinal) { Output };
        for (int i = order.Length - 1; i >= 0; i--)
        {
            var node = order[i];
            if (!node.Outputs.Any(wanted.Contains)) continue;
            needed[i] = true;
            // A single-output node producing the cut need not run: its value comes from outside.
            if (cut is not null && node.Outputs.Count == 1 && node.Outputs[0] == cut) continue;
            foreach (var name in node.Inputs)
                if (name.Length > 0) wanted.Add(name);
        }
        return needed;
    }

    static GraphNode[] TopologicalOrder(GraphData graph)
    {
        var available = new HashSet<string>(graph.Initializers.Keys, StringComparer.Ordinal) { "" };
        foreach (var i in graph.Inputs) available.Add(i.Name);
        var pending = graph.Nodes.ToList();
        var result = new List<GraphNode>(pending.Count);
        while (pending.Count > 0)
        {
            int before = result.Count;
            var next = new List<GraphNode>();
            foreach (var node in pending)
            {
                if (node.Inputs.All(available.Contains))
                {
                    result.Add(node);
                    foreach (var o in node.Outputs) available.Add(o);
                }
                else next.Add(node);
            }
            if (result.Count == before)
            {
                var stuck = next[0];
                var missing = stuck.Inputs.First(n => !available.Contains(n));
                throw new InputDataException($"Node {stuck.Describe()} of '{graph.Path}' reads '{missing}', which no node, initializer or input provides (or the graph has a cycle).");
            }
            pending = next;
        }
        return [.. result];
    }

    public void Dispose()
    {
        foreach (var t in constants.Values) t.Dispose();
        constants.Clear();
    }
}
