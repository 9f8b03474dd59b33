using Sightline.Evaluation;

namespace Sightline.Metrics.Faithfulness;

/// <summary>Options of <see cref="PixelFlipping"/> (Quantus <c>PixelFlipping</c>'s constructor arguments and defaults).</summary>
public sealed record PixelFlippingOptions : MetricOptions
{
    /// <summary>Features removed per step (channel-pixels after broadcasting the map to C×H×W); must divide d = C·H·W.</summary>
    public int FeaturesInStep { get; init; } = 1;

    /// <summary>What removed features are replaced with (default black = the sample's min(x)).</summary>
    public PerturbBaseline PerturbBaseline { get; init; } = PerturbBaseline.Black;

    /// <summary>Read the target's softmax probability (true) or its logit.</summary>
    public bool Softmax { get; init; } = true;

    /// <summary>Score the area under the curve (trapezoid rule, unit spacing, as Quantus's <c>calculate_auc</c>) instead of its mean.</summary>
    public bool ReturnAucPerSample { get; init; }
}

/// <summary>
/// Pixel flipping (Bach et al., "On Pixel-Wise Explanations for Non-Linear Classifier Decisions by Layer-Wise Relevance
/// Propagation", PLOS ONE 2015; Quantus <c>PixelFlipping</c>). The map a is normalised per sample (a / max|a| by
/// default), broadcast to C×H×W (d = C·H·W features) and its features ordered by descending value (stable: ties by
/// ascending flat index); they are removed cumulatively, <c>fis</c> at a time, replaced by the baseline. The curve is
/// <c>c_k = f_y(x̃_k)</c>, k = 1..d/fis, where x̃_k has the first k·fis features removed and f_y is the target's softmax
/// probability (logit with <c>softmax=false</c>). The score is the curve's mean (the scalar for curve metrics), or
/// with <c>return_auc_per_sample</c> Quantus's AUC <c>trapz(c, dx=1)</c>. A faithful map makes the curve fall fast: lower is better.
/// <para>
/// Differences from Quantus: ties in the order are stable (spec §8 row 8; Quantus's <c>argsort(−a)</c> is not),
/// normalisation is per sample (§8 row 4), and the steps of all samples of a batch share model calls (Quantus predicts
/// one perturbed input per call). features_in_step must divide d (Quantus's assertion), else an input error. The baseline constant is computed once from the unperturbed x (Quantus recomputes it on the already perturbed array at each step: the same for black and white, a drifting value for mean).
/// </para>
/// Undefined: a map with NaN/∞ (<c>non-finite-map</c>), a non-finite model output (<c>non-finite-output</c>).
/// With the defaults a score lies in [0, 1]; with AUC in [0, d/fis − 1].
/// </summary>
[Metric("pixel_flipping", MetricFamily.Faithfulness, ScoreDirection.LowerIsBetter, Order = 7, Minimum = 0, Maximum = 1,
    Needs = MetricNeeds.Model, Curve = true, Cost = "⌈d/fis⌉",
    Summary = "Target output while the most relevant features are removed cumulatively (curve; mean)",
    Citation = "Bach et al., On pixel-wise explanations for non-linear classifier decisions by layer-wise relevance propagation, PLOS ONE 2015")]
public sealed class PixelFlipping(PixelFlippingOptions options) : EvaluationMetric<PixelFlippingOptions>(options)
{
    /// <summary>With default options.</summary>
    public PixelFlipping() : this(new PixelFlippingOptions()) { }

    /// <inheritdoc/>
    public override int CurveLength(EvaluationShape shape) =>
        (PerturbationFeatures.Count(shape) + Math.Max(1, Settings.FeaturesInStep) - 1) / Math.Max(1, Settings.FeaturesInStep);

    /// <inheritdoc/>
    public override void Evaluate(EvaluationBatch batch, MetricOutput output)
    {
        var model = batch.RequireModel(Name);
        var s = batch.Shape;
        int fis = Settings.FeaturesInStep, steps = PerturbationFeatures.Steps(Name, fis, s);
        var prepared = batch.Prepared(Preprocessing);
        var order = new int[batch.Count][];
        var baseline = new BaselineValues[batch.Count];
        var rows = new int[batch.Count];
        for (int i = 0; i < batch.Count; i++)
        {
            var a = PerturbationFeatures.Of(batch, prepared, i);
            if (!Sightline.Numerics.Kernels.AllFinite(a)) { output.Set(i, Score.Undefined(Reasons.NonFiniteMap)); continue; }
            order[i] = Perturbation.DescendingOrder(a);
            baseline[i] = BaselineValues.For(batch, i, Name, Settings.PerturbBaseline);
            rows[i] = steps;
        }
        var curves = new double[batch.Count * steps];
        new PerturbationRows(rows).Run(model, batch.Budget,
            (i, k, x) =>
            {
                batch.Input(i).CopyTo(x);
                var o = order[i];
                int removed = (k + 1) * fis;
                for (int j = 0; j < removed; j++) x[o[j]] = baseline[i].Value(0, o[j]);
            },
            (i, k, y) => curves[i * steps + k] = Perturbation.Output(y, batch.Targets[i], Settings.Softmax));
        for (int i = 0; i < batch.Count; i++)
        {
            if (rows[i] == 0) continue;
            var c = curves.AsSpan(i * steps, steps);
            var curve = output.Curve(i);
            for (int k = 0; k < steps && k < curve.Length; k++) curve[k] = (float)c[k];
            double score = Settings.ReturnAucPerSample ? CurveMath.Trapezoid(c) : CurveMath.Mean(c);
            output.Set(i, double.IsFinite(score) ? new Score(score) : Score.Undefined(Reasons.NonFiniteOutput));
        }
    }
}

/// <summary>Curve summaries shared by the curve metrics.</summary>
internal static class CurveMath
{
    /// <summary>The mean of the points.</summary>
    public static double Mean(ReadOnlySpan<double> c)
    {
        double sum = 0;
        foreach (var v in c) sum += v;
        return c.Length == 0 ? double.NaN : sum / c.Length;
    }

    /// <summary>NumPy's <c>trapz(c, dx=1)</c>: Σ (c_k + c_{k+1}) / 2 (0 for a single point).</summary>
    public static double Trapezoid(ReadOnlySpan<double> c)
    {
        if (c.Length == 0) return double.NaN;
        double sum = 0;
        for (int k = 0; k + 1 < c.Length; k++) sum += (c[k] + c[k + 1]) / 2;
        return sum;
    }
}
