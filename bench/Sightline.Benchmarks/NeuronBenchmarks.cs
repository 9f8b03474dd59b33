using BenchmarkDotNet.Attributes;
using Sightline.Neurons;

namespace Sightline.Benchmarks;

/// <summary>
/// Neuron metrics on N inputs × n neurons × m concepts (random activations; concepts one-hot-like binary with ~1% positives, or
/// soft labels in [0, 1] with <see cref="SoftLabels"/>), α = 0.005. One metric of each family: set (popcounts), rank, GEMM,
/// sparse products, average precision both ways, top-and-random sampling and a harmonic-mean combination. <c>Samples = 50000, Neurons = Concepts = 1000</c> is the scale; the small parameter runs quickly.
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

    /// <summary>Every metric family; see <see cref="AllFamilies"/>.</summary>
    [ParamsSource(nameof(AllFamilies))]
    public string Metric { get; set; } = "iou";

    /// <summary>Soft concept labels (probabilities) instead of 0/1: exercises the non-closed-form auprc, auc and wpmi paths.</summary>
    [Params(false, true)]
    public bool SoftLabels { get; set; }

    /// <summary>One metric per family (comma list for <c>neurons-once</c>).</summary>
    public static IEnumerable<string> AllFamilies => Families.Split(',');

    internal const string Families = "iou,accuracy,auc,inverse_auc,auprc,inverse_auprc,correlation,spearman,cosine,wpmi,mad,correlation_top_random,spearman_top_random_binary,combined_auc";

    [GlobalSetup]
    public void Setup()
    {
        (_a, _c) = Make(Samples, Neurons, Neurons, SoftLabels);
    }

    internal static (float[] A, float[] C) Make(int n, int neurons, int concepts, bool soft = false)
    {
        var rng = new Random(1);
        var a = new float[n * neurons];
        for (int i = 0; i < a.Length; i++) a[i] = (float)rng.NextDouble();
        var c = new float[n * concepts];
        if (soft)
        {
            // Mostly small probabilities with a few confident positives, like pseudo-labels from a vision-language model.
            for (int i = 0; i < c.Length; i++) c[i] = (float)Math.Pow(rng.NextDouble(), 8);
            for (int i = 0; i < n; i++) c[i * concepts + rng.Next(concepts)] = 0.9f + 0.1f * (float)rng.NextDouble();
            return (a, c);
        }
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
