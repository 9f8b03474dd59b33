using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Sightline.Models;
using Sightline.Onnx.Graph;

namespace Sightline.Onnx.Runtime;

/// <summary>
/// An ONNX image classifier run by ONNX Runtime on the CPU: <c>N×C×H×W → N×K</c> float32. The single graph input is
/// the image batch (fixed or dynamic batch axis; a batch axis fixed at B runs B samples at a time, padding the last
/// run); the first graph output gives the K logits per sample: N×K, or N×K×1×1 (other shapes, such as a segmentation
/// model's N×C×H×W, are refused at load, see <see cref="ModelShapes.ClassCount"/>, as are inputs of absurd size). Forward splits work into
/// runs of at most <see cref="OnnxRuntimeOptions.MaxBatch"/> samples and binds the caller's spans directly as the
/// session's input and output memory, so it copies nothing and allocates only the small native value handles.
/// All methods are thread-safe (ONNX Runtime sessions may run concurrently).
/// Intermediate values: <see cref="Layers"/> lists the float node outputs that depend on the input, with their
/// per-sample shapes (found once by running one zero sample through a session that exposes every node output);
/// <see cref="Run"/> and <see cref="Activations"/> read any of them.
/// A final Softmax/LogSoftmax over the classes is stripped (<see cref="OutputKind"/>): its input is exposed as the
/// logits, unless <see cref="OnnxRuntimeOptions.KeepFinalSoftmax"/> is set.
/// </summary>
public sealed unsafe class OnnxRuntimeModel : IActivationModel, IRandomisableModel
{
    private readonly OnnxRuntimeOptions _options;
    private readonly SessionOptions _sessionOptions;
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly HashSet<string> _sessionOutputs;
    private readonly long[] _outputSampleDims;
    private readonly ModelOutputKind _outputKind;
    private readonly int _fixedBatch;
    private readonly int _sampleSize;
    private readonly Lazy<InferenceSession> _probeSession;
    private readonly Lazy<IReadOnlyList<LayerInfo>> _layers;
    private Dictionary<string, LayerInfo>? _layerByName;
    private IReadOnlyList<ParameterLayer>? _parameterLayers;
    private bool _disposed;

    /// <summary>Loads an ONNX file.</summary>
    /// <exception cref="InputDataException">The file is unreadable, not ONNX, or not an image classifier ONNX Runtime can run.</exception>
    public OnnxRuntimeModel(string path, OnnxRuntimeOptions? options = null)
        : this(OnnxModelProto.Load(path), [], options) { }

