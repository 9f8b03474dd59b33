using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sightline.Alignment;
using Sightline.Data;
using Sightline.Evaluation;
using Sightline.Explainers;
using Sightline.Metrics;
using Sightline.Results;
using Sightline.Statistics;
using Sightline.Torch;
using Sightline.Torch.Training;

namespace Sightline.Cli.Demo;

/// <summary>Options of the demo.</summary>
public sealed record DemoOptions
{
    /// <summary>Fashion-MNIST folder (IDX files).</summary>
    public string DataDir { get; init; } = "/usr/share/datasets/fashion-mnist";
    /// <summary>Output folder.</summary>
    public string OutDir { get; init; } = "sightline-demo";
    /// <summary>Correlation of square colour and class in the spurious model's training set.</summary>
    public double Correlation { get; init; } = 1.0;
    /// <summary>Training images per model.</summary>
    public int TrainSize { get; init; } = 12000;
    /// <summary>Training epochs.</summary>
    public int Epochs { get; init; } = 3;
    /// <summary>Test images explained and scored.</summary>
    public int Samples { get; init; } = 1000;
    /// <summary>Force retraining.</summary>
    public bool Retrain { get; init; }
    /// <summary>Seed of everything.</summary>
    public int Seed { get; init; }
    /// <summary>Integrated-gradients steps.</summary>
    public int IgSteps { get; init; } = 32;
    /// <summary>Bootstrap resamples / permutations for the comparisons.</summary>
    public int Resamples { get; init; } = 1000;
}

/// <summary>
/// The coloured-square experiment of Explanation Alignment, end to end: data with a planted cue, two small CNNs
/// trained in-process (clean: random square colours; spurious: colour = class), accuracy on matching and shuffled
/// squares, explanations (gradcam, saliency, integrated_gradients), alignment scores against the object and the
/// square masks, per-model summaries with CIs, paired comparisons, examples, and a verdict.
/// </summary>
public sealed class DemoPipeline(DemoOptions options, CliContext context)
{
    private static readonly string[] MetricNames = ["sss", "iou", "gtc", "sc", "pointing_game"];
    private static readonly string[] Methods = ["gradcam", "saliency", "integrated_gradients"];

    /// <summary>The ground truths and their roles: attention on the object is wanted, attention on the planted square is the
    /// shortcut, so for the square mask a higher IoU/GTC/pointing game (a lower SSS) means a <em>worse</em> model.</summary>
    private static readonly (string Mask, string Role)[] Masks = [("object", "object"), ("square", "spurious")];

    /// <summary>
    /// The smallest paired difference in object IoU (clean − spurious, saliency) that counts as "clearly better aligned":
    /// the lower end of its bootstrap 95% CI must reach this absolute margin, not just exceed 0, so that a large sample
    /// cannot turn a negligible difference into a verdict. Object IoU of these maps lies around 0.05–0.2, so 0.02 is a
    /// tenth to a half of it; the real demo clears it by a factor of two (Fashion-MNIST and shapes).
    /// </summary>
    public const double MinObjectIouDifference = 0.02;

    /// <summary>Examples written for the report: this many best and this many worst by the ranking key.</summary>
    public const int ExamplesPerEnd = 4;

    /// <summary>The method the verdict and the example ranking use (Explanation Alignment's vanilla-gradient saliency).</summary>
    private const string Judge = "saliency";
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private void Say(string line) => context.Error.WriteLine($"[{_clock.Elapsed:mm\\:ss}] {line}");

