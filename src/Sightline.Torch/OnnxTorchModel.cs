using Microsoft.ML.OnnxRuntime;
using Sightline.Models;
using Sightline.Onnx.Graph;
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
/// Before anything runs on libtorch, ONNX Runtime loads the file and runs one zero sample: an inconsistent graph (say a
/// MatMul whose sizes do not match) then becomes an <see cref="InputDataException"/> instead of a c10::Error, which the
/// patched LibTorchSharp on Debian 12 cannot catch (it aborts the process). A model whose input fixes the batch at 1
/// runs one sample per libtorch call. A final Softmax/LogSoftmax over the classes is not run: its input is the logits
/// (<see cref="OutputKind"/>). The first output must be N×K logits (or N×K×1×1), and a sample at most
/// <see cref="ModelShapes.MaxSampleValues"/> values: other models are refused at load (<see cref="ModelShapes"/>).
/// </remarks>
public sealed class OnnxTorchModel : IGradientModel, IRandomisableModel
{
    readonly Lock gate = new();
    readonly GraphExecutor executor;
    readonly int[] inputShape;
    readonly int sampleSize;
    readonly bool batchOfOne;
    readonly List<LayerInfo> layers = [];
    readonly Dictionary<string, LayerInfo> layerByName = new(StringComparer.Ordinal);
    readonly OnnxModelProto proto;
    readonly bool keepSoftmax;
    readonly long[]? fileOutputDims;
    IReadOnlyList<ParameterLayer>? parameterLayers;
    bool disposed;
    bool probed;

    /// <summary>Loads <paramref name="path"/> and checks that every operator is supported.</summary>
    /// <param name="path">The .onnx file.</param>
    /// <param name="inputShape">Per-sample input shape [C, H, W]; needed only when the file leaves an axis symbolic.</param>
    /// <param name="validateWithOnnxRuntime">Check the graph with ONNX Runtime first (default true; see the remarks).</param>
    /// <param name="keepFinalSoftmax">Keep a final Softmax/LogSoftmax as the output instead of exposing its input (the logits).</param>
    /// <exception cref="InputDataException">The file is unreadable, uses an unsupported operator, has no fixed input shape, or ONNX Runtime finds it inconsistent.</exception>
    public OnnxTorchModel(string path, IReadOnlyList<int>? inputShape = null, bool validateWithOnnxRuntime = true, bool keepFinalSoftmax = false)
        : this(LoadProto(path), path, inputShape, validateWithOnnxRuntime, keepFinalSoftmax) { }

    /// <summary>Lowers a parsed ONNX model (e.g. an edited copy of a file); <paramref name="path"/> names it in messages.</summary>
    /// <exception cref="InputDataException">An unsupported operator, no fixed input shape, or ONNX Runtime finds the graph inconsistent.</exception>
    public OnnxTorchModel(OnnxModelProto proto, string path, IReadOnlyList<int>? inputShape = null, bool validateWithOnnxRuntime = true, bool keepFinalSoftmax = false)
        : this(proto, path, inputShape, validateWithOnnxRuntime, keepFinalSoftmax, null) { }

