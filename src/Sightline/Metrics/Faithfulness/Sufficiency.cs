using Sightline.Evaluation;

namespace Sightline.Metrics.Faithfulness;

/// <summary>Options of <see cref="Sufficiency"/> (Quantus's constructor arguments and defaults).</summary>
public sealed record SufficiencyOptions : MetricOptions
{
    /// <summary>Defaults as Quantus: |a|.</summary>
    public SufficiencyOptions() => Abs = true;

    /// <summary>Largest normalised distance at which two attributions count as similar (Quantus <c>threshold</c>, 0.6).</summary>
    public double Threshold { get; init; } = 0.6;

    /// <summary>Quantus's <c>softmax</c> (true); the score reads the argmax, which softmax does not change.</summary>
    public bool Softmax { get; init; } = true;
}

/// <summary>
/// Sufficiency (Dasgupta, Frost, Moshkovitz, "Framework for Evaluating Faithfulness of Local Explanations", ICML 2022;
/// Quantus's <c>Sufficiency</c>): with D_ij the standardised Euclidean distance between the flattened (normalised, |·|)
/// attributions of samples i and j of the batch (scipy's <c>seuclidean</c>: Σ_f (a_if − a_jf)² / V_f, V_f the
/// variance, ddof 1, of feature f over the stacked pair of the batch with itself, as <c>cdist(A, A)</c> computes it),
/// D normalised by its largest entry (the metric's normalise_func applied to the whole matrix, as Quantus), the score of
/// i is the share of the j ≠ i with D_ij ≤ threshold whose predicted class equals i's. Higher is better. Quantus defaults:
/// threshold 0.6, seuclidean, abs true, normalise, softmax true.
/// <para><b>Batch dependence (pipeline-independent rule):</b> the comparison set of sample i is exactly the
/// <see cref="EvaluationBatch"/> it is scored in — the run's batches of <c>--batch-size</c> samples in input order, the
/// last one possibly smaller — so the same sample can score differently with another batch size or order; V_f and the
/// normalisation are batch statistics too. The metric declares <see cref="MetricNeeds.WholeBatch"/> so pipelines keep
/// batches whole and report the batch size with the scores.</para>
/// <para>Differences from Quantus: a feature with zero variance over the batch (every map equal there) is skipped — SciPy
/// divides 0 by 0 and makes every distance NaN, so every score 0; per-sample attribution normalisation (§8 row 4). A
/// sample with no similar neighbour scores 0, as Quantus, flagged <see cref="Reasons.NoSimilarAttribution"/>.</para>
/// </summary>
[Metric("sufficiency", MetricFamily.Faithfulness, ScoreDirection.HigherIsBetter, Order = 12, Minimum = 0, Maximum = 1,
    Needs = MetricNeeds.Model | MetricNeeds.WholeBatch, TakesAbsolute = true, Cost = "1",
    Summary = "Share of the batch's samples with a similar attribution (normalised seuclidean ≤ threshold) that share the prediction.",
    Citation = "Dasgupta et al., ICML 2022")]
public sealed class Sufficiency(SufficiencyOptions options) : EvaluationMetric<SufficiencyOptions>(options)
{
    /// <inheritdoc/>
    public override void Evaluate(EvaluationBatch batch, MetricOutput output)
    {
        var model = batch.RequireModel(Name);
        var s = Settings;
        int n = batch.Count, d = batch.Shape.AttributionValues, classes = model.OutputCount;
        if (double.IsNaN(s.Threshold)) throw new InputDataException($"--param {Name}.threshold: must be a number.");
        var a = batch.Prepared(Preprocessing);
        var logits = batch.Logits(Name);
        var predicted = new int[n];
        var valid = new bool[n];
        for (int i = 0; i < n; i++)
        {
            predicted[i] = Perturbation.ArgMax(logits.AsSpan(i * classes, classes));
            bool finiteMap = Sightline.Numerics.Kernels.AllFinite(a.AsSpan(i * d, d));
            bool finiteOutput = Sightline.Numerics.Kernels.AllFinite(logits.AsSpan(i * classes, classes));
            valid[i] = finiteMap && finiteOutput;
            if (!valid[i]) output.Set(i, Score.Undefined(finiteMap ? Reasons.NonFiniteOutput : Reasons.NonFiniteMap));
        }
        var idx = Enumerable.Range(0, n).Where(i => valid[i]).ToArray();
        int m = idx.Length;
        if (m == 0) return;

        // V_f over [A; A] (ddof 1): 2·Σ_i (a_if − mean_f)² / (2m − 1).
        var inverse = new double[d];
        for (int f = 0; f < d; f++)
        {
            double mean = 0;
            foreach (var i in idx) mean += a[i * d + f];
            mean /= m;
            double ss = 0;
            foreach (var i in idx) { double t = a[i * d + f] - mean; ss += t * t; }
            double v = 2 * m > 1 ? 2 * ss / (2 * m - 1) : 0;
            inverse[f] = v > 0 ? 1 / v : 0;
        }
        var dist = new double[m * m];
        Parallel.For(0, m, p =>
        {
            var ap = a.AsSpan(idx[p] * d, d);
            for (int q = p + 1; q < m; q++)
            {
                var aq = a.AsSpan(idx[q] * d, d);
                double sum = 0;
                for (int f = 0; f < d; f++) { double t = (double)ap[f] - aq[f]; sum += t * t * inverse[f]; }
                dist[p * m + q] = Math.Sqrt(sum);
            }
        });
        for (int p = 0; p < m; p++) for (int q = 0; q < p; q++) dist[p * m + q] = dist[q * m + p];
        NormaliseMatrix(dist, s.NormaliseFunc);

        for (int p = 0; p < m; p++)
        {
            int similar = 0, same = 0;
            for (int q = 0; q < m; q++)
            {
                if (q == p || !(dist[p * m + q] <= s.Threshold)) continue;
                similar++;
                if (predicted[idx[q]] == predicted[idx[p]]) same++;
            }
            output.Set(idx[p], similar == 0 ? new Score(0, Reasons.NoSimilarAttribution) : new Score((double)same / similar));
        }
    }

    private static void NormaliseMatrix(double[] dist, Normalisation how)
    {
        double scale = how switch
        {
            Normalisation.None => 1,
            Normalisation.BySecondMoment => Math.Sqrt(dist.Sum(v => v * v) / dist.Length),
            _ => dist.Length == 0 ? 0 : dist.Max(), // distances are ≥ 0: by max and by negative agree
        };
        if (scale > 0) for (int i = 0; i < dist.Length; i++) dist[i] /= scale;
    }
}
