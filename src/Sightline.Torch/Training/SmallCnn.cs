using Sightline.Models;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Sightline.Torch.Training;

/// <summary>
/// A small CNN for 28×28 RGB images, the size of the Explanation Alignment MNIST model family:
/// features = Conv(3→16, 3×3, pad 1) → ReLU → MaxPool 2 → Conv(16→32, 3×3, pad 1) → ReLU (the CAM layer, 32×14×14);
/// head = MaxPool 2 → Flatten → Linear(1568→64) → ReLU → Linear(64→K).
/// </summary>
public sealed class SmallCnn : Module<Tensor, Tensor>
{
    /// <summary>The convolutional trunk; its output is the layer named <see cref="FeatureLayer"/>.</summary>
    public readonly TorchSharp.Modules.Sequential features;

    /// <summary>The classifier head.</summary>
    public readonly TorchSharp.Modules.Sequential head;

    /// <summary>Name of the CAM layer.</summary>
    public const string FeatureLayer = "features";

    /// <summary>Creates the network with <paramref name="classes"/> outputs (weights from the current torch seed).</summary>
    public SmallCnn(int classes = 10) : base(nameof(SmallCnn))
    {
        features = Sequential(
            ("conv1", Conv2d(3, 16, 3, padding: 1)), ("relu1", ReLU()), ("pool1", MaxPool2d(2)),
            ("conv2", Conv2d(16, 32, 3, padding: 1)), ("relu2", ReLU()));
        head = Sequential(
            ("pool2", MaxPool2d(2)), ("flatten", Flatten()), ("fc1", Linear(32 * 7 * 7, 64)), ("relu3", ReLU()), ("fc2", Linear(64, classes)));
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => head.call(features.call(input));

    /// <summary>
    /// Writes the network as an ONNX model (opset 13) for inputs of <paramref name="inputShape"/> = [C, H, W]: input
    /// <c>input</c> (N×C×H×W), output <c>logits</c> (N×K), the CAM layer's ReLU output named <see cref="FeatureLayer"/>
    /// so that <c>--layer features</c> selects it, as in-process. The graph is Conv → Relu → MaxPool → Conv → Relu →
    /// MaxPool → Flatten → Gemm → Relu → Gemm, with the trained weights as float32 initializers; its logits equal the
    /// TorchSharp forward pass to float rounding (tested). Written atomically.
    /// </summary>
    public void SaveOnnx(string path, int[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        if (inputShape.Length != 3) throw new ArgumentException("The input shape is [C, H, W].", nameof(inputShape));
        var weights = new Dictionary<string, (long[] Dims, float[] Values)>(StringComparer.Ordinal);
        foreach (var (name, p) in named_parameters())
            weights[name] = (p.shape, p.detach().cpu().data<float>().ToArray());
        var classes = weights["head.fc2.weight"].Dims[0];
        var w = new Sightline.Onnx.Graph.OnnxModelWriter(nameof(SmallCnn));
        w.Input("input", -1, inputShape[0], inputShape[1], inputShape[2]);
        foreach (var (name, (dims, values)) in weights) w.Initializer(name, dims, values);
        (string, object)[] conv = [("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 }), ("strides", new long[] { 1, 1 })];
        (string, object)[] pool = [("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 })];
        w.Node("Conv", ["input", "features.conv1.weight", "features.conv1.bias"], ["conv1"], conv)
         .Node("Relu", ["conv1"], ["relu1"])
         .Node("MaxPool", ["relu1"], ["pool1"], pool)
         .Node("Conv", ["pool1", "features.conv2.weight", "features.conv2.bias"], ["conv2"], conv)
         .Node("Relu", ["conv2"], [FeatureLayer])
         .Node("MaxPool", [FeatureLayer], ["pool2"], pool)
         .Node("Flatten", ["pool2"], ["flatten"], ("axis", 1L))
         .Node("Gemm", ["flatten", "head.fc1.weight", "head.fc1.bias"], ["fc1"], ("transB", 1L))
         .Node("Relu", ["fc1"], ["relu3"])
         .Node("Gemm", ["relu3", "head.fc2.weight", "head.fc2.bias"], ["logits"], ("transB", 1L))
         .Output("logits", -1, classes);
        w.Save(path);
    }
}

/// <summary>Options of <see cref="Trainer.Train"/>.</summary>
/// <param name="Epochs">Passes over the training set.</param>
/// <param name="BatchSize">Mini-batch size.</param>
/// <param name="LearningRate">Adam learning rate.</param>
/// <param name="Seed">Seed of the weights and of the shuffling.</param>
public sealed record TrainingOptions(int Epochs = 2, int BatchSize = 64, double LearningRate = 1e-3, int Seed = 0);

/// <summary>Training of small in-process models (CPU, seeded, Adam, cross-entropy).</summary>
public static class Trainer
{
    /// <summary>
    /// Trains <paramref name="model"/> on N×C×H×W <paramref name="images"/> with <paramref name="labels"/>.
    /// <paramref name="progress"/> receives the number of mini-batches done. Returns the mean loss of the last epoch.
    /// </summary>
    public static double Train(Module<Tensor, Tensor> model, float[] images, int[] labels, int[] shape, TrainingOptions options, IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        TorchRuntime.EnsureInitialized();
        Native.LibTorchContext.ApplyDefaults();
        torch.set_num_threads(Environment.ProcessorCount);
        int n = labels.Length, size = shape[0] * shape[1] * shape[2];
        var rng = new Random(options.Seed);
        using var optimizer = torch.optim.Adam(model.parameters(), options.LearningRate);
        model.train();
        double lastLoss = 0;
        int done = 0;
        var order = Enumerable.Range(0, n).ToArray();
        var batchX = new float[options.BatchSize * size];
        var batchY = new long[options.BatchSize];
        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            rng.Shuffle(order);
            double total = 0;
            int batches = 0;
            for (int start = 0; start < n; start += options.BatchSize)
            {
                cancel.ThrowIfCancellationRequested();
                int m = Math.Min(options.BatchSize, n - start);
                for (int i = 0; i < m; i++)
                {
                    images.AsSpan(order[start + i] * size, size).CopyTo(batchX.AsSpan(i * size, size));
                    batchY[i] = labels[order[start + i]];
                }
                using var scope = torch.NewDisposeScope();
                var x = torch.tensor(batchX.AsSpan(0, m * size).ToArray(), [m, shape[0], shape[1], shape[2]]);
                var y = torch.tensor(batchY.AsSpan(0, m).ToArray(), [m]);
                optimizer.zero_grad();
                var loss = functional.cross_entropy(model.call(x), y);
                loss.backward();
                optimizer.step();
                total += loss.item<float>();
                batches++;
                progress?.Report(++done);
            }
            lastLoss = total / Math.Max(1, batches);
        }
        model.eval();
        return lastLoss;
    }
}

/// <summary>
/// <see cref="IGradientModel"/> over a <see cref="SmallCnn"/>: forward, input gradients, and the activations and
/// gradients of the <c>features</c> layer (the trunk's output). The work is done by <see cref="TorchModuleModel"/>
/// (forward hooks, <c>torch.autograd.grad</c>, serialised calls); this class only narrows the layers to the CAM layer,
/// the one the demo explains. Disposing it disposes the network.
/// </summary>
public sealed class SmallCnnModel : IGradientModel
{
    private readonly TorchModuleModel _model;
    private readonly LayerInfo _layer;

    /// <summary>Wraps <paramref name="net"/> for inputs of the given [C, H, W] shape.</summary>
    /// <exception cref="ArgumentException">The network does not have <paramref name="classes"/> outputs.</exception>
    public SmallCnnModel(SmallCnn net, string name, int[] inputShape, int classes)
    {
        Network = net;
        _model = new TorchModuleModel(net, inputShape, name, ownsModule: true);
        if (_model.OutputCount != classes)
            throw new ArgumentException($"The network has {_model.OutputCount} outputs, not {classes}.", nameof(classes));
        _layer = new LayerInfo(SmallCnn.FeatureLayer, _model.LayerShape(SmallCnn.FeatureLayer), "Relu");
    }

    /// <summary>The wrapped network (owned by this model: disposed with it).</summary>
    public SmallCnn Network { get; }

    /// <inheritdoc/>
    public string Name => _model.Name;
    /// <inheritdoc/>
    public IReadOnlyList<int> InputShape => _model.InputShape;
    /// <inheritdoc/>
    public int OutputCount => _model.OutputCount;
    /// <inheritdoc/>
    public IReadOnlyList<LayerInfo> Layers => [_layer];

    /// <inheritdoc/>
    public IReadOnlyList<int> LayerShape(string layer) => layer == SmallCnn.FeatureLayer ? _layer.Shape
        : throw new InputDataException($"Model '{Name}' has no layer '{layer}'; its layer is '{SmallCnn.FeatureLayer}'.");

    /// <inheritdoc/>
    public void Forward(ReadOnlySpan<float> inputs, int batch, Span<float> logits) => _model.Forward(inputs, batch, logits);

    /// <inheritdoc/>
    public void InputGradients(ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> gradients, Span<float> logits) =>
        _model.InputGradients(inputs, batch, targets, gradients, logits);

    /// <inheritdoc/>
    public void LayerActivations(string layer, ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> activations, Span<float> gradients, Span<float> logits)
    {
        LayerShape(layer);
        _model.LayerActivations(layer, inputs, batch, targets, activations, gradients, logits);
    }

    /// <inheritdoc/>
    public void ForwardWithLayer(string layer, ReadOnlySpan<float> inputs, ReadOnlySpan<float> activations, int batch, Span<float> logits)
    {
        LayerShape(layer);
        _model.ForwardWithLayer(layer, inputs, activations, batch, logits);
    }

    /// <inheritdoc/>
    public void Dispose() => _model.Dispose();
}
