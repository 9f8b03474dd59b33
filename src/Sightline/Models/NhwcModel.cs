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
/// inputs are transposed to H×W×C before each call and input gradients transposed back. <see cref="Wrap"/> keeps every
/// capability of the wrapped model (<see cref="IActivationModel"/>, <see cref="IGradientModel"/>,
/// <see cref="IModel.OutputKind"/>): a decorator that dropped one would make a method refuse a back end that serves it.
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
    /// <paramref name="model"/> as an N×C×H×W model: itself for <see cref="InputLayout.Nchw"/>; for
    /// <see cref="InputLayout.Nhwc"/> a wrapper that implements every model interface <paramref name="model"/> implements
    /// (gradients, layer activations and gradients, layer replacement) and reports its <see cref="IModel.OutputKind"/>.
    /// </summary>
    public static IModel Wrap(IModel model, InputLayout layout) => layout switch
    {
        InputLayout.Nchw => model,
        _ when model is IGradientModel g && model is IRandomisableModel r => new NhwcRandomisableGradientModel(g, r),
        _ when model is IActivationModel a && model is IRandomisableModel r => new NhwcRandomisableActivationModel(a, r),
        _ when model is IGradientModel g => new NhwcGradientModel(g),
        _ when model is IActivationModel a => new NhwcActivationModel(a),
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
    public ModelOutputKind OutputKind => _inner.OutputKind;

    /// <inheritdoc/>
    public void Forward(ReadOnlySpan<float> inputs, int batch, Span<float> logits) => _inner.Forward(ToNhwc(inputs, batch), batch, logits);

    /// <summary>Copies batch·C·H·W values into batch·H·W·C order.</summary>
    protected float[] ToNhwc(ReadOnlySpan<float> chw, int batch)
    {
        var hwc = new float[chw.Length];
        ToChannelsLast(chw, batch, InputShape[0], InputShape[1] * InputShape[2], hwc);
        return hwc;
    }

    /// <summary>Copies batch·H·W·C values into batch·C·H·W order.</summary>
    protected void ToNchw(ReadOnlySpan<float> hwc, int batch, Span<float> chw) =>
        ToChannelsFirst(hwc, batch, InputShape[0], InputShape[1] * InputShape[2], chw);

    /// <summary>batch samples of c×p values (channels first) into p×c order.</summary>
    protected static void ToChannelsLast(ReadOnlySpan<float> chw, int batch, int c, int p, Span<float> hwc)
    {
        for (int n = 0; n < batch; n++)
        {
            int o = n * c * p;
            for (int ch = 0; ch < c; ch++)
                for (int q = 0; q < p; q++) hwc[o + q * c + ch] = chw[o + ch * p + q];
        }
    }

    /// <summary>batch samples of p×c values (channels last) into c×p order.</summary>
    protected static void ToChannelsFirst(ReadOnlySpan<float> hwc, int batch, int c, int p, Span<float> chw)
    {
        for (int n = 0; n < batch; n++)
        {
            int o = n * c * p;
            for (int ch = 0; ch < c; ch++)
                for (int q = 0; q < p; q++) chw[o + ch * p + q] = hwc[o + q * c + ch];
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _inner.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>
/// An <see cref="NhwcModel"/> over a model that exposes layer activations. A TensorFlow export keeps some intermediate
/// tensors channels-last (h×w×C, typically after the Transpose that tf2onnx puts back after a Conv); such a layer is
/// presented as C×h×w, like every other layer, so CAM methods read its channels and grid correctly: its activations
/// (and gradients) are transposed to C×h×w and replacement activations back to h×w×C. A 3-axis layer [a, b, c] is
/// taken as channels-last when (a, b) is a grid with the input's aspect ratio (a ≈ b·H/W, a ≤ H, b ≤ W) and (b, c) is not, or, when
/// both do (a = b = c for a square input), when it is the output of a Transpose; outputs of the operators ONNX defines
/// on N×C×H×W (Conv, pooling, normalisation) are always channels-first.
/// </summary>
public class NhwcActivationModel : NhwcModel, IActivationModel
{
    private readonly IActivationModel _activations;
    private readonly Lazy<(IReadOnlyList<LayerInfo> Layers, HashSet<string> ChannelsLast)> _layers;

    /// <summary>Wraps <paramref name="inner"/>, whose input is H×W×C.</summary>
    public NhwcActivationModel(IActivationModel inner) : base(inner)
    {
        _activations = inner;
        _layers = new(() =>
        {
            var last = new HashSet<string>(StringComparer.Ordinal);
            var layers = new List<LayerInfo>(inner.Layers.Count);
            foreach (var l in inner.Layers)
            {
                if (IsChannelsLast(l, InputShape[1], InputShape[2]))
                {
                    last.Add(l.Name);
                    layers.Add(l with { Shape = [l.Shape[2], l.Shape[0], l.Shape[1]] });
                }
                else layers.Add(l);
            }
            return (layers, last);
        }, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The wrapped model's layers, channels-last ones shown as C×h×w.</summary>
    public IReadOnlyList<LayerInfo> Layers => _layers.Value.Layers;

    /// <inheritdoc/>
    public IReadOnlyList<int> LayerShape(string layer)
    {
        var s = _activations.LayerShape(layer);
        return ChannelsLast(layer) ? [s[2], s[0], s[1]] : s;
    }

    /// <summary>True when <paramref name="layer"/> is channels-last in the wrapped model (and presented transposed).</summary>
    public bool ChannelsLast(string layer) => _layers.Value.ChannelsLast.Contains(layer);

    /// <inheritdoc/>
    public void LayerActivations(string layer, ReadOnlySpan<float> inputs, int batch, Span<float> activations, Span<float> logits)
    {
        if (!ChannelsLast(layer))
        {
            _activations.LayerActivations(layer, ToNhwc(inputs, batch), batch, activations, logits);
            return;
        }
        var native = new float[activations.Length];
        _activations.LayerActivations(layer, ToNhwc(inputs, batch), batch, native, logits);
        FromLayer(layer, native, batch, activations);
    }

    /// <summary>Transposes batch samples of a channels-last layer (h×w×C) into C×h×w.</summary>
    protected void FromLayer(string layer, ReadOnlySpan<float> native, int batch, Span<float> chw)
    {
        var s = _activations.LayerShape(layer);
        ToChannelsFirst(native, batch, s[2], s[0] * s[1], chw);
    }

    /// <summary>Transposes batch samples of C×h×w values into the channels-last layout of <paramref name="layer"/>.</summary>
    protected float[] ToLayer(string layer, ReadOnlySpan<float> chw, int batch)
    {
        var s = _activations.LayerShape(layer);
        var native = new float[chw.Length];
        ToChannelsLast(chw, batch, s[2], s[0] * s[1], native);
        return native;
    }

    private static readonly HashSet<string> ChannelsFirstOperators = new(StringComparer.Ordinal)
    {
        "Conv", "ConvTranspose", "ConvInteger", "QLinearConv", "MaxPool", "AveragePool", "LpPool", "GlobalAveragePool",
        "GlobalMaxPool", "GlobalLpPool", "BatchNormalization", "InstanceNormalization", "LRN", "MaxRoiPool", "Upsample", "Resize",
    };

    /// <summary>The layout rule of the class summary, for a layer of a model whose input grid is <paramref name="h"/>×<paramref name="w"/>.</summary>
    public static bool IsChannelsLast(LayerInfo layer, int h, int w)
    {
        var s = layer.Shape;
        if (s.Count != 3 || s.Any(d => d <= 0) || ChannelsFirstOperators.Contains(layer.Operator)) return false;
        bool lastGrid = IsGrid(s[0], s[1], h, w), firstGrid = IsGrid(s[1], s[2], h, w);
        return lastGrid && (!firstGrid || layer.Operator == "Transpose");
    }

    // (a, b) is a downsampled h×w grid: no larger, with the input's aspect ratio up to the rounding of odd sizes
    // (a within one cell, or 5 %, of b·h/w).
    private static bool IsGrid(int a, int b, int h, int w) =>
        a <= h && b <= w && Math.Abs(a - (double)b * h / w) <= 1 + 0.05 * a;
}

/// <summary>
/// An <see cref="NhwcModel"/> over a model with gradients: input gradients are transposed back to C×H×W; layers are
/// presented as in <see cref="NhwcActivationModel"/> (activations, their gradients and replacements transposed for
/// channels-last layers).
/// </summary>
public class NhwcGradientModel : NhwcActivationModel, IGradientModel
{
    private readonly IGradientModel _gradients;

    /// <summary>Wraps <paramref name="inner"/>, whose input is H×W×C.</summary>
    public NhwcGradientModel(IGradientModel inner) : base(inner) => _gradients = inner;

    /// <inheritdoc/>
    public void InputGradients(ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> gradients, Span<float> logits)
    {
        var g = new float[gradients.Length];
        _gradients.InputGradients(ToNhwc(inputs, batch), batch, targets, g, logits);
        ToNchw(g, batch, gradients);
    }

    /// <inheritdoc/>
    public void LayerActivations(string layer, ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> activations, Span<float> gradients, Span<float> logits)
    {
        if (!ChannelsLast(layer))
        {
            _gradients.LayerActivations(layer, ToNhwc(inputs, batch), batch, targets, activations, gradients, logits);
            return;
        }
        var a = new float[activations.Length];
        var g = new float[gradients.Length];
        _gradients.LayerActivations(layer, ToNhwc(inputs, batch), batch, targets, a, g, logits);
        FromLayer(layer, a, batch, activations);
        if (!gradients.IsEmpty) FromLayer(layer, g, batch, gradients);
    }

    /// <inheritdoc/>
    public void ForwardWithLayer(string layer, ReadOnlySpan<float> inputs, ReadOnlySpan<float> activations, int batch, Span<float> logits) =>
        _gradients.ForwardWithLayer(layer, ToNhwc(inputs, batch), ChannelsLast(layer) ? ToLayer(layer, activations, batch) : activations, batch, logits);
}
