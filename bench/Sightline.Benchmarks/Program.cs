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
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
