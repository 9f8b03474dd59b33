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
/// gradients of the <c>features</c> layer (the trunk's output), computed with <c>torch.autograd.grad</c>.
/// Calls are serialised (libtorch parallelises inside each call).
/// </summary>
public sealed class SmallCnnModel : IGradientModel
{
    private readonly SmallCnn _net;
    private readonly Lock _lock = new();
    private readonly int[] _layerShape;

    /// <summary>Wraps <paramref name="net"/> for inputs of the given [C, H, W] shape.</summary>
    public SmallCnnModel(SmallCnn net, string name, int[] inputShape, int classes)
    {
        TorchRuntime.EnsureInitialized();
        Native.LibTorchContext.ApplyDefaults();
        _net = net;
        _net.eval();
        Name = name;
        InputShape = inputShape;
        OutputCount = classes;
        _layerShape = [32, inputShape[1] / 2, inputShape[2] / 2];
    }

    /// <inheritdoc/>
    public string Name { get; }
    /// <inheritdoc/>
    public IReadOnlyList<int> InputShape { get; }
    /// <inheritdoc/>
    public int OutputCount { get; }
    /// <inheritdoc/>
    public IReadOnlyList<LayerInfo> Layers => [new LayerInfo(SmallCnn.FeatureLayer, _layerShape, "Relu")];

    /// <inheritdoc/>
    public IReadOnlyList<int> LayerShape(string layer) => layer == SmallCnn.FeatureLayer ? _layerShape
        : throw new InputDataException($"Model '{Name}' has no layer '{layer}'; its layer is '{SmallCnn.FeatureLayer}'.");

    private Tensor Input(ReadOnlySpan<float> inputs, int batch) =>
        torch.tensor(inputs.ToArray(), [batch, InputShape[0], InputShape[1], InputShape[2]]);

    private static Tensor Selected(Tensor logits, ReadOnlySpan<int> targets)
    {
        var idx = torch.tensor(targets.ToArray().Select(t => (long)t).ToArray(), [targets.Length, 1]);
        return logits.gather(1, idx).sum();
    }

    /// <inheritdoc/>
    public void Forward(ReadOnlySpan<float> inputs, int batch, Span<float> logits)
    {
        lock (_lock)
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            _net.call(Input(inputs, batch)).data<float>().CopyTo(logits);
        }
    }

    /// <inheritdoc/>
    public void InputGradients(ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> gradients, Span<float> logits)
    {
        lock (_lock)
        {
            using var scope = torch.NewDisposeScope();
            var x = Input(inputs, batch).requires_grad_(true);
            var y = _net.call(x);
            var g = torch.autograd.grad([Selected(y, targets)], [x])[0];
            g.data<float>().CopyTo(gradients);
            y.detach().data<float>().CopyTo(logits);
        }
    }

    /// <inheritdoc/>
    public void LayerActivations(string layer, ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> activations, Span<float> gradients, Span<float> logits)
    {
        LayerShape(layer);
        lock (_lock)
        {
            using var scope = torch.NewDisposeScope();
            var a = _net.features.call(Input(inputs, batch));
            var y = _net.head.call(a);
            if (!gradients.IsEmpty) torch.autograd.grad([Selected(y, targets)], [a])[0].data<float>().CopyTo(gradients);
            a.detach().data<float>().CopyTo(activations);
            y.detach().data<float>().CopyTo(logits);
        }
    }

    /// <inheritdoc/>
    public void ForwardWithLayer(string layer, ReadOnlySpan<float> inputs, ReadOnlySpan<float> activations, int batch, Span<float> logits)
    {
        LayerShape(layer);
        lock (_lock)
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            var a = torch.tensor(activations.ToArray(), [batch, _layerShape[0], _layerShape[1], _layerShape[2]]);
            _net.head.call(a).data<float>().CopyTo(logits);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _net.Dispose();
}
