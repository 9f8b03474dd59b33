using Sightline.Evaluation;

namespace Sightline.Metrics.Complexity;

/// <summary>Options of <see cref="Complexity"/>: Quantus's defaults (normalise by max, then |a|).</summary>
public sealed record ComplexityOptions : MetricOptions
{
    /// <summary>Quantus takes |a| by default for complexity metrics.</summary>
    public ComplexityOptions() => Abs = true;
}

/// <summary>
/// Complexity: the Shannon entropy of the attribution's distribution of mass (Bhatt, Weller, Moura, "Evaluating and
/// Aggregating Feature-based Model Explanations", IJCAI 2020; Quantus <c>Complexity</c>). With p = a / Σ|a| over the d
/// values of the preprocessed attribution: <c>H = −Σ_i p_i ln p_i</c> (0·ln 0 = 0, SciPy's <c>entropy</c>, which Quantus
/// calls), in [0, ln d]: 0 when one value holds all the mass, ln d for a uniform map. Lower is simpler (better).
/// <para>
/// Defaults as Quantus: <c>normalise</c> true, <c>abs</c> true. Differences from Quantus: per-sample normalisation (spec
/// §8 row 4; the entropy is scale-invariant, so scores are unchanged); all A·H·W values of a multi-channel map are used.
/// The spec writes −Σ p ln(p + 1e-12); the two differ by less than 1e-12·d. An all-zero map has no distribution: NaN with
/// reason <c>empty-saliency</c> (Quantus divides by zero); NaN or ∞ in the map: NaN with reason <c>non-finite-map</c>.
/// With <c>abs</c> false, a map with a negative value is not a distribution: NaN with reason <c>negative-saliency</c>
/// (SciPy returns −∞ or NaN there).
/// </para>
/// </summary>
[Metric("complexity", MetricFamily.Complexity, ScoreDirection.LowerIsBetter, Order = 2, Minimum = 0, Maximum = double.PositiveInfinity,
    TakesAbsolute = true, Cost = "0",
    Summary = "Entropy of the attribution's mass (lower = simpler), in [0, ln d].",
    Citation = "Bhatt, Weller, Moura, Evaluating and Aggregating Feature-based Model Explanations, IJCAI 2020")]
public sealed class Complexity(ComplexityOptions options) : EvaluationMetric<ComplexityOptions>(options)
{
    /// <inheritdoc/>
    public override void Evaluate(EvaluationBatch batch, MetricOutput output) =>
        ComplexityKernels.Run(batch, output, Preprocessing, a => Entropy(a));

    /// <summary>−Σ p ln p with p = a / Σ|a|; NaN with a reason for an all-zero map or negative values.</summary>
    public static Score Entropy(ReadOnlySpan<float> a)
    {
        double total = 0;
        foreach (var v in a)
        {
            if (v < 0) return Score.Undefined(Reasons.NegativeSaliency);
            total += v;
        }
        if (!(total > 0)) return Score.Undefined(Reasons.EmptySaliency);
        double h = 0;
        foreach (var v in a)
        {
            if (v == 0) continue;
            double p = v / total;
            h -= p * Math.Log(p);
        }
        return new Score(Math.Max(0, h));
    }
}
