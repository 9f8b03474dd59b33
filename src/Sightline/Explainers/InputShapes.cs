using Sightline.Models;

namespace Sightline.Explainers;

/// <summary>
/// The one check that a set of inputs fits a model, shared by every command that feeds a model (explain, neurons
/// extract): the per-sample shape of the inputs, always C×H×W (an N×H×W×C model is presented as N×C×H×W by
/// <see cref="NhwcModel"/>), must equal the model's <see cref="IModel.InputShape"/>. Tensors with the right number of
/// values in another layout would otherwise run and give garbage, so the shapes are compared axis by axis, and inputs
/// that are the model's shape in channels-last order are named as such.
/// </summary>
public static class InputShapes
{
    /// <summary>Throws unless <paramref name="inputs"/> has the per-sample shape <paramref name="model"/> takes.</summary>
    /// <exception cref="InputDataException">The shapes differ; the message names both shapes (and the file, for NPY inputs).</exception>
    public static void Check(IModel model, IInputSource inputs)
    {
        var shape = inputs.Shape;
        var expected = model.InputShape;
        if (shape.SequenceEqual(expected)) return;
        string source = inputs is NpyInputSource npy ? $"{npy.Name}: inputs" : "Inputs";
        string hint = shape.Count == 3 && expected.Count == 3 && shape[2] == expected[0] && shape[0] == expected[1] && shape[1] == expected[2]
            ? " They look channels-last (N×H×W×C); give them as N×C×H×W (numpy: x.transpose(0, 3, 1, 2)): every input is C×H×W, and an N×H×W×C model is adapted."
            : " Give inputs of the model's size (or preprocess the images to it).";
        throw new InputDataException($"{source} are {string.Join("×", shape)} per sample but model '{model.Name}' takes {string.Join("×", expected)}.{hint}");
    }
}
