using Sightline.Evaluation;

namespace Sightline.Metrics.Robustness;

/// <summary>
/// The Monte-Carlo sensitivity of Yeh et al. (2019) shared by <see cref="AvgSensitivity"/> and <see cref="MaxSensitivity"/>:
/// per draw k, s_k = ‖a(x) − a(x + δ_k)‖_F / ‖a(x)‖_F, δ_k ~ U(−lower_bound, lower_bound) per value (U(lower_bound,
/// upper_bound) when upper_bound is set, as Quantus's <c>uniform_noise</c>), both maps after the metric's preprocessing.
/// </summary>
internal static class Sensitivity
{
    /// <summary>Checks the options (an <see cref="InputDataException"/> naming the key otherwise).</summary>
    public static void Check(string metric, int nrSamples, double lowerBound, double? upperBound)
    {
        Reexplanation.RequirePositive(nrSamples, metric, "nr_samples");
        if (upperBound is null && !(lowerBound >= 0))
            throw new InputDataException($"--param {metric}.lower_bound={lowerBound}: must be ≥ 0 (the noise is U(−lower_bound, lower_bound)).");
        if (upperBound is { } u && !(u > lowerBound))
            throw new InputDataException($"--param {metric}.upper_bound={u}: must exceed lower_bound ({lowerBound}); the noise is U(lower_bound, upper_bound).");
    }

    /// <summary>
    /// Scores every sample: the mean (<paramref name="mean"/>) or the maximum of s_k over <paramref name="nrSamples"/>
    /// draws from <paramref name="perturb"/>. With <paramref name="nanOnFlip"/> a sample any of whose draws changes the
    /// predicted class is NaN (<see cref="Reasons.PredictionChanged"/>), as Quantus's np.mean / np.max over its NaN draws.
    /// </summary>
    public static void Evaluate(EvaluationBatch batch, MetricOutput output, string metric, AttributionPreprocessing preprocessing,
        int nrSamples, bool nanOnFlip, bool mean, Perturb perturb)
    {
        int n = batch.Count, asize = batch.Shape.AttributionValues;
        var a = batch.Prepared(preprocessing);
        var norm = new double[n];
        for (int i = 0; i < n; i++) norm[i] = Reexplanation.L2(a.AsSpan(i * asize, asize));
        var acc = new double[n];
        if (!mean) Array.Fill(acc, double.NegativeInfinity);
        var flips = new int[n];
        var bad = new bool[n];
        int[]? pred = nanOnFlip ? Reexplanation.Predictions(batch, metric) : null;
        var outputs = nanOnFlip ? RowOutputs.Logits(batch.RequireModel(metric), batch.Budget) : null;
        Reexplanation.Run(batch, metric, nrSamples, preprocessing, perturb, outputs, (i, _, _, ap, logits) =>
        {
            if (pred is not null && Perturbation.ArgMax(logits) != pred[i]) flips[i]++;
            if (!Reexplanation.AllFinite(ap)) { bad[i] = true; return; }
            double s = Reexplanation.L2Distance(a.AsSpan(i * asize, asize), ap) / norm[i];
            if (mean) acc[i] += s; else acc[i] = Math.Max(acc[i], s);
        });
        for (int i = 0; i < n; i++)
        {
            if (!Reexplanation.AllFinite(a.AsSpan(i * asize, asize)) || bad[i]) output.Set(i, Score.Undefined(Reasons.NonFiniteMap));
            else if (norm[i] == 0) output.Set(i, Score.Undefined(Reasons.EmptySaliency));
            else if (flips[i] > 0) output.Set(i, Score.Undefined(Reasons.PredictionChanged));
            else output.Set(i, new Score(mean ? acc[i] / nrSamples : acc[i]));
        }
    }
}
