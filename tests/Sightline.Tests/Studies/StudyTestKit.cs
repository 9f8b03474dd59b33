using System.Globalization;
using DuckDB.NET.Data;
using Sightline.Explainers;
using Sightline.IO;
using Sightline.Studies;
using Sightline.Tests.Cli;
using Sightline.Tests.Explainers;

namespace Sightline.Tests.Studies;

/// <summary>
/// Managed models for studies without ONNX: a "model file" holds one integer, the seed of a
/// <see cref="ConvGapModel"/> (3×8×8 inputs, 4 feature channels, 5 classes), so the file's content is the model.
/// </summary>
internal sealed class ManagedStudyLoader : IStudyModelLoader
{
    public int Opened { get; private set; }

    public string Signature(StudyModel model) => ContentHash.OfFile(model.Path);

    public StudySession Open(StudyModel model, StudyData data, bool needGradients, int threads)
    {
        Opened++;
        int seed = int.Parse(File.ReadAllText(model.Path).Trim(), CultureInfo.InvariantCulture);
        var m = new ConvGapModel(3, 8, 8, 4, 5, seed);
        var labels = data.Labels is null ? null : Sightline.Alignment.NpySampleSource.ReadIntegers(data.Labels);
        var inputs = new NpyInputSource(data.Inputs!, labels);
        return new StudySession(m, m, inputs, null, [m, inputs]);
    }
}

/// <summary>Builds small studies on disk: inputs, labels, an object mask, a label map with two classes, managed models.</summary>
internal static class StudyTestKit
{
    public const int Size = 8;

    public static string Write(TempDir dir, int samples = 24, string? extra = null, string metrics = "[sss, iou, pointing_game, sparseness]",
        string targets = "predicted", string methods = "[saliency, {name: gradcam, layer: features, normalise: minmax}]", int chunk = 5, string models = "a: 1\n  b: 2")
    {
        var rng = new Random(7);
        var x = new float[samples * 3 * Size * Size];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        Npy.Write<float>(dir.File("x.npy"), x, samples, 3, Size, Size);
        Npy.Write<long>(dir.File("y.npy"), [.. Enumerable.Range(0, samples).Select(i => (long)(i % 5))], samples);
        var obj = new byte[samples * Size * Size];
        var parts = new int[samples * Size * Size];
        for (int n = 0; n < samples; n++)
            for (int y = 0; y < Size; y++)
                for (int xx = 0; xx < Size; xx++)
                {
                    int p = n * Size * Size + y * Size + xx;
                    obj[p] = (byte)(y >= 2 && y < 6 && xx >= 2 && xx < 6 ? 1 : 0);
                    // Label map: class 2 (logit 1) on the top half, class 4 (logit 3) bottom left; sample 3 has none.
                    parts[p] = n == 3 ? 0 : y < 4 ? 2 : xx < 4 ? 4 : 0;
                }
        Npy.Write<byte>(dir.File("obj.npy"), obj, samples, Size, Size);
        Npy.Write<int>(dir.File("parts.npy"), parts, samples, Size, Size);
        var modelLines = new List<string>();
        foreach (var line in models.Split('\n'))
        {
            var (name, seed) = (line.Split(':')[0].Trim(), line.Split(':')[1].Trim());
            File.WriteAllText(dir.File(name + ".model"), seed);
            modelLines.Add($"  - {{name: {name}, path: {name}.model}}");
        }
        var yaml = $"""
            study: kit
            data: {"{"}inputs: x.npy, labels: y.npy{"}"}
            masks:
              object: obj.npy
              parts: {"{"}path: parts.npy{"}"}
            targets: {targets}
            models:
            {string.Join("\n", modelLines)}
            methods: {methods}
            metrics: {metrics}
            run: {"{"}chunk: {chunk}, examples: 0{"}"}
            statistics: {"{"}bootstrap: 200, permutations: 200{"}"}
            {extra ?? ""}
            """;
        var path = dir.File("study.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    /// <summary>Every row of a Parquet file (or glob) as text, in the order given by <paramref name="orderBy"/> (none: file order).</summary>
    public static List<string> Rows(string parquet, string? orderBy = null)
    {
        using var c = new DuckDBConnection("DataSource=:memory:");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT * FROM read_parquet('{parquet}'){(orderBy is null ? "" : " ORDER BY " + orderBy)}";
        using var r = cmd.ExecuteReader();
        var rows = new List<string>();
        while (r.Read())
        {
            var cells = new string[r.FieldCount];
            for (int i = 0; i < r.FieldCount; i++)
                cells[i] = r.IsDBNull(i) ? "∅" : r.GetValue(i) is double d ? d.ToString("R", CultureInfo.InvariantCulture) : Convert.ToString(r.GetValue(i), CultureInfo.InvariantCulture)!;
            rows.Add(string.Join("|", cells));
        }
        return rows;
    }

    public static StudyRunResult Run(string study, string outDir, int shard = 0, int shards = 1, bool force = false, ManagedStudyLoader? loader = null) =>
        StudyRunner.Run(StudyPlan.Create(StudyFile.Load(study)), loader ?? new ManagedStudyLoader(), new StudyRunOptions(outDir, shard, shards, 0, force));
}
