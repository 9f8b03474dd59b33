using System.Numerics.Tensors;
using Sightline.Metrics;
using Sightline.Numerics;
using Sightline.Results;

namespace Sightline.Alignment;

/// <summary>Options of an alignment run (<c>sightline align</c>).</summary>
public sealed record AlignmentOptions
{
    /// <summary>Metric names to compute, in output order (default: every registered metric that needs no extra input).</summary>
    public IReadOnlyList<string> Metrics { get; init; } = DefaultMetrics;

    /// <summary>Parameters shared by the localisation metrics.</summary>
    public LocalisationSettings Settings { get; init; } = LocalisationSettings.Default;

    /// <summary>Resize masks to the maps' size (nearest neighbour) when they differ; otherwise a size mismatch is an error.</summary>
    public bool ResizeMasks { get; init; }

    /// <summary>Class label per sample (optional): used for per-class summaries and, with predictions, for <c>si_case</c>.</summary>
    public int[]? Labels { get; init; }

    /// <summary>Predicted class per sample (optional): with labels, adds the <c>si_case</c> column.</summary>
    public int[]? Predictions { get; init; }

    /// <summary>
    /// Image id per sample (optional) when several targets share an image (SemScore's per-image levels). Only its length
    /// is checked here, before anything is scored or written; <see cref="AlignmentSummary"/> uses the values.
    /// </summary>
    public int[]? ImageIds { get; init; }

    /// <summary>Cut-offs for <c>si_case</c>.</summary>
    public SharedInterestCutoffs Cutoffs { get; init; } = new();

    /// <summary>Threads used; 0 = all cores.</summary>
    public int Threads { get; init; }

    /// <summary>Samples per chunk handed to the thread pool (memory per chunk stays small).</summary>
    public int ChunkSize { get; init; } = 1024;

    /// <summary>
    /// QGE per metric (<c>--qge</c>): each map's inverse is scored too, adding <c>m_inverse</c> and <c>m_qge</c> (and
    /// <c>m_qbas</c>, <c>m_z</c>, <c>m_pool_mean</c>, <c>m_pool_std</c> when asked) after each metric's column. The map is
    /// inverted after the channel reduction (it is the explanation the metrics see). Null = off.
    /// </summary>
    public Evaluation.Qge.QgeOptions? Qge { get; init; }

    /// <summary>Seed of QGE's random rankings (per sample, so results do not depend on threads or chunks).</summary>
    public int Seed { get; init; }

    /// <summary>The default metric set: all registered map-versus-mask metrics that need no extra inputs.</summary>
    public static IReadOnlyList<string> DefaultMetrics =>
        [.. MetricRegistry.MapMask.Where(d => !d.Info.NeedsExtraInputs).Select(d => d.Name)];
}

/// <summary>The per-sample scores of an alignment run and how many samples could not be scored.</summary>
/// <param name="Table">Columns <c>index</c>, one per metric, then <c>si_case</c>, <c>label</c>, <c>reason</c> when present.</param>
/// <param name="Scores">Metric name → per-sample values (the same arrays as in the table).</param>
/// <param name="FailedSamples">Samples whose map held NaN or infinity (all their scores are NaN).</param>
/// <param name="ScreenedSamples">Rows that reached scoring: their mask, as given (before any resizing), is non-empty
/// (SemScore's screening count, spec §6: a sample with no valid class is not screened).</param>
public sealed record AlignmentResult(ResultTable Table, IReadOnlyDictionary<string, double[]> Scores, int FailedSamples, int ScreenedSamples)
{
    /// <summary>
    /// Per row, whether it reached scoring (see <see cref="ScreenedSamples"/>); null when unknown (then every row counts
    /// as screened). An unscreened row has <c>sss</c> = NaN (reason <c>empty-mask</c>), so it feeds no SemScore level.
    /// </summary>
    public IReadOnlyList<bool>? Screened { get; init; }
}

