using Sightline.Evaluation;

namespace Sightline.Metrics.Complexity;

/// <summary>Options of <see cref="EffectiveComplexity"/>: Quantus's defaults (eps 1e-5, normalise by max, then |a|).</summary>
public sealed record EffectiveComplexityOptions : MetricOptions
{
    /// <summary>Quantus takes |a| by default for complexity metrics.</summary>
    public EffectiveComplexityOptions() => Abs = true;

    /// <summary>Values above this count as used (Quantus <c>eps</c>, default 1e-5).</summary>
    public double Eps { get; init; } = 1e-5;
}

/// <summary>
/// Effective complexity: the number of attribution values above a threshold (Nguyen, Martínez, "On Quantitative Aspects
/// of Model Interpretability", arXiv:2007.07584, 2020; Quantus <c>EffectiveComplexity</c>): <c>#{i : a_i &gt; eps}</c>
/// over the d = A·H·W values of the preprocessed attribution, in [0, d]. Lower is simpler (better).
/// <para>
/// Defaults as Quantus: <c>eps</c> 1e-5, <c>normalise</c> true, <c>abs</c> true. Difference from Quantus (spec §8 row 4):
/// the map is normalised by its own maximum, not the batch's, so the count does not depend on the batch-mates (Quantus
/// counts 1 for [1, 1.5e-5] next to a sample whose maximum is 10, and 2 alone; here it is 2 both ways). A map with NaN or
/// ∞ is NaN with reason <c>non-finite-map</c>; an all-zero map counts 0.
/// </para>
/// </summary>
[Metric("effective_complexity", MetricFamily.Complexity, ScoreDirection.LowerIsBetter, Order = 3, Minimum = 0, Maximum = double.PositiveInfinity,
    TakesAbsolute = true, Cost = "0",
    Summary = "Number of attribution values above eps (lower = simpler), in [0, d].",
    Citation = "Nguyen, Martínez, On Quantitative Aspects of Model Interpretability, arXiv 2020")]
public sealed class EffectiveComplexity(EffectiveComplexityOptions options) : EvaluationMetric<EffectiveComplexityOptions>(options)
{
    /// <inheritdoc/>
    public override void Evaluate(EvaluationBatch batch, MetricOutput output)
    {
        double eps = Settings.Eps;
        if (!double.IsFinite(eps)) throw new InputDataException($"--param {Name}.eps={eps}: give a finite threshold.");
        ComplexityKernels.Run(batch, output, Preprocessing, a => new Score(Count(a, eps)));
    }

    /// <summary>#{i : a_i &gt; eps}.</summary>
    public static int Count(ReadOnlySpan<float> a, double eps)
    {
        int n = 0;
        foreach (var v in a)
            if (v > eps) n++;
        return n;
    }
}
