namespace Sightline.Models;

/// <summary>How a model's parameter randomisation proceeds over its layers (Adebayo et al., "Sanity Checks for Saliency Maps", NeurIPS 2018).</summary>
public enum RandomisationOrder
{
    /// <summary>Cascading from the output: step k re-initialises the last k parameterised layers (Quantus <c>top_down</c>).</summary>
    TopDown,
    /// <summary>Cascading from the input: step k re-initialises the first k parameterised layers.</summary>
    BottomUp,
    /// <summary>Step k re-initialises layer k alone (Adebayo et al.'s "independent" randomisation).</summary>
    Independent,
}

/// <summary>A layer whose parameters can be re-initialised: its name and the parameter tensors it owns.</summary>
/// <param name="Name">The layer's name (the ONNX node name, or its first output when unnamed).</param>
/// <param name="Operator">The operator (Conv, Gemm, MatMul, BatchNormalization, ...).</param>
/// <param name="Parameters">The names of the parameter tensors (ONNX initialisers) the layer owns.</param>
public sealed record ParameterLayer(string Name, string Operator, IReadOnlyList<string> Parameters);

/// <summary>
/// A model that can produce copies of itself with parameters re-initialised (model-parameter randomisation tests:
/// MPRT, smooth MPRT, efficient MPRT) and with its first layer compensating a constant input shift (input invariance,
/// Kindermans et al., "The (Un)reliability of Saliency Methods", 2019). Copies are independent models with the same
/// capabilities as the original (gradients, activations); the caller disposes them.
/// </summary>
public interface IRandomisableModel : IModel
{
    /// <summary>The layers with parameters, in graph order (input to output).</summary>
    IReadOnlyList<ParameterLayer> ParameterLayers { get; }

    /// <summary>
    /// A copy of the model whose parameters in <paramref name="layers"/> are re-initialised, seeded by
    /// <paramref name="seed"/>: weights ~ N(0, σ²) with σ the original tensor's standard deviation (biases likewise;
    /// zero-spread tensors keep their values), a fixed generator so the same (layers, seed) gives the same copy on every
    /// back end.
    /// </summary>
    IModel WithRandomisedLayers(IReadOnlyList<string> layers, int seed);

    /// <summary>
    /// A copy of the model whose first parameterised layer absorbs the input shift <paramref name="shift"/>: for
    /// x' = x + shift, the copy's output on x' equals the original's on x (first-layer bias b' = b − W·shift,
    /// exact for layers without zero padding at the borders).
    /// </summary>
    IModel WithInputShift(float shift);
}