/// <summary>
/// Scores saliency maps against ground-truth masks with the requested localisation metrics, in parallel over samples
/// and in chunks so memory stays flat for any N. Maps of shape N×H×W or N×C×H×W (channels summed, signed, as Shared
/// Interest does); masks N×H×W (or N×1×H×W) with values 0/1. A map with NaN/∞ gets NaN scores and reason
/// <c>non-finite-map</c>; the run continues.
/// <para>
/// SemScore screening (spec §6, §9): a row whose mask, as given, is empty has no valid class, so it is not screened
/// and its <c>sss</c> is NaN with reason <c>empty-mask</c> (a status row, left out of every SemScore level). A mask
/// that only becomes empty through <see cref="AlignmentOptions.ResizeMasks"/> (a tiny object) is screened and scored
/// normally (SSS = 1), flagged <c>empty-mask</c>.
/// </para>
/// </summary>
public static class AlignmentScorer
{
    /// <summary>Runs the scoring. <paramref name="progress"/> receives the number of samples done so far.</summary>
    /// <exception cref="InputDataException">Shapes disagree (and resizing is off), a mask is not binary, or labels,
    /// predictions or image ids have the wrong length (checked before any sample is read).</exception>
    public static AlignmentResult Run(ISampleSource maps, ISampleSource masks, AlignmentOptions options, IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        var (n, channels, h, w) = MapGeometry(maps);
        var (mn, mh, mw) = MaskGeometry(masks);
        if (mn != n)
            throw new InputDataException($"{maps.Name} has {n} samples but {masks.Name} has {mn}: shapes {Fmt(maps.Shape)} and {Fmt(masks.Shape)}.");
        if ((mh != h || mw != w) && !options.ResizeMasks)
            throw new InputDataException($"Map size {h}×{w} ({maps.Name}, shape {Fmt(maps.Shape)}) differs from mask size {mh}×{mw} ({masks.Name}, shape {Fmt(masks.Shape)}); pass --resize-masks to resize the masks (nearest neighbour).");
        CheckLength(options.Labels, n, "labels");
        CheckLength(options.Predictions, n, "predictions");
        CheckLength(options.ImageIds, n, "image-ids");

        var descriptors = options.Metrics.Select(MetricRegistry.Get).ToArray();
        var metrics = descriptors.Select(d => d.Create(options.Settings)).ToArray();
        bool withCase = options.Labels is not null && options.Predictions is not null;
        var caseMetrics = withCase
            ? new[] { "iou", "sc", "gtc" }.Select(name => MetricRegistry.Get(name).Create(options.Settings)).ToArray()
            : [];

        var values = descriptors.Select(_ => new double[n]).ToArray();
        Evaluation.Qge.QualityGap[]? gaps = null;
        string[][] gapColumns = [];
        double[][][] gapValues = [];
        if (options.Qge is { } qge)
        {
            var shape = new Evaluation.EvaluationShape(1, h, w, 1, 0);
            gaps = [.. descriptors.Select(d => new Evaluation.Qge.QualityGap(
                new Evaluation.LocalisationMetric(Evaluation.MetricCatalogue.MapMask.First(e => e.Name == d.Name), options.Settings), qge))];
            gapColumns = [.. gaps.Select(g => g.Columns(shape, null).Skip(1).ToArray())];
            gapValues = [.. gapColumns.Select(cols => cols.Select(_ => new double[n]).ToArray())];
        }
        var reasons = new string?[n];
        var screenedRows = new bool[n];
        int sssColumn = Array.FindIndex(descriptors, d => d.Name == "sss");
        var cases = withCase ? new string?[n] : null;
        int failed = 0, screened = 0, done = 0;
        int mapLen = channels * h * w, pixels = h * w, maskLen = mh * mw;
        var byteMasks = masks as IByteSampleSource;
        var parallel = new ParallelOptions
        {
            MaxDegreeOfParallelism = options.Threads > 0 ? options.Threads : Environment.ProcessorCount,
            CancellationToken = cancel,
        };

        for (int start = 0; start < n; start += options.ChunkSize)
        {
            int end = Math.Min(n, start + options.ChunkSize);
            try
            {
                Parallel.For(start, end, parallel, () => new Buffers(mapLen, pixels, maskLen), (i, _, buf) =>
                {
                    ScoreSample(i, buf);
                    return buf;
                }, _ => { });
            }
            catch (AggregateException ex) when (ex.InnerExceptions.FirstOrDefault(e => e is InputDataException) is { } first)
            {
                throw first;
            }
            done = end;
            progress?.Report(done);
        }

        void ScoreSample(int i, Buffers buf)
        {
            // Single-channel maps are read straight into the map buffer; masks stay bytes when the source can give them.
            var map = buf.Map;
            if (channels == 1) maps.Read(i, map);
            else
            {
                maps.Read(i, buf.Raw);
                buf.Raw.AsSpan(0, pixels).CopyTo(map);
                for (int c = 1; c < channels; c++) TensorPrimitives.Add(map, buf.Raw.AsSpan(c * pixels, pixels), map);
            }
            if (byteMasks is not null && byteMasks.TryReadBytes(i, buf.MaskRaw))
            {
                int p = buf.MaskRaw.AsSpan().IndexOfAnyExcept((byte)0, (byte)1);
                if (p >= 0) throw NotBinary(masks, i, buf.MaskRaw[p], p, mw);
            }
            else
            {
                masks.Read(i, buf.MaskFloat);
                for (int p = 0; p < maskLen; p++)
                {
                    float v = buf.MaskFloat[p];
                    if (v == 0f) buf.MaskRaw[p] = 0;
                    else if (v == 1f) buf.MaskRaw[p] = 1;
                    else throw NotBinary(masks, i, v, p, mw);
                }
            }
            byte[] mask = buf.MaskRaw;
            if (mh != h || mw != w)
            {
                mask = buf.Mask;
                MaskResize.Nearest(buf.MaskRaw, mh, mw, mask, h, w);
            }
            // Screened = the mask as given has a target pixel (before resizing, which may erase a tiny object).
            bool isScreened = buf.MaskRaw.AsSpan().IndexOfAnyExcept((byte)0) >= 0;
            screenedRows[i] = isScreened;
            if (isScreened) Interlocked.Increment(ref screened);

            if (!Kernels.AllFinite(map))
            {
                foreach (var col in values) col[i] = double.NaN;
                foreach (var cols in gapValues) foreach (var col in cols) col[i] = double.NaN;
                reasons[i] = Reasons.NonFiniteMap;
                if (cases is not null) cases[i] = "undefined";
                Interlocked.Increment(ref failed);
                return;
            }
            var ws = SampleWorkspace.ForCurrentThread();
            var sample = new MapMaskSample(map, mask, h, w, ws);
            string? reason = null;
            for (int m = 0; m < metrics.Length; m++)
            {
                var s = metrics[m].Evaluate(sample);
                values[m][i] = s.Value;
                if (s.Reason is not null) reason = AddReason(reason, s.Reason);
            }
            if (gaps is not null)
            {
                var batch = new Evaluation.EvaluationBatch(new Evaluation.EvaluationShape(1, h, w, 1, 0), 1, new float[pixels], map.AsSpan(0, pixels).ToArray(),
                    [0], mask.AsSpan(0, pixels).ToArray(), firstIndex: i, seed: options.Seed);
                for (int m = 0; m < gaps.Length; m++)
                {
                    var o = gaps[m].Evaluate(batch);
                    for (int c = 0; c < gapColumns[m].Length; c++) gapValues[m][c][i] = o.Values[c + 1];
                }
            }
            if (!isScreened && sssColumn >= 0)
            {
                values[sssColumn][i] = double.NaN;
                if (gaps is not null) foreach (var col in gapValues[sssColumn]) col[i] = double.NaN;
                reason = AddReason(reason, Reasons.EmptyMask);
            }
            if (cases is not null)
            {
                var iou = caseMetrics[0].Evaluate(sample).Value;
                var sc = caseMetrics[1].Evaluate(sample).Value;
                var gtc = caseMetrics[2].Evaluate(sample).Value;
                cases[i] = SharedInterestCase.Classify(iou, sc, gtc, options.Labels![i] == options.Predictions![i], options.Cutoffs);
            }
            reasons[i] = reason;
        }

        var table = new ResultTable();
        table.Add(new Int64Column("index", [.. Enumerable.Range(0, n).Select(i => (long)i)]));
        for (int m = 0; m < descriptors.Length; m++)
        {
            table.Add(new DoubleColumn(descriptors[m].Name, values[m]));
            if (gaps is not null)
                for (int c = 0; c < gapColumns[m].Length; c++) table.Add(new DoubleColumn(gapColumns[m][c], gapValues[m][c]));
        }
        if (cases is not null) table.Add(new StringColumn("si_case", cases));
        if (options.Labels is not null) table.Add(new Int64Column("label", [.. options.Labels.Select(l => (long)l)]));
        if (options.Predictions is not null) table.Add(new Int64Column("predicted", [.. options.Predictions.Select(l => (long)l)]));
        if (reasons.Any(r => r is not null)) table.Add(new StringColumn("reason", reasons));
        var scores = new Dictionary<string, double[]>();
        for (int m = 0; m < descriptors.Length; m++)
        {
            scores[descriptors[m].Name] = values[m];
            if (gaps is not null)
                for (int c = 0; c < gapColumns[m].Length; c++) scores[gapColumns[m][c]] = gapValues[m][c];
        }
        return new AlignmentResult(table, scores, failed, screened) { Screened = screenedRows };
    }

