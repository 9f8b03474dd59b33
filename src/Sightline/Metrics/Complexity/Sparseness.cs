using Sightline.Evaluation;

namespace Sightline.Metrics.Complexity;

/// <summary>Options of <see cref="Sparseness"/>: Quantus's defaults (normalise by max, then |a|).</summary>
public sealed record SparsenessOptions : MetricOptions
{
    /// <summary>Quantus takes |a| by default for complexity metrics.</summary>
    public SparsenessOptions() => Abs = true;
}

/// <summary>
/// Sparseness: the Gini index of the attribution (Chalasani, Chen, Chowdhury, Wu, Jha, "Concise Explanations of Neural
/// Networks using Adversarial Training", ICML 2020; Quantus <c>Sparseness</c>). With the d values of the preprocessed
/// attribution (all A·H·W of them) shifted by 1e-7 and sorted ascending, a_(1) ≤ … ≤ a_(d):
/// <c>G = Σ_i (2i − d − 1)·a_(i) / (d·Σ_i a_(i))</c>, in [0, 1) for non-negative maps: 0 when every value is equal
/// (including an all-zero map, as in Quantus), towards 1 when one value holds all the mass. Higher is sparser (better).
/// <para>
/// Defaults as Quantus: <c>normalise</c> true (a / max|a|), <c>abs</c> true. Differences from Quantus: normalisation is
/// per sample (Quantus divides by the batch's maximum, spec §8 row 4 — the Gini index is scale-invariant, so only the
/// 1e-7 shift notices); the sum runs in float64 over all values of a multi-channel map (Quantus reshapes to H·W and fails
/// on C×H×W attributions). A map with NaN or ∞ is NaN with reason <c>non-finite-map</c>. With <c>abs</c> false and
/// negative values, G is not bounded by [0, 1] (as in Quantus).
/// </para>
/// </summary>
[Metric("sparseness", MetricFamily.Complexity, ScoreDirection.HigherIsBetter, Order = 1, Minimum = 0, Maximum = 1,
    TakesAbsolute = true, Cost = "0",
    Summary = "Gini index of the attribution: how few features carry it (higher = sparser).",
    Citation = "Chalasani et al., Concise Explanations of Neural Networks using Adversarial Training, ICML 2020")]
public sealed class Sparseness(SparsenessOptions options) : EvaluationMetric<SparsenessOptions>(options)
{
    /// <inheritdoc/>
    public override void Evaluate(EvaluationBatch batch, MetricOutput output) =>
        ComplexityKernels.Run(batch, output, Preprocessing, a => new Score(Gini(a)));

    /// <summary>The Gini index of <paramref name="a"/> + 1e-7 (sorts <paramref name="a"/> in place).</summary>
    public static double Gini(Span<float> a)
    {
        int d = a.Length;
        if (d == 0) return double.NaN;
        a.Sort();
        double num = 0, sum = 0;
        for (int i = 0; i < d; i++)
        {
            double v = a[i] + 1e-7;
            num += (2.0 * (i + 1) - d - 1) * v;
            sum += v;
        }
        return num / (d * sum);
    }
}
