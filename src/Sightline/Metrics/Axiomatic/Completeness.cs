using Sightline.Evaluation;
using Sightline.Metrics.Faithfulness;

namespace Sightline.Metrics.Axiomatic;

/// <summary>Options of <see cref="Completeness"/> (Quantus <c>Completeness</c>'s arguments, plus the tolerance that replaces its exact equality).</summary>
public sealed record CompletenessOptions : MetricOptions
{
    /// <summary>Quantus's Completeness normalises by <c>normalise_by_negative</c> (positives ÷ max, negatives ÷ |min|) when normalising.</summary>
    public CompletenessOptions() => NormaliseFunc = Normalisation.ByNegative;

    /// <summary>The baseline input x_b (default black: every value = the sample's min(x)).</summary>
    public PerturbBaseline PerturbBaseline { get; init; } = PerturbBaseline.Black;

    /// <summary>Read the target's softmax probability (true) or its logit (default: the logit, Quantus's identity output).</summary>
    public bool Softmax { get; init; }

    /// <summary>Absolute tolerance of |Σa − Δf|.</summary>
    public double Atol { get; init; } = 1e-5;

    /// <summary>Relative tolerance (a share of |Δf|).</summary>
    public double Rtol { get; init; } = 1e-2;
}

/// <summary>
/// Completeness (Sundararajan et al., "Axiomatic Attribution for Deep Networks", ICML 2017; Quantus
/// <c>Completeness</c>): the attributions should add up to the output's change from the baseline,
/// <c>Σ a = Δf = f_y(x) − f_y(x_b)</c>, x_b = every value replaced by the baseline. The score is <c>1</c> when
/// <c>|Σa − Δf| ≤ atol + rtol·|Δf|</c>, else <c>0</c>; a second column <c>completeness_residual</c> holds Σa − Δf.
/// Σa runs over the map as given (1 or C channels, not broadcast: a channel-summed map of integrated gradients sums to
/// Δf as the per-channel one does). Quantus's defaults apply: the map is normalised (Quantus's Completeness default
/// <c>normalise_by_negative</c>: positives ÷ max, negatives ÷ |min|) unless
/// <c>normalise=false</c>, which is what a completeness check of raw integrated gradients needs.
/// <para>
/// Differences from Quantus: Quantus tests <c>Σa == Δf</c> with exact float equality, which float32 arithmetic almost
/// never satisfies (spec §8 row 7); here with tolerances (atol 1e-5, rtol 1e-2: float32 sums and the integration error
/// of a 32-step integrated gradients), and the residual is reported. The baseline constant is computed from x.
/// </para>
/// Undefined: a map with NaN/∞ (<c>non-finite-map</c>), a non-finite output (<c>non-finite-output</c>). A score is 0 or 1.
/// </summary>
[Metric("completeness", MetricFamily.Axiomatic, ScoreDirection.HigherIsBetter, Order = 1, Minimum = 0, Maximum = 1,
    Needs = MetricNeeds.Model, Cost = "2",
    Summary = "1 when the attributions sum to f(x) − f(baseline) within tolerance; residual in a second column",
    Citation = "Sundararajan et al., Axiomatic attribution for deep networks, ICML 2017")]
public sealed class Completeness(CompletenessOptions options) : EvaluationMetric<CompletenessOptions>(options)
{
    /// <summary>The residual column.</summary>
    public const string ResidualColumn = "completeness_residual";

    /// <summary>With default options.</summary>
    public Completeness() : this(new CompletenessOptions()) { }

    /// <inheritdoc/>
    public override IReadOnlyList<string> Columns(EvaluationShape shape, Models.IModel? model) => [Name, ResidualColumn];

    /// <inheritdoc/>
    public override void Evaluate(EvaluationBatch batch, MetricOutput output)
    {
        var model = batch.RequireModel(Name);
        if (!(Settings.Atol >= 0) || !(Settings.Rtol >= 0))
            throw new InputDataException($"--param {Name}.atol / {Name}.rtol: tolerances must be ≥ 0 (atol {Settings.Atol}, rtol {Settings.Rtol}).");
        var s = batch.Shape;
        var prepared = batch.Prepared(Preprocessing);
        var y0 = PerturbationChecks.Outputs(batch, Name, Settings.Softmax);
        var baseline = new BaselineValues[batch.Count];
        var rows = new int[batch.Count];
        var sums = new double[batch.Count];
        for (int i = 0; i < batch.Count; i++)
        {
            var a = prepared.AsSpan(i * s.AttributionValues, s.AttributionValues);
            if (!Sightline.Numerics.Kernels.AllFinite(a)) { output.Set(i, Score.Undefined(Reasons.NonFiniteMap)); continue; }
            double sum = 0;
            foreach (var v in a) sum += v;
            sums[i] = sum;
            baseline[i] = BaselineValues.For(batch, i, Name, Settings.PerturbBaseline);
            rows[i] = 1;
        }
        var yb = new double[batch.Count];
        new PerturbationRows(rows).Run(model, batch.Budget,
            (i, _, x) => { for (int j = 0; j < x.Length; j++) x[j] = baseline[i].Value(0, j); },
            (i, _, y) => yb[i] = Perturbation.Output(y, batch.Targets[i], Settings.Softmax));
        for (int i = 0; i < batch.Count; i++)
        {
            if (rows[i] == 0) continue;
            double delta = y0[i] - yb[i], residual = sums[i] - delta;
            if (!double.IsFinite(delta)) { output.Set(i, Score.Undefined(Reasons.NonFiniteOutput)); continue; }
            output.Set(i, new Score(Math.Abs(residual) <= Settings.Atol + Settings.Rtol * Math.Abs(delta) ? 1 : 0));
            output.Set(i, 1, residual);
        }
    }
}
