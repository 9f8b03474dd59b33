using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sightline.Onnx.Runtime;

/// <summary>Channel order the model expects its input image in.</summary>
public enum ChannelOrder
{
    /// <summary>Red, green, blue (PyTorch/torchvision convention).</summary>
    Rgb,
    /// <summary>Blue, green, red (Caffe/OpenCV convention).</summary>
    Bgr,
}

/// <summary>
/// Preprocessing and labels of an image classifier, read from an optional JSON or YAML file next to the ONNX file
/// (the first of <c>&lt;model&gt;.json</c>, <c>&lt;model&gt;.yaml</c>, <c>&lt;model&gt;.yml</c>, <c>model.json</c>,
/// <c>model.yaml</c>, <c>model.yml</c>) or named explicitly. Every field is optional:
/// <code>
/// { "input_size": [224, 224], "resize": 256, "crop": 224,
///   "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
///   "channel_order": "rgb", "scale": 1, "layout": "nchw", "labels": ["tench", "goldfish", ...] }
/// </code>
/// The YAML form has the same fields (<c>mean: [0.485, 0.456, 0.406]</c> or <c>- item</c> lists; see
/// <see cref="YamlSubset"/>). A pixel p in [0, 255] is fed to the model as <c>(p / 255 · scale − mean[c]) / std[c]</c>.
/// </summary>
public sealed record ModelConfig
{
    /// <summary>ImageNet channel means (RGB), on the [0, 1] scale.</summary>
    public static readonly IReadOnlyList<float> ImageNetMean = [0.485f, 0.456f, 0.406f];

    /// <summary>ImageNet channel standard deviations (RGB), on the [0, 1] scale.</summary>
    public static readonly IReadOnlyList<float> ImageNetStd = [0.229f, 0.224f, 0.225f];

    /// <summary>
    /// Model input [height, width] (<c>input_size</c>); null to take it from the ONNX input shape. Needed only when the
    /// model's spatial dimensions are dynamic.
    /// </summary>
    public IReadOnlyList<int>? InputSize { get; init; }

    /// <summary>Resize the shorter image side to this many pixels before cropping (<c>resize</c>); null: resize straight to the input size.</summary>
    public int? Resize { get; init; }

    /// <summary>Centre-crop size in pixels after resizing (<c>crop</c>); null: no crop.</summary>
    public int? Crop { get; init; }

    /// <summary>Per-channel mean subtracted after scaling (<c>mean</c>), in the model's channel order. Default: ImageNet.</summary>
    public IReadOnlyList<float> Mean { get; init; } = ImageNetMean;

    /// <summary>Per-channel standard deviation divided by after subtracting the mean (<c>std</c>). Default: ImageNet.</summary>
    public IReadOnlyList<float> Std { get; init; } = ImageNetStd;

    /// <summary>Channel order (<c>channel_order</c>: <c>"rgb"</c> or <c>"bgr"</c>). Default RGB.</summary>
    public ChannelOrder ChannelOrder { get; init; } = ChannelOrder.Rgb;

    /// <summary>Value range of the scaled pixels before normalising (<c>scale</c>): 1 for [0, 1] (default), 255 for [0, 255].</summary>
    public float Scale { get; init; } = 1f;

    /// <summary>
    /// Input layout (<c>layout</c>: <c>"nchw"</c>, <c>"nhwc"</c> or <c>"auto"</c>); null (auto) detects it from the input
    /// shape (<see cref="Sightline.Models.NhwcModel.Detect"/>).
    /// </summary>
    public Sightline.Models.InputLayout? Layout { get; init; }

    /// <summary>Class names by output index (<c>labels</c>); null when not given.</summary>
    public IReadOnlyList<string>? Labels { get; init; }

    /// <summary>The defaults (ImageNet normalisation, RGB, [0, 1] scale, no labels).</summary>
    public static ModelConfig Default { get; } = new();

