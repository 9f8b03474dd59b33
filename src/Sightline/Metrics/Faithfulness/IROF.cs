using Sightline.Evaluation;
using Sightline.Models;
using Sightline.Numerics;

namespace Sightline.Metrics.Faithfulness;

/// <summary>The superpixel method of <see cref="IROF"/> (Quantus <c>segmentation_method</c>).</summary>
public enum SegmentationMethod
{
    /// <summary>SLIC (<see cref="Numerics.Slic"/>), Quantus's default.</summary>
    Slic,
}

/// <summary>Options of <see cref="IROF"/> (Quantus's constructor arguments and defaults).</summary>
public sealed record IROFOptions : MetricOptions
{
    /// <summary>The superpixels (Quantus <c>segmentation_method</c>, slic).</summary>
    public SegmentationMethod SegmentationMethod { get; init; } = SegmentationMethod.Slic;

    /// <summary>What replaces a removed segment (Quantus <c>perturb_baseline</c>, mean).</summary>
    public PerturbBaseline PerturbBaseline { get; init; } = PerturbBaseline.Mean;

    /// <summary>Read softmax probabilities instead of logits (Quantus <c>softmax</c>, true).</summary>
    public bool Softmax { get; init; } = true;

    /// <summary>SLIC's n_segments (Sightline addition; Quantus always uses scikit-image's default 100).</summary>
    public int NSegments { get; init; } = 100;

    /// <summary>SLIC's compactness (Sightline addition; Quantus always uses scikit-image's default 10).</summary>
    public double Compactness { get; init; } = 10;
}

/// <summary>
/// Iterative Removal of Features (Rieger, Hansen, "IROF: a low resource evaluation metric for explanation methods",
/// ICLR 2020 workshop), as Quantus computes it: segment x into SLIC superpixels (<see cref="Slic"/>, on the
/// channel-last image, start_label 0, scikit-image defaults), order the N_seg segments by descending mean attribution
/// (mean over the segment's pixels and the attribution's channels; stable: ties by segment label), remove them
/// CUMULATIVELY (all channels) and score the area over the curve
/// <c>AOC = N_seg − trapz_k( f(x̃_k) / f(x) )</c>, k = 1..N_seg, unit spacing (NumPy's <c>trapz</c> of N_seg points);
/// f = the target's softmax probability. Higher is better. Quantus defaults: slic, baseline mean, normalise, abs false,
/// softmax true. As Quantus, the baseline value is computed from the partly perturbed image at each step (for "mean",
/// the mean of x̃_{k−1}; black/white do not change as segments are removed). Differences from Quantus: per-sample
/// normalisation (§8 row 4), stable order (§8 row 8), every removal step of every sample shares model calls; an image
/// that SLIC leaves in one segment (pure noise often is, in scikit-image too) is NaN with <see cref="Reasons.SingleSegment"/>
/// where Quantus raises for the whole call. NaN:
/// <see cref="Reasons.ZeroPrediction"/> when f(x) = 0, <see cref="Reasons.NonFiniteOutput"/> for NaN/∞ outputs.
/// </summary>
[Metric("irof", MetricFamily.Faithfulness, ScoreDirection.HigherIsBetter, Order = 4,
    Minimum = double.NegativeInfinity, Maximum = double.PositiveInfinity,
    Needs = MetricNeeds.Model, Cost = "1+N_seg (~100)",
    Summary = "Area over the curve of the output (relative to f(x)) as SLIC superpixels are removed by descending mean attribution.",
    Citation = "Rieger & Hansen, ICLR 2020 workshop")]
public sealed class IROF(IROFOptions options) : EvaluationMetric<IROFOptions>(options)
{
    /// <summary>Sample <paramref name="i"/>'s SLIC labels (H×W) as this metric segments it; returns the segment count.</summary>
    public int Segments(EvaluationBatch batch, int i, Span<int> labels)
    {
        var shape = batch.Shape;
        return Slic.Segment(batch.Input(i), shape.Channels, shape.Height, shape.Width, labels, Settings.NSegments, Settings.Compactness, startLabel: 0);
    }

