using BenchmarkDotNet.Running;
using Sightline.Benchmarks;

if (args.Length >= 1 && args[0] == "make-align-data")
{
    // make-align-data DIR [N] [SIZE]: writes DIR/saliency.npy (N×SIZE×SIZE float32) and DIR/masks.npy (bool) for timing the CLI.
    var dir = args.Length > 1 ? args[1] : "align-data";
    int n = args.Length > 2 ? int.Parse(args[2]) : 2000;
    int size = args.Length > 3 ? int.Parse(args[3]) : 224;
    AlignData.Write(dir, n, size);
    return;
}
if (args.Length >= 1 && args[0] == "neurons-once")
{
    // neurons-once N n METRICS: one timed run of each metric at N × n × n (no BenchmarkDotNet statistics).
    int n = args.Length > 1 ? int.Parse(args[1]) : 50_000;
    int k = args.Length > 2 ? int.Parse(args[2]) : 1000;
    var (a, c) = NeuronBenchmarks.Make(n, k, k);
    var sw = System.Diagnostics.Stopwatch.StartNew();
    var probe = Sightline.Neurons.NeuronProbe.FromRowMajor(a, c, n, k, k);
    Console.WriteLine($"probe {sw.Elapsed.TotalSeconds:0.00} s");
    foreach (var name in (args.Length > 3 ? args[3] : "iou,correlation,cosine,mad,auprc,inverse_auc,wpmi").Split(','))
    {
        sw.Restart();
        Sightline.Neurons.NeuronMetricRegistry.Get(name).Create(new Sightline.Neurons.NeuronMetricOptions { Alpha = 0.005 }).Evaluate(probe);
        Console.WriteLine($"{name} {sw.Elapsed.TotalSeconds:0.00} s");
    }
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
