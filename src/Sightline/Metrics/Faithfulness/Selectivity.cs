using Sightline.Evaluation;

namespace Sightline.Metrics.Faithfulness;

/// <summary>Options of <see cref="Selectivity"/> (Quantus <c>Selectivity</c>'s constructor arguments and defaults).</summary>
public sealed record SelectivityOptions : MetricOptions
{
    /// <summary>Side of the square patches of the grid (≥ 1; when it does not divide H or W the last row/column of patches is clipped, as Quantus's padding does).</summary>
    public int PatchSize { get; init; } = 8;

    /// <summary>What removed values are replaced with (default black = the sample's min(x)).</summary>
    public PerturbBaseline PerturbBaseline { get; init; } = PerturbBaseline.Black;

    /// <summary>Read the target's softmax probability (true) or its logit.</summary>
    public bool Softmax { get; init; } = true;
}

/// <summary>
/// Selectivity (Montavon et al., "Methods for Interpreting and Understanding Deep Neural Networks", Digital Signal
/// Processing 2018; Quantus <c>Selectivity</c>). The image is tiled by the grid of ⌈H/p⌉·⌈W/p⌉ square patches of side
/// p = <c>patch_size</c> (clipped at the bottom and right edges); each patch's relevance is the sum of the normalised map over it (all attribution channels).
/// All patches are removed cumulatively by descending relevance (stable: ties by ascending raster index), all input
/// channels replaced by the baseline; the curve is <c>c_k = f_y(x̃_k)</c>, k = 1..⌈H/p⌉⌈W/p⌉, and the score is its
/// mean (Quantus reports the curve and its AUC; the mean is the AUC divided by the number of points, up to the end
/// terms). A faithful map makes the output fall fast: lower is better.
/// <para>
/// Differences from Quantus: stable ties (spec §8 row 8; Quantus reverses an unstable argsort), per-sample normalisation
/// (§8 row 4), all samples' steps share model calls. The baseline constant is computed once from the unperturbed x (Quantus recomputes it on the already perturbed array at each step: the same for black and white, a drifting value for mean).
/// </para>
/// Undefined: a map with NaN/∞ (<c>non-finite-map</c>), a non-finite model output (<c>non-finite-output</c>).
/// With softmax a score lies in [0, 1].
/// </summary>
[Metric("selectivity", MetricFamily.Faithfulness, ScoreDirection.LowerIsBetter, Order = 10, Minimum = 0, Maximum = 1,
    Needs = MetricNeeds.Model, Curve = true, Cost = "#patches = ⌈H/p⌉·⌈W/p⌉ (784 at 224², p 8)",
    Summary = "Target output as grid patches are removed by descending relevance (curve; mean)",
    Citation = "Montavon et al., Methods for interpreting and understanding deep neural networks, Digital Signal Processing 2018")]
public sealed class Selectivity(SelectivityOptions options) : EvaluationMetric<SelectivityOptions>(options)
{
    /// <summary>With default options.</summary>
    public Selectivity() : this(new SelectivityOptions()) { }

    /// <inheritdoc/>
    public override int CurveLength(EvaluationShape shape)
    {
        int p = Math.Max(1, Settings.PatchSize);
        return ((shape.Height + p - 1) / p) * ((shape.Width + p - 1) / p);
    }

    /// <inheritdoc/>
    public override void Evaluate(EvaluationBatch batch, MetricOutput output)
    {
        var model = batch.RequireModel(Name);
        var s = batch.Shape;
        int p = Settings.PatchSize;
        PerturbationChecks.PatchSize(Name, p, s);
        int steps = CurveLength(s);
        var cornerRows = new int[steps];
        var cornerCols = new int[steps];
        for (int r = 0, j = 0; r < s.Height; r += p)
            for (int c = 0; c < s.Width; c += p, j++) { cornerRows[j] = r; cornerCols[j] = c; }
        var prepared = batch.Prepared(Preprocessing);
        var order = new int[batch.Count][];
        var baseline = new BaselineValues[batch.Count];
        var rows = new int[batch.Count];
        for (int i = 0; i < batch.Count; i++)
        {
            var a = prepared.AsSpan(i * s.AttributionValues, s.AttributionValues);
            if (!Sightline.Numerics.Kernels.AllFinite(a)) { output.Set(i, Score.Undefined(Reasons.NonFiniteMap)); continue; }
            order[i] = PerturbationChecks.Descending(PerturbationChecks.PatchSums(a, s, cornerRows, cornerCols, p));
            baseline[i] = BaselineValues.For(batch, i, Name, Settings.PerturbBaseline);
            rows[i] = steps;
        }
        var curves = new double[batch.Count * steps];
        new PerturbationRows(rows).Run(model, batch.Budget,
            (i, k, x) =>
            {
                batch.Input(i).CopyTo(x);
                var o = order[i];
                for (int q = 0; q <= k; q++) PerturbationChecks.FillPatch(x, s, cornerRows[o[q]], cornerCols[o[q]], p, baseline[i]);
            },
            (i, k, y) => curves[i * steps + k] = Perturbation.Output(y, batch.Targets[i], Settings.Softmax));
        for (int i = 0; i < batch.Count; i++)
        {
            if (rows[i] == 0) continue;
            var c = curves.AsSpan(i * steps, steps);
            var curve = output.Curve(i);
            for (int k = 0; k < c.Length && k < curve.Length; k++) curve[k] = (float)c[k];
            double score = CurveMath.Mean(c);
            output.Set(i, double.IsFinite(score) ? new Score(score) : Score.Undefined(Reasons.NonFiniteOutput));
        }
    }
}
