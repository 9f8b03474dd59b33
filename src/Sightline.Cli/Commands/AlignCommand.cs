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
        var maskEncoding = new Option<string>("--mask-encoding") { Description = "PNG masks: auto, binary (any non-zero), grayscale (label = gray value), palette (label = index, 255 ignored), rgb (label = G·256 + R, 1000 ignored).", DefaultValueFactory = _ => "auto", HelpName = "enc" };
        maskEncoding.AcceptOnlyFromAmong("auto", "binary", "grayscale", "palette", "rgb");
        var maskClasses = new Option<string?>("--mask-classes") { Description = "PNG label maps: class ids that form the ground truth (e.g. 3,7); default every non-zero, non-ignored label.", HelpName = "ids" };
        var maskIgnore = new Option<string?>("--mask-ignore") { Description = "PNG label maps: the ignore label, never ground truth (counts as outside the object), or 'none'. Default per encoding: 255 for palette (VOC), 1000 for rgb (ImageNet-S), none otherwise.", HelpName = "id|none" };
        var output = new Option<string>("--out") { Description = "Per-sample scores; the extension picks the format: .csv, .json or .parquet.", Required = true, HelpName = "scores.csv" };
        var metrics = new Option<string>("--metrics") { Description = $"Comma-separated metric names, or 'all'. Default: {string.Join(",", AlignmentOptions.DefaultMetrics)}.", HelpName = "a,b,..." };
        var sssThreshold = new Option<string>("--sss-threshold") { Description = "SemScore threshold τ: values ≤ τ are dropped; 'none' disables thresholding.", DefaultValueFactory = _ => "0.6", HelpName = "τ|none" };
        var sssHard = new Option<bool>("--sss-hard") { Description = "SemScore hard thresholding: values above τ count as 1." };
        var sssCompat = new Option<bool>("--sss-compat") { Description = "Reproduce the SemScore reference implementation exactly: float32 sums in NumPy 1.x order (pairwise, 8192-value chunks) over the in-mask and out-of-mask values, integer truncation of those sums, τ = 0 disables." };
        var binarize = new Option<string>("--binarize") { Description = "Binarisation for iou/gtc/sc on the per-sample min–max normalised map (≥): std:K (mean + K·population std), percentile:P (threshold = the P-quantile of the map, P a fraction in [0,1]: percentile:0.9 keeps the top 10%), threshold:T.", DefaultValueFactory = _ => "std:1", HelpName = "rule" };
        var pgTolerance = new Option<double>("--pg-tolerance") { Description = "Pointing Game: count a hit within R pixels (Euclidean) of the mask; Zhang et al. 2018 use 15. R is in pixels of the maps, i.e. of the resized masks under --resize-masks (scale it yourself to mean original mask pixels).", DefaultValueFactory = _ => 0, HelpName = "R" };
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
        var seed = new Option<int>("--seed") { Description = "Seed of the bootstrap and of QGE's random rankings.", DefaultValueFactory = _ => 42 };
        var threads = new Option<int>("--threads") { Description = "Worker threads (0 = all cores).", DefaultValueFactory = _ => 0 };

        var command = new Command("align", "Score saliency maps against ground-truth masks (SemScore, Shared Interest, Pointing Game, localisation metrics).")
        {
            saliency, masks, maskEncoding, maskClasses, maskIgnore, output, metrics, sssThreshold, sssHard, sssCompat, binarize, pgTolerance, pgTies, topK, conceptInfluence,
            resize, labels, predictions, imageIds, siHigh, siLow, summary, classRank, bootstrap, seed, threads,
        };

        var qgeOptions = new QgeCliOptions();
        qgeOptions.AddTo(command);

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
            var cutoffs = new SharedInterestCutoffs().With(parse.GetValue(siHigh), parse.GetValue(siLow));
            var options = new AlignmentOptions
            {
                Metrics = metricNames,
                Settings = settings,
                ResizeMasks = parse.GetValue(resize),
                Labels = labelValues,
                Predictions = predictionValues,
                ImageIds = ids,
                Cutoffs = cutoffs,
                Threads = parse.GetValue(threads),
                Qge = qgeOptions.Parse(parse),
                Seed = parse.GetValue(seed),
            };
            int classRankValue = parse.GetValue(classRank) >= 0 ? parse.GetValue(classRank) : throw new InputDataException("--class-rank must be ≥ 0.");
            var outPath = parse.GetValue(output)!;
            ResultWriter.FormatOf(outPath); // fail on a bad extension before the work
            var summaryPath = parse.GetValue(summary);
            if (summaryPath is not null && !summaryPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
                throw new InputDataException($"--summary {summaryPath}: the summary is JSON; give a .json file name.");
            if (parse.GetValue(bootstrap) < 0) throw new InputDataException($"--bootstrap {parse.GetValue(bootstrap)}: give the number of bootstrap resamples, ≥ 0 (0 = no confidence intervals).");
            if (parse.GetValue(threads) < 0) throw new InputDataException($"--threads {parse.GetValue(threads)}: give the number of worker threads, or 0 for all cores.");
            new Sightline.IO.PathPlan()
                .Input("--saliency", parse.GetValue(saliency)).Input("--masks", parse.GetValue(masks)).Input("--labels", parse.GetValue(labels))
                .Input("--predictions", parse.GetValue(predictions)).Input("--image-ids", parse.GetValue(imageIds))
                .Output("--out", outPath).Output("--summary", summaryPath)
                .Check();

            using var mapSource = new NpySampleSource(parse.GetValue(saliency)!);
            var maskPath = parse.GetValue(masks)!;
            string encodingText = parse.GetValue(maskEncoding)!;
            string? classesText = parse.GetValue(maskClasses), ignoreText = parse.GetValue(maskIgnore);
            bool pngMasks = Directory.Exists(maskPath);
            if (!pngMasks)
            {
                string? pngOnly = classesText is not null ? "--mask-classes" : ignoreText is not null ? "--mask-ignore"
                    : encodingText != "auto" ? "--mask-encoding" : null;
                if (pngOnly is not null)
                    throw new InputDataException($"{pngOnly} applies to a folder of PNG masks, but --masks {maskPath} is not a folder; NPY/NPZ masks must already be binary (0/1).");
            }
            using var maskSource = pngMasks
                ? new MaskSource(PngMasks(maskPath, encodingText, classesText, ignoreText))
                : new MaskSource(new NpySampleSource(maskPath));
            int n = mapSource.Shape[0];
            if (n == 0) throw new InputDataException($"no samples in {mapSource.Name}: the saliency file holds 0 maps.");
            AlignmentResult result;
            using (var progress = new ConsoleProgress(context, "align", n))
                result = AlignmentScorer.Run(mapSource, maskSource, options, progress);
            // Ids that occur in no label map leave every mask empty and every score undefined: almost surely a wrong id.
            if (classesText is not null && result.ScreenedSamples == 0)
                throw new InputDataException($"--mask-classes {classesText}: no mask in {maskPath} holds any of these class ids, so every mask is empty; check the ids against the label maps (and --mask-encoding).");
            ResultWriter.Write(result.Table, outPath);

            var agg = AlignmentSummary.Build(result, labelValues, new SummaryOptions(parse.GetValue(bootstrap), (ulong)parse.GetValue(seed), ids, classRankValue));
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
                    ["top_k"] = settings.TopK.ToString(CultureInfo.InvariantCulture),
                    ["concept_influence"] = settings.ConceptInfluence.ToString().ToLowerInvariant(),
                    ["resize_masks"] = options.ResizeMasks.ToString().ToLowerInvariant(),
                    ["si_high"] = FormattableString.Invariant($"iou={cutoffs.IouHigh},sc={cutoffs.ScHigh},gtc={cutoffs.GtcHigh}"),
                    ["si_low"] = FormattableString.Invariant($"iou={cutoffs.IouLow},sc={cutoffs.ScLow},gtc={cutoffs.GtcLow}"),
                    ["mask_encoding"] = pngMasks ? encodingText : "npy",
                    ["mask_classes"] = classesText ?? (pngMasks ? "all" : "none"),
                    ["mask_ignore"] = !pngMasks ? "none" : ignoreText ?? "default",
                    ["labels"] = parse.GetValue(labels) ?? "none",
                    ["predictions"] = parse.GetValue(predictions) ?? "none",
                    ["image_ids"] = parse.GetValue(imageIds) ?? "none",
                    ["class_rank"] = classRankValue.ToString(CultureInfo.InvariantCulture),
                    ["bootstrap"] = parse.GetValue(bootstrap).ToString(CultureInfo.InvariantCulture),
                    ["seed"] = parse.GetValue(seed).ToString(CultureInfo.InvariantCulture),
                    ["qge"] = options.Qge is { } q ? Evaluation.MetricParameters.SnakeCase(q.Method.ToString()) : "none",
                    ["qge_normalise"] = (options.Qge?.NormaliseSign ?? false).ToString().ToLowerInvariant(),
                    ["random_baseline"] = (options.Qge?.RandomBaseline ?? 0).ToString(CultureInfo.InvariantCulture),
                    ["random_ranking"] = options.Qge is { Ranking: Evaluation.Qge.RankingKind.Chunky } c ? $"chunky:{c.Chunk}" : "random",
                    ["qge_pool"] = (options.Qge?.Pool ?? 0).ToString(CultureInfo.InvariantCulture),
                };
                agg.WriteJson(summaryPath, recorded);
            }
            context.Out.WriteLine($"Scored {n} samples in {clock.Elapsed.TotalSeconds:0.00} s → {outPath}");
            return result.FailedSamples > 0 ? ExitCodes.Failed : ExitCodes.Ok;
        });
        return command;
    }

    private static PngMaskSource PngMasks(string folder, string encodingText, string? classes, string? ignoreText)
    {
        HashSet<int>? ids = null;
        if (classes is not null)
            ids = [.. classes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(c => int.TryParse(c, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= 0 ? v : throw new InputDataException($"--mask-classes: '{c}' is not a non-negative integer class id."))];
        if (ids is { Count: 0 }) throw new InputDataException($"--mask-classes '{classes}' names no class id; give ids such as 3,7, or leave the option out for every non-zero label.");
        var encoding = Enum.Parse<Sightline.IO.MaskEncoding>(encodingText, ignoreCase: true);
        int? ignore = null;
        if (ignoreText is not null)
        {
            if (encoding == Sightline.IO.MaskEncoding.Binary)
                throw new InputDataException("--mask-ignore has no effect with --mask-encoding binary (any non-zero pixel is ground truth); use a label encoding or drop --mask-ignore.");
            if (!string.Equals(ignoreText, "none", StringComparison.OrdinalIgnoreCase))
                ignore = int.TryParse(ignoreText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= 0
                    ? v : throw new InputDataException($"--mask-ignore '{ignoreText}' is neither a non-negative integer label nor 'none'.");
        }
        return new PngMaskSource(folder, encoding, ids, overrideIgnore: ignoreText is not null, ignore);
    }

    /// <summary>Either kind of mask source, disposable when it holds a file.</summary>
    private sealed class MaskSource(ISampleSource inner) : IByteSampleSource, IDisposable
    {
        public string Name => inner.Name;
        public IReadOnlyList<int> Shape => inner.Shape;
        public void Read(int index, Span<float> destination) => inner.Read(index, destination);
        public bool TryReadBytes(int index, Span<byte> destination) => inner is IByteSampleSource b && b.TryReadBytes(index, destination);
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
        catch (InputDataException e) { throw new InputDataException("--binarize: " + e.Message, e); }
    }

    internal static IReadOnlyList<string> ParseMetrics(string? text)
    {
        if (text is null) return AlignmentOptions.DefaultMetrics;
        if (string.IsNullOrWhiteSpace(text) || text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Length == 0)
            throw new InputDataException($"--metrics '{text}' names no metric; give metric names (e.g. sss,iou), 'all', or leave the option out for the default set.");
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
