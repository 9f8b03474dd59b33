using System.Globalization;
using System.Numerics.Tensors;
using Sightline.Data;
using Sightline.IO;
using Sightline.Models;
using Sightline.Results;

namespace Sightline.Explainers;

/// <summary>Where the inputs of an explain run come from: preprocessed tensors, loaded a chunk at a time.</summary>
public interface IInputSource
{
    /// <summary>Number of samples.</summary>
    int Count { get; }
    /// <summary>Per-sample shape [C, H, W].</summary>
    IReadOnlyList<int> Shape { get; }
    /// <summary>Loads samples [start, start + count) into <paramref name="destination"/>.</summary>
    void Load(int start, int count, Span<float> destination);
    /// <summary>A display path of sample <paramref name="index"/> (file name or array index).</summary>
    string PathOf(int index);
    /// <summary>Label of sample <paramref name="index"/>, or −1.</summary>
    int LabelOf(int index);
    /// <summary>An RGB rendering of the sample at the model's input size, for overlays.</summary>
    RgbImage Display(int index);

    /// <summary>
    /// Loads samples [start, start + count) like <see cref="Load"/>, but reports a sample that cannot be read (an
    /// unreadable or corrupt image) instead of throwing: its slice of <paramref name="destination"/> is zero-filled and
    /// its entry in the result holds the reason; readable samples have null. Errors that concern the whole source
    /// (settings that cannot fit the model) still throw.
    /// </summary>
    string?[] TryLoad(int start, int count, Span<float> destination)
    {
        Load(start, count, destination);
        return new string?[count];
    }
}

/// <summary>Images from a folder or CSV, decoded and preprocessed in parallel.</summary>
public sealed class ImageInputSource(ImageDataset dataset, Preprocessing preprocessing, int height, int width) : IInputSource
{
    /// <inheritdoc/>
    public int Count => dataset.Items.Count;
    /// <inheritdoc/>
    public IReadOnlyList<int> Shape { get; } = [preprocessing.Channels, height, width];
    /// <inheritdoc/>
    public string PathOf(int index) => dataset.Items[index].Path;
    /// <inheritdoc/>
    public int LabelOf(int index) => dataset.Items[index].Label;

    /// <summary>
    /// Checks, from the image headers only, that every readable image preprocesses to the model's size, so a misfit is
    /// refused before any sample is explained (found later it would stop the run part-way, and resuming would stop at
    /// the same image again). Unreadable images are left to <see cref="TryLoad"/>, which makes them per-sample failures.
    /// </summary>
    /// <exception cref="InputDataException">The first image (in sample order) that does not preprocess to the model's size.</exception>
    public void CheckSizes()
    {
        var misfit = new string?[Count];
        Parallel.For(0, Count, i =>
        {
            var path = dataset.Items[i].Path;
            if (ImageDecoder.TrySize(path) is not var (w, h)) return;
            misfit[i] = Misfit(path, h, w);
        });
        if (misfit.FirstOrDefault(m => m is not null) is { } first) throw new InputDataException(first);
    }

    // Why the image at path (height×width) does not become a model input, or null when it does.
    private string? Misfit(string path, int imageHeight, int imageWidth)
    {
        int oh, ow;
        try { (oh, ow) = preprocessing.OutputSize(imageHeight, imageWidth); }
        catch (InputDataException e) { return $"{path}: {e.Message}"; }
        return oh != Shape[1] || ow != Shape[2]
            ? $"{path}: preprocesses to {oh}×{ow}, but the model takes {Shape[1]}×{Shape[2]}; set --resize/--crop to match."
            : null;
    }

    /// <summary>Loads samples [start, start + count); any unreadable image is an error naming it (and how many others failed).</summary>
    /// <exception cref="InputDataException">An image cannot be read or does not preprocess to the model's size.</exception>
    public void Load(int start, int count, Span<float> destination)
    {
        var errors = TryLoad(start, count, destination);
        var failed = errors.Where(e => e is not null).ToArray();
        if (failed.Length > 0)
            throw new InputDataException(failed.Length == 1 ? failed[0]! : $"{failed[0]} (and {failed.Length - 1} more unreadable image{(failed.Length == 2 ? "" : "s")} in samples {start}..{start + count - 1})");
    }

