using Sightline.Data;
using Sightline.Explainers;
using Sightline.IO;
using Sightline.Models;

namespace Sightline.Studies;

/// <summary>
/// One model of a study opened for work: the forward model (predictions and the metrics' forward passes), the model
/// the methods explain with (a gradient back end of the same network when gradients are needed; may be the forward
/// model) and the study's data with this model's preprocessing.
/// </summary>
public sealed class StudySession(IModel forward, IModel explain, IInputSource inputs, Preprocessing? preprocessing, IEnumerable<IDisposable> owned) : IDisposable
{
    /// <summary>The forward model.</summary>
    public IModel Forward { get; } = forward;

    /// <summary>The model the methods explain with.</summary>
    public IModel Explain { get; } = explain;

    /// <summary>The data, preprocessed for this model.</summary>
    public IInputSource Inputs { get; } = inputs;

    /// <summary>The image preprocessing (null for ready tensors).</summary>
    public Preprocessing? Preprocessing { get; } = preprocessing;

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var d in owned.Reverse()) d.Dispose();
    }
}

/// <summary>
/// Opens the models of a study: the back ends (ONNX Runtime, TorchSharp) live outside the core, so the CLI supplies
/// them; tests supply managed models.
/// </summary>
public interface IStudyModelLoader
{
    /// <summary>Opens <paramref name="model"/> with the study's data; <paramref name="needGradients"/> when a method or metric differentiates the model.</summary>
    /// <exception cref="InputDataException">A model, config or data set that cannot be used.</exception>
    StudySession Open(StudyModel model, StudyData data, bool needGradients, int threads);

    /// <summary>A content signature of the model file and its config (the run signature covers it).</summary>
    string Signature(StudyModel model);
}

/// <summary>
/// The samples of a study independent of any model: their number (after <see cref="StudyData.Limit"/>), image ids
/// (the image's path relative to the data folder, or the index for tensors) and a content signature of the data files.
/// </summary>
public sealed class StudyDataIndex
{
    private readonly string[] _ids;

    private StudyDataIndex(string[] ids, string signature)
    {
        _ids = ids;
        Signature = signature;
    }

    /// <summary>Samples in the study.</summary>
    public int Count => _ids.Length;

    /// <summary>The image id of sample <paramref name="index"/>.</summary>
    public string ImageId(int index) => _ids[index];

    /// <summary>Content signature of the data (names, labels and bytes of every image; or the NPY files).</summary>
    public string Signature { get; }

    /// <summary>Lists the data and hashes it.</summary>
    /// <exception cref="InputDataException">No samples, fewer than <see cref="StudyData.Limit"/>, unreadable files.</exception>
    public static StudyDataIndex Open(StudyData data)
    {
        if (data.Images is { } images)
        {
            var dataset = ImageDataset.Open(images);
            int n = Math.Min(dataset.Items.Count, data.Limit ?? int.MaxValue);
            var items = dataset.Items.Take(n).ToList();
            var root = Directory.Exists(images) ? images : System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(images))!;
            var ids = items.Select(i => System.IO.Path.GetRelativePath(root, i.Path).Replace('\\', '/')).ToArray();
            // Names (relative, so a study moved to another folder keeps its signature), labels, then every image's bytes.
            var sig = ContentHash.OfFiles(items.Select(i => i.Path).Where(File.Exists)) + "|" + string.Join("|", items.Select((i, k) => $"{ids[k]}:{i.Label}"));
            return new StudyDataIndex(ids, Hash(sig));
        }
        using var reader = NpyReader.Open(data.Inputs!);
        if (reader.Shape.Length != 4) throw new InputDataException($"data.inputs: {data.Inputs} must be N×C×H×W, got shape ({string.Join(", ", reader.Shape)}).");
        int count = Math.Min(reader.Shape[0], data.Limit ?? int.MaxValue);
        if (count == 0) throw new InputDataException($"data.inputs: {data.Inputs} holds no samples.");
        var signature = ContentHash.OfFile(data.Inputs!) + "|" + (data.Labels is null ? "-" : ContentHash.OfFile(data.Labels));
        return new StudyDataIndex([.. Enumerable.Range(0, count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))], Hash(signature));
    }

    internal static string Hash(string text) => Convert.ToHexStringLower(System.IO.Hashing.XxHash128.Hash(System.Text.Encoding.UTF8.GetBytes(text)));
}
