using Sightline.Models;
using Sightline.Torch.Lowering;
using Sightline.Torch.Models;
using Sightline.Torch.Native;
using Sightline.Torch.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Sightline.Torch;

/// <summary>
/// An ONNX image classifier lowered onto TorchSharp: the graph runs node by node on libtorch tensors (float32, CPU),
/// so autograd gives input gradients and the activations and gradients of any node output, for any ONNX model whose
/// operators are supported. The batch axis is dynamic. Calls are serialised (libtorch parallelises inside each
/// operator with <see cref="Environment.ProcessorCount"/> threads); each call runs in its own dispose scope, so long
/// runs do not accumulate native memory.
/// </summary>
/// <remarks>
/// Layers are the float node outputs that depend on the input and carry the batch on axis 0, found by running one
/// all-zero sample when they are first asked for (or at load time when the output shape is not declared). <see cref="ForwardWithLayer"/> skips every node whose result cannot reach the logits
/// except through the replaced layer.
/// </remarks>
public sealed class OnnxTorchModel : IGradientModel
{
    readonly Lock gate = new();
    readonly GraphExecutor executor;
    readonly int[] inputShape;
    readonly List<LayerInfo> layers = [];
    readonly Dictionary<string, LayerInfo> layerByName = new(StringComparer.Ordinal);
    bool disposed;
    bool probed;

    /// <summary>Loads <paramref name="path"/> and checks that every operator is supported.</summary>
    /// <param name="path">The .onnx file.</param>
    /// <param name="inputShape">Per-sample input shape [C, H, W]; needed only when the file leaves an axis symbolic.</param>
    /// <exception cref="InputDataException">The file is unreadable, uses an unsupported operator, or has no fixed input shape.</exception>
    public OnnxTorchModel(string path, IReadOnlyList<int>? inputShape = null)
    {
        TorchRuntime.EnsureInitialized();
        torch.set_num_threads(Environment.ProcessorCount);
        LibTorchContext.ApplyDefaults();
        var graph = OnnxGraphAdapter.Load(path);
        executor = new GraphExecutor(graph);
        Name = System.IO.Path.GetFileName(path);
        Path = path;
        var dims = executor.Input.Dims;
        if (inputShape is not null) this.inputShape = [.. inputShape];
        else if (dims is { Length: >= 2 } && dims.Skip(1).All(d => d > 0)) this.inputShape = [.. dims.Skip(1).Select(d => (int)d)];
        else
            throw new InputDataException($"The input '{executor.Input.Name}' of '{path}' has shape ({(dims is null ? "unknown" : string.Join(", ", dims.Select(d => d < 0 ? "?" : d.ToString())))}); give the per-sample input shape (C, H, W) explicitly.");
        // The output size comes from the declared output shape when it is static; otherwise from a probe run, which
        // also finds the layers (deferred otherwise: it costs one forward pass, and plain forward/gradient use needs none).
        var outputDims = graph.Outputs[0].Dims;
        if (outputDims is { Length: >= 1 } && outputDims.Skip(1).All(d => d > 0)) OutputCount = (int)outputDims.Skip(1).Aggregate(1L, (a, b) => a * b);
        else EnsureProbed();
    }

    /// <summary>Loads an ONNX model (same as the constructor).</summary>
    public static OnnxTorchModel Load(string path, IReadOnlyList<int>? inputShape = null) => new(path, inputShape);

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>The file the model came from.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    public IReadOnlyList<int> InputShape => inputShape;

    /// <inheritdoc/>
    public int OutputCount { get; private set; }

    /// <inheritdoc/>
    public IReadOnlyList<LayerInfo> Layers
    {
        get
        {
            EnsureProbed();
            return layers;
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<int> LayerShape(string layer) => Layer(layer).Shape;

    /// <inheritdoc/>
    public void Forward(ReadOnlySpan<float> inputs, int batch, Span<float> logits)
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var x = TensorSpans.FromSpan(inputs, batch, inputShape, "inputs");
            var (y, _) = executor.Run(x);
            TensorSpans.CopyTo(y, logits, $"The logits of '{Name}'");
        }
    }

