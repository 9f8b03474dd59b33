using Sightline.Evaluation;

namespace Sightline.Metrics.Robustness;

/// <summary>Options of <see cref="AvgSensitivity"/> (Quantus <c>AvgSensitivity</c>'s arguments and defaults).</summary>
public sealed record AvgSensitivityOptions : MetricOptions
{
    /// <summary>Quantus's defaults: no normalisation, no |·|.</summary>
    public AvgSensitivityOptions() => Normalise = false;

    /// <summary>Noisy copies per sample (Quantus <c>nr_samples</c>, default 200).</summary>
    public int NrSamples { get; init; } = 200;

    /// <summary>Noise half-width: δ ~ U(−lower_bound, lower_bound) per value (default 0.2).</summary>
    public double LowerBound { get; init; } = 0.2;

    /// <summary>When set, δ ~ U(lower_bound, upper_bound) instead (Quantus <c>upper_bound</c>, default none).</summary>
    public double? UpperBound { get; init; }

    /// <summary>A sample whose prediction changes under any draw is NaN (Quantus <c>return_nan_when_prediction_changes</c>, default false).</summary>
    public bool ReturnNanWhenPredictionChanges { get; init; }
}

/// <summary>
/// Avg-Sensitivity (Yeh, Hsieh, Suggala, Inouye &amp; Ravikumar, "On the (In)fidelity and Sensitivity of Explanations",
/// NeurIPS 2019; Bhatt et al., IJCAI 2020): the mean over k = 1..nr_samples of ‖a(x) − a(x + δ_k)‖_F / ‖a(x)‖_F, with
/// δ_k ~ U(−0.2, 0.2) per input value and a(x + δ_k) the run's method re-explaining the noisy input for the same target.
/// Lower is better (0 = the explanation does not move). Quantus defaults: nr_samples 200, lower_bound 0.2, Frobenius
/// norms, difference similarity, normalise false, abs false; both maps get the same preprocessing.
/// <para>
/// As Quantus: the denominator is ‖a(x)‖ (upstream fix #288/#289, which replaced ‖x‖); with
/// return_nan_when_prediction_changes a sample any of whose draws changes the predicted class is NaN (Quantus sets those
/// draws to NaN and then takes np.mean, which propagates them; without the flag it takes np.nanmean over draws that are
/// never NaN). Differences: noise is drawn from a per-sample seeded generator (<see cref="EvaluationBatch.RandomFor"/>),
/// not the global NumPy RNG, so a score does not depend on the batch split or on other metrics (§8 row 13); maps are
/// normalised per sample (§8 row 4); the k-th noisy copies of all samples share explainer calls.
/// </para>
/// NaN: ‖a(x)‖ = 0 (<see cref="Reasons.EmptySaliency"/>: Quantus divides by zero), a non-finite map or re-explanation
/// (<see cref="Reasons.NonFiniteMap"/>), a class flip with the flag (<see cref="Reasons.PredictionChanged"/>).
/// </summary>
[Metric("avg_sensitivity", MetricFamily.Robustness, ScoreDirection.LowerIsBetter, Order = 1, Minimum = 0, Maximum = double.PositiveInfinity,
    Needs = MetricNeeds.Model | MetricNeeds.Reexplain, Cost = "200 E",
    Summary = "Mean relative change ‖a(x) − a(x+δ)‖/‖a(x)‖ of the explanation under uniform input noise.",
    Citation = "Yeh et al., On the (In)fidelity and Sensitivity of Explanations, NeurIPS 2019")]
public sealed class AvgSensitivity(AvgSensitivityOptions options) : EvaluationMetric<AvgSensitivityOptions>(options)
{
    /// <inheritdoc/>
    public override void Evaluate(EvaluationBatch batch, MetricOutput output)
    {
        var o = Settings;
        Sensitivity.Check(Name, o.NrSamples, o.LowerBound, o.UpperBound);
        Evaluate(batch, output, Reexplanation.AdditiveNoise(batch, Name, Reexplanation.Uniform(o.LowerBound, o.UpperBound)));
    }

    /// <summary>Scores with explicit perturbations (reference checks feed fixed noise through this).</summary>
    internal void Evaluate(EvaluationBatch batch, MetricOutput output, Perturb perturb) =>
        Sensitivity.Evaluate(batch, output, Name, Preprocessing, Settings.NrSamples, Settings.ReturnNanWhenPredictionChanges, mean: true, perturb);
}
