namespace Sightline.Models;

/// <summary>A named intermediate tensor of a model (an ONNX node output), with its per-sample shape.</summary>
/// <param name="Name">ONNX node output name (or module path for native modules).</param>
/// <param name="Shape">Shape without the batch axis, e.g. [C, h, w]; -1 marks an axis unknown until run.</param>
/// <param name="Operator">The producing operator type (Conv, Relu, ...), when known.</param>
public sealed record LayerInfo(string Name, IReadOnlyList<int> Shape, string Operator = "");

/// <summary>
/// A batched image classifier: <c>N×C×H×W → N×K</c> logits. Tensors are float32, row-major (NCHW), in spans the
/// caller owns. Implementations: ONNX Runtime (fast, black-box), an ONNX graph lowered onto TorchSharp (gradients and
/// any node's activations), native TorchSharp modules. Metrics and explainers talk to models only through this
/// interface and <see cref="IGradientModel"/>, so back ends are interchangeable.
/// </summary>
public interface IModel : IDisposable
{
    /// <summary>A display name (file name or module name).</summary>
    string Name { get; }

    /// <summary>Per-sample input shape [C, H, W].</summary>
    IReadOnlyList<int> InputShape { get; }

    /// <summary>Number of outputs K per sample.</summary>
    int OutputCount { get; }

    /// <summary>Runs the model on <paramref name="batch"/> samples (<paramref name="inputs"/> holds batch·C·H·W values) and writes batch·K logits.</summary>
    void Forward(ReadOnlySpan<float> inputs, int batch, Span<float> logits);
}

/// <summary>
/// A model that also gives gradients and intermediate activations (autograd). "Target" is the index of the output
/// whose value is differentiated, one per sample; the gradient of Σ_i y_i[target_i] is taken so samples stay independent.
/// </summary>
public interface IGradientModel : IModel
{
    /// <summary>Candidate layers (node outputs) with their per-sample shapes, in graph order.</summary>
    IReadOnlyList<LayerInfo> Layers { get; }

    /// <summary>Writes ∂y[target]/∂x (batch·C·H·W) and the logits (batch·K).</summary>
    void InputGradients(ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> gradients, Span<float> logits);

    /// <summary>
    /// Writes the activations A of <paramref name="layer"/> (batch·∏shape) and, when <paramref name="gradients"/> is not
    /// empty, ∂y[target]/∂A; also the logits.
    /// </summary>
    void LayerActivations(string layer, ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> activations, Span<float> gradients, Span<float> logits);

    /// <summary>
    /// Runs the model with the output of <paramref name="layer"/> replaced by <paramref name="activations"/> (batch·∏shape),
    /// writing the logits (Ablation-CAM re-evaluates the head on edited activations this way).
    /// </summary>
    void ForwardWithLayer(string layer, ReadOnlySpan<float> inputs, ReadOnlySpan<float> activations, int batch, Span<float> logits);

    /// <summary>The per-sample shape of a layer's output for this model's input shape.</summary>
    IReadOnlyList<int> LayerShape(string layer);
}