    /// <inheritdoc/>
    public void InputGradients(ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> gradients, Span<float> logits)
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            using var scope = NewDisposeScope();
            using var grad = enable_grad();
            var x = TensorSpans.FromSpan(inputs, batch, inputShape, "inputs").requires_grad_(true);
            var (y, _) = executor.Run(x);
            var selected = TensorSpans.SelectTargets(y, targets, batch, OutputCount);
            var g = autograd.grad([selected], [x], allow_unused: true)[0];
            TensorSpans.CopyTo(y, logits, $"The logits of '{Name}'");
            if (g is null || g.IsInvalid) gradients.Clear();
            else TensorSpans.CopyTo(g, gradients, "The input gradient");
        }
    }

    /// <inheritdoc/>
    public void LayerActivations(string layer, ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> activations, Span<float> gradients, Span<float> logits)
    {
        var info = Layer(layer);
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            using var scope = NewDisposeScope();
            var x = TensorSpans.FromSpan(inputs, batch, inputShape, "inputs");
            if (gradients.IsEmpty)
            {
                using var noGrad = no_grad();
                var (y, kept) = executor.Run(x, keep: [layer]);
                TensorSpans.CopyTo(y, logits, $"The logits of '{Name}'");
                TensorSpans.CopyTo(kept[layer], activations, $"Layer '{layer}'");
                return;
            }
            using var grad = enable_grad();
            // The layer's value becomes a leaf: its gradient is then exactly ∂y/∂A, and nothing upstream is recorded.
            Tensor? leaf = null;
            var (logitsTensor, _) = executor.Run(x, cut: layer, replace: value => leaf = value!.detach().requires_grad_(true));
            var selected = TensorSpans.SelectTargets(logitsTensor, targets, batch, OutputCount);
            var g = autograd.grad([selected], [leaf!], allow_unused: true)[0];
            TensorSpans.CopyTo(logitsTensor, logits, $"The logits of '{Name}'");
            TensorSpans.CopyTo(leaf!, activations, $"Layer '{layer}'");
            if (g is null || g.IsInvalid) gradients.Clear();
            else TensorSpans.CopyTo(g, gradients, $"The gradient of layer '{layer}'");
        }
    }

    /// <inheritdoc/>
    public void ForwardWithLayer(string layer, ReadOnlySpan<float> inputs, ReadOnlySpan<float> activations, int batch, Span<float> logits)
    {
        var info = Layer(layer);
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var x = TensorSpans.FromSpan(inputs, batch, inputShape, "inputs");
            var values = TensorSpans.FromSpan(activations, batch, info.Shape, $"The activations of layer '{layer}'");
            var (y, _) = executor.Run(x, cut: layer, replace: _ => values, skipUpstream: true);
            TensorSpans.CopyTo(y, logits, $"The logits of '{Name}'");
        }
    }

    LayerInfo Layer(string layer)
    {
        EnsureProbed();
        return layerByName.TryGetValue(layer, out var info) ? info : throw TensorSpans.UnknownLayer(layer, Name, layers);
    }

    /// <summary>Runs one zero sample (once) to learn the output size and every layer's per-sample shape.</summary>
    void EnsureProbed()
    {
        lock (gate)
        {
            if (probed) return;
            ObjectDisposedException.ThrowIf(disposed, this);
            Probe();
            probed = true;
        }
    }

    void Probe()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = zeros([1L, .. inputShape.Select(d => (long)d)], ScalarType.Float32);
        var (y, _) = executor.Run(x, observe: (name, node, value, fromInput) =>
        {
            if (!fromInput || value.dtype != ScalarType.Float32 || value.dim() < 1 || value.shape[0] != 1 || layerByName.ContainsKey(name)) return;
            var info = new LayerInfo(name, [.. value.shape.Skip(1).Select(d => (int)d)], node.OpType);
            layers.Add(info);
            layerByName[name] = info;
        });
        if (y.numel() < 1 || (y.dim() > 0 && y.shape[0] != 1))
            throw new InputDataException($"The output '{executor.Output}' of '{Path}' has shape ({string.Join(", ", y.shape)}) for one sample; a classifier's first output must be N×K logits.");
        if (OutputCount != 0 && OutputCount != (int)y.numel())
            throw new InputDataException($"'{Path}' declares {OutputCount} outputs per sample for '{executor.Output}' but computes {y.numel()}.");
        OutputCount = (int)y.numel();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
            executor.Dispose();
        }
    }
}
