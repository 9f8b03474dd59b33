using Sightline.Evaluation;

namespace Sightline.Metrics.Faithfulness;

/// <summary>The order in which <see cref="RegionPerturbation"/> removes patches (Quantus <c>order</c>).</summary>
public enum RegionOrder
{
    /// <summary>Most relevant first: descending patch attribution sum.</summary>
    Morf,
    /// <summary>Least relevant first: ascending patch attribution sum.</summary>
    Lerf,
    /// <summary>A random order, seeded per sample.</summary>
    Random,
}

/// <summary>Options of <see cref="RegionPerturbation"/> (Quantus <c>RegionPerturbation</c>'s constructor arguments and defaults).</summary>
public sealed record RegionPerturbationOptions : MetricOptions
{
    /// <summary>Side of the square patches (≥ 1; patches crossing the bottom/right edge are clipped).</summary>
    public int PatchSize { get; init; } = 8;

    /// <summary>Patch order: morf, lerf or random.</summary>
    public RegionOrder Order { get; init; } = RegionOrder.Morf;

    /// <summary>Patches removed (at most; fewer when the image holds fewer non-overlapping ones).</summary>
    public int RegionsEvaluation { get; init; } = 100;

    /// <summary>What removed values are replaced with (default black = the sample's min(x)).</summary>
    public PerturbBaseline PerturbBaseline { get; init; } = PerturbBaseline.Black;

    /// <summary>Read the target's softmax probability (true) or its logit.</summary>
    public bool Softmax { get; init; } = true;
}

/// <summary>
/// Region perturbation (Samek et al., "Evaluating the Visualization of What a Deep Neural Network Has Learned", IEEE
/// TNNLS 2017; Quantus <c>RegionPerturbation</c>). Every pixel (r, c) is the top-left corner of a candidate patch of
/// side p = <c>patch_size</c> (clipped at the bottom and right edges, as Quantus's zero padding does); its relevance is
/// the sum of the normalised map over the patch (all attribution channels). Candidates are ordered (morf: descending
/// sum; lerf: ascending; random: a shuffle from the sample's seeded stream, <see cref="EvaluationBatch.RandomFor"/>) and
/// taken greedily, skipping any that overlaps one already taken, until <c>regions_evaluation</c> patches are chosen (an
/// image holds at most ⌈H/p⌉·⌈W/p⌉). They are removed cumulatively (all input channels replaced by the baseline); the
/// curve is <c>c_k = f_y(x) − f_y(x̃_k)</c>, k = 1..m, and the score is its mean. A faithful map makes the curve rise
/// fast under morf: higher is better.
/// <para>
/// Differences from Quantus: ties of patch sums are ordered stably (ascending corner index; Quantus reverses an unstable
/// argsort for morf, spec §8 row 8); normalisation is per sample (§8 row 4); the random order is seeded per sample and
/// metric (§8 row 13); all samples' steps share model calls. The baseline constant is computed once from the unperturbed x (Quantus recomputes it on the already perturbed array at each step: the same for black and white, a drifting value for mean). Curves shorter than
/// <see cref="CurveLength"/> (fewer non-overlapping patches) are NaN-padded.
/// </para>
/// Undefined: a map with NaN/∞ (<c>non-finite-map</c>), a non-finite model output (<c>non-finite-output</c>).
/// With softmax a score lies in [−1, 1].
/// </summary>
[Metric("region_perturbation", MetricFamily.Faithfulness, ScoreDirection.HigherIsBetter, Order = 8, Minimum = -1, Maximum = 1,
    Needs = MetricNeeds.Model, Curve = true, Cost = "1+min(100, #patches)",
    Summary = "Drop of the target output as patches are removed (morf / lerf / random; curve; mean)",
    Citation = "Samek et al., Evaluating the visualization of what a deep neural network has learned, IEEE TNNLS 2017")]
public sealed class RegionPerturbation(RegionPerturbationOptions options) : EvaluationMetric<RegionPerturbationOptions>(options)
{
    /// <summary>With default options.</summary>
    public RegionPerturbation() : this(new RegionPerturbationOptions()) { }

    /// <inheritdoc/>
    public override int CurveLength(EvaluationShape shape)
    {
        int p = Math.Max(1, Settings.PatchSize);
        long most = (long)((shape.Height + p - 1) / p) * ((shape.Width + p - 1) / p);
        return (int)Math.Max(0, Math.Min(Settings.RegionsEvaluation, most));
    }