    /// <summary>Runs the demo; returns the exit code (0 when the expected separation is found).</summary>
    public int Run()
    {
        TorchRuntime.EnsureInitialized();
        Directory.CreateDirectory(options.OutDir);
        var (train, testMatch, testShuffled, source) = LoadData();
        const int size = 28;
        int[] shape = [3, size, size];

        var models = new Dictionary<string, SmallCnnModel>();
        foreach (var (name, data) in new[] { ("clean", train.Clean), ("spurious", train.Spurious) })
            models[name] = TrainOrLoad(name, data, shape, source);

        var accuracy = new Dictionary<string, Dictionary<string, double>>();
        foreach (var (name, m) in models)
            accuracy[name] = new() { ["matching"] = Accuracy(m, testMatch, $"accuracy {name}, matching squares"), ["shuffled"] = Accuracy(m, testShuffled, $"accuracy {name}, shuffled squares") };
        foreach (var (name, acc) in accuracy)
            Say($"{name,-8} accuracy: matching squares {acc["matching"]:P1}, shuffled squares {acc["shuffled"]:P1}");

        int n = Math.Min(options.Samples, testMatch.Count);
        var inputs = testMatch.Images.AsSpan(0, n * 3 * size * size).ToArray();
        var objectMasks = testMatch.ObjectMasks.AsSpan(0, n * size * size).ToArray().Select(b => (float)b).ToArray();
        var square = testMatch.SquareMask();
        var squareMasks = Enumerable.Range(0, n).SelectMany(_ => square).Select(b => (float)b).ToArray();
        var labels = testMatch.Labels.Take(n).ToArray();
        WriteData(inputs, labels, objectMasks, squareMasks, n, size);

        var rows = new List<(string Model, string Method, string Mask, AlignmentResult Result, int[] Predicted)>();
        var maps = new Dictionary<(string, string), float[]>();
        foreach (var (name, model) in models)
        {
            var logits = new float[n * 10];
            model.Forward(inputs, n, logits);
            var predicted = Enumerable.Range(0, n).Select(i => TensorPrimitives.IndexOfMax(logits.AsSpan(i * 10, 10))).ToArray();
            foreach (var method in Methods)
            {
                var sw = Stopwatch.StartNew();
                var explainer = ExplainerCatalog.Create(method, new ExplainerOptions
                {
                    Layer = SmallCnn.FeatureLayer,
                    IntegratedGradients = new IntegratedGradientsOptions { Steps = options.IgSteps },
                });
                var m = new float[n * size * size];
                using (var progress = new ConsoleProgress(context, $"explaining {name} {method}", n))
                {
                    // In chunks only for progress: batched results equal unbatched ones, and FirstIndex keeps seeds per sample.
                    const int chunk = 100;
                    int pixels = 3 * size * size;
                    for (int start = 0; start < n; start += chunk)
                    {
                        int count = Math.Min(chunk, n - start);
                        explainer.Explain(model, inputs.AsSpan(start * pixels, count * pixels), count, predicted.AsSpan(start, count),
                            m.AsSpan(start * size * size, count * size * size), new ExplainSettings { BatchSize = 256, Seed = options.Seed, FirstIndex = start });
                        progress.Report(start + count);
                    }
                }
                // SemScore's threshold assumes CAM-like maps in [0,1]: scale every map per sample (rank metrics are unaffected).
                for (int i = 0; i < n; i++) ExplainMath.ScaleMinMax(m.AsSpan(i * size * size, size * size));
                maps[(name, method)] = m;
                foreach (var (maskName, maskValues) in new[] { ("object", objectMasks), ("square", squareMasks) })
                {
                    var result = Score(model, inputs, m, maskName, maskValues, labels, predicted, n, shape);
                    rows.Add((name, method, maskName, result, predicted));
                }
                Say($"{name,-8} {method,-20} explained and scored {n} images in {sw.Elapsed.TotalSeconds:0.0} s");
            }
        }

        WriteScores(rows, labels);
        var summaries = WriteSummaries(rows, labels, SpuriousCueData.ClassNames(source));
        var (_, verdict) = Compare(rows, summaries, accuracy);
        WriteExamples(testMatch, maps, rows, n);
        var reportPath = Path.Combine(options.OutDir, "report.html");
        Sightline.Reports.HtmlReport.Write(options.OutDir, reportPath, new Sightline.Reports.ReportOptions { Title = "Sightline demo: a planted coloured square", Examples = 8 });
        PrintVerdict(summaries, accuracy, verdict);
        context.Out.WriteLine($"Report: {Path.GetFullPath(reportPath)}");
        Say($"done; results in {Path.GetFullPath(options.OutDir)}");
        foreach (var m in models.Values) m.Dispose();
        return verdict.Passed ? ExitCodes.Ok : ExitCodes.Failed;
    }

