using System.Globalization;
using Sightline.IO;
using Sightline.Statistics;

namespace Sightline.Benchmarks.Study;

/// <summary>
/// A synthetic study the shape of a real one at reduced resolution, for the load benchmark (bench/study) and its small
/// version in the tests: N planted-cue images of 3×28×28 (a bright disc on clutter and a coloured 5×5 square in the
/// corner) as ready tensors, labels, the object and square masks, and a study file over the example studies' two
/// models (clean, spurious) with eight methods and three metrics against both masks.
/// </summary>
public static class SyntheticStudy
{
    /// <summary>The eight methods of the benchmark (gradient and CAM methods; integrated gradients and SmoothGrad with few steps).</summary>
    public const string Methods = """
          - saliency
          - input_x_gradient
          - {name: integrated_gradients, steps: 8}
          - {name: smoothgrad, samples: 4}
          - {name: gradcam, layer: /features/relu2/Relu_output_0}
          - {name: gradcam_plus_plus, layer: /features/relu2/Relu_output_0}
          - {name: xgradcam, layer: /features/relu2/Relu_output_0}
          - {name: layercam, layer: /features/relu2/Relu_output_0}
        """;

    /// <summary>Writes the data and <c>DIR/study.yaml</c>; returns the study file. <paramref name="repo"/> is the repository root (for the models).</summary>
    public static string Write(string dir, int n, string repo, int chunk = 256, ulong seed = 7)
    {
        Directory.CreateDirectory(dir);
        const int s = 28, p = s * s;
        var x = new float[(long)n * 3 * p];
        var y = new long[n];
        var obj = new byte[(long)n * p];
        var square = new byte[(long)n * p];
        var rng = new SplitMix(seed);
        for (int i = 0; i < n; i++)
        {
            int label = rng.NextInt(10);
            y[i] = label;
            double cx = 12 + rng.NextDouble() * 6, cy = 12 + rng.NextDouble() * 6, r = 4 + rng.NextDouble() * 4;
            for (int yy = 0; yy < s; yy++)
                for (int xx = 0; xx < s; xx++)
                {
                    int q = yy * s + xx;
                    bool sq = yy < 5 && xx < 5, on = !sq && (xx - cx) * (xx - cx) + (yy - cy) * (yy - cy) <= r * r;
                    float v = on ? 0.6f + 0.4f * (float)rng.NextDouble() : 0.2f * (float)rng.NextDouble();
                    for (int c = 0; c < 3; c++) x[((long)i * 3 + c) * p + q] = sq ? ((label * 37 + c * 91) % 256) / 255f : v;
                    obj[(long)i * p + q] = (byte)(on ? 1 : 0);
                    square[(long)i * p + q] = (byte)(sq ? 1 : 0);
                }
        }
        Npy.Write<float>(Path.Combine(dir, "x.npy"), x, n, 3, s, s);
        Npy.Write<long>(Path.Combine(dir, "y.npy"), y, n);
        Npy.Write<byte>(Path.Combine(dir, "object.npy"), obj, n, s, s);
        Npy.Write<byte>(Path.Combine(dir, "square.npy"), square, n, s, s);
        string Model(string name) => Path.Combine(repo, "examples", "studies", "models", name + ".onnx");
        var study = Path.Combine(dir, "study.yaml");
        File.WriteAllText(study, $"""
            study: synthetic-load
            data: {"{"}inputs: x.npy, labels: y.npy{"}"}
            masks:
              object: object.npy
              square: {"{"}path: square.npy, role: spurious{"}"}
            models:
              - {"{"}name: clean, path: {Model("clean")}{"}"}
              - {"{"}name: spurious, path: {Model("spurious")}{"}"}
            methods:
            {Methods}
            metrics: [sss, iou, pointing_game]
            run: {"{"}chunk: {chunk.ToString(CultureInfo.InvariantCulture)}, examples: 0{"}"}
            statistics: {"{"}bootstrap: 200, permutations: 200{"}"}

            """);
        return study;
    }
}