    /// <summary>Builds the model from a parsed ONNX file, exposing <paramref name="extraOutputs"/> as additional session outputs.</summary>
    /// <exception cref="InputDataException">The model is not an image classifier ONNX Runtime can run.</exception>
    public OnnxRuntimeModel(OnnxModelProto proto, IEnumerable<string> extraOutputs, OnnxRuntimeOptions? options = null)
    {
        Proto = proto;
        _options = options ?? OnnxRuntimeOptions.Default;
        if (_options.MaxBatch < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxBatch must be at least 1.");
        Name = Path.GetFileName(proto.SourceName);
        _sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = _options.IntraOpThreads > 0 ? _options.IntraOpThreads : Environment.ProcessorCount,
            GraphOptimizationLevel = _options.OptimizeGraph ? GraphOptimizationLevel.ORT_ENABLE_ALL : GraphOptimizationLevel.ORT_DISABLE_ALL,
        };
        var head = _options.KeepFinalSoftmax ? null : SoftmaxHead.Find(proto);
        if (head is not null && proto.Graph.Producer(head.Logits) is null) head = null;
        var extras = extraOutputs.ToArray();
        if (head is not null && !extras.Contains(head.Logits)) extras = [.. extras, head.Logits];
        byte[] bytes = extras.Length == 0 ? proto.RawBytes : proto.WithExtraOutputs(extras);
        _session = CreateSession(bytes);
        try
        {
            var inputs = _session.InputMetadata;
            if (inputs.Count != 1)
                throw new InputDataException($"{proto.SourceName}: the model has {inputs.Count} inputs ({string.Join(", ", inputs.Keys)}); an image classifier with one N×C×H×W input is expected.");
            var (inputName, meta) = inputs.First();
            if (!meta.IsTensor || meta.ElementDataType != TensorElementType.Float || meta.Dimensions.Length != 4)
                throw new InputDataException($"{proto.SourceName}: input '{inputName}' is {meta.ElementDataType}[{string.Join(", ", meta.Dimensions)}]; a float32 N×C×H×W input is expected.");
            int[] dims = meta.Dimensions;
            _fixedBatch = dims[0] > 0 ? dims[0] : 0;
            if (dims[1] <= 0)
                throw new InputDataException(dims[3] is 1 or 3
                    ? $"{proto.SourceName}: input '{inputName}' is channels-last (N×H×W×C) with a dynamic height/width ({string.Join("×", dims.Select(d => d > 0 ? d.ToString() : "?"))}); Sightline needs such a model's size fixed in the graph: re-export it with a fixed H×W."
                    : $"{proto.SourceName}: the channel dimension of input '{inputName}' is not fixed; re-export the model with a fixed channel count.");
            int h = dims[2], w = dims[3];
            if (h <= 0 || w <= 0)
            {
                var size = _options.InputSize;
                if (size is null && ModelConfig.ForModel(proto.SourceName).InputSize is { } cfg) size = (cfg[0], cfg[1]);
                if (size is null)
                    throw new InputDataException($"{proto.SourceName}: input '{inputName}' has dynamic height/width ({string.Join("×", dims.Select(d => d > 0 ? d.ToString() : "?"))}); give the size as \"input_size\": [H, W] in a model config beside the model ({Path.GetFileNameWithoutExtension(proto.SourceName)}.json or {Path.GetFileNameWithoutExtension(proto.SourceName)}.yaml) or in a config file named with --config.");
                (h, w) = size.Value;
            }
            _sampleSize = ModelShapes.SampleValues(proto.SourceName, inputName, [dims[1], h, w]);
            InputShape = [dims[1], h, w];
            if ((long)_sampleSize * Math.Max(1, _fixedBatch) > Array.MaxLength)
                throw new InputDataException($"{proto.SourceName}: input '{inputName}' fixes the batch at {_fixedBatch} samples of {_sampleSize:N0} values, more than one run can hold; re-export the model with a dynamic or smaller batch axis.");
            _inputNames = [inputName];
            _outputNames = [proto.Graph.Outputs.Count > 0 && _session.OutputNames.Contains(proto.Graph.Outputs[0].Name) ? proto.Graph.Outputs[0].Name : _session.OutputNames[0]];
            _sessionOutputs = new HashSet<string>(_session.OutputNames, StringComparer.Ordinal);
            var outMeta = _session.OutputMetadata[_outputNames[0]];
            if (!outMeta.IsTensor || outMeta.ElementDataType != TensorElementType.Float)
                throw new InputDataException($"{proto.SourceName}: output '{_outputNames[0]}' is not a float32 tensor; an N×K float32 logits output is expected first.");

            // One zero sample tells the output's exact per-sample shape, whatever the metadata leaves dynamic.
            var zeros = new float[_sampleSize * Math.Max(1, _fixedBatch)];
            var shape = RunOne(_session, zeros, Math.Max(1, _fixedBatch), _outputNames[0]);
            _outputSampleDims = shape.Skip(1).ToArray();
            if (head is not null && head.IsOverClasses(_outputSampleDims))
            {
                // The file ends in Softmax/LogSoftmax over the classes: its input is the logits.
                var logitsShape = RunOne(_session, zeros, Math.Max(1, _fixedBatch), head.Logits);
                _outputNames = [head.Logits];
                _outputSampleDims = logitsShape.Skip(1).ToArray();
                _outputKind = head.Kind;
            }
            long values = _outputSampleDims.Aggregate(1L, (a, b) => a * b);
            OutputCount = !_options.AnyOutputShape ? ModelShapes.ClassCount(proto.SourceName, _outputNames[0], _outputSampleDims)
                : values <= Array.MaxLength ? (int)values
                : throw new InputDataException($"{proto.SourceName}: output '{_outputNames[0]}' has {values:N0} values per sample, too many to read.");
        }
        catch
        {
            _session.Dispose();
            _sessionOptions.Dispose();
            _runOptions.Dispose();
            throw;
        }
        _probeSession = new Lazy<InferenceSession>(() => CreateSession(Proto.WithExtraOutputs(CandidateTensors())), LazyThreadSafetyMode.ExecutionAndPublication);
        _layers = new Lazy<IReadOnlyList<LayerInfo>>(DiscoverLayers, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Loads an ONNX file whose session also returns the node outputs <paramref name="extraOutputs"/> (for <see cref="Run"/>).</summary>
    /// <exception cref="InputDataException">The file is unreadable, not ONNX, or not an image classifier ONNX Runtime can run.</exception>
    public static OnnxRuntimeModel Open(string path, IEnumerable<string>? extraOutputs = null, OnnxRuntimeOptions? options = null) =>
        new(OnnxModelProto.Load(path), extraOutputs ?? [], options);

    /// <summary>The parsed ONNX file.</summary>
    public OnnxModelProto Proto { get; }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public IReadOnlyList<int> InputShape { get; }

    /// <inheritdoc/>
    public int OutputCount { get; }

    /// <inheritdoc/>
    public ModelOutputKind OutputKind => _outputKind;

    /// <summary>The tensor read as the logits: the first graph output, or the input of a stripped final Softmax.</summary>
    public string LogitsName => _outputNames[0];

    /// <summary>The batch size the model's input fixes, or 0 when the batch axis is dynamic.</summary>
    public int FixedBatch => _fixedBatch;

    /// <summary>Samples per session run.</summary>
    public int RunBatch => _fixedBatch > 0 ? _fixedBatch : _options.MaxBatch;

    /// <summary>
    /// Float node outputs that depend on the input (candidate layers for activations), in graph order, with per-sample
    /// shapes. Computed on first use by one run over a zero sample, then cached.
    /// </summary>
    public IReadOnlyList<LayerInfo> Layers => _layers.Value;

    /// <summary>The per-sample shape of node output <paramref name="layer"/>.</summary>
    /// <exception cref="ArgumentException">Not one of <see cref="Layers"/>.</exception>
    public IReadOnlyList<int> LayerShape(string layer) => FindLayer(layer).Shape;

    /// <inheritdoc/>
    public void Forward(ReadOnlySpan<float> inputs, int batch, Span<float> logits)
    {
        CheckBatch(inputs, batch);
        if (logits.Length != (long)batch * OutputCount)
            throw new ArgumentException($"logits holds {logits.Length} values; {batch}·{OutputCount} expected.", nameof(logits));
        int step = RunBatch;
        fixed (float* input = inputs)
        fixed (float* output = logits)
        {
            for (int start = 0; start < batch; start += step)
            {
                int n = Math.Min(step, batch - start);
                if (_fixedBatch > 0 && n < _fixedBatch)
                {
                    // The model only accepts exactly B samples: pad the last run.
                    var padded = new float[_fixedBatch * _sampleSize];
                    inputs.Slice(start * _sampleSize, n * _sampleSize).CopyTo(padded);
                    var result = new float[_fixedBatch * OutputCount];
                    fixed (float* pi = padded)
                    fixed (float* po = result)
                        RunInto(pi, po, _fixedBatch);
                    result.AsSpan(0, n * OutputCount).CopyTo(logits[(start * OutputCount)..]);
                }
                else RunInto(input + (long)start * _sampleSize, output + (long)start * OutputCount, n);
            }
        }
    }

    /// <summary>
    /// Runs the model and writes the named tensors (graph outputs, or any of <see cref="Layers"/>) for all samples:
    /// <paramref name="destinations"/>[i] receives batch·∏(per-sample shape of <paramref name="outputs"/>[i]) floats.
    /// Names that are not outputs of the main session are read from a second session that exposes every node output
    /// (built on first use).
    /// </summary>
    /// <exception cref="ArgumentException">Unknown or non-float names, or destinations of the wrong length.</exception>
    public void Run(ReadOnlySpan<float> inputs, int batch, IReadOnlyList<string> outputs, IReadOnlyList<Memory<float>> destinations)
    {
        CheckBatch(inputs, batch);
        if (outputs.Count != destinations.Count)
            throw new ArgumentException($"{outputs.Count} outputs but {destinations.Count} destinations.", nameof(destinations));
        if (outputs.Count == 0) return;
        var session = outputs.All(_sessionOutputs.Contains) ? _session : ProbeFor(outputs);
        var names = outputs.ToArray();
        int step = RunBatch;
        var perSample = new long[names.Length];
        fixed (float* input = inputs)
        {
            for (int start = 0; start < batch; start += step)
            {
                int n = Math.Min(step, batch - start);
                int runN = _fixedBatch > 0 ? _fixedBatch : n;
                float[]? padded = null;
                if (runN != n)
                {
                    padded = new float[runN * _sampleSize];
                    inputs.Slice(start * _sampleSize, n * _sampleSize).CopyTo(padded);
                }
                fixed (float* pad = padded)
                {
                    using var x = InputValue(padded is null ? input + (long)start * _sampleSize : pad, runN);
                    using var results = session.Run(_runOptions, _inputNames, [x], names);
                    int i = 0;
                    foreach (var value in results)
                    {
                        var info = value.GetTensorTypeAndShape();
                        if (info.ElementDataType != TensorElementType.Float)
                            throw new ArgumentException($"'{names[i]}' is {info.ElementDataType}, not float32.", nameof(outputs));
                        var data = value.GetTensorDataAsSpan<float>();
                        if (data.Length % runN != 0 || info.Shape.Length == 0 || info.Shape[0] != runN)
                            throw new ArgumentException($"'{names[i]}' has shape [{string.Join(", ", info.Shape)}], which has no batch axis.", nameof(outputs));
                        long per = data.Length / runN;
                        if (start == 0)
                        {
                            perSample[i] = per;
                            if (destinations[i].Length != batch * per)
                                throw new ArgumentException($"destination {i} holds {destinations[i].Length} values; '{names[i]}' needs {batch}·{per}.", nameof(destinations));
                        }
                        data[..(int)(n * per)].CopyTo(destinations[i].Span[(int)(start * per)..]);
                        i++;
                    }
                }
            }
        }
    }

    /// <summary>The activations of node output <paramref name="layer"/> for all samples (batch·∏shape floats) and its per-sample shape.</summary>
    /// <exception cref="ArgumentException">Not one of <see cref="Layers"/> nor a graph output.</exception>
    public float[] Activations(string layer, ReadOnlySpan<float> inputs, int batch, out int[] shape)
    {
        shape = _outputNames[0] == layer ? _outputSampleDims.Select(d => (int)d).ToArray() : FindLayer(layer).Shape.ToArray();
        long per = shape.Aggregate(1L, (a, b) => a * b);
        var result = new float[checked(batch * per)];
        Run(inputs, batch, [layer], [result]);
        return result;
    }

    /// <inheritdoc/>
    public void LayerActivations(string layer, ReadOnlySpan<float> inputs, int batch, Span<float> activations, Span<float> logits)
    {
        long per = FindLayer(layer).Shape.Aggregate(1L, (a, b) => a * b);
        if (activations.Length != batch * per)
            throw new ArgumentException($"activations hold {activations.Length} values; layer '{layer}' needs {batch}·{per}.", nameof(activations));
        if (logits.Length != (long)batch * OutputCount)
            throw new ArgumentException($"logits holds {logits.Length} values; {batch}·{OutputCount} expected.", nameof(logits));
        var a = new float[activations.Length];
        var y = new float[logits.Length];
        Run(inputs, batch, [_outputNames[0], layer], [y, a]);
        a.CopyTo(activations);
        y.CopyTo(logits);
    }

    /// <summary>The layers with float initialisers as parameters, in graph order (<see cref="OnnxParameters.Layers"/>).</summary>
    public IReadOnlyList<ParameterLayer> ParameterLayers => _parameterLayers ??= OnnxParameters.Layers(Proto);

    /// <summary>
    /// A new model (its own session, same options) on this graph with the initialisers of <paramref name="layers"/>
    /// re-initialised (<see cref="OnnxParameters.Randomise"/>); the TorchSharp back end lowers the same bytes.
    /// </summary>
    public IModel WithRandomisedLayers(IReadOnlyList<string> layers, int seed) =>
        new OnnxRuntimeModel(OnnxModelProto.Parse(OnnxParameters.Randomise(Proto, layers, seed), Proto.SourceName), [], _options);

    /// <summary>A new model whose first layer's bias absorbs <paramref name="shift"/> (<see cref="OnnxParameters.ShiftInput"/>).</summary>
    public IModel WithInputShift(float shift) =>
        new OnnxRuntimeModel(OnnxModelProto.Parse(OnnxParameters.ShiftInput(Proto, shift), Proto.SourceName), [], _options);

    /// <summary>Releases the native sessions.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_probeSession.IsValueCreated) _probeSession.Value.Dispose();
        _session.Dispose();
        _sessionOptions.Dispose();
        _runOptions.Dispose();
    }

    private InferenceSession CreateSession(byte[] bytes)
    {
        try
        {
            return new InferenceSession(bytes, _sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InputDataException($"{Proto.SourceName}: ONNX Runtime cannot load the model ({e.Message.Trim()}); check that the opset is supported and the file is complete.", e);
        }
    }

    private void CheckBatch(ReadOnlySpan<float> inputs, int batch)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        if (inputs.Length != (long)batch * _sampleSize)
            throw new ArgumentException($"inputs hold {inputs.Length} values; {batch}·{string.Join("·", InputShape)} expected.", nameof(inputs));
    }

    private OrtValue InputValue(float* data, int n) =>
        OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float,
            [n, InputShape[0], InputShape[1], InputShape[2]], (IntPtr)data, (long)n * _sampleSize * sizeof(float));