    /// <summary>
    /// <paramref name="knownOutputDims"/>: the per-sample shape of the file's first output when already known (an edited
    /// copy of a checked model has its original's shapes), so the copy strips a final Softmax exactly as the original did.
    /// </summary>
    OnnxTorchModel(OnnxModelProto proto, string path, IReadOnlyList<int>? inputShape, bool validateWithOnnxRuntime, bool keepFinalSoftmax, long[]? knownOutputDims)
    {
        TorchRuntime.EnsureInitialized();
        torch.set_num_threads(Environment.ProcessorCount);
        LibTorchContext.ApplyDefaults();
        this.proto = proto;
        keepSoftmax = keepFinalSoftmax;
        var graph = OnnxGraphAdapter.FromModel(proto, path);
        var head = keepFinalSoftmax ? null : SoftmaxHead.Find(proto);
        executor = new GraphExecutor(graph);
        Name = System.IO.Path.GetFileName(path);
        Path = path;
        var dims = executor.Input.Dims;
        long[] perSample;
        if (inputShape is not null) perSample = [.. inputShape.Select(d => (long)d)];
        else if (dims is { Length: >= 2 } && dims.Skip(1).All(d => d > 0)) perSample = [.. dims.Skip(1)];
        else
            throw new InputDataException(dims switch
            {
                { Length: 4 } when dims[1] > 0 =>
                    $"{path}: input '{executor.Input.Name}' has shape ({Shape(dims)}) with dynamic height/width; give the size as \"input_size\": [H, W] in a model config beside the model ({System.IO.Path.GetFileNameWithoutExtension(path)}.json or {System.IO.Path.GetFileNameWithoutExtension(path)}.yaml) or in a config file named with --config.",
                { Length: 4 } when dims[3] is 1 or 3 =>
                    $"{path}: input '{executor.Input.Name}' is channels-last (N×H×W×C) with a dynamic height/width ({Shape(dims)}); Sightline needs such a model's size fixed in the graph: re-export it with a fixed H×W.",
                _ => $"{path}: input '{executor.Input.Name}' has shape ({(dims is null ? "unknown" : Shape(dims))}); Sightline needs an N×C×H×W (or N×H×W×C) image input with a fixed channel count: re-export the model with one.",
            });
        sampleSize = ModelShapes.SampleValues(path, executor.Input.Name, perSample);
        this.inputShape = [.. perSample.Select(d => (int)d)];
        // Exports with a batch axis fixed at 1 bake it into Reshape shapes and the like: run one sample per call.
        batchOfOne = dims is { Length: >= 1 } && dims[0] == 1;
        var outputDims = graph.Outputs[0].Dims;
        long[]? outputSampleDims = outputDims is { Length: >= 1 } && outputDims.Skip(1).All(d => d > 0) ? [.. outputDims.Skip(1)] : null;
        if (validateWithOnnxRuntime)
        {
            var checkedShape = ValidateWithOnnxRuntime(proto, executor.Input, this.inputShape, dims is { Length: >= 1 } && dims[0] > 0 ? (int)dims[0] : 1);
            if (checkedShape is not null) outputSampleDims = [.. checkedShape.Skip(1)];
        }
        if (knownOutputDims is not null) outputSampleDims = knownOutputDims;
        fileOutputDims = outputSampleDims;
        if (head is not null && executor.Producer(head.Logits) is not null && outputSampleDims is not null && head.IsOverClasses(outputSampleDims))
        {
            // The logits have as many values per sample as the probabilities.
            executor.UseOutput(head.Logits);
            OutputKind = head.Kind;
        }
        // The output size comes from the (declared or checked) output shape when it is static; otherwise from a probe
        // run, which also finds the layers (deferred otherwise: it costs one forward pass, and plain forward/gradient use needs none).
        if (outputSampleDims is not null) OutputCount = ModelShapes.ClassCount(path, executor.Output, outputSampleDims);
        else EnsureProbed();
    }

    static OnnxModelProto LoadProto(string path) => OnnxModelProto.Load(path);

    /// <summary>The layers with float initialisers as parameters, in graph order (<see cref="OnnxParameters.Layers"/>).</summary>
    public IReadOnlyList<ParameterLayer> ParameterLayers => parameterLayers ??= OnnxParameters.Layers(proto);

    /// <summary>
    /// The graph lowered again with the initialisers of <paramref name="layers"/> re-initialised: the same edited bytes
    /// ONNX Runtime's copy runs (<see cref="OnnxParameters.Randomise"/>), so both back ends give the same logits.
    /// </summary>
    public IModel WithRandomisedLayers(IReadOnlyList<string> layers, int seed) =>
        new OnnxTorchModel(OnnxModelProto.Parse(OnnxParameters.Randomise(proto, layers, seed), Path), Path, inputShape, false, keepSoftmax, fileOutputDims);

    /// <summary>The graph lowered again with its first layer's bias absorbing <paramref name="shift"/> (<see cref="OnnxParameters.ShiftInput"/>).</summary>
    public IModel WithInputShift(float shift) =>
        new OnnxTorchModel(OnnxModelProto.Parse(OnnxParameters.ShiftInput(proto, shift), Path), Path, inputShape, false, keepSoftmax, fileOutputDims);

    static string Shape(long[] dims) => string.Join(", ", dims.Select(d => d < 0 ? "?" : d.ToString()));

    /// <summary>Loads an ONNX model (same as the constructor).</summary>
    public static OnnxTorchModel Load(string path, IReadOnlyList<int>? inputShape = null) => new(path, inputShape);

    /// <inheritdoc/>
    public ModelOutputKind OutputKind { get; }

