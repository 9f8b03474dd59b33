namespace Sightline.Models;

/// <summary>
/// An <see cref="NhwcGradientModel"/> over a randomisable model: parameter randomisation and the input shift pass through
/// (the shift is a constant per value, so the layout does not matter) and the copies are wrapped the same way.
/// </summary>
public sealed class NhwcRandomisableGradientModel(IGradientModel inner, IRandomisableModel randomisable) : NhwcGradientModel(inner), IRandomisableModel
{
    /// <inheritdoc/>
    public IReadOnlyList<ParameterLayer> ParameterLayers => randomisable.ParameterLayers;

    /// <inheritdoc/>
    public IModel WithRandomisedLayers(IReadOnlyList<string> layers, int seed) => Wrap(randomisable.WithRandomisedLayers(layers, seed), InputLayout.Nhwc);

    /// <inheritdoc/>
    public IModel WithInputShift(float shift) => Wrap(randomisable.WithInputShift(shift), InputLayout.Nhwc);
}

/// <summary>An <see cref="NhwcActivationModel"/> over a randomisable model (see <see cref="NhwcRandomisableGradientModel"/>).</summary>
public sealed class NhwcRandomisableActivationModel(IActivationModel inner, IRandomisableModel randomisable) : NhwcActivationModel(inner), IRandomisableModel
{
    /// <inheritdoc/>
    public IReadOnlyList<ParameterLayer> ParameterLayers => randomisable.ParameterLayers;

    /// <inheritdoc/>
    public IModel WithRandomisedLayers(IReadOnlyList<string> layers, int seed) => Wrap(randomisable.WithRandomisedLayers(layers, seed), InputLayout.Nhwc);

    /// <inheritdoc/>
    public IModel WithInputShift(float shift) => Wrap(randomisable.WithInputShift(shift), InputLayout.Nhwc);
}