    private void RunInto(float* input, float* output, int n)
    {
        var outShape = new long[_outputSampleDims.Length + 1];
        outShape[0] = n;
        _outputSampleDims.CopyTo(outShape, 1);
        using var x = InputValue(input, n);
        using var y = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float,
            outShape, (IntPtr)output, (long)n * OutputCount * sizeof(float));
        _session.Run(_runOptions, _inputNames, [x], _outputNames, [y]);
    }

    private long[] RunOne(InferenceSession session, float[] input, int n, string output)
    {
        fixed (float* p = input)
        {
            using var x = InputValue(p, n);
            using var results = session.Run(_runOptions, _inputNames, [x], [output]);
            return results[0].GetTensorTypeAndShape().Shape;
        }
    }

    private InferenceSession ProbeFor(IReadOnlyList<string> outputs)
    {
        foreach (var name in outputs)
            if (!_sessionOutputs.Contains(name) && Proto.Graph.Producer(name) is null)
                throw new ArgumentException($"'{name}' is not a node output of {Name}.", nameof(outputs));
        return _probeSession.Value;
    }

    /// <summary>Node outputs (graph order) computed from the image input, excluding those of Constant nodes.</summary>
    private List<string> CandidateTensors()
    {
        var dependent = new HashSet<string>(_inputNames, StringComparer.Ordinal);
        var result = new List<string>();
        foreach (var node in Proto.Graph.Nodes)
        {
            if (node.OpType == "Constant" || !node.Inputs.Any(dependent.Contains)) continue;
            foreach (var o in node.Outputs)
            {
                if (o.Length == 0 || !dependent.Add(o)) continue;
                result.Add(o);
            }
        }
        return result;
    }

    private IReadOnlyList<LayerInfo> DiscoverLayers()
    {
        var names = CandidateTensors();
        var session = _probeSession.Value;
        int n = Math.Max(1, _fixedBatch);
        var zeros = new float[n * _sampleSize];
        var layers = new List<LayerInfo>();
        fixed (float* p = zeros)
        {
            using var x = InputValue(p, n);
            using var results = session.Run(_runOptions, _inputNames, [x], names);
            int i = 0;
            foreach (var value in results)
            {
                string name = names[i++];
                if (value.OnnxType != OnnxValueType.ONNX_TYPE_TENSOR) continue;
                var info = value.GetTensorTypeAndShape();
                if (info.ElementDataType != TensorElementType.Float || info.Shape.Length == 0 || info.Shape[0] != n) continue;
                var op = Proto.Graph.Producer(name)?.OpType ?? "";
                layers.Add(new LayerInfo(name, info.Shape.Skip(1).Select(d => checked((int)d)).ToArray(), op));
            }
        }
        return layers;
    }

    private LayerInfo FindLayer(string layer)
    {
        var map = _layerByName ??= Layers.ToDictionary(l => l.Name, StringComparer.Ordinal);
        return map.TryGetValue(layer, out var info)
            ? info
            : throw new ArgumentException($"'{layer}' is not a float node output of {Name}; see Layers for the candidates.", nameof(layer));
    }
}
