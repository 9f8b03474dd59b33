using Sightline.IO;

namespace Sightline.Studies;

/// <summary>What a study's targets are: the class each sample is explained for and scored against.</summary>
public enum StudyTargetKind
{
    /// <summary>The model's predicted class (argmax of the logits).</summary>
    Predicted,
    /// <summary>The sample's label (from the class folder, the CSV or the labels NPY).</summary>
    Label,
    /// <summary>
    /// SemScore's rule (Leong et al., NeurIPS 2025 workshop; spec §5): every ground-truth class present in the sample's
    /// label map is its own prediction, explained for that class's logit (label value − offset) and scored against
    /// that class's mask.
    /// </summary>
    MaskClasses,
}

/// <summary>The data of a study: an image folder or CSV (preprocessed per model), or ready tensors with labels.</summary>
/// <param name="Images">Image folder (class subfolders or flat) or CSV of path,label; null with <paramref name="Inputs"/>.</param>
/// <param name="Inputs">Ready tensors (NPY N×C×H×W float, preprocessed); null with <paramref name="Images"/>.</param>
/// <param name="Labels">Labels of <paramref name="Inputs"/> (NPY of N integers), or null.</param>
/// <param name="Limit">Use only the first this many samples (null: all).</param>
public sealed record StudyData(string? Images, string? Inputs, string? Labels, int? Limit);

/// <summary>
/// A named ground truth of a study: one mask per sample, from an NPY stack (N×H×W, 0/1 or integer labels) or a folder of
/// PNG masks in ordinal file order (the encodings <c>align</c> reads). A pixel belongs to the mask when its label is
/// non-zero (or one of <see cref="Classes"/>) and not the ignore label; with <see cref="StudyTargetKind.MaskClasses"/>
/// the set that supplies the targets is scored per target (label = target + offset).
/// </summary>
/// <param name="Name">The name used in the rows' <c>mask_set</c> column (e.g. <c>object</c>, <c>hair</c>).</param>
/// <param name="Path">NPY file or PNG folder (resolved against the study file's folder).</param>
/// <param name="Encoding">PNG label encoding (auto, binary, grayscale, palette, rgb).</param>
/// <param name="Classes">Label values that form the ground truth; null = every non-zero, non-ignored label.</param>
/// <param name="OverrideIgnore">True when <paramref name="Ignore"/> replaces the encoding's default ignore label.</param>
/// <param name="Ignore">The ignore label when <paramref name="OverrideIgnore"/> (null = none).</param>
/// <param name="Resize">Resize masks to each model's input size (nearest neighbour) instead of refusing other sizes.</param>
/// <param name="Role">"object" (attention wanted) or "spurious" (a planted cue: higher alignment is worse).</param>
/// <param name="PerTarget">Score each target against the pixels labelled target + offset (the label map's own class), not the whole mask.</param>
public sealed record StudyMaskSet(string Name, string Path, MaskEncoding Encoding, IReadOnlyList<int>? Classes, bool OverrideIgnore, int? Ignore, bool Resize, string Role, bool PerTarget);

/// <summary>The target rule.</summary>
/// <param name="Kind">predicted, label or mask_classes.</param>
/// <param name="From">For mask_classes: the mask set whose label maps give the classes.</param>
/// <param name="Offset">For mask_classes: logit = label value − offset (SemScore/ImageNet-S: 1, label 0 = background).</param>
public sealed record StudyTargets(StudyTargetKind Kind, string? From, int Offset);

/// <summary>A model of the study: an ONNX classifier with its config and a name.</summary>
/// <param name="Name">The name in the rows' <c>model</c> column.</param>
/// <param name="Path">The ONNX file.</param>
/// <param name="Config">Its config (preprocessing, labels), or null for the one beside the model.</param>
/// <param name="Backend">auto, onnxruntime or torch.</param>
public sealed record StudyModel(string Name, string Path, string? Config, string Backend);

