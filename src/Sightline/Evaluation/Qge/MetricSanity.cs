using Sightline.Metrics;
using Sightline.Models;

namespace Sightline.Evaluation.Qge;

/// <summary>Settings of the sanity tests for explanation metrics (the CLI's <c>evaluate-sanity</c>).</summary>
public sealed record MetricSanityOptions
{
    /// <summary>p: the share of the map's values (percent of A·H·W) the missing- and extra-evidence tests move. Default 10.</summary>
    public double Percent { get; init; } = 10;

    /// <summary>ε: a change counts as "worse" when the direction-adjusted change, divided by the metric's range, is below −ε. Default 0.001.</summary>
    public double Epsilon { get; init; } = 0.001;

    /// <summary>A test passes when at least this percentage of its samples gets worse (90, as the neuron-metric sanity tests).</summary>
    public double PassPercent { get; init; } = 90;

    /// <summary>Random rankings per sample of the inverse test's pool. Default 100.</summary>
    public int Pool { get; init; } = 100;
}

/// <summary>The sanity-test results of one metric.</summary>
/// <param name="Metric">The metric's name.</param>
/// <param name="Samples">Samples with a defined score on e.</param>
/// <param name="MissingWorse">Percentage of samples whose score got worse by more than ε when e's top p % lost their mass.</param>
/// <param name="ExtraWorse">Percentage whose score got worse when the same mass went to p % random pixels the model does not need.</param>
/// <param name="InverseEligible">Samples whose e beats the mean of the metric on its random-ranking pool.</param>
/// <param name="InverseBetter">Percentage of those whose Ψ(e) beats Ψ(e_inv) (value swap).</param>
/// <param name="Options">The settings used.</param>
public sealed record MetricSanityResult(string Metric, int Samples, double MissingWorse, double ExtraWorse, int InverseEligible, double InverseBetter, MetricSanityOptions Options)
{
    /// <summary>The missing-evidence test passes.</summary>
    public bool MissingPass => MissingWorse >= Options.PassPercent;

    /// <summary>The extra-evidence test passes.</summary>
    public bool ExtraPass => ExtraWorse >= Options.PassPercent;

    /// <summary>The inverse test passes (NaN, so failed, when no sample is eligible).</summary>
    public bool InversePass => InverseBetter >= Options.PassPercent;

    /// <summary>All three pass.</summary>
    public bool Passes => MissingPass && ExtraPass && InversePass;
}

/// <summary>
/// Necessary conditions for an explanation-quality metric, after the missing-labels and extra-labels tests Oikarinen,
/// Yan and Weng (ICML 2025) apply to neuron-explanation metrics. A reliable metric Ψ must score an explanation worse when
/// (1) <b>missing evidence</b>: the top p % of e's values (stable descending order) are set to the map's minimum, so the
/// evidence they carried is gone; (2) <b>extra evidence</b>: the mass M of those top p % values is added, M/k each, to
/// k = p %·d pixels drawn at random among the half of the pixels with the smallest |∂f_y/∂x| (summed over channels) —
/// pixels the model does not use — so the explanation points at irrelevant features; and (3) <b>inverse</b>: for the
/// samples whose e beats the mean of Ψ over a pool of random rankings (z &gt; 0), Ψ(e) must beat Ψ(e_inv). "Worse" is
/// Δ = s·(Ψ(e′) − Ψ(e)) / range &lt; −ε with s = +1 for higher-is-better and −1 for lower-is-better metrics and range the
/// metric's declared bounds (the observed spread of Ψ(e) when they are infinite); a test passes when ≥ 90 % of the
/// samples get worse.
/// </summary>
public static class MetricSanity
{
    /// <summary>Runs the three tests of <paramref name="metric"/> on <paramref name="batch"/> (which needs a gradient model for the extra-evidence test).</summary>
    /// <exception cref="InputDataException">The run has no gradient model (extra-evidence test).</exception>
    public static MetricSanityResult Run(IEvaluationMetric metric, EvaluationBatch batch, MetricSanityOptions options)
    {
        var s = Scores(metric, batch, options);
        return Summarise(metric.Name, metric.Info, s.Original, s.Missing, s.Extra, s.Inverse, s.PoolMean, options);
    }

