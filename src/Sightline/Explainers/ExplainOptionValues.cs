using Sightline.Data;
using Sightline.IO;

namespace Sightline.Explainers;

/// <summary>
/// The text forms of explain's method options, parsed in one place for the command line (<c>explain</c>,
/// <c>evaluate</c>) and for study files: the integrated-gradients baseline (<c>zero</c>, <c>black</c>, <c>uniform</c>,
/// <c>gaussian</c> or an NPY file of baselines), the channel reduction and the CAM style, plus the black baseline of an
/// image preprocessing and the shape check of a baseline file. Callers build their own messages (naming an option or a
/// study key) from the <c>…Choices</c> texts.
/// </summary>
public static class ExplainOptionValues
{
    /// <summary>The accepted baselines, for messages.</summary>
    public const string BaselineChoices = "zero, black, uniform, gaussian or a FILE.npy";

    /// <summary>The accepted channel reductions, for messages.</summary>
    public const string ChannelReduceChoices = "sum, max, mean or none";

    /// <summary>The accepted CAM styles, for messages.</summary>
    public const string CamStyleChoices = "gradcam, captum or seed";

    /// <summary>
    /// Parses a baseline: a kind name (case-insensitive) or a file name ending in <c>.npy</c> (<see cref="BaselineKind.File"/>,
    /// with <paramref name="file"/> set to the text as given).
    /// </summary>
    public static bool TryParseBaseline(string text, out BaselineKind kind, out string? file)
    {
        file = null;
        switch (text.ToLowerInvariant())
        {
            case "zero": kind = BaselineKind.Zero; return true;
            case "black": kind = BaselineKind.Black; return true;
            case "uniform": kind = BaselineKind.Uniform; return true;
            case "gaussian": kind = BaselineKind.Gaussian; return true;
        }
        if (text.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) && text.Length > 4)
        {
            file = text;
            kind = BaselineKind.File;
            return true;
        }
        kind = BaselineKind.Zero;
        return false;
    }

    /// <summary>Parses a channel reduction: sum, max, mean or none (keep every channel: maps of C×H×W).</summary>
    public static bool TryParseChannelReduce(string text, out ChannelReduce reduce)
    {
        reduce = text.ToLowerInvariant() switch { "sum" => ChannelReduce.Sum, "max" => ChannelReduce.Max, "mean" => ChannelReduce.Mean, "none" => ChannelReduce.None, _ => (ChannelReduce)(-1) };
        return Enum.IsDefined(reduce);
    }

    /// <summary>Parses a CAM style: gradcam, captum or seed.</summary>
    public static bool TryParseCamStyle(string text, out CamStyle style)
    {
        style = text.ToLowerInvariant() switch { "gradcam" => CamStyle.GradCam, "captum" => CamStyle.Captum, "seed" => CamStyle.Seed, _ => (CamStyle)(-1) };
        return Enum.IsDefined(style);
    }

    /// <summary>
    /// The black baseline of an image preprocessing: per channel c, the normalised value of pixel 0,
    /// (0 − mean_c) / std_c (one mean or std applies to every channel).
    /// </summary>
    public static float[] BlackValues(Preprocessing preprocessing, int channels) =>
        [.. Enumerable.Range(0, channels).Select(c => (0f - preprocessing.Mean[Math.Min(c, preprocessing.Mean.Length - 1)]) / preprocessing.Std[Math.Min(c, preprocessing.Std.Length - 1)])];

    /// <summary>
    /// Checks a baseline file's shape against the model input C×H×W (<paramref name="input"/>) and the number of
    /// samples: C×H×W or 1×C×H×W is one baseline for every sample, <paramref name="samples"/>×C×H×W one per sample
    /// (with <paramref name="atLeast"/>, more rows are allowed: a study that uses the first N samples). Returns true for
    /// one per sample.
    /// </summary>
    /// <exception cref="InputDataException">Any other shape; <paramref name="name"/> names the option or key.</exception>
    public static bool CheckBaselineShape(IReadOnlyList<int> shape, IReadOnlyList<int> input, int samples, string name, string file, bool atLeast = false)
    {
        bool chw = shape.Count == 3 && shape.SequenceEqual(input);
        bool shared = shape.Count == 4 && shape[0] == 1 && shape.Skip(1).SequenceEqual(input);
        bool perSample = shape.Count == 4 && (atLeast ? shape[0] >= samples : shape[0] == samples) && shape.Skip(1).SequenceEqual(input);
        if (!chw && !shared && !perSample)
            throw new InputDataException($"{name} {file}: shape ({string.Join(", ", shape)}); expected {string.Join("×", input)} (C×H×W) or {samples}×{string.Join("×", input)} (one per sample).");
        return !chw && !shared;
    }

    /// <summary>Reads a whole baseline file after <see cref="CheckBaselineShape"/>.</summary>
    /// <exception cref="InputDataException">A missing or unreadable file, or a shape that fits neither form.</exception>
    public static float[] ReadBaselineFile(string file, IReadOnlyList<int> input, int samples, string name)
    {
        if (!File.Exists(file)) throw new InputDataException($"{name} {file}: file not found.");
        using var r = NpyReader.Open(file);
        CheckBaselineShape(r.Shape, input, samples, name, file);
        return r.ReadAll<float>();
    }
}
