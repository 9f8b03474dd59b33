namespace Sightline.Onnx.Runtime;

/// <summary>Settings of an <see cref="OnnxRuntimeModel"/>.</summary>
public sealed record OnnxRuntimeOptions
{
    /// <summary>Largest number of samples per session run; bigger forwards are split. Default 64.</summary>
    public int MaxBatch { get; init; } = 64;

    /// <summary>Intra-op threads; 0 (default) uses one per logical core.</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Whether ONNX Runtime applies all graph optimisations (default true); false disables them all.</summary>
    public bool OptimizeGraph { get; init; } = true;

    /// <summary>
    /// Input height and width for models whose spatial input dimensions are dynamic. When null, the model's
    /// <see cref="ModelConfig.InputSize"/> (from the JSON file next to it) is used.
    /// </summary>
    public (int Height, int Width)? InputSize { get; init; }

    /// <summary>
    /// Keep a final Softmax/LogSoftmax as the model's output (default false: the back end exposes its input, the logits;
    /// see <see cref="Graph.SoftmaxHead"/>).
    /// </summary>
    public bool KeepFinalSoftmax { get; init; }

    /// <summary>
    /// Accept a first output that is not N×K logits (default false: such a model, say a segmentation network with an
    /// N×C×H×W output, is refused at load because explaining it as ∏ shape classes would be wrong). Set it where only
    /// layer activations are read (<c>neurons extract</c> on a backbone); <see cref="OnnxRuntimeModel.OutputCount"/> is
    /// then the flattened per-sample size of that output.
    /// </summary>
    public bool AnyOutputShape { get; init; }

    /// <summary>The defaults.</summary>
    public static OnnxRuntimeOptions Default { get; } = new();
}
