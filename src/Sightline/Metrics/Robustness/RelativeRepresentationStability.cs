using Sightline.Evaluation;

namespace Sightline.Metrics.Robustness;

/// <summary>Options of <see cref="RelativeRepresentationStability"/> (Quantus <c>RelativeRepresentationStability</c>'s arguments and defaults).</summary>
public sealed record RelativeRepresentationStabilityOptions : MetricOptions
{
    /// <summary>Quantus's defaults: no normalisation (its normalise_func, when switched on, is the second-moment one), no |·|.</summary>
    public RelativeRepresentationStabilityOptions() { Normalise = false; NormaliseFunc = Normalisation.BySecondMoment; }

    /// <summary>Noisy copies per sample (Quantus <c>nr_samples</c>, default 200).</summary>
    public int NrSamples { get; init; } = 200;

    /// <summary>ε: replaces zeros in the relative changes and bounds the denominator (Quantus <c>eps_min</c>, default 1e-6).</summary>
    public double EpsMin { get; init; } = 1e-6;

    /// <summary>Noise lower bound: δ ~ U(lower_bound, upper_bound) (default 0.02).</summary>
    public double LowerBound { get; init; } = 0.02;

    /// <summary>Noise upper bound (default 0.2); none = U(−lower_bound, lower_bound).</summary>
    public double? UpperBound { get; init; } = 0.2;

    /// <summary>Leave out draws that change the predicted class (Quantus <c>return_nan_when_prediction_changes</c>, default true; see the metric).</summary>
    public bool ReturnNanWhenPredictionChanges { get; init; } = true;

    /// <summary>
    /// The layers whose activations form the representation, concatenated (Quantus <c>layer_names</c>); default: the last
    /// layer the model lists before its output (Quantus's default is every layer).
    /// </summary>
    public string[]? LayerNames { get; init; }
}

/// <summary>
/// Relative Representation Stability (Agarwal et al., "Rethinking Stability for Attribution-based Explanations", 2022):
/// max_k ‖(a − a'_k)/a‖₂ / max(‖(l(x) − l(x'_k))/l(x)‖₂, ε), l the activations of the named layers (flattened and
/// concatenated, read from the batch's model, which must expose activations), x'_k = x + U(0.02, 0.2) per value, zeros of
/// a and l replaced by ε = 1e-6. Lower is better. Quantus defaults: nr_samples 200, eps_min 1e-6, normalise false, abs
/// false, return_nan_when_prediction_changes true, layer_names / layer_indices none = every layer.
/// <para>
/// Differences from Quantus: the default representation is one layer, the last the model lists before its output
/// (trailing entries with as many values as the model has outputs — the logits, a Softmax — are passed over; on the
/// fixture CNNs that is the flattened pooled features; a hidden layer of exactly K values right before the output is passed
/// over too, so name it), because concatenating every node output of an ONNX graph mixes
/// the input-sized early layers with the rest; name layers with <c>--param relative_representation_stability.layer_names=A,B</c>.
/// A flipped draw is left out of the maximum and counted in <c>relative_representation_stability_flips</c> (spec §8 row 12);
/// max(D, ε) as in the paper; seeded per-sample noise; batched re-explanations and forward passes.
/// </para>
/// NaN: every draw flipped (<see cref="Reasons.AllDrawsFlipped"/>), a non-finite map or re-explanation
/// (<see cref="Reasons.NonFiniteMap"/>).
/// </summary>
[Metric("relative_representation_stability", MetricFamily.Robustness, ScoreDirection.LowerIsBetter, Order = 8, Minimum = 0, Maximum = double.PositiveInfinity,
    Needs = MetricNeeds.Model | MetricNeeds.Reexplain | MetricNeeds.Activations, Cost = "200 E + hidden fwd",
    Summary = "Largest relative explanation change over the relative change of a hidden representation; flipped draws excluded and counted.",
    Citation = "Agarwal et al., Rethinking Stability for Attribution-based Explanations, 2022")]
public sealed class RelativeRepresentationStability(RelativeRepresentationStabilityOptions options)
    : EvaluationMetric<RelativeRepresentationStabilityOptions>(options)
{
    private StabilitySettings Stability => new(Settings.NrSamples, Settings.EpsMin, Settings.LowerBound, Settings.UpperBound,
        Settings.ReturnNanWhenPredictionChanges, LayerNames: Settings.LayerNames);

    /// <inheritdoc/>
    public override IReadOnlyList<string> Columns(EvaluationShape shape, Models.IModel? model) => RelativeStability.Columns(Name);

    /// <inheritdoc/>
    public override void Evaluate(EvaluationBatch batch, MetricOutput output) =>
        Evaluate(batch, output, RelativeStability.Noise(batch, Name, Stability));

    /// <summary>Scores with explicit perturbations (reference checks feed fixed noise through this).</summary>
    internal void Evaluate(EvaluationBatch batch, MetricOutput output, Perturb perturb) =>
        RelativeStability.Evaluate(batch, output, Name, StabilityKind.Representation, Preprocessing, Stability, perturb);
}
