using Sightline.Data;
using Sightline.Explainers;
using Sightline.IO;
using Sightline.Models;
using Sightline.Onnx.Runtime;
using Sightline.Studies;

namespace Sightline.Cli;

/// <summary>
/// Opens a study's ONNX models on the CLI's back ends (<see cref="ModelBackends"/>): forward passes on ONNX Runtime
/// (or TorchSharp with <c>backend: torch</c>), gradients on the ONNX graph lowered onto TorchSharp when a method or
/// metric needs them; the data with the model's preprocessing from its config, as <c>explain</c> reads them.
/// </summary>
public sealed class StudyModelLoader : IStudyModelLoader
{
    private static (ModelConfig Config, string? Path) Config(StudyModel model)
    {
        var path = model.Config ?? ModelConfig.FindFor(model.Path);
        return (path is null ? ModelConfig.Default : ModelConfig.Load(path), path);
    }

    /// <inheritdoc/>
    public string Signature(StudyModel model)
    {
        var (_, path) = Config(model);
        return ContentHash.OfFile(model.Path) + "|" + (path is null ? "-" : ContentHash.OfFile(path));
    }

    /// <inheritdoc/>
    public StudySession Open(StudyModel model, StudyData data, bool needGradients, int threads)
    {
        var owned = new List<IDisposable>();
        try
        {
            var (config, configPath) = Config(model);
            if (model.Backend == "onnxruntime" && needGradients)
                throw new InputDataException($"models.{model.Name}.backend: onnxruntime serves forward passes only, and a method or metric of the study needs gradients; use auto or torch.");
            var forward = ModelBackends.Open(model.Path, model.Backend == "torch" ? "torch" : "onnxruntime", needGradients: false, config, threads);
            owned.Add(forward);
            LoadedModel? gradient = null;
            if (needGradients && model.Backend != "torch")
            {
                gradient = ModelBackends.Open(model.Path, "torch", needGradients: true, config, threads);
                owned.Add(gradient);
            }
            if (threads > 0 && (gradient is not null || model.Backend == "torch")) TorchSharp.torch.set_num_threads(threads);
            var layout = config.Layout ?? NhwcModel.Detect(forward.Model.InputShape);
            var m = NhwcModel.Wrap(forward.Model, layout);
            var explain = gradient is null ? m : NhwcModel.Wrap(gradient.Model, layout);
            IInputSource inputs;
            Preprocessing? pre = null;
            if (data.Images is { } images)
            {
                pre = ModelPreprocessing.For(config, m, configPath ?? model.Path);
                var dataset = ImageDataset.Open(images, config.Labels);
                inputs = new ImageInputSource(dataset, pre, m.InputShape[1], m.InputShape[2]);
            }
            else
            {
                var labels = data.Labels is { } l ? Sightline.Alignment.NpySampleSource.ReadIntegers(l) : null;
                var npy = new NpyInputSource(data.Inputs!, labels);
                owned.Add(npy);
                inputs = npy;
            }
            return new StudySession(m, explain, inputs, pre, owned);
        }
        catch (InputDataException e) when (!e.Message.StartsWith("models.", StringComparison.Ordinal))
        {
            foreach (var d in owned) d.Dispose();
            throw new InputDataException($"models.{model.Name}: {e.Message}", e);
        }
        catch
        {
            foreach (var d in owned) d.Dispose();
            throw;
        }
    }
}