    /// <summary>
    /// Scores one model's maps against one ground truth through the core evaluation pipeline (the localisation metrics
    /// through <see cref="LocalisationMetric"/>), and returns them as <c>align</c> reports them: the metric columns, the
    /// Shared Interest case, label and prediction, and the reasons joined as <c>align</c> joins them (distinct reasons in
    /// metric order; SemScore's screening: a sample whose mask is empty has no SSS).
    /// </summary>
    private AlignmentResult Score(SmallCnnModel model, float[] inputs, float[] maps, string maskName, float[] maskValues, int[] labels, int[] predicted, int n, int[] shape)
    {
        int size = shape[1], pixels = size * size;
        var request = new EvaluationRequest
        {
            Inputs = new ArrayInputSource("inputs", inputs, n, shape, labels),
            Metrics = [.. MetricNames.Select(name => MetricCatalogue.GetEvaluate(name).Create())],
            Saliency = new ArraySampleSource("maps", maps, n, size, size),
            Masks = new ArraySampleSource(maskName + "-masks", maskValues, n, size, size),
            Model = model,
            Target = new TargetRule("predicted"),
            Seed = options.Seed,
            Chunk = 1024,
        };
        var rows = new EvaluationRows();
        var run = EvaluationPipeline.Run(request, rows);
        var layout = run.Layout;
        var scores = new Dictionary<string, double[]>();
        for (int k = 0; k < layout.Metrics.Count; k++) scores[layout.Metrics[k].Name] = rows.Column(layout, layout.Offsets[k]);
        var metricReasons = Enumerable.Range(0, layout.Metrics.Count).Select(rows.MetricReasons).ToArray();
        var reasons = new string?[n];
        var cases = new string?[n];
        var screened = new bool[n];
        int failed = 0;
        var cutoffs = new SharedInterestCutoffs();
        for (int i = 0; i < n; i++)
        {
            screened[i] = maskValues.AsSpan(i * pixels, pixels).IndexOfAnyExcept(0f) >= 0;
            if (metricReasons[0][i] == EvaluationPipeline.NonFiniteAttribution)
            {
                reasons[i] = Reasons.NonFiniteMap;
                cases[i] = "undefined";
                failed++;
                continue;
            }
            var distinct = new List<string>();
            foreach (var r in metricReasons)
                if (r[i] is { } reason && !distinct.Contains(reason)) distinct.Add(reason);
            if (!screened[i] && scores.TryGetValue("sss", out var sss))
            {
                sss[i] = double.NaN;
                if (!distinct.Contains(Reasons.EmptyMask)) distinct.Add(Reasons.EmptyMask);
            }
            reasons[i] = distinct.Count == 0 ? null : string.Join(";", distinct);
            cases[i] = SharedInterestCase.Classify(scores["iou"][i], scores["sc"][i], scores["gtc"][i], labels[i] == predicted[i], cutoffs);
        }
        var table = new ResultTable();
        table.Add(new Int64Column("index", [.. Enumerable.Range(0, n).Select(i => (long)i)]));
        foreach (var (name, values) in scores) table.Add(new DoubleColumn(name, values));
        table.Add(new StringColumn("si_case", cases));
        table.Add(new Int64Column("label", [.. labels.Select(l => (long)l)]));
        table.Add(new Int64Column("predicted", [.. predicted.Select(l => (long)l)]));
        if (reasons.Any(r => r is not null)) table.Add(new StringColumn("reason", reasons));
        return new AlignmentResult(table, scores, failed, screened.Count(s => s)) { Screened = screened };
    }

