using System.Numerics.Tensors;

namespace Sightline.Evaluation;

/// <summary>How an attribution map is normalised before a metric reads it (Quantus <c>normalise_func</c>).</summary>
public enum Normalisation
{
    /// <summary>No normalisation.</summary>
    None,
    /// <summary>a / max|a| (Quantus <c>normalise_by_max</c>, the default); an all-zero map is left as is.</summary>
    ByMax,
    /// <summary>Positives ÷ max(a), negatives ÷ |min(a)| (Quantus <c>normalise_by_negative</c>).</summary>
    ByNegative,
    /// <summary>a / √mean(a²) (Quantus <c>normalise_by_average_second_moment_estimate</c>).</summary>
    BySecondMoment,
}

/// <summary>
/// The explicit preprocessing a metric asks for: per-sample normalisation, then |a| (Quantus applies normalise then abs
/// in <c>Metric.__call__</c>, §6 steps 4–5). Normalisation is always per sample: Quantus's <c>normalise_by_max</c> divides
/// by the maximum over the whole batch, so a sample's score depends on its batch-mates (spec §8 row 4).
/// </summary>
/// <param name="Normalise">The normalisation.</param>
/// <param name="Absolute">Take |a| after normalising.</param>
public readonly record struct AttributionPreprocessing(Normalisation Normalise, bool Absolute)
{
    /// <summary>True when nothing is changed.</summary>
    public bool IsIdentity => Normalise == Normalisation.None && !Absolute;

    /// <summary>Applies the preprocessing to <paramref name="count"/> samples of <paramref name="values"/> values each, returning a new array.</summary>
    public float[] Apply(ReadOnlySpan<float> attributions, int count, int values)
    {
        var result = attributions[..(count * values)].ToArray();
        for (int i = 0; i < count; i++) ApplyInPlace(result.AsSpan(i * values, values));
        return result;
    }

    /// <summary>Applies the preprocessing to one sample in place.</summary>
    public void ApplyInPlace(Span<float> a)
    {
        Normalize(a, Normalise);
        if (Absolute) TensorPrimitives.Abs(a, a);
    }

    /// <summary>
    /// Normalises one sample in place. <see cref="Normalisation.ByMax"/>: a / max|a| (unchanged when max|a| = 0);
    /// <see cref="Normalisation.ByNegative"/>: a⁺ / max(a), a⁻ / |min(a)| (each side unchanged when it has no mass);
    /// <see cref="Normalisation.BySecondMoment"/>: a / √mean(a²) (unchanged when that is 0). Quantus divides by zero here
    /// and returns NaN maps; an all-zero map stays all zero so metrics report it with their own reason.
    /// </summary>
    public static void Normalize(Span<float> a, Normalisation normalisation)
    {
        if (a.IsEmpty) return;
        switch (normalisation)
        {
            case Normalisation.ByMax:
            {
                float m = TensorPrimitives.MaxMagnitude(a);
                m = Math.Abs(m);
                if (m > 0 && float.IsFinite(m)) TensorPrimitives.Divide(a, m, a);
                break;
            }
            case Normalisation.ByNegative:
            {
                float max = TensorPrimitives.Max(a), min = TensorPrimitives.Min(a);
                for (int i = 0; i < a.Length; i++)
                {
                    if (a[i] > 0 && max > 0) a[i] /= max;
                    else if (a[i] < 0 && min < 0) a[i] /= -min;
                }
                break;
            }
            case Normalisation.BySecondMoment:
            {
                double sq = 0;
                foreach (var v in a) sq += (double)v * v;
                double rms = Math.Sqrt(sq / a.Length);
                if (rms > 0 && double.IsFinite(rms)) TensorPrimitives.Divide(a, (float)rms, a);
                break;
            }
        }
    }
}