    /// <summary>
    /// Loads the file in ONNX Runtime (its graph check and shape inference) and runs one zero batch, so that an
    /// inconsistent graph is reported here, cleanly, rather than as a c10::Error inside libtorch. Returns the shape of
    /// the first output, or null when ONNX Runtime cannot judge (an operator it does not implement).
    /// </summary>
    static long[]? ValidateWithOnnxRuntime(OnnxModelProto proto, GraphValue input, int[] shape, int batch)
    {
        if (input.ElementType != OnnxDataType.Float) return null;
        try
        {
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, IntraOpNumThreads = 1 };
            using var session = new InferenceSession(proto.RawBytes, options);
            long[] dims = [batch, .. shape.Select(d => (long)d)];
            var zeros = new float[checked((int)dims.Aggregate(1L, (a, b) => a * b))];
            using var x = OrtValue.CreateTensorValueFromMemory(zeros, dims);
            using var run = new RunOptions();
            using var results = session.Run(run, [input.Name], [x], [session.OutputNames[0]]);
            return results[0].GetTensorTypeAndShape().Shape;
        }
        catch (OnnxRuntimeException e) when (e.Message.Contains("NOT_IMPLEMENTED", StringComparison.Ordinal) || e.Message.Contains("Could not find an implementation", StringComparison.Ordinal))
        {
            return null;
        }
        catch (OnnxRuntimeException e)
        {
            throw new InputDataException($"'{proto.SourceName}' is not a consistent ONNX graph for input shape ({batch}, {string.Join(", ", shape)}); ONNX Runtime reports: {LibTorchMessages.FirstMeaningfulLine(e.Message)}", e);
        }
    }

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
        if (batchOfOne && batch > 1)
        {
            CheckLengths(inputs, batch);
            for (int i = 0; i < batch; i++) Forward(inputs.Slice(i * sampleSize, sampleSize), 1, logits.Slice(i * OutputCount, OutputCount));
            return;
        }
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
        if (batchOfOne && batch > 1)
        {
            CheckLengths(inputs, batch);
            if (targets.Length != batch || gradients.Length != inputs.Length) throw new ArgumentException($"{targets.Length} targets and {gradients.Length} gradient values for {batch} samples of {sampleSize} values.");
            for (int i = 0; i < batch; i++)
                InputGradients(inputs.Slice(i * sampleSize, sampleSize), 1, targets.Slice(i, 1), gradients.Slice(i * sampleSize, sampleSize), logits.Slice(i * OutputCount, OutputCount));
            return;
        }
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
        if (batchOfOne && batch > 1)
        {
            CheckLengths(inputs, batch);
            int per = info.Shape.Aggregate(1, (a, b) => a * b);
            if (targets.Length != batch || activations.Length != batch * per || (!gradients.IsEmpty && gradients.Length != batch * per))
                throw new ArgumentException($"Layer '{layer}' needs {batch} targets and {batch}·{per} activation (and gradient) values.");
            for (int i = 0; i < batch; i++)
                LayerActivations(layer, inputs.Slice(i * sampleSize, sampleSize), 1, targets.Slice(i, 1), activations.Slice(i * per, per),
                    gradients.IsEmpty ? gradients : gradients.Slice(i * per, per), logits.Slice(i * OutputCount, OutputCount));
            return;
        }
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
        if (batchOfOne && batch > 1)
        {
            CheckLengths(inputs, batch);
            int per = info.Shape.Aggregate(1, (a, b) => a * b);
            if (activations.Length != batch * per) throw new ArgumentException($"The activations of layer '{layer}' hold {activations.Length} values; {batch}·{per} expected.");
            for (int i = 0; i < batch; i++)
                ForwardWithLayer(layer, inputs.Slice(i * sampleSize, sampleSize), activations.Slice(i * per, per), 1, logits.Slice(i * OutputCount, OutputCount));
            return;
        }
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

    void CheckLengths(ReadOnlySpan<float> inputs, int batch)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (inputs.Length != (long)batch * sampleSize)
            throw new ArgumentException($"inputs hold {inputs.Length} values; {batch}·{string.Join("·", inputShape)} expected for '{Name}'.");
        EnsureProbed();
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
        int k = ModelShapes.ClassCount(Path, executor.Output, [.. y.shape.Skip(1)]);
        if (OutputCount != 0 && OutputCount != k)
            throw new InputDataException($"'{Path}' declares {OutputCount} outputs per sample for '{executor.Output}' but computes {k}.");
        OutputCount = k;
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
