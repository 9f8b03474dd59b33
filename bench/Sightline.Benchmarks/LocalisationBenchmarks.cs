using BenchmarkDotNet.Attributes;
using Sightline.Metrics;

namespace Sightline.Benchmarks;

/// <summary>
/// Times every registered map-versus-mask metric on 10,000 maps of 224×224 (cycling over 512 distinct map/mask pairs,
/// 125 MB, larger than any cache, so the figures are memory-bound like a real run), parallel over all cores as the
/// <c>align</c> pipeline does. One operation = 10,000 maps; maps/s = 10,000 / mean time.
/// <see cref="CopyBaseline"/> measures the machine's copy bandwidth over the same data for comparison.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 2, iterationCount: 5)]
public class LocalisationBenchmarks
{
    public const int Maps = 10_000;
    private const int Distinct = 512;
    private const int H = 224, W = 224;
    private float[][] _maps = [];
    private byte[][] _masks = [];
    private float[][] _copyTargets = [];
    private IMapMaskMetric[] _metrics = [];

    /// <summary>
    /// A metric name, <c>core5</c> = sss, iou, gtc, sc and pointing_game on each map (sharing the binarisation), or
    /// <c>sss-compat</c> = sss with <c>--sss-compat</c> (the reference's float32 sums in NumPy's order).
    /// </summary>
    [ParamsSource(nameof(MetricNames))]
    public string Metric { get; set; } = "sss";

    /// <summary>
    /// Every case, or only those named in the environment variable <c>SIGHTLINE_BENCH_METRICS</c> (comma-separated),
    /// e.g. <c>SIGHTLINE_BENCH_METRICS=sss,sss-compat</c> to time two cases instead of all of them.
    /// </summary>
    public static IEnumerable<string> MetricNames()
    {
        string[] all = ["core5", .. MetricRegistry.MapMask.Select(d => d.Name), "sss-compat"];
        var only = Environment.GetEnvironmentVariable("SIGHTLINE_BENCH_METRICS");
        if (string.IsNullOrWhiteSpace(only)) return all;
        var wanted = only.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return all.Where(wanted.Contains);
    }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        _maps = new float[Distinct][];
        _masks = new byte[Distinct][];
        for (int i = 0; i < Distinct; i++)
        {
            var map = new float[H * W];
            var mask = new byte[H * W];
            int cy = rng.Next(40, 184), cx = rng.Next(40, 184), r = rng.Next(20, 60);
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                {
                    double d2 = (y - cy) * (y - cy) + (x - cx) * (x - cx);
                    map[y * W + x] = (float)(Math.Exp(-d2 / (2.0 * r * r)) + 0.2 * rng.NextDouble());
                    mask[y * W + x] = (byte)(Math.Abs(y - cy - 10) < r && Math.Abs(x - cx + 5) < r ? 1 : 0);
                }
            _maps[i] = map;
            _masks[i] = mask;
        }
        _copyTargets = [.. Enumerable.Range(0, Environment.ProcessorCount).Select(_ => new float[H * W])];
        var settings = Metric == "sss-compat" ? LocalisationSettings.Default with { SssCompat = true } : LocalisationSettings.Default;
        var names = Metric switch
        {
            "core5" => new[] { "sss", "iou", "gtc", "sc", "pointing_game" },
            "sss-compat" => ["sss"],
            _ => [Metric],
        };
        _metrics = [.. names.Select(n => MetricRegistry.Get(n).Create(settings))];
    }

    [Benchmark(Description = "10,000 maps 224×224")]
    public double Score()
    {
        double total = 0;
        var gate = new Lock();
        Parallel.For(0, Maps, () => 0.0, (i, _, acc) =>
        {
            var ws = SampleWorkspace.ForCurrentThread();
            var sample = new MapMaskSample(_maps[i % Distinct], _masks[i % Distinct], H, W, ws);
            foreach (var m in _metrics)
            {
                var v = m.Evaluate(sample).Value;
                if (!double.IsNaN(v)) acc += v;
            }
            return acc;
        }, acc => { lock (gate) total += acc; });
        return total;
    }

    /// <summary>Copies the same 10,000 maps and masks (the bandwidth a one-pass metric cannot beat).</summary>
    [Benchmark(Baseline = true, Description = "copy baseline")]
    public void CopyBaseline()
    {
        Parallel.For(0, Maps, i =>
        {
            var target = _copyTargets[Environment.CurrentManagedThreadId % _copyTargets.Length];
            _maps[i % Distinct].AsSpan().CopyTo(target);
            _masks[i % Distinct].AsSpan().CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(target.AsSpan()));
        });
    }
}
