using Sightline.Models;
using Sightline.Torch.Models;
using Sightline.Torch.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Sightline.Torch;

/// <summary>
/// An in-process TorchSharp module as a model: <c>N×C×H×W → N×K</c> logits, input gradients by autograd, and the
/// activations and gradients of any submodule (named by its module path, e.g. <c>features.3</c>), taken with forward
/// hooks through <c>module.call</c>. For a layer's gradient the hook hands the rest of the network a fresh leaf tensor
/// holding the layer's output, so ∂y/∂A is that leaf's gradient; <see cref="ForwardWithLayer"/> hands it the given
/// values instead. The module is put in evaluation mode; calls are serialised. A submodule instance that runs more
/// than once per forward pass (one ReLU object reused) is a layer only at its last call.
/// </summary>
public sealed class TorchModuleModel : IGradientModel
{
    readonly Lock gate = new();
    readonly nn.Module<Tensor, Tensor> module;
    readonly int[] inputShape;
    readonly List<LayerInfo> layers = [];
    readonly Dictionary<string, (LayerInfo Info, nn.Module<Tensor, Tensor> Module)> byName = new(StringComparer.Ordinal);
    readonly bool ownsModule;

    /// <summary>Wraps <paramref name="module"/> (float32 parameters on the CPU).</summary>
    /// <param name="module">The network; its submodules become the layers.</param>
    /// <param name="inputShape">Per-sample input shape [C, H, W].</param>
    /// <param name="name">A display name.</param>
    /// <param name="ownsModule">Dispose the module with the model.</param>
    public TorchModuleModel(nn.Module<Tensor, Tensor> module, IReadOnlyList<int> inputShape, string name = "module", bool ownsModule = false)
    {
        TorchRuntime.EnsureInitialized();
        LibTorchContext.ApplyDefaults();
        this.module = module;
        this.inputShape = [.. inputShape];
        this.ownsModule = ownsModule;
        Name = name;
        module.eval();
        Probe();
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>The wrapped module.</summary>
    public nn.Module<Tensor, Tensor> Module => module;

    /// <inheritdoc/>
    public IReadOnlyList<int> InputShape => inputShape;

    /// <inheritdoc/>
    public int OutputCount { get; private set; }

    /// <inheritdoc/>
    public IReadOnlyList<LayerInfo> Layers => layers;

    /// <inheritdoc/>
    public IReadOnlyList<int> LayerShape(string layer) => Layer(layer).Info.Shape;

    /// <inheritdoc/>
    public void Forward(ReadOnlySpan<float> inputs, int batch, Span<float> logits)
    {
        lock (gate)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var y = module.call(TensorSpans.FromSpan(inputs, batch, inputShape, "inputs"));
            TensorSpans.CopyTo(y, logits, $"The logits of '{Name}'");
        }
    }

    /// <inheritdoc/>
    public void InputGradients(ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> gradients, Span<float> logits)
    {
        lock (gate)
        {
            using var scope = NewDisposeScope();
            using var grad = enable_grad();
            var x = TensorSpans.FromSpan(inputs, batch, inputShape, "inputs").requires_grad_(true);
            var y = module.call(x);
            var g = autograd.grad([TensorSpans.SelectTargets(y, targets, batch, OutputCount)], [x], allow_unused: true)[0];
            TensorSpans.CopyTo(y, logits, $"The logits of '{Name}'");
            if (g is null || g.IsInvalid) gradients.Clear();
            else TensorSpans.CopyTo(g, gradients, "The input gradient");
        }
    }

    /// <inheritdoc/>
    public void LayerActivations(string layer, ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> activations, Span<float> gradients, Span<float> logits)
    {
        var (_, sub) = Layer(layer);
        lock (gate)
        {
            using var scope = NewDisposeScope();
            bool wantGradients = !gradients.IsEmpty;
            using var grad = enable_grad(wantGradients);
            Tensor? leaf = null;
            // Sequential disposes what a child returns once the next child has used it, so the hook keeps its own handle
            // (the leaf) and passes on an alias of it.
            var handle = sub.register_forward_hook((_, _, output) =>
            {
                leaf = output.detach();
                if (wantGradients) leaf.requires_grad_(true);
                return leaf.alias();
            });
            Tensor y;
            try
            {
                y = module.call(TensorSpans.FromSpan(inputs, batch, inputShape, "inputs"));
            }
            finally
            {
                handle.remove();
            }
            if (leaf is null) throw new InvalidOperationException($"Module '{layer}' did not run during the forward pass of '{Name}'.");
            TensorSpans.CopyTo(y, logits, $"The logits of '{Name}'");
            TensorSpans.CopyTo(leaf, activations, $"Layer '{layer}'");
            if (!wantGradients) return;
            var g = autograd.grad([TensorSpans.SelectTargets(y, targets, batch, OutputCount)], [leaf], allow_unused: true)[0];
            if (g is null || g.IsInvalid) gradients.Clear();
            else TensorSpans.CopyTo(g, gradients, $"The gradient of layer '{layer}'");
        }
    }

    /// <inheritdoc/>
    public void ForwardWithLayer(string layer, ReadOnlySpan<float> inputs, ReadOnlySpan<float> activations, int batch, Span<float> logits)
    {
        var (info, sub) = Layer(layer);
        lock (gate)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var values = TensorSpans.FromSpan(activations, batch, info.Shape, $"The activations of layer '{layer}'");
            var handle = sub.register_forward_hook((_, _, _) => values.alias());
            Tensor y;
            try
            {
                y = module.call(TensorSpans.FromSpan(inputs, batch, inputShape, "inputs"));
            }
            finally
            {
                handle.remove();
            }
            TensorSpans.CopyTo(y, logits, $"The logits of '{Name}'");
        }
    }

    (LayerInfo Info, nn.Module<Tensor, Tensor> Module) Layer(string layer) =>
        byName.TryGetValue(layer, out var entry) ? entry : throw TensorSpans.UnknownLayer(layer, Name, layers);

    /// <summary>Runs one zero sample with a hook on every submodule to learn the output size and the layer shapes.</summary>
    void Probe()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var seen = new List<(string Name, nn.Module<Tensor, Tensor> Module, long[] Shape)>();
        var handles = new List<Action>();
        try
        {
            foreach (var (path, sub) in module.named_modules())
            {
                if (path.Length == 0 || sub is not nn.Module<Tensor, Tensor> typed) continue;
                var handle = typed.register_forward_hook((_, _, output) =>
                {
                    seen.Add((path, typed, output.shape));
                    return output;
                });
                handles.Add(handle.remove);
            }
            var y = module.call(zeros([1L, .. inputShape.Select(d => (long)d)], ScalarType.Float32));
            OutputCount = (int)y.numel();
        }
        finally
        {
            foreach (var remove in handles) remove();
        }
        // Hooks fire in completion order (a container after its children); list layers in the order modules start,
        // which named_modules gives.
        var order = module.named_modules().Select((m, i) => (m.name, i)).ToDictionary(p => p.name, p => p.i);
        foreach (var (path, sub, shape) in seen.OrderBy(s => order[s.Name]))
        {
            if (byName.ContainsKey(path) || shape.Length < 1 || shape[0] != 1) continue;
            var info = new LayerInfo(path, [.. shape.Skip(1).Select(d => (int)d)], sub.GetType().Name);
            layers.Add(info);
            byName[path] = (info, sub);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (ownsModule) module.Dispose();
    }
}
