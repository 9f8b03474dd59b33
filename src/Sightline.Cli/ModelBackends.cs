using Sightline.Data;
using Sightline.Models;
using Sightline.Onnx.Runtime;

namespace Sightline.Cli;

/// <summary>A model opened by <see cref="ModelBackends"/>, with the back end that serves it.</summary>
/// <param name="Model">The model.</param>
/// <param name="Backend">"onnxruntime" or "torch".</param>
public sealed record LoadedModel(IModel Model, string Backend) : IDisposable
{
    /// <inheritdoc/>
    public void Dispose() => Model.Dispose();
}

/// <summary>
/// Opens ONNX models on the back end a command needs: ONNX Runtime (fast forward passes and any node's activations:
/// <see cref="IActivationModel"/>) or the ONNX graph lowered onto TorchSharp (gradients too: <see cref="IGradientModel"/>).
/// <c>auto</c> picks ONNX Runtime for work without gradients (black-box methods, Eigen-CAM, Score-CAM, listing layers)
/// and TorchSharp when gradients are needed.
/// </summary>
public static class ModelBackends
{
    /// <summary>
    /// Opens <paramref name="path"/> with <paramref name="backend"/> (auto, onnxruntime, torch). <paramref name="config"/>
    /// (the config beside the model or one given with <c>--config</c>) supplies <c>input_size</c> for models whose input
    /// height and width are not fixed in the graph, on either back end. <paramref name="threads"/> &gt; 0 caps ONNX
    /// Runtime's intra-op threads (0: all cores).
    /// </summary>
    public static LoadedModel Open(string path, string backend, bool needGradients, ModelConfig? config = null, int threads = 0)
    {
        (int Height, int Width)? size = config?.InputSize is { Count: 2 } s ? (s[0], s[1]) : null;
        var chosen = backend == "auto" ? (needGradients ? "torch" : "onnxruntime") : backend;
        if (chosen == "onnxruntime")
        {
            if (needGradients)
                throw new InputDataException("--backend onnxruntime serves forward passes and layer activations only; this method needs gradients: use --backend torch (or auto).");
            return new LoadedModel(OnnxRuntimeModel.Open(path, options: size is null && threads <= 0 ? null : new OnnxRuntimeOptions { InputSize = size, IntraOpThreads = Math.Max(0, threads) }), "onnxruntime");
        }
        return new LoadedModel(OpenTorch(path, size), "torch");
    }

    private static IModel OpenTorch(string path, (int Height, int Width)? size) =>
        new Sightline.Torch.OnnxTorchModel(path, size is { } hw ? DynamicInputShape(path, hw) : null);

    /// <summary>
    /// The per-sample C×H×W shape of an N×C×H×W input whose height or width is not fixed, with H×W from the config;
    /// null when the graph fixes them (the graph's own shape wins) or the channels are not fixed either.
    /// </summary>
    internal static int[]? DynamicInputShape(string path, (int Height, int Width) size)
    {
        var input = Sightline.Onnx.Graph.OnnxModelProto.Load(path).Graph.Inputs.FirstOrDefault();
        if (input?.Shape is not { Count: 4 } dims || dims[1].Value is not { } channels) return null;
        if (dims[2].IsFixed && dims[3].IsFixed) return null;
        return [(int)channels, size.Height, size.Width];
    }

    /// <summary>The candidate layers of a model (node outputs with per-sample shapes), on either back end.</summary>
    public static IReadOnlyList<LayerInfo> Layers(LoadedModel loaded) => loaded.Model switch
    {
        IActivationModel a => a.Layers,
        _ => [],
    };

    /// <summary>The preprocessing of a model from its JSON config.</summary>
    public static Preprocessing Preprocessing(string modelPath, IModel model) => ModelPreprocessing.For(modelPath, model);
}