    private ((SpuriousCueData Clean, SpuriousCueData Spurious) Train, SpuriousCueData TestMatch, SpuriousCueData TestShuffled, string Source) LoadData()
    {
        var trainRaw = SpuriousCueData.LoadFashionMnist(options.DataDir, train: true);
        var testRaw = SpuriousCueData.LoadFashionMnist(options.DataDir, train: false);
        string source = "fashion-mnist";
        byte[] trainGray, testGray;
        byte[]? trainMasks = null, testMasks = null;
        int[] trainLabels, testLabels;
        int testCount;
        if (trainRaw is { } tr && testRaw is { } te)
        {
            (trainGray, trainLabels) = (tr.Gray, tr.Labels);
            (testGray, testLabels, testCount) = (te.Gray, te.Labels, Math.Min(te.Count, 10000));
            Say($"data: Fashion-MNIST from {options.DataDir}");
        }
        else
        {
            context.Error.WriteLine($"sightline demo: Fashion-MNIST not found in {options.DataDir}. Install it with 'sudo apt-get install dataset-fashion-mnist' (or pass --data DIR); running on the built-in shapes data set instead.");
            source = "shapes";
            (trainGray, trainLabels, trainMasks) = SpuriousCueData.Shapes(options.TrainSize, (ulong)options.Seed + 1);
            testCount = 4000;
            (testGray, testLabels, testMasks) = SpuriousCueData.Shapes(testCount, (ulong)options.Seed + 2);
        }
        if (options.Samples > testCount)
            throw new InputDataException($"--samples {options.Samples}: the {source} test set has {testCount} images; give at most {testCount}.");
        if (options.TrainSize > trainLabels.Length)
            throw new InputDataException($"--train-size {options.TrainSize}: the {source} training set has {trainLabels.Length} images; give at most {trainLabels.Length}.");
        int trainCount = options.TrainSize;
        var clean = SpuriousCueData.Build(trainGray, trainLabels, trainCount, 28, correlation: 0.0, shuffle: false, (ulong)options.Seed + 10, source, trainMasks);
        var spurious = SpuriousCueData.Build(trainGray, trainLabels, trainCount, 28, options.Correlation, shuffle: false, (ulong)options.Seed + 11, source, trainMasks);
        var match = SpuriousCueData.Build(testGray, testLabels, testCount, 28, 1.0, shuffle: false, (ulong)options.Seed + 12, source, testMasks);
        var shuffled = SpuriousCueData.Build(testGray, testLabels, testCount, 28, 1.0, shuffle: true, (ulong)options.Seed + 13, source, testMasks);
        return ((clean, spurious), match, shuffled, source);
    }

    private SmallCnnModel TrainOrLoad(string name, SpuriousCueData data, int[] shape, string source)
    {
        var dir = Path.Combine(options.OutDir, "models");
        Directory.CreateDirectory(dir);
        var weights = Path.Combine(dir, name + ".weights");
        var keyPath = weights + ".json";
        var key = JsonSerializer.Serialize(new { name, source, data.Count, options.Epochs, options.Seed, correlation = name == "clean" ? 0.0 : options.Correlation, version = 1 });
        TorchSharp.torch.manual_seed(options.Seed + (name == "clean" ? 100 : 200));
        var net = new SmallCnn(10);
        if (!options.Retrain && File.Exists(weights) && File.Exists(keyPath) && File.ReadAllText(keyPath) == key)
        {
            net.load(weights);
            Say($"{name,-8} model loaded from cache ({weights}); --retrain to train again");
        }
        else
        {
            var sw = Stopwatch.StartNew();
            int batches = options.Epochs * ((data.Count + 63) / 64);
            double loss;
            using (var progress = new ConsoleProgress(context, $"training {name}", batches))
                loss = Trainer.Train(net, data.Images, data.Labels, shape, new TrainingOptions(options.Epochs, 64, 1e-3, options.Seed), progress);
            net.save(weights);
            Sightline.IO.AtomicFile.WriteAllText(keyPath, key);
            Say($"{name,-8} model trained in {sw.Elapsed.TotalSeconds:0.0} s (final loss {loss:0.000})");
        }
        // The same network as ONNX, so that every --model command (explain, evaluate, qge-check, evaluate-sanity,
        // study) runs on the demo's models: weights are the ones just trained or loaded.
        net.SaveOnnx(Path.Combine(dir, name + ".onnx"), shape);
        return new SmallCnnModel(net, name, shape, 10);
    }

    /// <summary>
    /// Writes the explained test images as ready tensors for the other commands: <c>data/inputs.npy</c> (N×3×28×28
    /// float32, the model's input), <c>data/labels.npy</c> (N int64), <c>data/object_masks.npy</c> and
    /// <c>data/square_masks.npy</c> (N×28×28 uint8 0/1), in the order of scores.csv's <c>index</c>.
    /// </summary>
    private void WriteData(float[] inputs, int[] labels, float[] objectMasks, float[] squareMasks, int n, int size)
    {
        var dir = Path.Combine(options.OutDir, "data");
        Directory.CreateDirectory(dir);
        Sightline.IO.AtomicFile.Write(Path.Combine(dir, "inputs.npy"), s => Sightline.IO.Npy.Write<float>(s, inputs, n, 3, size, size));
        Sightline.IO.AtomicFile.Write(Path.Combine(dir, "labels.npy"), s => Sightline.IO.Npy.Write<long>(s, labels.Select(l => (long)l).ToArray(), n));
        foreach (var (name, mask) in new[] { ("object_masks", objectMasks), ("square_masks", squareMasks) })
            Sightline.IO.AtomicFile.Write(Path.Combine(dir, name + ".npy"), s => Sightline.IO.Npy.Write<byte>(s, mask.Select(v => v != 0 ? (byte)1 : (byte)0).ToArray(), n, size, size));
    }

