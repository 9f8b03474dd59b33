using Sightline.Evaluation;

namespace Sightline.Metrics.Robustness;

/// <summary>Options of <see cref="RelativeOutputStability"/> (Quantus <c>RelativeOutputStability</c>'s arguments and defaults).</summary>
public sealed record RelativeOutputStabilityOptions : MetricOptions
{
    /// <summary>Quantus's defaults: no normalisation (its normalise_func, when switched on, is the second-moment one), no |·|.</summary>
    public RelativeOutputStabilityOptions() { Normalise = false; NormaliseFunc = Normalisation.BySecondMoment; }

    /// <summary>Noisy copies per sample (Quantus <c>nr_samples</c>, default 200).</summary>
    public int NrSamples { get; init; } = 200;

    /// <summary>ε: replaces zeros in the relative change of a and bounds the denominator (Quantus <c>eps_min</c>, default 1e-6).</summary>
    public double EpsMin { get; init; } = 1e-6;

    /// <summary>Noise lower bound: δ ~ U(lower_bound, upper_bound) (default 0.02).</summary>
    public double LowerBound { get; init; } = 0.02;

    /// <summary>Noise upper bound (default 0.2); none = U(−lower_bound, lower_bound).</summary>
    public double? UpperBound { get; init; } = 0.2;

    /// <summary>Leave out draws that change the predicted class (Quantus <c>return_nan_when_prediction_changes</c>, default true; see the metric).</summary>
    public bool ReturnNanWhenPredictionChanges { get; init; } = true;

    /// <summary>Compare softmax probabilities instead of logits (Quantus's call argument <c>softmax</c>, default false).</summary>
    public bool Softmax { get; init; }
}

/// <summary>
/// Relative Output Stability (Agarwal et al., "Rethinking Stability for Attribution-based Explanations", 2022):
/// max_k ‖(a − a'_k)/a‖₂ / max(‖h(x) − h(x'_k)‖₂, ε), h the model's logits (softmax probabilities with softmax true),
/// x'_k = x + U(0.02, 0.2) per value, zeros of a replaced by ε = 1e-6. Lower is better. Quantus defaults: nr_samples 200,
/// eps_min 1e-6, normalise false, abs false, softmax false, return_nan_when_prediction_changes true.
/// <para>
/// Differences from Quantus (spec §8 row 12): a flipped draw is left out of the maximum instead of making the sample NaN,
/// and the flips are counted in <c>relative_output_stability_flips</c>; max(D, ε) as in the paper; seeded per-sample
/// noise; per-sample normalisation; batched re-explanations and forward passes.
/// </para>
/// NaN: every draw flipped (<see cref="Reasons.AllDrawsFlipped"/>), a non-finite map or re-explanation
/// (<see cref="Reasons.NonFiniteMap"/>).
/// </summary>
[Metric("relative_output_stability", MetricFamily.Robustness, ScoreDirection.LowerIsBetter, Order = 7, Minimum = 0, Maximum = double.PositiveInfinity,
    Needs = MetricNeeds.Model | MetricNeeds.Reexplain, Cost = "200 E + 600 fwd",
    Summary = "Largest relative explanation change over the change of the model's output; flipped draws excluded and counted.",
    Citation = "Agarwal et al., Rethinking Stability for Attribution-based Explanations, 2022")]
public sealed class RelativeOutputStability(RelativeOutputStabilityOptions options) : EvaluationMetric<RelativeOutputStabilityOptions>(options)
{
    private StabilitySettings Stability => new(Settings.NrSamples, Settings.EpsMin, Settings.LowerBound, Settings.UpperBound,
        Settings.ReturnNanWhenPredictionChanges, Settings.Softmax);

    /// <inheritdoc/>
    public override IReadOnlyList<string> Columns(EvaluationShape shape, Models.IModel? model) => RelativeStability.Columns(Name);

    /// <inheritdoc/>
    public override void Evaluate(EvaluationBatch batch, MetricOutput output) =>
        Evaluate(batch, output, RelativeStability.Noise(batch, Name, Stability));

    /// <summary>Scores with explicit perturbations (reference checks feed fixed noise through this).</summary>
    internal void Evaluate(EvaluationBatch batch, MetricOutput output, Perturb perturb) =>
        RelativeStability.Evaluate(batch, output, Name, StabilityKind.Output, Preprocessing, Stability, perturb);
}
