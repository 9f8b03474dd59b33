using Sightline.Models;

namespace Sightline.Evaluation.Qge;

/// <summary>How the inverse explanation e_inv of QGE is built (Eiras-Franco, Hedström, Höhne, AAAI 2025).</summary>
public enum InverseMethod
{
    /// <summary>
    /// Value swap (rank inversion; the paper's experiments): the multiset of values is kept and their order reversed —
    /// with σ the stable ascending order of the flattened e (value, then index), e_inv[σ(i)] = e[σ(N−1−i)].
    /// </summary>
    ValueSwap,
    /// <summary>Sign flip (Quantus's default): e_inv = −e. Meaningless for a metric that takes |a|, which is refused.</summary>
    SignFlip,
}

/// <summary>The inverse explanations of QGE, per sample over the flattened attribution.</summary>
public static class Inversion
{
    /// <summary>
    /// Writes the value-swapped inverse of <paramref name="e"/> into <paramref name="inverse"/>: σ = the stable ascending
    /// order of e (value, then index; −0 ties +0, NaN last), e_inv[σ(i)] = e[σ(N−1−i)]. For a ranking r with values
    /// i/(N−1) this is 1 − r; [.1, .5, .3] becomes [.5, .1, .3] (spec §3).
    /// </summary>
    public static void ValueSwap(ReadOnlySpan<float> e, Span<float> inverse)
    {
        if (inverse.Length != e.Length) throw new ArgumentException("Output length differs from the input's.", nameof(inverse));
        var order = Perturbation.AscendingOrder(e);
        int n = order.Length;
        // Read every source value before writing, so e and inverse may be the same memory.
        var values = new float[n];
        for (int i = 0; i < n; i++) values[i] = e[order[n - 1 - i]];
        for (int i = 0; i < n; i++) inverse[order[i]] = values[i];
    }

    /// <summary>Writes −e into <paramref name="inverse"/>.</summary>
    public static void SignFlip(ReadOnlySpan<float> e, Span<float> inverse) => System.Numerics.Tensors.TensorPrimitives.Negate(e, inverse);

    /// <summary>Writes the inverse of <paramref name="e"/> by <paramref name="method"/>.</summary>
    public static void Invert(InverseMethod method, ReadOnlySpan<float> e, Span<float> inverse)
    {
        if (method == InverseMethod.SignFlip) SignFlip(e, inverse);
        else ValueSwap(e, inverse);
    }

    /// <summary>The inverse of each of <paramref name="count"/> samples of <paramref name="values"/> values (a new array).</summary>
    public static float[] InvertAll(InverseMethod method, ReadOnlySpan<float> attributions, int count, int values)
    {
        var result = new float[(long)count * values];
        for (int i = 0; i < count; i++) Invert(method, attributions.Slice(i * values, values), result.AsSpan(i * values, values));
        return result;
    }
}

/// <summary>
/// Explain-then-invert: every re-explanation a metric asks for (robustness's perturbed inputs, randomisation's randomised
/// models) is inverted too, so Ψ(e_inv) is the metric of the inverse explainer, not a mix (spec §2).
/// </summary>
/// <param name="Inner">The run's re-explainer.</param>
/// <param name="Method">The inverse.</param>
/// <param name="ValuesPerSample">Attribution values per sample (A·H·W).</param>
public sealed record InvertingReexplainer(IReexplainer Inner, InverseMethod Method, int ValuesPerSample) : IReexplainer
{
    /// <inheritdoc/>
    public string Name => Inner.Name + "+inverse";

    /// <inheritdoc/>
    public bool NeedsGradients => Inner.NeedsGradients;

    /// <inheritdoc/>
    public void Explain(IModel model, ReadOnlySpan<float> inputs, int count, ReadOnlySpan<int> targets, Span<float> output, long firstIndex)
    {
        Inner.Explain(model, inputs, count, targets, output, firstIndex);
        for (int i = 0; i < count; i++)
        {
            var s = output.Slice(i * ValuesPerSample, ValuesPerSample);
            Inversion.Invert(Method, s, s);
        }
    }
}