    private double Accuracy(SmallCnnModel model, SpuriousCueData data, string label)
    {
        var logits = new float[data.Count * 10];
        int pixels = data.Images.Length / data.Count;
        using (var progress = new ConsoleProgress(context, label, data.Count))
            for (int start = 0; start < data.Count; start += 1024)
            {
                int count = Math.Min(1024, data.Count - start);
                Batched.Forward(model, data.Images.AsSpan(start * pixels, count * pixels), count, logits.AsSpan(start * 10, count * 10), 512);
                progress.Report(start + count);
            }
        int correct = 0;
        for (int i = 0; i < data.Count; i++) if (TensorPrimitives.IndexOfMax(logits.AsSpan(i * 10, 10)) == data.Labels[i]) correct++;
        return (double)correct / data.Count;
    }

    private void WriteScores(List<(string Model, string Method, string Mask, AlignmentResult Result, int[] Predicted)> rows, int[] labels)
    {
        int n = labels.Length;
        var table = new ResultTable();
        table.Add(new StringColumn("model", [.. rows.SelectMany(r => Enumerable.Repeat(r.Model, n))]));
        table.Add(new StringColumn("method", [.. rows.SelectMany(r => Enumerable.Repeat(r.Method, n))]));
        table.Add(new StringColumn("mask", [.. rows.SelectMany(r => Enumerable.Repeat(r.Mask, n))]));
        table.Add(new Int64Column("index", [.. rows.SelectMany(_ => Enumerable.Range(0, n).Select(i => (long)i))]));
        foreach (var metric in MetricNames)
            table.Add(new DoubleColumn(metric, [.. rows.SelectMany(r => r.Result.Scores[metric])]));
        table.Add(new Int64Column("label", [.. rows.SelectMany(_ => labels.Select(l => (long)l))]));
        table.Add(new Int64Column("predicted", [.. rows.SelectMany(r => r.Predicted.Select(p => (long)p))]));
        // As 'align' writes them: the Shared Interest case and why a score is NaN (empty, e.g. "constant-map"), per row.
        string?[] Strings(AlignmentResult result, string column) => result.Table[column] is StringColumn c ? c.Values : new string?[n];
        table.Add(new StringColumn("si_case", [.. rows.SelectMany(r => Strings(r.Result, "si_case"))]));
        table.Add(new StringColumn("reason", [.. rows.SelectMany(r => Strings(r.Result, "reason"))]));
        ResultWriter.Write(table, Path.Combine(options.OutDir, "scores.csv"));
        ResultWriter.Write(table, Path.Combine(options.OutDir, "scores.parquet"));
    }

    private static string MaskRole(string mask) => Masks.First(m => m.Mask == mask).Role;

    private Dictionary<string, AlignmentSummary> WriteSummaries(List<(string Model, string Method, string Mask, AlignmentResult Result, int[] Predicted)> rows, int[] labels,
        IReadOnlyList<string> classNames)
    {
        var dir = Path.Combine(options.OutDir, "summaries");
        Directory.CreateDirectory(dir);
        var result = new Dictionary<string, AlignmentSummary>();
        foreach (var r in rows)
        {
            string group = $"{r.Model}/{r.Method}/{r.Mask}";
            var s = AlignmentSummary.Build(r.Result, labels, new SummaryOptions(options.Resamples, (ulong)options.Seed + 42));
            var path = Path.Combine(dir, $"{r.Model}_{r.Method}_{r.Mask}.json");
            s.WriteJson(path, new Dictionary<string, string> { ["group"] = group, ["model"] = r.Model, ["method"] = r.Method, ["mask"] = r.Mask, ["mask_role"] = MaskRole(r.Mask) });
            // Per-class keys are class ids; the names let the report label them.
            var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            json["class_names"] = new JsonArray([.. classNames.Select(c => JsonValue.Create(c))]);
            Sightline.IO.AtomicFile.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            result[group] = s;
        }
        return result;
    }

    /// <summary>The verdict of the demo.</summary>
    public sealed record Verdict(bool Passed, List<string> Lines);

