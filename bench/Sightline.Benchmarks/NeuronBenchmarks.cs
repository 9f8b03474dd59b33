using BenchmarkDotNet.Attributes;
using Sightline.Neurons;

namespace Sightline.Benchmarks;

/// <summary>
/// Neuron metrics on N inputs × n neurons × m concepts (random activations, one-hot-like binary concepts with ~1% positives),
/// α = 0.005. <c>Samples = 50000, Neurons = Concepts = 1000</c> is the scale; the small parameter runs quickly.
/// One operation = one metric's full n × m matrix on a fresh probe (so shared caches are included in the time).
/// </summary>
[SimpleJob(warmupCount: 1, iterationCount: 3)]
public class NeuronBenchmarks
{
    private float[] _a = [];
    private float[] _c = [];

    [Params(5_000, 50_000)]
    public int Samples { get; set; }

    [Params(1000)]
    public int Neurons { get; set; }

    [Params("iou", "correlation", "cosine", "mad", "auprc", "inverse_auc")]
    public string Metric { get; set; } = "iou";

    [GlobalSetup]
    public void Setup()
    {
        (_a, _c) = Make(Samples, Neurons, Neurons);
    }

    internal static (float[] A, float[] C) Make(int n, int neurons, int concepts)
    {
        var rng = new Random(1);
        var a = new float[n * neurons];
        for (int i = 0; i < a.Length; i++) a[i] = (float)rng.NextDouble();
        var c = new float[n * concepts];
        for (int i = 0; i < n; i++) c[i * concepts + rng.Next(concepts)] = 1;
        for (int i = 0; i < c.Length; i += 97) c[i] = 1;
        return (a, c);
    }

    [Benchmark]
    public double Score()
    {
        var probe = NeuronProbe.FromRowMajor(_a, _c, Samples, Neurons, Neurons);
        return NeuronMetricRegistry.Get(Metric).Create(new NeuronMetricOptions { Alpha = 0.005 }).Evaluate(probe).Values[0];
    }
}
