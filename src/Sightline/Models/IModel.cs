namespace Sightline.Models;

/// <summary>A named intermediate tensor of a model (an ONNX node output), with its per-sample shape.</summary>
/// <param name="Name">ONNX node output name (or module path for native modules).</param>
/// <param name="Shape">Shape without the batch axis, e.g. [C, h, w]; -1 marks an axis unknown until run.</param>
/// <param name="Operator">The producing operator type (Conv, Relu, ...), when known.</param>
public sealed record LayerInfo(string Name, IReadOnlyList<int> Shape, string Operator = "");

/// <summary>What the ONNX file's first output was, before the back end exposed logits.</summary>
public enum ModelOutputKind
{
    /// <summary>The file's output is already the logits.</summary>
    Logits,
    /// <summary>The file ended in Softmax over the classes; the back end exposes its input (the logits) instead.</summary>
    Softmax,
    /// <summary>The file ended in LogSoftmax over the classes; the back end exposes its input (the logits) instead.</summary>
    LogSoftmax,
}

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

    /// <summary>
    /// What the file's first output was. ONNX back ends strip a final Softmax/LogSoftmax over the classes (typical of
    /// TensorFlow and ML.NET exports) and return its input, so <see cref="Forward"/> always gives logits z: callers apply
    /// softmax once (p = softmax(z), the file's own output), and gradient methods differentiate the logit z_t as
    /// pytorch-grad-cam and Captum do on a PyTorch classifier, not the probability.
    /// </summary>
    ModelOutputKind OutputKind => ModelOutputKind.Logits;
}

/// <summary>
/// A model that exposes intermediate activations by forward passes alone (no autograd): Eigen-CAM and Score-CAM need only
/// this, so ONNX Runtime can serve them (it reads any node output by editing the graph's outputs).
/// </summary>
public interface IActivationModel : IModel
{
    /// <summary>Candidate layers (node outputs) with their per-sample shapes, in graph order.</summary>
    IReadOnlyList<LayerInfo> Layers { get; }

    /// <summary>The per-sample shape of a layer's output for this model's input shape.</summary>
    IReadOnlyList<int> LayerShape(string layer);

    /// <summary>Writes the activations of <paramref name="layer"/> (batch·∏shape) and the logits (batch·K) of one forward pass.</summary>
    void LayerActivations(string layer, ReadOnlySpan<float> inputs, int batch, Span<float> activations, Span<float> logits);
}

/// <summary>
/// A model that also gives gradients and intermediate activations (autograd). "Target" is the index of the output
/// whose value is differentiated, one per sample; the gradient of Σ_i y_i[target_i] is taken so samples stay independent.
/// </summary>
public interface IGradientModel : IActivationModel
{
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

    /// <inheritdoc/>
    void IActivationModel.LayerActivations(string layer, ReadOnlySpan<float> inputs, int batch, Span<float> activations, Span<float> logits) =>
        LayerActivations(layer, inputs, batch, new int[batch], activations, Span<float>.Empty, logits);
}