    private (List<object> Comparisons, Verdict Verdict) Compare(List<(string Model, string Method, string Mask, AlignmentResult Result, int[] Predicted)> rows,
        Dictionary<string, AlignmentSummary> summaries, Dictionary<string, Dictionary<string, double>> accuracy)
    {
        var comparisons = new List<object>();
        var lookup = rows.ToDictionary(r => (r.Model, r.Method, r.Mask), r => r.Result);
        var paired = new Dictionary<(string Method, string Mask, string Metric), PairedComparison>();
        foreach (var method in Methods)
            foreach (var mask in new[] { "object", "square" })
                foreach (var metric in MetricNames)
                {
                    var a = lookup[("clean", method, mask)].Scores[metric];
                    var b = lookup[("spurious", method, mask)].Scores[metric];
                    var p = PairedComparison.Of(a, b, options.Resamples, 2000, (ulong)options.Seed + 7);
                    paired[(method, mask, metric)] = p;
                    comparisons.Add(new Dictionary<string, object?>
                    {
                        ["metric"] = metric, ["mask"] = mask, ["mask_role"] = MaskRole(mask), ["method"] = method, ["a"] = "clean", ["b"] = "spurious", ["n"] = p.N,
                        ["mean_difference"] = Finite(p.MeanDifference), ["ci95"] = new[] { Finite(p.CiLow), Finite(p.CiHigh) }, ["p_value"] = Finite(p.PValue),
                    });
                }

        // Expected separation, judged as Explanation Alignment does (vanilla-gradient saliency): the clean model's object
        // IoU is clearly above the spurious one's (the lower end of the CI of the paired difference reaches
        // MinObjectIouDifference), the spurious model points at the square far more often than the clean one, and its
        // accuracy collapses when the squares are shuffled.
        const string judge = Judge;
        var lines = new List<string>();
        var iouDiff = paired[(judge, "object", "iou")];
        bool objectSeparated = ObjectClearlyBetter(iouDiff);
        lines.Add($"object alignment ({judge} IoU): clean − spurious = {iouDiff.MeanDifference:0.000} [95% CI {iouDiff.CiLow:0.000}, {iouDiff.CiHigh:0.000}], p = {iouDiff.PValue:0.0000} → {(objectSeparated ? "clean model clearly better aligned" : "NOT separated")} (needs CI ≥ {MinObjectIouDifference:0.00})");
        double spuriousSquarePg = summaries[$"spurious/{judge}/square"].Metrics["pointing_game"].Mean;
        double cleanSquarePg = summaries[$"clean/{judge}/square"].Metrics["pointing_game"].Mean;
        bool pointsAtSquare = spuriousSquarePg >= 0.5 && spuriousSquarePg > cleanSquarePg + 0.25;
        lines.Add($"pointing at the square ({judge} pointing game): spurious {spuriousSquarePg:0.000}, clean {cleanSquarePg:0.000} → {(pointsAtSquare ? "the spurious model points at the cue" : "NOT pointing at the cue")}");
        double collapse = accuracy["spurious"]["matching"] - accuracy["spurious"]["shuffled"];
        lines.Add($"accuracy with matching → shuffled squares: spurious {accuracy["spurious"]["matching"]:P1} → {accuracy["spurious"]["shuffled"]:P1}, clean {accuracy["clean"]["matching"]:P1} → {accuracy["clean"]["shuffled"]:P1}");
        bool passed = objectSeparated && pointsAtSquare && collapse > 0.2;
        lines.Add(passed ? "VERDICT: Sightline tells the models apart: the clean model is right for the right reason, the spurious one for the cue."
                         : "VERDICT: the expected separation was NOT found.");
        var verdict = new Verdict(passed, lines);

        Sightline.IO.AtomicFile.Write(Path.Combine(options.OutDir, "comparison.json"), stream => JsonSerializer.Serialize(stream, new Dictionary<string, object>
        {
            ["comparisons"] = comparisons,
            ["accuracy"] = accuracy,
            ["verdict"] = new Dictionary<string, object> { ["passed"] = passed, ["lines"] = lines },
        }, new JsonSerializerOptions { WriteIndented = true }));
        return (comparisons, verdict);
    }

    /// <summary>True when the clean model's object alignment is clearly above the spurious one's: the lower end of the 95%
    /// CI of the paired difference reaches <see cref="MinObjectIouDifference"/> (a CI merely excluding 0 is not enough).</summary>
    internal static bool ObjectClearlyBetter(PairedComparison difference) => difference.CiLow >= MinObjectIouDifference;

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;