    private static InputDataException NotBinary(ISampleSource masks, int i, float v, int p, int mw) =>
        new($"{masks.Name}: mask {i} is not binary: value {v} at pixel ({p / mw}, {p % mw}); masks must hold 0/1 (or booleans).");

    private static string AddReason(string? existing, string reason)
    {
        if (existing is null) return reason;
        foreach (var part in existing.Split(';')) if (part == reason) return existing;
        return existing + ";" + reason;
    }

    private static (int N, int C, int H, int W) MapGeometry(ISampleSource maps) => maps.Shape.Count switch
    {
        3 => (maps.Shape[0], 1, maps.Shape[1], maps.Shape[2]),
        4 => (maps.Shape[0], maps.Shape[1], maps.Shape[2], maps.Shape[3]),
        _ => throw new InputDataException($"{maps.Name}: saliency must be N×H×W or N×C×H×W, got shape {Fmt(maps.Shape)}."),
    };

    private static (int N, int H, int W) MaskGeometry(ISampleSource masks) => masks.Shape.Count switch
    {
        3 => (masks.Shape[0], masks.Shape[1], masks.Shape[2]),
        4 when masks.Shape[1] == 1 => (masks.Shape[0], masks.Shape[2], masks.Shape[3]),
        _ => throw new InputDataException($"{masks.Name}: masks must be N×H×W (or N×1×H×W), got shape {Fmt(masks.Shape)}."),
    };

    private static void CheckLength(int[]? values, int n, string what)
    {
        if (values is not null && values.Length != n)
            throw new InputDataException($"--{what} has {values.Length} entries but there are {n} samples.");
    }

    internal static string Fmt(IReadOnlyList<int> shape) => "(" + string.Join(", ", shape) + ")";

    private sealed class Buffers(int mapLen, int pixels, int maskLen)
    {
        private float[]? _raw, _maskFloat;
        private byte[]? _mask;
        public readonly float[] Map = new float[pixels];
        public readonly byte[] MaskRaw = new byte[maskLen];
        // Allocated on first use: multi-channel maps, float masks, resized masks.
        public float[] Raw => _raw ??= new float[mapLen];
        public float[] MaskFloat => _maskFloat ??= new float[maskLen];
        public byte[] Mask => _mask ??= new byte[pixels];
    }
}
