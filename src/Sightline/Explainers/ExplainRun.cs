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

    /// <inheritdoc/>
    public void Load(int start, int count, Span<float> destination)
    {
        int size = Shape[0] * Shape[1] * Shape[2];
        var buffer = new float[count * size];
        Parallel.For(0, count, i =>
        {
            var img = ImageDecoder.Decode(dataset.Items[start + i].Path);
            var (oh, ow) = preprocessing.OutputSize(img.Height, img.Width);
            if (oh != Shape[1] || ow != Shape[2])
                throw new InputDataException($"{dataset.Items[start + i].Path}: preprocesses to {oh}×{ow}, but the model takes {Shape[1]}×{Shape[2]}; set --resize/--crop (or --size) to match.");
            preprocessing.Apply(img, buffer.AsSpan(i * size, size));
        });
        buffer.CopyTo(destination);
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
public sealed record ExplainSummary(int Samples, int Resumed, double Seconds);

/// <summary>
/// An explain run: inputs in chunks → forward (predictions) → targets → explainer → maps appended to a resumable NPY
/// stack (N×H×W, or N×C×H×W without channel reduction) with <c>predictions.csv</c> (index, path, label, predicted,
/// probability, target) beside it, and optional heat-map overlays. Interrupting and re-running the same command
/// continues where it stopped; already-written maps are not recomputed.
/// </summary>
public static class ExplainRun
{
    /// <summary>Columns of predictions.csv.</summary>
    public const string PredictionsHeader = "index,path,label,predicted,probability,target";

    /// <summary>Runs the explanation of every sample of <paramref name="inputs"/>.</summary>
    public static ExplainSummary Run(IModel model, IExplainer explainer, IInputSource inputs, TargetRule target, ExplainSettings settings,
        string outPath, string predictionsPath, string? overlayDir, string signature, int chunk, IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var shape = inputs.Shape;
        if (!shape.SequenceEqual(model.InputShape))
            throw new InputDataException($"Inputs are {string.Join("×", shape)} per sample but model '{model.Name}' takes {string.Join("×", model.InputShape)}.");
        int c = shape[0], h = shape[1], w = shape[2], size = c * h * w, k = model.OutputCount;
        int outC = explainer.OutputChannels(c, settings);
        int n = inputs.Count;
        int[] outShape = outC == 1 ? [n, h, w] : [n, outC, h, w];
        using var stack = ResumableStack.Open(outPath, outShape, signature, predictionsPath, PredictionsHeader);
        int resumed = stack.Done;
        progress?.Report(resumed);
        chunk = Math.Max(1, chunk);
        var x = new float[chunk * size];
        var logits = new float[chunk * k];
        var maps = new float[chunk * outC * h * w];
        var probs = new double[k];
        for (int start = stack.Done; start < n; start += chunk)
        {
            cancel.ThrowIfCancellationRequested();
            int m = Math.Min(chunk, n - start);
            inputs.Load(start, m, x);
            Batched.Forward(model, x.AsSpan(0, m * size), m, logits.AsSpan(0, m * k), settings.RowsPerCall(size));
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
                    "label" => label >= 0 ? label : throw new InputDataException($"--target label, but sample {start + i} ({inputs.PathOf(start + i)}) has no label."),
                    "class" => target.ClassId,
                    _ => predicted,
                };
                rows.Add(string.Join(',', (start + i).ToString(CultureInfo.InvariantCulture), Sightline.Results.ResultWriter.Quote(inputs.PathOf(start + i)),
                    label.ToString(CultureInfo.InvariantCulture), predicted.ToString(CultureInfo.InvariantCulture),
                    probs[predicted].ToString("R", CultureInfo.InvariantCulture), targets[i].ToString(CultureInfo.InvariantCulture)));
            }
            var mapSpan = maps.AsSpan(0, m * outC * h * w);
            explainer.Explain(model, x.AsSpan(0, m * size), m, targets, mapSpan, settings with { FirstIndex = start });
            if (overlayDir is not null) WriteOverlays(inputs, start, m, mapSpan, outC, h, w, overlayDir);
            stack.Append(mapSpan, rows);
            progress?.Report(stack.Done);
        }
        stack.Complete();
        return new ExplainSummary(n, resumed, clock.Elapsed.TotalSeconds);
    }

    private static void WriteOverlays(IInputSource inputs, int start, int m, ReadOnlySpan<float> maps, int outC, int h, int w, string dir)
    {
        Directory.CreateDirectory(dir);
        var rgba = new byte[h * w * 4];
        var plane = new float[h * w];
        for (int i = 0; i < m; i++)
        {
            var display = inputs.Display(start + i);
            var map = maps.Slice(i * outC * h * w, outC * h * w);
            ExplainMath.Reduce(map, outC, h * w, ChannelReduce.Sum, plane);
            Colormap.Overlay(display.Rgb, plane, w, h, rgba);
            ImageDecoder.WritePng(Path.Combine(dir, $"{start + i:D6}.png"), w, h, rgba);
        }
    }
}
