using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Sightline.Explainers;
using Sightline.Models;
using Sightline.Onnx.Runtime;
using Sightline.Torch;

namespace Sightline.Benchmarks;

/// <summary>
/// Images/s of every attribution method on a ResNet-18-sized model (torchvision resnet18, random weights,
/// bench/models/resnet18_random.onnx, 224×224, 1000 classes) on the CPU, one image per operation. Gradient and CAM
/// methods run on the ONNX graph lowered onto TorchSharp; occlusion and RISE on ONNX Runtime. Settings that define the
/// cost: integrated_gradients 50 steps, smoothgrad 25 samples, occlusion window 32 / stride 16 (169 windows), RISE
/// 500 masks, Score-CAM and Ablation-CAM over the 512 channels of layer4; batches of 32 rows.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 2)]
public class ExplainBenchmarks
{
    private const string Layer = "/layer4/layer4.1/relu_1/Relu_output_0";
    private IModel _model = null!;
    private IExplainer _explainer = null!;
    private float[] _input = [];
    private float[] _output = [];
    private readonly int[] _target = [3];

    [ParamsSource(nameof(MethodNames))]
    public string Method { get; set; } = "saliency";

    public static IEnumerable<string> MethodNames() => ExplainerCatalog.Names;

    private static string ModelPath()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Sightline.slnx"))) dir = Path.GetDirectoryName(dir);
        return Path.Combine(dir ?? ".", "bench", "models", "resnet18_random.onnx");
    }

    [GlobalSetup]
    public void Setup()
    {
        var options = new ExplainerOptions
        {
            Layer = Layer,
            Occlusion = new OcclusionOptions(32, 16),
            Rise = new RiseOptions(500, 0.5, 7),
        };
        _explainer = ExplainerCatalog.Create(Method, options);
        _model = _explainer.NeedsGradients ? new OnnxTorchModel(ModelPath()) : OnnxRuntimeModel.Open(ModelPath());
        var rng = new Random(1);
        _input = [.. Enumerable.Range(0, 3 * 224 * 224).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
        _output = new float[3 * 224 * 224];
    }

    [Benchmark(Description = "1 image 224×224")]
    public void Explain() => _explainer.Explain(_model, _input, 1, _target, _output, new ExplainSettings { BatchSize = 32 });

    [GlobalCleanup]
    public void Cleanup() => _model.Dispose();
}
