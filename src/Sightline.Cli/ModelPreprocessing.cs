using Sightline.Data;
using Sightline.Models;
using Sightline.Onnx.Runtime;

namespace Sightline.Cli;

/// <summary>
/// Maps a model's config (<c>&lt;model&gt;.json</c>/<c>.yaml</c> or <c>model.json</c>/<c>.yaml</c> beside it, or a file
/// given with <c>--config</c>; see <see cref="ModelConfig"/>) onto <see cref="Preprocessing"/>.
/// </summary>
public static class ModelPreprocessing
{
    /// <summary>The preprocessing for <paramref name="model"/> loaded from <paramref name="modelPath"/>, with the config found beside it.</summary>
    public static Preprocessing For(string modelPath, IModel model) => For(ModelConfig.ForModel(modelPath), model, modelPath);

    /// <summary>
    /// The preprocessing for <paramref name="model"/> (an N×C×H×W model, see <see cref="NhwcModel"/>) from
    /// <paramref name="config"/>. Without a resize or crop in the config, images are resized straight to the model's H×W.
    /// </summary>
    /// <exception cref="InputDataException">The model does not take 1 or 3 channels, or the config's mean/std do not fit them.</exception>
    public static Preprocessing For(ModelConfig config, IModel model, string modelPath)
    {
        var shape = model.InputShape;
        if (shape.Count != 3 || shape[0] is not (1 or 3))
            throw new InputDataException($"{modelPath}: input is {string.Join("×", shape)} per sample; images need a C×H×W input with 1 or 3 channels (or H×W×C with \"layout\": \"nhwc\" in the model config).");
        int c = shape[0], h = shape[1], w = shape[2];
        if (!ReferenceEquals(config.Mean, ModelConfig.ImageNetMean) && config.Mean.Count is not 1 && config.Mean.Count != c)
            throw new InputDataException($"{modelPath}: the config's mean has {config.Mean.Count} values but the model takes {c} channel{(c == 1 ? "" : "s")}.");
        return new Preprocessing
        {
            Resize = config.Resize,
            Size = config.Resize is null ? (config.Crop is null ? [h, w] : null) : null,
            Crop = config.Crop,
            Mean = [.. config.Mean],
            Std = [.. config.Std],
            Scale = 255f / config.Scale,
            ChannelOrder = config.ChannelOrder == ChannelOrder.Bgr ? "bgr" : "rgb",
            Channels = c,
        };
    }
}