    /// <summary>
    /// The per-sample scores the tests compare: Ψ(e), Ψ(e without its top p %), Ψ(e with that mass moved to unused
    /// pixels), Ψ(e_inv) (value swap) and the mean of Ψ over the random-ranking pool (NaN for metrics that re-explain,
    /// which have no pool). Seeded per sample, so the scores do not depend on how samples are batched.
    /// </summary>
    /// <exception cref="InputDataException">A p outside (0, 100); no gradient model.</exception>
    public static (double[] Original, double[] Missing, double[] Extra, double[] Inverse, double[] PoolMean) Scores(IEvaluationMetric metric, EvaluationBatch batch, MetricSanityOptions options)
    {
        if (options.Percent <= 0 || options.Percent >= 100) throw new InputDataException("--percent takes a value in (0, 100).");
        var shape = batch.Shape;
        int n = batch.Count, d = shape.AttributionValues;
        int k = Math.Max(1, (int)Math.Round(options.Percent / 100 * d));
        var missing = new float[(long)n * d];
        var extra = new float[(long)n * d];
        var saliency = GradientMagnitude(batch, metric.Name);
        for (int i = 0; i < n; i++)
        {
            var e = batch.Attribution(i);
            var order = Perturbation.DescendingOrder(e);
            float min = System.Numerics.Tensors.TensorPrimitives.Min(e);
            var m = missing.AsSpan(i * d, d);
            e.CopyTo(m);
            double mass = 0;
            for (int j = 0; j < k; j++) { mass += e[order[j]]; m[order[j]] = min; }
            var x = extra.AsSpan(i * d, d);
            e.CopyTo(x);
            var candidates = LowestHalf(saliency.AsSpan(i * shape.Pixels, shape.Pixels));
            var rng = batch.RandomFor(i, "sanity-extra");
            Shuffle(candidates, rng);
            int take = Math.Min(k, candidates.Length * shape.AttributionChannels);
            for (int j = 0; j < take; j++)
            {
                int p = candidates[j % candidates.Length], c = j / candidates.Length;
                x[c * shape.Pixels + p] += (float)(mass / take);
            }
        }
        var original = Score(metric, batch);
        var lost = Score(metric, batch.WithAttributions(missing, batch.Explainer));
        var added = Score(metric, batch.WithAttributions(extra, batch.Explainer));
        var inverse = Score(metric, batch.WithAttributions(Inversion.InvertAll(InverseMethod.ValueSwap, batch.Attributions, n, d),
            batch.Explainer is null ? null : new InvertingReexplainer(batch.Explainer, InverseMethod.ValueSwap, d)));
        var poolMean = new double[n];
        Array.Fill(poolMean, double.NaN);
        if (!Reexplains(metric.Info))
        {
            var pool = new QualityGap(metric, new QgeOptions()).RankingScores(batch, options.Pool);
            for (int i = 0; i < n; i++)
            {
                double sum = 0;
                int c = 0;
                for (int r = 0; r < options.Pool; r++) { double v = pool[(long)r * n + i]; if (double.IsFinite(v)) { sum += v; c++; } }
                if (c > 0) poolMean[i] = sum / c;
            }
        }
        return (original, lost, added, inverse, poolMean);
    }

    /// <summary>
    /// The pass rates of the three tests from the per-sample scores of <see cref="Scores"/> (over any number of batches):
    /// "worse" is s·(Ψ(e′) − Ψ(e))/range &lt; −ε; the inverse test counts the samples whose Ψ(e) beats the pool mean
    /// (every sample with defined scores for metrics that re-explain, which have no pool).
    /// </summary>
    public static MetricSanityResult Summarise(string name, MetricAttribute info, double[] original, double[] lost, double[] added, double[] inverse, double[] poolMean, MetricSanityOptions options)
    {
        int n = original.Length;
        double sign = info.Direction == ScoreDirection.HigherIsBetter ? 1 : -1;
        double range = info.Maximum - info.Minimum;
        if (!double.IsFinite(range))
        {
            var defined = original.Where(double.IsFinite).ToArray();
            range = defined.Length > 1 ? defined.Max() - defined.Min() : double.NaN;
        }
        int samples = 0, missingWorse = 0, extraWorse = 0;
        for (int i = 0; i < n; i++)
        {
            if (!double.IsFinite(original[i])) continue;
            samples++;
            if (sign * (lost[i] - original[i]) / range < -options.Epsilon) missingWorse++;
            if (sign * (added[i] - original[i]) / range < -options.Epsilon) extraWorse++;
        }
        bool usesPool = !Reexplains(info);
        int eligible = 0, better = 0;
        for (int i = 0; i < n; i++)
        {
            if (!double.IsFinite(original[i]) || !double.IsFinite(inverse[i])) continue;
            if (usesPool && (!double.IsFinite(poolMean[i]) || sign * (original[i] - poolMean[i]) <= 0)) continue;
            eligible++;
            if (sign * (original[i] - inverse[i]) > 0) better++;
        }
        double Pct(int a, int b) => b == 0 ? double.NaN : 100.0 * a / b;
        return new MetricSanityResult(name, samples, Pct(missingWorse, samples), Pct(extraWorse, samples), eligible, Pct(better, eligible), options);
    }