    /// <inheritdoc/>
    public override void Evaluate(EvaluationBatch batch, MetricOutput output)
    {
        var model = batch.RequireModel(Name);
        var s = Settings;
        var shape = batch.Shape;
        if (s.NSegments < 1) throw new InputDataException($"--param {Name}.n_segments={s.NSegments}: must be at least 1.");
        if (!(s.Compactness > 0)) throw new InputDataException($"--param {Name}.compactness={s.Compactness}: must be positive.");
        int n = batch.Count, pixels = shape.Pixels, ad = shape.AttributionValues, size = shape.InputValues;
        var a = batch.Prepared(Preprocessing);
        var logits = batch.Logits(Name);
        int classes = model.OutputCount;

        var steps = new int[n];
        var pixelOrder = new int[n][];   // pixels grouped by removal rank
        var segStart = new int[n][];     // rank r's pixels: pixelOrder[segStart[r] .. segStart[r + 1])
        var fill = new float[n][];       // baseline value used at rank r
        var baseline = new BaselineValues[n];
        Parallel.For(0, n, i =>
        {
            var x = batch.Input(i);
            var ai = a.AsSpan(i * ad, ad);
            if (!Sightline.Numerics.Kernels.AllFinite(x)) { output.Set(i, Score.Undefined(Reasons.NonFiniteInput)); return; }
            if (!Sightline.Numerics.Kernels.AllFinite(ai)) { output.Set(i, Score.Undefined(Reasons.NonFiniteMap)); return; }
            var labels = new int[pixels];
            int count = Segments(batch, i, labels);
            var mass = new double[count];
            var members = new int[count];
            foreach (var l in labels) members[l]++;
            for (int c = 0; c < shape.AttributionChannels; c++)
                for (int p = 0; p < pixels; p++) mass[labels[p]] += ai[c * pixels + p];
            var mean = new float[count];
            for (int l = 0; l < count; l++) mean[l] = members[l] == 0 ? float.NaN : (float)(mass[l] / ((double)members[l] * shape.AttributionChannels));
            var rank = Perturbation.DescendingOrder(mean);
            int present = rank.Count(l => members[l] > 0);
            var start = new int[present + 1];
            for (int r = 0; r < present; r++) start[r + 1] = start[r] + members[rank[r]];
            var position = new int[count];
            for (int r = 0; r < present; r++) position[rank[r]] = start[r];
            var order = new int[pixels];
            for (int p = 0; p < pixels; p++) order[position[labels[p]]++] = p;
            // Baseline per step, from the image as it is before that step (Quantus perturbs x_prev_perturbed).
            var values = new float[present];
            if (s.PerturbBaseline != PerturbBaseline.Uniform)
            {
                var current = x.ToArray();
                for (int r = 0; r < present; r++)
                {
                    values[r] = Perturbation.Constant(s.PerturbBaseline, current);
                    PerturbationFeatures.FillPixels(current, order.AsSpan(start[r], start[r + 1] - start[r]), BaselineValues.Of(values[r]), 0, shape);
                }
            }
            pixelOrder[i] = order;
            segStart[i] = start;
            baseline[i] = BaselineValues.For(batch, i, Name, s.PerturbBaseline);
            fill[i] = values;
            steps[i] = present;
        });

        var rows = new PerturbationRows(steps);
        var curve = new double[rows.Total];
        StepBatcher.Forward(model, rows.Total, (row, x) =>
        {
            var (i, k) = rows.Locate(row);
            batch.Input(i).CopyTo(x);
            var start = segStart[i];
            for (int r = 0; r <= k; r++)
                PerturbationFeatures.FillPixels(x, pixelOrder[i].AsSpan(start[r], start[r + 1] - start[r]), baseline[i].OrConstant(fill[i][r]), r, shape);
        }, (row, y) =>
        {
            var (i, _) = rows.Locate(row);
            curve[row] = Perturbation.Output(y, batch.Targets[i], s.Softmax);
        }, batch.Budget);

        for (int i = 0; i < n; i++)
        {
            if (steps[i] == 0) continue;
            double f0 = Perturbation.Output(logits.AsSpan(i * classes, classes), batch.Targets[i], s.Softmax);
            if (!double.IsFinite(f0)) { output.Set(i, Score.Undefined(Reasons.NonFiniteOutput)); continue; }
            if (f0 == 0) { output.Set(i, Score.Undefined(Reasons.ZeroPrediction)); continue; }
            if (steps[i] < 2) { output.Set(i, Score.Undefined(Reasons.SingleSegment)); continue; }
            var preds = curve.AsSpan((int)rows.Start(i), steps[i]);
            double trapz = 0;
            for (int k = 0; k + 1 < preds.Length; k++) trapz += (preds[k] / f0 + preds[k + 1] / f0) / 2;
            double aoc = preds.Length - trapz;
            output.Set(i, double.IsFinite(aoc) ? new Score(aoc) : Score.Undefined(Reasons.NonFiniteOutput));
        }
    }
}