    /// <inheritdoc/>
    public override void Evaluate(EvaluationBatch batch, MetricOutput output)
    {
        var model = batch.RequireModel(Name);
        var s = batch.Shape;
        int p = Settings.PatchSize;
        PerturbationChecks.PatchSize(Name, p, s);
        if (Settings.RegionsEvaluation < 1)
            throw new InputDataException($"--param {Name}.regions_evaluation={Settings.RegionsEvaluation}: must be at least 1.");
        var prepared = batch.Prepared(Preprocessing);
        var y0 = PerturbationChecks.Outputs(batch, Name, Settings.Softmax);
        int candidates = s.Pixels;
        var cornerRows = new int[candidates];
        var cornerCols = new int[candidates];
        for (int r = 0, j = 0; r < s.Height; r++)
            for (int c = 0; c < s.Width; c++, j++) { cornerRows[j] = r; cornerCols[j] = c; }
        var chosen = new int[batch.Count][];
        var baseline = new BaselineValues[batch.Count];
        var rows = new int[batch.Count];
        var blocked = new bool[s.Pixels];
        for (int i = 0; i < batch.Count; i++)
        {
            var a = prepared.AsSpan(i * s.AttributionValues, s.AttributionValues);
            if (!Sightline.Numerics.Kernels.AllFinite(a)) { output.Set(i, Score.Undefined(Reasons.NonFiniteMap)); continue; }
            int[] order;
            if (Settings.Order == RegionOrder.Random)
            {
                order = new int[candidates];
                for (int j = 0; j < candidates; j++) order[j] = j;
                batch.RandomFor(i, Name).Shuffle(order);
            }
            else
            {
                var sums = PerturbationChecks.PatchSums(a, s, cornerRows, cornerCols, p);
                order = Settings.Order == RegionOrder.Morf ? PerturbationChecks.Descending(sums) : PerturbationChecks.Ascending(sums);
            }
            chosen[i] = NonOverlapping(order, cornerRows, cornerCols, p, s, Settings.RegionsEvaluation, blocked);
            baseline[i] = BaselineValues.For(batch, i, Name, Settings.PerturbBaseline);
            rows[i] = chosen[i].Length;
        }
        int stride = Math.Max(1, CurveLength(s));
        var curves = new double[batch.Count * stride];
        new PerturbationRows(rows).Run(model, batch.Budget,
            (i, k, x) =>
            {
                batch.Input(i).CopyTo(x);
                var ch = chosen[i];
                for (int q = 0; q <= k; q++) PerturbationChecks.FillPatch(x, s, cornerRows[ch[q]], cornerCols[ch[q]], p, baseline[i]);
            },
            (i, k, y) => curves[i * stride + k] = y0[i] - Perturbation.Output(y, batch.Targets[i], Settings.Softmax));
        for (int i = 0; i < batch.Count; i++)
        {
            if (rows[i] == 0) continue;
            var c = curves.AsSpan(i * stride, rows[i]);
            var curve = output.Curve(i);
            for (int k = 0; k < c.Length && k < curve.Length; k++) curve[k] = (float)c[k];
            double score = CurveMath.Mean(c);
            output.Set(i, double.IsFinite(score) ? new Score(score) : Score.Undefined(Reasons.NonFiniteOutput));
        }
    }

    /// <summary>
    /// Quantus's greedy choice: walk the ordered candidates, keep one when it overlaps none kept so far, stop at
    /// <paramref name="limit"/>. <paramref name="blocked"/> is scratch (H·W), cleared here.
    /// </summary>
    internal static int[] NonOverlapping(int[] order, int[] rows, int[] cols, int p, EvaluationShape s, int limit, bool[] blocked)
    {
        Array.Clear(blocked);
        var kept = new List<int>();
        foreach (int j in order)
        {
            int r0 = rows[j], c0 = cols[j], r1 = Math.Min(r0 + p, s.Height), c1 = Math.Min(c0 + p, s.Width);
            bool free = true;
            for (int r = r0; r < r1 && free; r++)
                for (int c = c0; c < c1; c++)
                    if (blocked[r * s.Width + c]) { free = false; break; }
            if (!free) continue;
            for (int r = r0; r < r1; r++) Array.Fill(blocked, true, r * s.Width + c0, c1 - c0);
            kept.Add(j);
            if (kept.Count >= limit) break;
        }
        return [.. kept];
    }
}
