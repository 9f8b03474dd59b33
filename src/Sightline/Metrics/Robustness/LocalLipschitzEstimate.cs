using Sightline.Evaluation;

namespace Sightline.Metrics.Robustness;

/// <summary>Options of <see cref="LocalLipschitzEstimate"/> (Quantus <c>LocalLipschitzEstimate</c>'s arguments and defaults).</summary>
public sealed record LocalLipschitzEstimateOptions : MetricOptions
{
    /// <summary>Noisy copies per sample (Quantus <c>nr_samples</c>, default 200).</summary>
    public int NrSamples { get; init; } = 200;

    /// <summary>Mean of the Gaussian input noise (Quantus <c>perturb_mean</c>, default 0).</summary>
    public double PerturbMean { get; init; }

    /// <summary>Standard deviation of the Gaussian input noise (Quantus <c>perturb_std</c>, default 0.1).</summary>
    public double PerturbStd { get; init; } = 0.1;

    /// <summary>A sample whose prediction changes under any draw is NaN (Quantus <c>return_nan_when_prediction_changes</c>, default false).</summary>
    public bool ReturnNanWhenPredictionChanges { get; init; }
}

/// <summary>
/// Local Lipschitz Estimate (Alvarez-Melis &amp; Jaakkola, "On the Robustness of Interpretability Methods", ICML
/// Workshop on Human Interpretability 2018; "Towards Robust Interpretability with Self-Explaining Neural Networks",
/// NeurIPS 2018): max over k = 1..nr_samples of ‖a(x) − a(x'_k)‖₂ / (‖x − x'_k‖₂ + 1e-10), x'_k = x + N(0, 0.1²) per
/// value, a(x'_k) re-explained with the run's method for the same target. Lower is better. Quantus defaults:
/// nr_samples 200, perturb_mean 0, perturb_std 0.1, Euclidean norms (<c>lipschitz_constant</c> with eps 1e-10),
/// normalise true (a / max|a|), abs false.
/// <para>
/// As Quantus: with return_nan_when_prediction_changes a sample any of whose draws changes the predicted class is NaN
/// (np.max over NaN draws); without it, np.nanmax over draws that are never NaN. Differences: seeded per-sample noise
/// (<see cref="EvaluationBatch.RandomFor"/>, Box–Muller normals) instead of the global NumPy RNG (§8 row 13), per-sample
/// normalisation (§8 row 4), and the k-th noisy copies of all samples share explainer calls.
/// </para>
/// NaN: a non-finite map or re-explanation (<see cref="Reasons.NonFiniteMap"/>), a class flip with the flag
/// (<see cref="Reasons.PredictionChanged"/>).
/// </summary>
[Metric("local_lipschitz_estimate", MetricFamily.Robustness, ScoreDirection.LowerIsBetter, Order = 3, Minimum = 0, Maximum = double.PositiveInfinity,
    Needs = MetricNeeds.Model | MetricNeeds.Reexplain, Cost = "200 E",
    Summary = "Largest ‖a(x) − a(x')‖₂ / ‖x − x'‖₂ over Gaussian neighbours x' of x.",
    Citation = "Alvarez-Melis & Jaakkola, On the Robustness of Interpretability Methods, 2018")]
public sealed class LocalLipschitzEstimate(LocalLipschitzEstimateOptions options) : EvaluationMetric<LocalLipschitzEstimateOptions>(options)
{
    /// <summary>Quantus's <c>lipschitz_constant</c> guard.</summary>
    internal const double Epsilon = 1e-10;

    /// <inheritdoc/>
    public override void Evaluate(EvaluationBatch batch, MetricOutput output)
    {
        var o = Settings;
        Reexplanation.RequirePositive(o.NrSamples, Name, "nr_samples");
        if (!(o.PerturbStd >= 0)) throw new InputDataException($"--param {Name}.perturb_std={o.PerturbStd}: must be ≥ 0.");
        Evaluate(batch, output, Reexplanation.AdditiveNoise(batch, Name, Reexplanation.Gaussian(o.PerturbMean, o.PerturbStd)));
    }

    /// <summary>Scores with explicit perturbations (reference checks feed fixed noise through this).</summary>
    internal void Evaluate(EvaluationBatch batch, MetricOutput output, Perturb perturb)
    {
        var o = Settings;
        int n = batch.Count, asize = batch.Shape.AttributionValues;
        var prep = Preprocessing;
        var a = batch.Prepared(prep);
        var best = new double[n];
        var flips = new int[n];
        var bad = new bool[n];
        int[]? pred = o.ReturnNanWhenPredictionChanges ? Reexplanation.Predictions(batch, Name) : null;
        var outputs = pred is null ? null : RowOutputs.Logits(batch.RequireModel(Name), batch.Budget);
        Reexplanation.Run(batch, Name, o.NrSamples, prep, perturb, outputs, (i, _, xp, ap, logits) =>
        {
            if (pred is not null && Perturbation.ArgMax(logits) != pred[i]) flips[i]++;
            if (!Reexplanation.AllFinite(ap)) { bad[i] = true; return; }
            double s = Reexplanation.L2Distance(a.AsSpan(i * asize, asize), ap) / (Reexplanation.L2Distance(batch.Input(i), xp) + Epsilon);
            best[i] = Math.Max(best[i], s);
        });
        for (int i = 0; i < n; i++)
        {
            if (!Reexplanation.AllFinite(a.AsSpan(i * asize, asize)) || bad[i]) output.Set(i, Score.Undefined(Reasons.NonFiniteMap));
            else if (flips[i] > 0) output.Set(i, Score.Undefined(Reasons.PredictionChanged));
            else output.Set(i, new Score(best[i]));
        }
    }
}