    private static bool Reexplains(MetricAttribute info) => (info.Needs & (MetricNeeds.Reexplain | MetricNeeds.RandomisedModels)) != 0;

    private static double[] Score(IEvaluationMetric metric, EvaluationBatch batch)
    {
        var o = new MetricOutput(batch.Count, metric.Columns(batch.Shape, batch.Model), metric.CurveLength(batch.Shape));
        metric.Evaluate(batch, o);
        return [.. Enumerable.Range(0, batch.Count).Select(i => o[i])];
    }

    /// <summary>|∂f_y/∂x| summed over channels, N×H×W, from the run's gradient model.</summary>
    private static float[] GradientMagnitude(EvaluationBatch batch, string metric)
    {
        var model = (batch.ExplainModel ?? batch.Model) as IGradientModel
            ?? throw new InputDataException($"The extra-evidence test of '{metric}' needs the model's gradients (pixels the model does not use): run with a gradient back end (--backend torch).");
        var s = batch.Shape;
        var result = new float[(long)batch.Count * s.Pixels];
        StepBatcher.Gradients(model, batch.Count, r => batch.Targets[r], (r, x) => batch.Input((int)r).CopyTo(x), (r, g) =>
        {
            var o = result.AsSpan((int)r * s.Pixels, s.Pixels);
            for (int c = 0; c < s.Channels; c++)
                for (int p = 0; p < s.Pixels; p++) o[p] += Math.Abs(g[c * s.Pixels + p]);
        }, batch.Budget, Explainers.ExplainMath.GradientActivationValues(model));
        return result;
    }

    private static int[] LowestHalf(ReadOnlySpan<float> magnitude)
    {
        var order = Perturbation.AscendingOrder(magnitude);
        return order[..Math.Max(1, order.Length / 2)];
    }

    private static void Shuffle(int[] a, Random rng)
    {
        for (int i = a.Length - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (a[i], a[j]) = (a[j], a[i]);
        }
    }
}

/// <summary>
/// A metric scored for the sanity tests in the evaluation pipeline (the CLI's <c>evaluate-sanity</c>): per sample
/// <c>m</c> = Ψ(e), <c>m_missing</c>, <c>m_extra</c>, <c>m_inverse</c> and <c>m_pool_mean</c> (<see cref="MetricSanity.Scores"/>);
/// <see cref="MetricSanity.Summarise"/> turns the columns of all samples into the verdict.
/// </summary>
public sealed class SanityMetric(IEvaluationMetric inner, MetricSanityOptions options) : IEvaluationMetric
{
    /// <summary>The metric under test.</summary>
    public IEvaluationMetric Inner => inner;

    /// <summary>The test settings.</summary>
    public MetricSanityOptions Settings => options;

    /// <summary>The column suffixes after <c>m</c>, in order.</summary>
    public static IReadOnlyList<string> Suffixes { get; } = ["", "_missing", "_extra", "_inverse", "_pool_mean"];

    /// <inheritdoc/>
    public MetricAttribute Info => inner.Info;

    /// <inheritdoc/>
    public string Name => inner.Name;

    /// <inheritdoc/>
    public MetricOptions Options => inner.Options;

    /// <inheritdoc/>
    public bool UsesAbsolute => inner.UsesAbsolute;

    /// <inheritdoc/>
    public IReadOnlyList<string> Columns(EvaluationShape shape, IModel? model)
    {
        var c = inner.Columns(shape, model)[0];
        return [.. Suffixes.Select(s => c + s)];
    }

    /// <inheritdoc/>
    public int CurveLength(EvaluationShape shape) => 0;

    /// <inheritdoc/>
    public void Evaluate(EvaluationBatch batch, MetricOutput output)
    {
        var (o, m, x, inv, pool) = MetricSanity.Scores(inner, batch, options);
        for (int i = 0; i < batch.Count; i++)
        {
            output.Set(i, 0, o[i]);
            output.Set(i, 1, m[i]);
            output.Set(i, 2, x[i]);
            output.Set(i, 3, inv[i]);
            output.Set(i, 4, pool[i]);
        }
    }
}