    /// <inheritdoc/>
    public string?[] TryLoad(int start, int count, Span<float> destination)
    {
        int size = Shape[0] * Shape[1] * Shape[2];
        var buffer = new float[count * size];
        var errors = new string?[count];
        var misfit = new string?[count];
        Parallel.For(0, count, i =>
        {
            var path = dataset.Items[start + i].Path;
            RgbImage img;
            try
            {
                img = ImageDecoder.Decode(path);
            }
            catch (Exception e) when (e is InputDataException or IOException or UnauthorizedAccessException)
            {
                errors[i] = e is InputDataException ? e.Message : $"{path}: cannot read the image ({e.Message}).";
                return;
            }
            if (Misfit(path, img.Height, img.Width) is { } why)
            {
                misfit[i] = why;
                return;
            }
            preprocessing.Apply(img, buffer.AsSpan(i * size, size));
        });
        if (misfit.FirstOrDefault(m => m is not null) is { } first) throw new InputDataException(first);
        buffer.CopyTo(destination);
        return errors;
    }

    /// <inheritdoc/>
    public RgbImage Display(int index) => preprocessing.Display(ImageDecoder.Decode(dataset.Items[index].Path));
}

/// <summary>Ready tensors from an NPY file (N×C×H×W float, already preprocessed).</summary>
public sealed class NpyInputSource : IInputSource, IDisposable
{
    private readonly NpyReader _reader;
    private readonly int[]? _labels;

    /// <summary>Opens <paramref name="path"/>; optional labels per sample.</summary>
    public NpyInputSource(string path, int[]? labels = null)
    {
        _reader = NpyReader.Open(path);
        var s = _reader.Shape;
        if (s.Length != 4) { _reader.Dispose(); throw new InputDataException($"{path}: --inputs must be N×C×H×W, got shape ({string.Join(", ", s)})."); }
        // Ready tensors are preprocessed (scaled, normalised) floats; integer or bool arrays are raw pixels or masks, and
        // fed as they are they give the model inputs it never saw in training (a plausible-looking wrong result).
        if (_reader.Header.DType is not (NpyDType.Float16 or NpyDType.Float32 or NpyDType.Float64))
        {
            var dtype = _reader.Header.DType.NumpyName();
            _reader.Dispose();
            throw new InputDataException($"{path}: --inputs holds {dtype} values, but ready tensors are preprocessed floats; scale and normalise them as the model expects (e.g. x.astype(np.float32) / 255, then the mean and std) or give the images with --images.");
        }
        if (labels is not null && labels.Length != s[0]) { _reader.Dispose(); throw new InputDataException($"Labels hold {labels.Length} entries but {path} has {s[0]} samples."); }
        Count = s[0];
        Shape = [s[1], s[2], s[3]];
        Name = path;
        _labels = labels;
    }

    /// <summary>The file.</summary>
    public string Name { get; }
    /// <inheritdoc/>
    public int Count { get; }
    /// <inheritdoc/>
    public IReadOnlyList<int> Shape { get; }
    /// <inheritdoc/>
    public string PathOf(int index) => $"{Path.GetFileName(Name)}[{index}]";
    /// <inheritdoc/>
    public int LabelOf(int index) => _labels?[index] ?? -1;

    /// <inheritdoc/>
    public void Load(int start, int count, Span<float> destination)
    {
        int size = Shape[0] * Shape[1] * Shape[2];
        _reader.Read((long)start * size, destination[..(count * size)]);
    }

    /// <inheritdoc/>
    public RgbImage Display(int index)
    {
        int c = Shape[0], h = Shape[1], w = Shape[2];
        var x = new float[c * h * w];
        Load(index, 1, x);
        var rgb = new byte[h * w * 3];
        for (int ch = 0; ch < 3; ch++)
        {
            var plane = x.AsSpan(Math.Min(ch, c - 1) * h * w, h * w);
            float min = TensorPrimitives.Min(plane), max = TensorPrimitives.Max(plane);
            float range = max > min ? max - min : 1;
            for (int p = 0; p < h * w; p++) rgb[p * 3 + ch] = (byte)Math.Round(255 * (plane[p] - min) / range);
        }
        return new RgbImage(w, h, rgb);
    }

    /// <inheritdoc/>
    public void Dispose() => _reader.Dispose();
}

/// <summary>How targets are chosen: the predicted class, the label, or a fixed class id.</summary>
public sealed record TargetRule(string Kind, int ClassId = -1)
{
    /// <summary>Parses <c>predicted</c>, <c>label</c> or an integer class id.</summary>
    public static TargetRule Parse(string text) => text.ToLowerInvariant() switch
    {
        "predicted" or "pred" or "" => new("predicted"),
        "label" => new("label"),
        _ when int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id) && id >= 0 => new("class", id),
        _ => throw new InputDataException($"--target '{text}': use predicted, label or a class id (≥ 0)."),
    };
}

