using BenchmarkDotNet.Running;
using Sightline.Benchmarks;

if (args.Length >= 1 && args[0] == "make-study-data")
{
    // make-study-data DIR [N] [REPO] [CHUNK]: the synthetic load study of bench/study (N planted-cue samples, 8 methods, 2 models).
    var dir = args.Length > 1 ? args[1] : "study-data";
    int n = args.Length > 2 ? int.Parse(args[2]) : 12_419;
    var repo = args.Length > 3 ? args[3] : Directory.GetCurrentDirectory();
    int chunk = args.Length > 4 ? int.Parse(args[4]) : 256;
    Console.WriteLine(Sightline.Benchmarks.Study.SyntheticStudy.Write(dir, n, repo, chunk));
    return;
}
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
    // neurons-once N n [METRICS|all] [soft]: one timed run of each metric at N × n × n (no BenchmarkDotNet statistics);
    // METRICS defaults to one metric per family, 'all' = every registered metric; 'soft' uses soft concept labels.
    int n = args.Length > 1 ? int.Parse(args[1]) : 50_000;
    int k = args.Length > 2 ? int.Parse(args[2]) : 1000;
    var list = args.Length > 3 ? args[3] : NeuronBenchmarks.Families;
    if (list == "all") list = string.Join(',', Sightline.Neurons.NeuronMetricRegistry.All.Select(d => d.Name));
    bool soft = args.Length > 4 && args[4] == "soft";
    var (a, c) = NeuronBenchmarks.Make(n, k, k, soft);
    var sw = System.Diagnostics.Stopwatch.StartNew();
    var probe = Sightline.Neurons.NeuronProbe.FromRowMajor(a, c, n, k, k);
    Console.WriteLine($"probe {sw.Elapsed.TotalSeconds:0.00} s ({(soft ? "soft" : "binary")} labels)");
    foreach (var name in list.Split(','))
    {
        sw.Restart();
        Sightline.Neurons.NeuronMetricRegistry.Get(name).Create(new Sightline.Neurons.NeuronMetricOptions { Alpha = 0.005 }).Evaluate(probe);
        Console.WriteLine($"{name} {sw.Elapsed.TotalSeconds:0.00} s");
    }
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
