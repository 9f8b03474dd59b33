using Sightline.Evaluation;

namespace Sightline.Metrics.Faithfulness;

/// <summary>Options of <see cref="MonotonicityCorrelation"/> (Quantus <c>MonotonicityCorrelation</c>'s constructor arguments and defaults).</summary>
public sealed record MonotonicityCorrelationOptions : MetricOptions
{
    /// <summary>Takes |a| by default (Quantus <c>abs=True</c>).</summary>
    public MonotonicityCorrelationOptions() => Abs = true;

    /// <summary>Perturbed draws per chunk.</summary>
    public int NrSamples { get; init; } = 100;

    /// <summary>Features per chunk (channel-pixels after broadcasting the map to C×H×W); must divide d = C·H·W.</summary>
    public int FeaturesInStep { get; init; } = 1;

    /// <summary>Below this |f(x)| the variance is not divided by f(x)².</summary>
    public double Eps { get; init; } = 1e-5;

    /// <summary>What a chunk is replaced with in each draw (default uniform U(0, 1), a fresh draw per value and draw).</summary>
    public PerturbBaseline PerturbBaseline { get; init; } = PerturbBaseline.Uniform;

    /// <summary>The correlation (default Spearman).</summary>
    public SimilarityFunc SimilarityFunc { get; init; } = SimilarityFunc.Spearman;

    /// <summary>Read the target's softmax probability (true) or its logit.</summary>
    public bool Softmax { get; init; } = true;
}

/// <summary>
/// Monotonicity correlation (Nguyen and Martínez, "On Quantitative Aspects of Model Interpretability", arXiv:2007.07584,
/// 2020; Quantus <c>MonotonicityMetric</c>/<c>MonotonicityCorrelation</c>). The features of the normalised |a|, broadcast
/// to C×H×W (d = C·H·W), are ordered by ascending value (stable) and cut into d/fis chunks S_k of <c>fis</c> features.
/// For each chunk, <c>nr_samples</c> draws replace only that chunk of x by the baseline (non-cumulative; uniform noise is
/// drawn afresh per value and draw), and
/// <c>v_k = mean_s (f_y(x̃_{k,s}) − f_y(x))² · w</c> with <c>w = 1/f_y(x)²</c>, or 1 when |f_y(x)| &lt; eps.
/// The score is the correlation (Spearman by default) of (Σ_{S_k} a) and (v_k) over the chunks: features with more
/// attribution should change the output more. Higher is better.
/// <para>
/// Differences from Quantus: the draws come from a counter-based generator keyed by the sample's seeded stream
/// (<see cref="EvaluationBatch.RandomFor"/>; Quantus uses the global NumPy RNG, spec §8 row 13), so a score is the same
/// for any batch size; stable ties (§8 row 8); per-sample normalisation (§8 row 4); all draws of all samples share model
/// calls. f_y(x) comes from the batch's shared unperturbed logits.
/// </para>
/// Undefined: a map with NaN/∞ (<c>non-finite-map</c>), a non-finite output (<c>non-finite-output</c>), a constant
/// vector (<c>undefined-correlation</c>: e.g. a constant map with fis 1 is fine, but a constant v is not).
/// A score lies in [−1, 1].
/// </summary>
[Metric("monotonicity_correlation", MetricFamily.Faithfulness, ScoreDirection.HigherIsBetter, Order = 6, Minimum = -1, Maximum = 1,
    Needs = MetricNeeds.Model, TakesAbsolute = true, Cost = "1+nr_samples·⌈d/fis⌉",
    Summary = "Spearman correlation of chunk attribution and the output variance when the chunk is randomised",
    Citation = "Nguyen and Martínez, On quantitative aspects of model interpretability, arXiv 2020")]
public sealed class MonotonicityCorrelation(MonotonicityCorrelationOptions options) : EvaluationMetric<MonotonicityCorrelationOptions>(options)
{
    /// <summary>With default options.</summary>
    public MonotonicityCorrelation() : this(new MonotonicityCorrelationOptions()) { }

    /// <inheritdoc/>
    public override void Evaluate(EvaluationBatch batch, MetricOutput output)
    {
        var model = batch.RequireModel(Name);
        var s = batch.Shape;
        int fis = Settings.FeaturesInStep, chunks = PerturbationFeatures.Steps(Name, fis, s), draws = Settings.NrSamples;
        if (draws < 1) throw new InputDataException($"--param {Name}.nr_samples={draws}: must be at least 1.");
        var prepared = batch.Prepared(Preprocessing);
        var y0 = PerturbationChecks.Outputs(batch, Name, Settings.Softmax);
        var order = new int[batch.Count][];
        var features = new float[batch.Count][];
        var baseline = new BaselineValues[batch.Count];
        var rows = new int[batch.Count];
        for (int i = 0; i < batch.Count; i++)
        {
            var a = PerturbationFeatures.Of(batch, prepared, i);
            if (!Sightline.Numerics.Kernels.AllFinite(a)) { output.Set(i, Score.Undefined(Reasons.NonFiniteMap)); continue; }
            features[i] = a;
            order[i] = Perturbation.AscendingOrder(a);
            baseline[i] = BaselineValues.For(batch, i, Name, Settings.PerturbBaseline);
            rows[i] = chunks * draws;
        }
        var variance = new double[batch.Count * chunks];
        new PerturbationRows(rows).Run(model, batch.Budget,
            (i, r, x) =>
            {
                batch.Input(i).CopyTo(x);
                var o = order[i];
                int k = r / draws;
                for (int j = k * fis; j < (k + 1) * fis; j++) x[o[j]] = baseline[i].Value(r, o[j]);
            },
            (i, r, y) =>
            {
                double d = Perturbation.Output(y, batch.Targets[i], Settings.Softmax) - y0[i];
                variance[i * chunks + r / draws] += d * d;
            });
        var sums = new double[chunks];
        for (int i = 0; i < batch.Count; i++)
        {
            if (rows[i] == 0) continue;
            double w = Math.Abs(y0[i]) < Settings.Eps ? 1 : 1 / (y0[i] * y0[i]);
            var v = variance.AsSpan(i * chunks, chunks);
            bool finite = double.IsFinite(y0[i]);
            for (int k = 0; k < chunks; k++)
            {
                v[k] = v[k] / draws * w;
                finite &= double.IsFinite(v[k]);
                double sum = 0;
                for (int j = k * fis; j < (k + 1) * fis; j++) sum += features[i][order[i][j]];
                sums[k] = sum;
            }
            if (!finite) { output.Set(i, Score.Undefined(Reasons.NonFiniteOutput)); continue; }
            double rho = Similarity.Of(Settings.SimilarityFunc, sums, v);
            output.Set(i, double.IsNaN(rho) ? Score.Undefined(Reasons.UndefinedCorrelation) : new Score(rho));
        }
    }
}
