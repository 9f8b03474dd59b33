namespace Sightline.Models;

/// <summary>Memory layout of a model's image input.</summary>
public enum InputLayout
{
    /// <summary>N×C×H×W (PyTorch, most ONNX exports).</summary>
    Nchw,
    /// <summary>N×H×W×C (TensorFlow/Keras exports).</summary>
    Nhwc,
}

/// <summary>
/// Presents a model whose input is N×H×W×C as an N×C×H×W one, so that datasets, explainers and maps all work in C×H×W:
/// inputs are transposed to H×W×C before each call and input gradients transposed back. Layer activations are the
/// model's own and pass through unchanged.
/// </summary>
public class NhwcModel : IModel
{
    private readonly IModel _inner;

    /// <summary>Wraps <paramref name="inner"/>, whose <see cref="IModel.InputShape"/> is [H, W, C].</summary>
    protected NhwcModel(IModel inner)
    {
        _inner = inner;
        var s = inner.InputShape;
        if (s.Count != 3) throw new ArgumentException($"Model '{inner.Name}' has a {s.Count}-axis input; H×W×C expected.", nameof(inner));
        InputShape = [s[2], s[0], s[1]];
    }

    /// <summary>
    /// The layout of <paramref name="shape"/> (a per-sample input shape as the model declares it): N×H×W×C when the last
    /// axis is 1 or 3 and the first is neither, else N×C×H×W.
    /// </summary>
    public static InputLayout Detect(IReadOnlyList<int> shape) =>
        shape.Count == 3 && shape[2] is 1 or 3 && shape[0] is not (1 or 3) ? InputLayout.Nhwc : InputLayout.Nchw;

    /// <summary>
    /// <paramref name="model"/> as an N×C×H×W model: itself for <see cref="InputLayout.Nchw"/>, wrapped for
    /// <see cref="InputLayout.Nhwc"/> (keeping gradient support when the model has it).
    /// </summary>
    public static IModel Wrap(IModel model, InputLayout layout) => layout switch
    {
        InputLayout.Nchw => model,
        _ when model is IGradientModel g => new NhwcGradientModel(g),
        _ => new NhwcModel(model),
    };

    /// <summary>The wrapped model.</summary>
    protected IModel Inner => _inner;

    /// <inheritdoc/>
    public string Name => _inner.Name;

    /// <summary>Per-sample input shape [C, H, W].</summary>
    public IReadOnlyList<int> InputShape { get; }

    /// <inheritdoc/>
    public int OutputCount => _inner.OutputCount;

    /// <inheritdoc/>
    public void Forward(ReadOnlySpan<float> inputs, int batch, Span<float> logits) => _inner.Forward(ToNhwc(inputs, batch), batch, logits);

    /// <summary>Copies batch·C·H·W values into batch·H·W·C order.</summary>
    protected float[] ToNhwc(ReadOnlySpan<float> chw, int batch)
    {
        int c = InputShape[0], hw = InputShape[1] * InputShape[2];
        var hwc = new float[chw.Length];
        for (int n = 0; n < batch; n++)
        {
            int o = n * c * hw;
            for (int ch = 0; ch < c; ch++)
                for (int p = 0; p < hw; p++) hwc[o + p * c + ch] = chw[o + ch * hw + p];
        }
        return hwc;
    }

    /// <summary>Copies batch·H·W·C values into batch·C·H·W order.</summary>
    protected void ToNchw(ReadOnlySpan<float> hwc, int batch, Span<float> chw)
    {
        int c = InputShape[0], hw = InputShape[1] * InputShape[2];
        for (int n = 0; n < batch; n++)
        {
            int o = n * c * hw;
            for (int ch = 0; ch < c; ch++)
                for (int p = 0; p < hw; p++) chw[o + ch * hw + p] = hwc[o + p * c + ch];
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _inner.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>An <see cref="NhwcModel"/> over a model with gradients: input gradients are transposed back to C×H×W.</summary>
public sealed class NhwcGradientModel : NhwcModel, IGradientModel
{
    private readonly IGradientModel _gradients;

    /// <summary>Wraps <paramref name="inner"/>, whose input is H×W×C.</summary>
    public NhwcGradientModel(IGradientModel inner) : base(inner) => _gradients = inner;

    /// <inheritdoc/>
    public IReadOnlyList<LayerInfo> Layers => _gradients.Layers;

    /// <inheritdoc/>
    public void InputGradients(ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> gradients, Span<float> logits)
    {
        var g = new float[gradients.Length];
        _gradients.InputGradients(ToNhwc(inputs, batch), batch, targets, g, logits);
        ToNchw(g, batch, gradients);
    }

    /// <inheritdoc/>
    public void LayerActivations(string layer, ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> activations, Span<float> gradients, Span<float> logits) =>
        _gradients.LayerActivations(layer, ToNhwc(inputs, batch), batch, targets, activations, gradients, logits);

    /// <inheritdoc/>
    public void ForwardWithLayer(string layer, ReadOnlySpan<float> inputs, ReadOnlySpan<float> activations, int batch, Span<float> logits) =>
        _gradients.ForwardWithLayer(layer, ToNhwc(inputs, batch), activations, batch, logits);

    /// <inheritdoc/>
    public IReadOnlyList<int> LayerShape(string layer) => _gradients.LayerShape(layer);
}