/// <summary>The result of <see cref="ExplainRun.Run"/>.</summary>
/// <param name="Samples">Samples in the run.</param>
/// <param name="Resumed">Samples found already done from an earlier run.</param>
/// <param name="Seconds">Wall time of this invocation.</param>
/// <param name="Failed">Samples that could not be read (NaN maps, a reason in the <c>error</c> column), over the whole run.</param>
/// <param name="AlreadyComplete">True when the output was already complete with the same signature and nothing was computed.</param>
public sealed record ExplainSummary(int Samples, int Resumed, double Seconds, int Failed = 0, bool AlreadyComplete = false);

/// <summary>
/// An explain run: inputs in chunks → forward (predictions) → targets → explainer → maps appended to a resumable NPY
/// stack (N×H×W, or N×C×H×W without channel reduction) with <c>predictions.csv</c> (index, path, label, predicted,
/// probability, target, error) beside it, and optional heat-map overlays. Interrupting and re-running the same command
/// continues where it stopped; already-written maps are not recomputed, and a finished run is not redone.
/// A sample that cannot be read does not stop the run: its map is NaN, its row has empty predicted, probability and
/// target cells and the reason in <c>error</c> (empty for every other row), and <see cref="ExplainSummary.Failed"/>
/// counts it.
/// </summary>
public static class ExplainRun
{
    /// <summary>Columns of predictions.csv.</summary>
    public const string PredictionsHeader = "index,path,label,predicted,probability,target,error";