    /// <summary>
    /// Writes <see cref="ExamplesPerEnd"/> best and as many worst examples of all <paramref name="n"/> explained images,
    /// ranked by the clean − spurious difference in object IoU of the <see cref="Judge"/> maps (best: the clean model's
    /// map covers the object far better than the spurious one's), with every panel's scores against both masks.
    /// </summary>
    private void WriteExamples(SpuriousCueData data, Dictionary<(string, string), float[]> maps, List<(string Model, string Method, string Mask, AlignmentResult Result, int[] Predicted)> rows, int n)
    {
        const int size = 28, scale = 4, big = size * scale;
        var dir = Path.Combine(options.OutDir, "examples");
        Directory.CreateDirectory(dir);
        var names = SpuriousCueData.ClassNames(data.Source);
        var cleanIou = rows.First(r => r is { Model: "clean", Method: Judge, Mask: "object" }).Result.Scores["iou"];
        var spuriousIou = rows.First(r => r is { Model: "spurious", Method: Judge, Mask: "object" }).Result.Scores["iou"];
        string keyName = $"clean − spurious {Judge} object IoU";
        var ranked = RankExamples(cleanIou, spuriousIou, n, ExamplesPerEnd);
        string F(double v) => double.IsFinite(v) ? v.ToString("0.00", CultureInfo.InvariantCulture) : "NaN";
        // Scores per panel, metric by metric with the object and the square side by side; NaN written as null.
        var scoreKeys = new[] { "iou", "pointing_game", "gtc", "sc", "sss" }.SelectMany(metric => Masks.Select(m => (Metric: metric, m.Mask))).ToList();
        var examples = new List<object>();
        foreach (var (i, rank, key) in ranked)
        {
            var rgb = Upscale(data.Images.AsSpan(i * 3 * size * size, 3 * size * size), size, scale);
            var input = $"examples/{i:D6}_input.png";
            WriteRgb(Path.Combine(options.OutDir, input), rgb, big);
            var panels = new List<object>();
            foreach (var ((model, method), m) in maps)
            {
                var plane = new float[big * big];
                ExplainMath.ResizeNearest(m.AsSpan(i * size * size, size * size), size, size, plane, big, big);
                var rgba = new byte[big * big * 4];
                // Over a grayscale copy, so the square's colour is not read as heat; the outlines show both ground truths.
                Colormap.Overlay(rgb, plane, big, big, rgba);
                DrawOutline(rgba, data.ObjectMasks.AsSpan(i * size * size, size * size), size, scale, (255, 255, 255));
                DrawOutline(rgba, data.SquareMask(), size, scale, (255, 64, 64));
                var path = $"examples/{i:D6}_{model}_{method}.png";
                ImageDecoder.WritePng(Path.Combine(options.OutDir, path), big, big, rgba);
                var scores = new Dictionary<string, double?>();
                foreach (var (metric, mask) in scoreKeys)
                {
                    double v = rows.First(r => r.Model == model && r.Method == method && r.Mask == mask).Result.Scores[metric][i];
                    scores[$"{metric}_{mask}"] = double.IsFinite(v) ? v : null;
                }
                panels.Add(new Dictionary<string, object> { ["model"] = model, ["method"] = method, ["image"] = path, ["scores"] = scores });
            }
            examples.Add(new Dictionary<string, object>
            {
                ["index"] = i,
                ["rank"] = rank,
                ["rank_score"] = key,
                ["title"] = $"{names[data.Labels[i]]} (label {data.Labels[i]}); {keyName} {F(key)} (clean {F(cleanIou[i])}, spurious {F(spuriousIou[i])})",
                ["input"] = input,
                ["panels"] = panels,
            });
        }
        Sightline.IO.AtomicFile.Write(Path.Combine(options.OutDir, "examples.json"), stream => JsonSerializer.Serialize(stream, new Dictionary<string, object>
        {
            ["ranking"] = new Dictionary<string, object>
            {
                ["key"] = keyName,
                ["direction"] = "higher_is_better",
                ["description"] = $"ranked by {keyName} over all {n} explained images: the {ranked.Count(r => r.Rank == "best")} where the clean model's map covers the object best relative to the spurious model's, then the {ranked.Count(r => r.Rank == "worst")} where it does worst",
            },
            ["examples"] = examples,
            ["legend"] = "heat over a grayscale copy of the input; white outline: object mask; red outline: planted square; scores with suffix _square are against the square (higher IoU, GTC, SC and pointing game there mean attention on the cue)",
        }, new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>
    /// The <paramref name="perEnd"/> samples with the highest and then the <paramref name="perEnd"/> with the lowest
    /// <c>a − b</c> (NaN differences left out; ties broken by index), as (index, "best"/"worst", difference).
    /// </summary>
    internal static List<(int Index, string Rank, double Key)> RankExamples(ReadOnlySpan<double> a, ReadOnlySpan<double> b, int n, int perEnd)
    {
        var keyed = new List<(int Index, double Key)>();
        for (int i = 0; i < n; i++)
            if (double.IsFinite(a[i] - b[i])) keyed.Add((i, a[i] - b[i]));
        var ordered = keyed.OrderByDescending(k => k.Key).ThenBy(k => k.Index).ToList();
        int best = Math.Min(perEnd, ordered.Count), worst = Math.Min(perEnd, ordered.Count - best);
        var result = ordered.Take(best).Select(k => (k.Index, "best", k.Key)).ToList();
        result.AddRange(ordered.Skip(ordered.Count - worst).Reverse().Select(k => (k.Index, "worst", k.Key)));
        return result;
    }

    private static byte[] Upscale(ReadOnlySpan<float> chw, int size, int scale)
    {
        int big = size * scale;
        var rgb = new byte[big * big * 3];
        for (int y = 0; y < big; y++)
            for (int x = 0; x < big; x++)
                for (int c = 0; c < 3; c++)
                    rgb[(y * big + x) * 3 + c] = (byte)Math.Round(255 * Math.Clamp(chw[c * size * size + y / scale * size + x / scale], 0, 1));
        return rgb;
    }

    private static void WriteRgb(string path, byte[] rgb, int side)
    {
        var rgba = new byte[side * side * 4];
        for (int p = 0; p < side * side; p++) { rgba[p * 4] = rgb[p * 3]; rgba[p * 4 + 1] = rgb[p * 3 + 1]; rgba[p * 4 + 2] = rgb[p * 3 + 2]; rgba[p * 4 + 3] = 255; }
        ImageDecoder.WritePng(path, side, side, rgba);
    }

    private static void DrawOutline(byte[] rgba, ReadOnlySpan<byte> mask, int size, int scale, (byte R, byte G, byte B) colour)
    {
        int big = size * scale;
        for (int y = 0; y < big; y++)
            for (int x = 0; x < big; x++)
            {
                bool inside = mask[y / scale * size + x / scale] != 0;
                if (!inside) continue;
                bool edge = false;
                foreach (var (dy, dx) in new[] { (-1, 0), (1, 0), (0, -1), (0, 1) })
                {
                    int yy = y + dy, xx = x + dx;
                    if (yy < 0 || xx < 0 || yy >= big || xx >= big || mask[yy / scale * size + xx / scale] == 0) { edge = true; break; }
                }
                if (!edge) continue;
                int p = (y * big + x) * 4;
                rgba[p] = colour.R; rgba[p + 1] = colour.G; rgba[p + 2] = colour.B;
            }
    }

    private void PrintVerdict(Dictionary<string, AlignmentSummary> summaries, Dictionary<string, Dictionary<string, double>> accuracy, Verdict verdict)
    {
        var o = context.Out;
        o.WriteLine();
        o.WriteLine($"{"model",-9} {"acc match",9} {"acc shuf",9} | {"method",-20} {"mask",-7} {"iou",18} {"pointing_game",18} {"sss",18}");
        foreach (var model in new[] { "clean", "spurious" })
            foreach (var method in Methods)
                foreach (var mask in new[] { "object", "square" })
                {
                    var s = summaries[$"{model}/{method}/{mask}"].Metrics;
                    string F(string metric) => $"{s[metric].Mean:0.000} [{s[metric].CiLow:0.00},{s[metric].CiHigh:0.00}]";
                    o.WriteLine($"{model,-9} {accuracy[model]["matching"],9:P1} {accuracy[model]["shuffled"],9:P1} | {method,-20} {mask,-7} {F("iou"),18} {F("pointing_game"),18} {F("sss"),18}");
                }
        o.WriteLine("(mask 'square' is the planted cue: there a lower iou and pointing_game, and a higher sss, mean a better model)");
        o.WriteLine();
        foreach (var line in verdict.Lines) o.WriteLine(line);
    }
}
