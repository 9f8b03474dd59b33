using Sightline.Data;
using Sightline.Models;
using Sightline.Onnx.Runtime;

namespace Sightline.Cli;

/// <summary>Maps a model's JSON config (<c>&lt;model&gt;.json</c> or <c>model.json</c>, see <see cref="ModelConfig"/>) onto <see cref="Preprocessing"/>.</summary>
public static class ModelPreprocessing
{
    /// <summary>The preprocessing for <paramref name="model"/> loaded from <paramref name="modelPath"/>.</summary>
    public static Preprocessing For(string modelPath, IModel model)
    {
        var config = ModelConfig.ForModel(modelPath);
        int h = model.InputShape[1], w = model.InputShape[2];
        return new Preprocessing
        {
            Resize = config.Resize,
            Size = config.Resize is null ? (config.Crop is null ? [h, w] : null) : null,
            Crop = config.Crop,
            Mean = [.. config.Mean],
            Std = [.. config.Std],
            Scale = 255f / config.Scale,
            ChannelOrder = config.ChannelOrder == ChannelOrder.Bgr ? "bgr" : "rgb",
            Channels = model.InputShape[0],
        };
    }
}