/// <summary>
/// A method of the study: an explainer from <see cref="Explainers.ExplainerCatalog"/> with its options; the layer may
/// differ per model (CAM methods).
/// </summary>
/// <param name="Name">The name in the rows' <c>method</c> column (unique; defaults to the method).</param>
/// <param name="Method">The catalogue name (saliency, gradcam, integrated_gradients, ...).</param>
/// <param name="Layer">The layer for every model, or null.</param>
/// <param name="Layers">Per model name, the layer (overrides <paramref name="Layer"/>).</param>
/// <param name="Options">Method options as snake_case key → text (steps, rule, baseline, noise_level, samples, window, stride, occlusion_baseline, rise_masks, rise_p, rise_cell, abs, channel_reduce, cam_style, seed, normalise).</param>
public sealed record StudyMethod(string Name, string Method, string? Layer, IReadOnlyDictionary<string, string> Layers, IReadOnlyDictionary<string, string> Options)
{
    /// <summary>The layer used with model <paramref name="model"/>.</summary>
    public string? LayerFor(string model) => Layers.TryGetValue(model, out var l) ? l : Layer;
}

/// <summary>Settings of <c>study merge</c>'s statistics (they do not change the rows, so they are not in the run signature).</summary>
/// <param name="Bootstrap">Bootstrap resamples of every CI.</param>
/// <param name="Permutations">Sign-flip permutations of the paired tests.</param>
/// <param name="Seed">Seed of the bootstrap and the permutations.</param>
/// <param name="ClassRank">How many classes SemScore's top/bottom class ranking lists.</param>
/// <param name="FeatureRanking">Metrics that rank the mask sets per model (Explanation Alignment §7.3: EA_IoU, EA_PG).</param>
public sealed record StudyStatistics(int Bootstrap, int Permutations, ulong Seed, int ClassRank, IReadOnlyList<string> FeatureRanking);

/// <summary>
/// A study: the cross product of models × methods × samples, each explained and scored with the metrics against every
/// mask set. Parsed from YAML or JSON by <see cref="StudyFile"/>; paths are resolved against the study file's folder.
/// </summary>
public sealed record StudyDefinition
{
    /// <summary>The study's name (the rows' <c>study</c> column).</summary>
    public required string Name { get; init; }

    /// <summary>The study file.</summary>
    public required string SourcePath { get; init; }

    /// <summary>The data.</summary>
    public required StudyData Data { get; init; }

    /// <summary>The mask sets, in file order.</summary>
    public required IReadOnlyList<StudyMaskSet> Masks { get; init; }

    /// <summary>The target rule.</summary>
    public required StudyTargets Targets { get; init; }

    /// <summary>The models, in file order.</summary>
    public required IReadOnlyList<StudyModel> Models { get; init; }

    /// <summary>The methods, in file order.</summary>
    public required IReadOnlyList<StudyMethod> Methods { get; init; }

    /// <summary>The metric names as given (names or family words; <see cref="Evaluation.MetricCatalogue.ParseEvaluate"/>).</summary>
    public required string Metrics { get; init; }

    /// <summary><c>--param</c>-style settings: METRIC.KEY=VALUE or *.KEY=VALUE.</summary>
    public required IReadOnlyList<string> Params { get; init; }

    /// <summary>The statistics of <c>study merge</c>.</summary>
    public required StudyStatistics Statistics { get; init; }

    /// <summary>Samples per work unit (the unit of resuming and of sharding).</summary>
    public int Chunk { get; init; } = 64;

    /// <summary>Rows per model call (0 = automatic from a 256 MiB budget).</summary>
    public int BatchSize { get; init; }

    /// <summary>Seed of stochastic methods and metrics.</summary>
    public int Seed { get; init; }

    /// <summary>Explanation maps saved per model and method for the report (the first this many samples).</summary>
    public int Examples { get; init; } = 4;

    /// <summary>The mask set that gives mask_classes targets (null for the other rules).</summary>
    public StudyMaskSet? TargetMaskSet => Targets.Kind == StudyTargetKind.MaskClasses
        ? Masks.First(m => m.Name == Targets.From)
        : null;
}
