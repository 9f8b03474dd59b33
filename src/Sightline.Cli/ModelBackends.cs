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
    /// <summary>Opens <paramref name="path"/> with <paramref name="backend"/> (auto, onnxruntime, torch).</summary>
    public static LoadedModel Open(string path, string backend, bool needGradients)
    {
        var chosen = backend == "auto" ? (needGradients ? "torch" : "onnxruntime") : backend;
        if (chosen == "onnxruntime")
        {
            if (needGradients)
                throw new InputDataException("--backend onnxruntime serves forward passes and layer activations only; this method needs gradients: use --backend torch (or auto).");
            return new LoadedModel(OnnxRuntimeModel.Open(path), "onnxruntime");
        }
        return new LoadedModel(OpenTorch(path), "torch");
    }

    private static IModel OpenTorch(string path) => new Sightline.Torch.OnnxTorchModel(path);

    /// <summary>The candidate layers of a model (node outputs with per-sample shapes), on either back end.</summary>
    public static IReadOnlyList<LayerInfo> Layers(LoadedModel loaded) => loaded.Model switch
    {
        IActivationModel a => a.Layers,
        _ => [],
    };

    /// <summary>The preprocessing of a model from its JSON config.</summary>
    public static Preprocessing Preprocessing(string modelPath, IModel model) => ModelPreprocessing.For(modelPath, model);
}
