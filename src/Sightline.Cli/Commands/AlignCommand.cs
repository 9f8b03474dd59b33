using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Sightline.Alignment;
using Sightline.Metrics;
using Sightline.Results;

namespace Sightline.Cli.Commands;

/// <summary><c>sightline align</c>: score saliency maps a user already has against ground-truth masks.</summary>
public static class AlignCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Build(CliContext context)
    {
        var saliency = new Option<string>("--saliency") { Description = "Saliency maps: NPY/NPZ of shape N×H×W or N×C×H×W (channels are summed, signed). For an NPZ entry use FILE.npz:NAME.", Required = true, HelpName = "S.npy" };
        var masks = new Option<string>("--masks") { Description = "Ground-truth masks: NPY/NPZ of shape N×H×W with values 0/1 (bool or numeric), or a folder of PNG masks (one per sample, ordinal file order).", Required = true, HelpName = "M.npy|DIR" };
        var maskEncoding = new Option<string>("--mask-encoding") { Description = "PNG masks: auto, binary (any non-zero), grayscale (label = gray value), palette (label = index, 255 ignored), rgb (label = G·256 + R).", DefaultValueFactory = _ => "auto", HelpName = "enc" };
        maskEncoding.AcceptOnlyFromAmong("auto", "binary", "grayscale", "palette", "rgb");
        var maskClasses = new Option<string?>("--mask-classes") { Description = "PNG label maps: class ids that form the ground truth (e.g. 3,7); default every non-zero, non-ignored label.", HelpName = "ids" };
        var output = new Option<string>("--out") { Description = "Per-sample scores; the extension picks the format: .csv, .json or .parquet.", Required = true, HelpName = "scores.csv" };
        var metrics = new Option<string>("--metrics") { Description = $"Comma-separated metric names, or 'all'. Default: {string.Join(",", AlignmentOptions.DefaultMetrics)}.", HelpName = "a,b,..." };
        var sssThreshold = new Option<string>("--sss-threshold") { Description = "SemScore threshold τ: values ≤ τ are dropped; 'none' disables thresholding.", DefaultValueFactory = _ => "0.6", HelpName = "τ|none" };
        var sssHard = new Option<bool>("--sss-hard") { Description = "SemScore hard thresholding: values above τ count as 1." };
        var sssCompat = new Option<bool>("--sss-compat") { Description = "Reproduce the SemScore reference implementation exactly (integer truncation of the inside/outside sums, float32 sums, τ = 0 disables)." };
        var binarize = new Option<string>("--binarize") { Description = "Binarisation for iou/gtc/sc on the per-sample min–max normalised map (≥): std:K (mean + K·std), percentile:P, threshold:T.", DefaultValueFactory = _ => "std:1", HelpName = "rule" };
        var pgTolerance = new Option<double>("--pg-tolerance") { Description = "Pointing Game: count a hit within R pixels (Euclidean) of the mask; Zhang et al. 2018 use 15.", DefaultValueFactory = _ => 0, HelpName = "R" };
        var pgTies = new Option<string>("--pg-ties") { Description = "Pointing Game tie rule: 'first' = the first maximum in row-major order (Explanation Alignment), 'any' = any tied maximum (Quantus).", DefaultValueFactory = _ => "first", HelpName = "first|any" };
        pgTies.AcceptOnlyFromAmong("first", "any");
        var topK = new Option<int>("--top-k") { Description = "k of top_k_intersection.", DefaultValueFactory = _ => 1000, HelpName = "k" };
        var conceptInfluence = new Option<bool>("--concept-influence") { Description = "top_k_intersection × d/|mask| (concept influence)." };
        var resize = new Option<bool>("--resize-masks") { Description = "Resize masks to the maps' size (nearest neighbour) instead of failing when sizes differ." };
        var labels = new Option<string?>("--labels") { Description = "Class label per sample (NPY of N integers): per-class summaries and SemScore's class ranking.", HelpName = "labels.npy" };
        var predictions = new Option<string?>("--predictions") { Description = "Predicted class per sample (NPY of N integers); with --labels adds the si_case column.", HelpName = "pred.npy" };
        var imageIds = new Option<string?>("--image-ids") { Description = "Image id per sample (NPY of N integers) when several targets share an image: SemScore's per-image average (PIA).", HelpName = "ids.npy" };
        var siHigh = new Option<string?>("--si-high") { Description = "si_case 'high' cut-off(s): one number for iou, sc and gtc, or iou=0.5,sc=0.5,gtc=0.5 (default 0.5).", HelpName = "cut" };
        var siLow = new Option<string?>("--si-low") { Description = "si_case 'low' cut-off(s), same form (default 0.25).", HelpName = "cut" };
        var summary = new Option<string?>("--summary") { Description = "Write the summary (mean, std, n, NaN count, median, bootstrap 95% CI per metric; per class; SemScore levels) as JSON.", HelpName = "summary.json" };
        var classRank = new Option<int>("--class-rank") { Description = "How many classes SemScore's top/bottom class ranking lists.", DefaultValueFactory = _ => 5, HelpName = "n" };
        var bootstrap = new Option<int>("--bootstrap") { Description = "Bootstrap resamples for the confidence intervals.", DefaultValueFactory = _ => 1000, HelpName = "B" };
        var seed = new Option<int>("--seed") { Description = "Seed of the bootstrap.", DefaultValueFactory = _ => 42 };
        var threads = new Option<int>("--threads") { Description = "Worker threads (0 = all cores).", DefaultValueFactory = _ => 0 };

        var command = new Command("align", "Score saliency maps against ground-truth masks (SemScore, Shared Interest, Pointing Game, localisation metrics).")
        {
            saliency, masks, maskEncoding, maskClasses, output, metrics, sssThreshold, sssHard, sssCompat, binarize, pgTolerance, pgTies, topK, conceptInfluence,
            resize, labels, predictions, imageIds, siHigh, siLow, summary, classRank, bootstrap, seed, threads,
        };

        command.SetAction(parse =>
        {
            var clock = Stopwatch.StartNew();
            var settings = new LocalisationSettings
            {
                SssThreshold = ParseThreshold(parse.GetValue(sssThreshold)!),
                SssHard = parse.GetValue(sssHard),
                SssCompat = parse.GetValue(sssCompat),
                Binarization = ParseBinarization(parse.GetValue(binarize)!),
                PointingTolerance = parse.GetValue(pgTolerance) >= 0 ? parse.GetValue(pgTolerance) : throw new InputDataException("--pg-tolerance must be ≥ 0 pixels."),
                TopK = parse.GetValue(topK) > 0 ? parse.GetValue(topK) : throw new InputDataException("--top-k must be a positive integer."),
                ConceptInfluence = parse.GetValue(conceptInfluence),
                PointingTieAny = parse.GetValue(pgTies) == "any",
            };
            var metricNames = ParseMetrics(parse.GetValue(metrics));
            var labelValues = parse.GetValue(labels) is { } lp ? NpySampleSource.ReadIntegers(lp) : null;
            var predictionValues = parse.GetValue(predictions) is { } pp ? NpySampleSource.ReadIntegers(pp) : null;
            var ids = parse.GetValue(imageIds) is { } ip ? NpySampleSource.ReadIntegers(ip) : null;
            var options = new AlignmentOptions
            {
                Metrics = metricNames,
                Settings = settings,
                ResizeMasks = parse.GetValue(resize),
                Labels = labelValues,
                Predictions = predictionValues,
                Cutoffs = new SharedInterestCutoffs().With(parse.GetValue(siHigh), parse.GetValue(siLow)),
                Threads = parse.GetValue(threads),
            };
            var outPath = parse.GetValue(output)!;
            ResultWriter.FormatOf(outPath); // fail on a bad extension before the work
            var summaryPath = parse.GetValue(summary);
            if (summaryPath is not null && !summaryPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
                throw new InputDataException($"--summary {summaryPath}: the summary is JSON; give a .json file name.");

            using var mapSource = new NpySampleSource(parse.GetValue(saliency)!);
            var maskPath = parse.GetValue(masks)!;
            using var maskSource = Directory.Exists(maskPath)
                ? new MaskSource(PngMasks(maskPath, parse.GetValue(maskEncoding)!, parse.GetValue(maskClasses)))
                : new MaskSource(new NpySampleSource(maskPath));
            int n = mapSource.Shape[0];
            AlignmentResult result;
            using (var progress = new ConsoleProgress(context, "align", n))
                result = AlignmentScorer.Run(mapSource, maskSource, options, progress);
            ResultWriter.Write(result.Table, outPath);

            var agg = AlignmentSummary.Build(result, labelValues, new SummaryOptions(parse.GetValue(bootstrap), (ulong)parse.GetValue(seed), ids, parse.GetValue(classRank)));
            context.Out.Write(agg.FormatTable());
            if (summaryPath is not null)
            {
                var recorded = new Dictionary<string, string>
                {
                    ["saliency"] = mapSource.Name,
                    ["masks"] = maskSource.Name,
                    ["metrics"] = string.Join(",", metricNames),
                    ["sss_threshold"] = settings.SssThreshold?.ToString(CultureInfo.InvariantCulture) ?? "none",
                    ["sss_hard"] = settings.SssHard.ToString().ToLowerInvariant(),
                    ["sss_compat"] = settings.SssCompat.ToString().ToLowerInvariant(),
                    ["binarize"] = settings.Binarization.ToString(),
                    ["pg_ties"] = parse.GetValue(pgTies)!,
                    ["pg_tolerance"] = settings.PointingTolerance.ToString(CultureInfo.InvariantCulture),
                    ["bootstrap"] = parse.GetValue(bootstrap).ToString(CultureInfo.InvariantCulture),
                    ["seed"] = parse.GetValue(seed).ToString(CultureInfo.InvariantCulture),
                };
                agg.WriteJson(summaryPath, recorded);
            }
            context.Out.WriteLine($"Scored {n} samples in {clock.Elapsed.TotalSeconds:0.00} s → {outPath}");
            return result.FailedSamples > 0 ? ExitCodes.Failed : ExitCodes.Ok;
        });
        return command;
    }

    private static ByteStackSource PngMasks(string folder, string encoding, string? classes)
    {
        HashSet<int>? ids = null;
        if (classes is not null)
            ids = [.. classes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(c => int.TryParse(c, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw new InputDataException($"--mask-classes: '{c}' is not an integer class id."))];
        var stack = Sightline.IO.MaskStack.Load(folder, Enum.Parse<Sightline.IO.MaskEncoding>(encoding, ignoreCase: true), ids);
        return new ByteStackSource(folder, stack.Masks, stack.Count, stack.Height, stack.Width);
    }

    /// <summary>Either kind of mask source, disposable when it holds a file.</summary>
    private sealed class MaskSource(ISampleSource inner) : ISampleSource, IDisposable
    {
        public string Name => inner.Name;
        public IReadOnlyList<int> Shape => inner.Shape;
        public void Read(int index, Span<float> destination) => inner.Read(index, destination);
        public void Dispose() => (inner as IDisposable)?.Dispose();
    }

    internal static float? ParseThreshold(string text)
    {
        if (string.Equals(text, "none", StringComparison.OrdinalIgnoreCase)) return null;
        if (float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && float.IsFinite(v)) return v;
        throw new InputDataException($"--sss-threshold '{text}' is neither a number nor 'none'.");
    }

    internal static Binarization ParseBinarization(string text)
    {
        try { return Binarization.Parse(text); }
        catch (FormatException e) { throw new InputDataException("--binarize: " + e.Message); }
    }

    internal static IReadOnlyList<string> ParseMetrics(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return AlignmentOptions.DefaultMetrics;
        if (text.Trim().Equals("all", StringComparison.OrdinalIgnoreCase)) return [.. MetricRegistry.MapMask.Select(d => d.Name)];
        var names = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var result = new List<string>();
        foreach (var name in names)
        {
            var d = MetricRegistry.MapMask.FirstOrDefault(x => string.Equals(x.Name, name, StringComparison.OrdinalIgnoreCase))
                ?? throw new InputDataException($"--metrics: unknown metric '{name}'. Known metrics: {string.Join(", ", MetricRegistry.MapMask.Select(x => x.Name))}.");
            if (!result.Contains(d.Name)) result.Add(d.Name);
        }
        return result;
    }
}