    /// <summary>
    /// Runs the explanation of every sample of <paramref name="inputs"/>; <paramref name="force"/> recomputes even when
    /// the output is already complete (or partly done) with the same <paramref name="signature"/>.
    /// </summary>
    /// <exception cref="InputDataException">Inputs that do not fit the model, or targets outside its outputs.</exception>
    public static ExplainSummary Run(IModel model, IExplainer explainer, IInputSource inputs, TargetRule target, ExplainSettings settings,
        string outPath, string predictionsPath, string? overlayDir, string signature, int chunk, IProgress<int>? progress = null, CancellationToken cancel = default,
        bool force = false)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var shape = inputs.Shape;
        InputShapes.Check(model, inputs);
        int c = shape[0], h = shape[1], w = shape[2], size = c * h * w, k = model.OutputCount;
        int outC = explainer.OutputChannels(c, settings);
        int n = inputs.Count;
        int[] outShape = outC == 1 ? [n, h, w] : [n, outC, h, w];
        CheckTargets(model, inputs, target);
        if (inputs is ImageInputSource images) images.CheckSizes();
        using var stack = ResumableStack.Open(outPath, outShape, signature, predictionsPath, PredictionsHeader, force);
        int resumed = stack.Done;
        if (stack.IsComplete)
        {
            progress?.Report(n);
            return new ExplainSummary(n, resumed, clock.Elapsed.TotalSeconds, CountFailed(predictionsPath), AlreadyComplete: true);
        }
        progress?.Report(resumed);
        // A chunk never needs more rows than the samples left; beyond that its buffers would only overflow.
        chunk = Math.Clamp(chunk, 1, Math.Max(1, n - resumed));
        if ((long)chunk * Math.Max(size, Math.Max(k, outC * h * w)) > Array.MaxLength)
            throw new InputDataException($"--chunk {chunk}: {chunk} samples of {c}×{h}×{w} do not fit in one buffer; use a smaller --chunk.");
        var x = new float[chunk * size];
        var logits = new float[chunk * k];
        var maps = new float[chunk * outC * h * w];
        var probs = new double[k];
        int failedNow = 0;
        try
        {
        for (int start = stack.Done; start < n; start += chunk)
        {
            cancel.ThrowIfCancellationRequested();
            int m = Math.Min(chunk, n - start);
            var errors = inputs.TryLoad(start, m, x);
            for (int i = 0; i < m; i++)
                if (errors[i] is null && !AllFinite(x.AsSpan(i * size, size)))
                {
                    errors[i] = "the input holds NaN or infinite values";
                    x.AsSpan(i * size, size).Clear();
                }
            StepBatcher.Forward(model, x.AsSpan(0, m * size), m, logits.AsSpan(0, m * k), settings.Budget);
            var targets = new int[m];
            var rows = new List<string>(m);
            for (int i = 0; i < m; i++)
            {
                var row = logits.AsSpan(i * k, k);
                int predicted = TensorPrimitives.IndexOfMax(row);
                ExplainMath.Softmax(row, probs);
                int label = inputs.LabelOf(start + i);
                targets[i] = target.Kind switch
                {
                    "label" => label,
                    "class" => target.ClassId,
                    _ => predicted,
                };
                var index = (start + i).ToString(CultureInfo.InvariantCulture);
                var path = Sightline.Results.ResultWriter.Quote(inputs.PathOf(start + i));
                var labelText = label.ToString(CultureInfo.InvariantCulture);
                if (errors[i] is { } error)
                {
                    // The zero input still goes through the explainer (with a valid target) so the batch stays whole; its map is discarded.
                    targets[i] = predicted;
                    rows.Add(string.Join(',', index, path, labelText, "", "", "", Sightline.Results.ResultWriter.Quote(error.ReplaceLineEndings(" "))));
                    failedNow++;
                }
                else
                    rows.Add(string.Join(',', index, path, labelText, predicted.ToString(CultureInfo.InvariantCulture),
                        probs[predicted].ToString("R", CultureInfo.InvariantCulture), targets[i].ToString(CultureInfo.InvariantCulture), ""));
            }
            var mapSpan = maps.AsSpan(0, m * outC * h * w);
            explainer.Explain(model, x.AsSpan(0, m * size), m, targets, mapSpan, settings with { FirstIndex = start });
            for (int i = 0; i < m; i++)
                if (errors[i] is not null) mapSpan.Slice(i * outC * h * w, outC * h * w).Fill(float.NaN);
            if (overlayDir is not null) WriteOverlays(inputs, start, m, mapSpan, outC, h, w, overlayDir, errors);
            stack.Append(mapSpan, rows);
            progress?.Report(stack.Done);
        }
        }
        catch (Exception e) when (stack.ResumeHint is { } hint)
        {
            e.Data[ResumableStack.ResumeHintKey] = hint;
            throw;
        }
        stack.Complete();
        return new ExplainSummary(n, resumed, clock.Elapsed.TotalSeconds, resumed > 0 ? CountFailed(predictionsPath) : failedNow);
    }

    private static bool AllFinite(ReadOnlySpan<float> x)
    {
        // x − x is 0 for finite values and NaN for NaN and ±∞, so the sum is NaN exactly when one value is not finite.
        float acc = 0;
        foreach (var v in x) acc += v - v;
        return acc == 0;
    }

    /// <summary>Rows of a predictions file whose <c>error</c> cell (the last one) is not empty.</summary>
    private static int CountFailed(string predictionsPath) =>
        File.Exists(predictionsPath) ? File.ReadLines(predictionsPath).Skip(1).Count(l => l.Length > 0 && !l.EndsWith(',')) : 0;

    /// <summary>Fails before any output is touched when a target cannot be explained: a missing label or a class outside the model's outputs.</summary>
    private static void CheckTargets(IModel model, IInputSource inputs, TargetRule target)
    {
        if (target.Kind == "class" && target.ClassId >= model.OutputCount)
            throw new InputDataException($"--target {target.ClassId}: model '{model.Name}' has {model.OutputCount} outputs (class ids 0..{model.OutputCount - 1}).");
        if (target.Kind != "label") return;
        for (int i = 0; i < inputs.Count; i++)
        {
            int label = inputs.LabelOf(i);
            if (label < 0) throw new InputDataException($"--target label, but sample {i} ({inputs.PathOf(i)}) has no label.");
            if (label >= model.OutputCount)
                throw new InputDataException($"--target label: sample {i} ({inputs.PathOf(i)}) has label {label}, outside model '{model.Name}''s {model.OutputCount} outputs.");
        }
    }

    private static void WriteOverlays(IInputSource inputs, int start, int m, ReadOnlySpan<float> maps, int outC, int h, int w, string dir, string?[] errors)
    {
        Directory.CreateDirectory(dir);
        var rgba = new byte[h * w * 4];
        var plane = new float[h * w];
        for (int i = 0; i < m; i++)
        {
            if (errors[i] is not null) continue;
            var display = inputs.Display(start + i);
            var map = maps.Slice(i * outC * h * w, outC * h * w);
            ExplainMath.Reduce(map, outC, h * w, ChannelReduce.Sum, plane);
            Colormap.Overlay(display.Rgb, plane, w, h, rgba);
            ImageDecoder.WritePng(Path.Combine(dir, $"{start + i:D6}.png"), w, h, rgba);
        }
    }
}
