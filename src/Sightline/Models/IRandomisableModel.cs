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
    /// back end. Each tensor's draws depend only on (seed, tensor), not on the other layers randomised with it, so the
    /// copies of a cascade nest (a layer randomised at step k keeps its values at step k + 1, as in Quantus). Quantus
    /// (PyTorch) calls each module's <c>reset_parameters</c> instead (Kaiming-uniform); an ONNX graph no longer says which
    /// module a tensor came from (BatchNorm folded into Conv, Linear as MatMul + Add), so we keep each tensor's own scale.
    /// </summary>
    /// <exception cref="ArgumentException">A name is not one of <see cref="ParameterLayers"/>.</exception>
    IModel WithRandomisedLayers(IReadOnlyList<string> layers, int seed);

    /// <summary>
    /// A copy of the model whose first parameterised layer absorbs the input shift <paramref name="shift"/>: for
    /// x' = x + shift, the copy's output on x' equals the original's on x (first-layer bias b' = b − W·shift,
    /// exact for layers without zero padding at the borders).
    /// </summary>
    /// <exception cref="InputDataException">The first parameterised layer cannot absorb a shift (it does not read the input directly, or has no bias to edit).</exception>
    IModel WithInputShift(float shift);
}

/// <summary>The steps of a model-parameter randomisation: which layers each copy re-initialises.</summary>
public static class Randomisation
{
    /// <summary>
    /// The steps of <paramref name="order"/> over <paramref name="layers"/> (graph order): one per layer, named by the layer
    /// the step adds (top-down: the last layer first), with the set of layers that copy re-initialises: cascading orders
    /// accumulate (step k = the first k layers of the order), <see cref="RandomisationOrder.Independent"/> takes one layer
    /// at a time.
    /// </summary>
    public static IReadOnlyList<(string Layer, IReadOnlyList<string> Randomised)> Steps(IReadOnlyList<ParameterLayer> layers, RandomisationOrder order)
    {
        var names = layers.Select(l => l.Name).ToList();
        if (order == RandomisationOrder.TopDown) names.Reverse();
        var steps = new List<(string, IReadOnlyList<string>)>(names.Count);
        for (int k = 0; k < names.Count; k++)
            steps.Add((names[k], order == RandomisationOrder.Independent ? [names[k]] : names.GetRange(0, k + 1)));
        return steps;
    }
}
