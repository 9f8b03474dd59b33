using Sightline.Evaluation;

namespace Sightline.Metrics.Robustness;

/// <summary>Options of <see cref="RelativeInputStability"/> (Quantus <c>RelativeInputStability</c>'s arguments and defaults).</summary>
public sealed record RelativeInputStabilityOptions : MetricOptions
{
    /// <summary>Quantus's defaults: no normalisation (its normalise_func, when switched on, is the second-moment one), no |·|.</summary>
    public RelativeInputStabilityOptions() { Normalise = false; NormaliseFunc = Normalisation.BySecondMoment; }

    /// <summary>Noisy copies per sample (Quantus <c>nr_samples</c>, default 200).</summary>
    public int NrSamples { get; init; } = 200;

    /// <summary>ε: replaces zeros in the relative changes and bounds the denominator (Quantus <c>eps_min</c>, default 1e-6).</summary>
    public double EpsMin { get; init; } = 1e-6;

    /// <summary>Noise lower bound: δ ~ U(lower_bound, upper_bound) (Quantus <c>uniform_noise</c>'s lower_bound, default 0.02).</summary>
    public double LowerBound { get; init; } = 0.02;

    /// <summary>Noise upper bound (Quantus's perturb_func_kwargs upper_bound, default 0.2); none = U(−lower_bound, lower_bound).</summary>
    public double? UpperBound { get; init; } = 0.2;

    /// <summary>Leave out draws that change the predicted class (Quantus <c>return_nan_when_prediction_changes</c>, default true; see the metric).</summary>
    public bool ReturnNanWhenPredictionChanges { get; init; } = true;
}

/// <summary>
/// Relative Input Stability (Agarwal et al., "Rethinking Stability for Attribution-based Explanations", 2022):
/// max_k ‖(a − a'_k)/a‖₂ / max(‖(x − x'_k)/x‖₂, ε), x'_k = x + U(0.02, 0.2) per value, a'_k the run's method
/// re-explaining x'_k for the same target, zeros of a and x replaced by ε = 1e-6. Lower is better. Quantus defaults:
/// nr_samples 200, eps_min 1e-6, normalise false, abs false, return_nan_when_prediction_changes true.
/// <para>
/// Differences from Quantus (spec §8 row 12): a draw that changes the predicted class is left out of the maximum instead of
/// making the whole sample NaN, and the number of such draws is the column <c>relative_input_stability_flips</c>; the
/// denominator is max(D, ε) (the paper's) rather than D + (D == 0)·ε; seeded per-sample noise (§8 row 13); per-sample
/// normalisation when switched on (§8 row 4); the k-th noisy copies of all samples share explainer calls, and their
/// forward passes (for the flips) share model calls.
/// </para>
/// NaN: every draw flipped (<see cref="Reasons.AllDrawsFlipped"/>), a non-finite map or re-explanation
/// (<see cref="Reasons.NonFiniteMap"/>).
/// </summary>
[Metric("relative_input_stability", MetricFamily.Robustness, ScoreDirection.LowerIsBetter, Order = 6, Minimum = 0, Maximum = double.PositiveInfinity,
    Needs = MetricNeeds.Model | MetricNeeds.Reexplain, Cost = "200 E + 400 fwd",
    Summary = "Largest relative explanation change over relative input change under small positive noise; flipped draws excluded and counted.",
    Citation = "Agarwal et al., Rethinking Stability for Attribution-based Explanations, 2022")]
public sealed class RelativeInputStability(RelativeInputStabilityOptions options) : EvaluationMetric<RelativeInputStabilityOptions>(options)
{
    private StabilitySettings Stability => new(Settings.NrSamples, Settings.EpsMin, Settings.LowerBound, Settings.UpperBound, Settings.ReturnNanWhenPredictionChanges);

    /// <inheritdoc/>
    public override IReadOnlyList<string> Columns(EvaluationShape shape, Models.IModel? model) => RelativeStability.Columns(Name);

    /// <inheritdoc/>
    public override void Evaluate(EvaluationBatch batch, MetricOutput output) =>
        Evaluate(batch, output, RelativeStability.Noise(batch, Name, Stability));

    /// <summary>Scores with explicit perturbations (reference checks feed fixed noise through this).</summary>
    internal void Evaluate(EvaluationBatch batch, MetricOutput output, Perturb perturb) =>
        RelativeStability.Evaluate(batch, output, Name, StabilityKind.Input, Preprocessing, Stability, perturb);
}