    /// <summary>The label of output <paramref name="index"/>, or the index as text when no labels are known.</summary>
    public string Label(int index) =>
        Labels is not null && index >= 0 && index < Labels.Count ? Labels[index] : index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The file that configures <paramref name="onnxPath"/>: the first of <c>&lt;model&gt;.json</c>, <c>.yaml</c>,
    /// <c>.yml</c>, then <c>model.json</c>, <c>model.yaml</c>, <c>model.yml</c> in the same folder; null when none exists.
    /// </summary>
    public static string? FindFor(string onnxPath)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(onnxPath)) ?? ".";
        foreach (var stem in new[] { Path.GetFileNameWithoutExtension(onnxPath), "model" })
            foreach (var ext in new[] { ".json", ".yaml", ".yml" })
            {
                string candidate = Path.Combine(dir, stem + ext);
                if (File.Exists(candidate)) return candidate;
            }
        return null;
    }

    /// <summary>The configuration of <paramref name="onnxPath"/> from the JSON or YAML file next to it, or <see cref="Default"/> when there is none.</summary>
    /// <exception cref="InputDataException">The file exists but is invalid.</exception>
    public static ModelConfig ForModel(string onnxPath) => FindFor(onnxPath) is { } json ? Load(json) : Default;

    /// <summary>Reads a configuration file: YAML when it ends in <c>.yaml</c> or <c>.yml</c>, else JSON.</summary>
    /// <exception cref="InputDataException">The file is missing or unreadable, not valid JSON/YAML, or has invalid values.</exception>
    public static ModelConfig Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputDataException($"{path}: cannot read the model configuration ({e.Message}).", e);
        }
        return path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)
            ? ParseYaml(text, path)
            : Parse(text, path);
    }

    /// <summary>Parses configuration YAML (the subset <see cref="YamlSubset"/> reads, same fields as the JSON form).</summary>
    /// <exception cref="InputDataException">YAML outside the subset (with its line number) or invalid values.</exception>
    public static ModelConfig ParseYaml(string yaml, string sourceName)
    {
        var node = YamlSubset.Parse(yaml, sourceName);
        // Labels are names even when they look like numbers (1, 2, ...).
        if (node["labels"] is System.Text.Json.Nodes.JsonArray labels)
            for (int i = 0; i < labels.Count; i++)
                if (labels[i] is System.Text.Json.Nodes.JsonValue v && v.GetValueKind() == JsonValueKind.Number) labels[i] = v.ToJsonString();
        return Parse(node.ToJsonString(), sourceName, "YAML");
    }

    /// <summary>Parses configuration JSON; <paramref name="sourceName"/> names it in error messages.</summary>
    /// <exception cref="InputDataException">Invalid JSON or invalid values.</exception>
    public static ModelConfig Parse(string json, string sourceName) => Parse(json, sourceName, "JSON");

    private static ModelConfig Parse(string json, string sourceName, string format)
    {
        Dto dto;
        try
        {
            dto = JsonSerializer.Deserialize<Dto>(json, JsonOptions) ?? new Dto();
        }
        catch (JsonException e)
        {
            var where = format == "JSON" ? e.Message : $"field {e.Path?.TrimStart('$', '.') ?? "?"}: {e.Message.Split(" Path:")[0]}";
            throw new InputDataException($"{sourceName}: invalid model configuration {format} ({where}); fields: input_size, resize, crop, mean, std, channel_order, scale, layout, labels.", e);
        }
        var config = new ModelConfig
        {
            InputSize = dto.InputSize,
            Resize = dto.Resize,
            Crop = dto.Crop,
            Mean = dto.Mean ?? ImageNetMean,
            Std = dto.Std ?? ImageNetStd,
            ChannelOrder = dto.ChannelOrder?.ToLowerInvariant() switch
            {
                null or "rgb" => ChannelOrder.Rgb,
                "bgr" => ChannelOrder.Bgr,
                var other => throw new InputDataException($"{sourceName}: channel_order '{other}' is not \"rgb\" or \"bgr\"."),
            },
            Scale = dto.Scale ?? 1f,
            Layout = dto.Layout?.ToLowerInvariant() switch
            {
                null or "auto" => null,
                "nchw" => Sightline.Models.InputLayout.Nchw,
                "nhwc" => Sightline.Models.InputLayout.Nhwc,
                var other => throw new InputDataException($"{sourceName}: layout '{other}' is not \"nchw\", \"nhwc\" or \"auto\"."),
            },
            Labels = dto.Labels,
        };
        if (config.InputSize is { } size && (size.Count != 2 || size[0] <= 0 || size[1] <= 0))
            throw new InputDataException($"{sourceName}: input_size must be [height, width] with positive values.");
        if (config.Mean.Count != config.Std.Count)
            throw new InputDataException($"{sourceName}: mean has {config.Mean.Count} values but std has {config.Std.Count}; give one per channel.");
        if (config.Std.Any(s => !(s > 0)))
            throw new InputDataException($"{sourceName}: std values must be positive.");
        if (config.Resize is <= 0 || config.Crop is <= 0 || !(config.Scale > 0))
            throw new InputDataException($"{sourceName}: resize, crop and scale must be positive.");
        return config;
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private sealed class Dto
    {
        public int[]? InputSize { get; set; }
        public int? Resize { get; set; }
        public int? Crop { get; set; }
        public float[]? Mean { get; set; }
        public float[]? Std { get; set; }
        public string? ChannelOrder { get; set; }
        public float? Scale { get; set; }
        public string? Layout { get; set; }
        public string[]? Labels { get; set; }
    }
}
