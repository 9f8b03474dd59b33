using Sightline.Evaluation;
using Sightline.Models;

namespace Sightline.Metrics.Faithfulness;

/// <summary>Options of <see cref="FaithfulnessEstimate"/> (Quantus's constructor arguments and defaults).</summary>
public sealed record FaithfulnessEstimateOptions : MetricOptions
{
    /// <summary>Features per chunk (Quantus <c>features_in_step</c>, 1); must divide the map's feature count.</summary>
    public int FeaturesInStep { get; init; } = 1;

    /// <summary>What replaces a chunk (Quantus <c>perturb_baseline</c>, black = min(x)).</summary>
    public PerturbBaseline PerturbBaseline { get; init; } = PerturbBaseline.Black;

    /// <summary>The correlation (Quantus <c>similarity_func</c>, Pearson).</summary>
    public SimilarityFunc SimilarityFunc { get; init; } = SimilarityFunc.Pearson;

    /// <summary>Read softmax probabilities instead of logits (Quantus <c>softmax</c>, false).</summary>
    public bool Softmax { get; init; }
}

/// <summary>
/// Faithfulness estimate (Alvarez-Melis, Jaakkola, "Towards Robust Interpretability with Self-Explaining Neural
/// Networks", NeurIPS 2018): order the features by descending attribution (stable: ties by ascending index, §8 row 8),
/// cut the order into chunks C_k of features_in_step features and score
/// <c>ρ = corr_k( Σ_{j∈C_k} a_j , f(x) − f(x with only C_k ← b) )</c>: each chunk is removed ALONE from x (not
/// cumulatively). A feature is a channel-pixel of the map broadcast to C×H×W (d = C·H·W; spec §6). Quantus defaults: fis 1, black (min(x)),
/// Pearson, normalise, abs false, softmax false. Differences from Quantus: per-sample normalisation (§8 row 4), stable
/// order (§8 row 8), all chunks of all samples share model calls. features_in_step must divide the feature count (as
/// Quantus asserts). NaN (<see cref="Reasons.UndefinedCorrelation"/>) when a series is constant.
/// </summary>
[Metric("faithfulness_estimate", MetricFamily.Faithfulness, ScoreDirection.HigherIsBetter, Order = 2, Minimum = -1, Maximum = 1,
    Needs = MetricNeeds.Model, Cost = "1+⌈d/fis⌉",
    Summary = "Correlation over chunks of features between their attribution sum and the output drop when each is removed alone.",
    Citation = "Alvarez-Melis & Jaakkola, NeurIPS 2018")]
public sealed class FaithfulnessEstimate(FaithfulnessEstimateOptions options) : EvaluationMetric<FaithfulnessEstimateOptions>(options)
{
    /// <inheritdoc/>
    public override void Evaluate(EvaluationBatch batch, MetricOutput output)
    {
        var model = batch.RequireModel(Name);
        var s = Settings;
        var shape = batch.Shape;
        int d = PerturbationFeatures.Count(shape), n = batch.Count, fis = s.FeaturesInStep;
        int chunks = PerturbationFeatures.Steps(Name, fis, shape);
        var a = batch.Prepared(Preprocessing);
        var logits = batch.Logits(Name);
        int classes = model.OutputCount;

        var steps = new int[n];
        var baseline = new BaselineValues[n];
        var orders = new int[n][];
        var sums = new double[n * chunks];
        Parallel.For(0, n, i =>
        {
            var x = batch.Input(i);
            var ai = PerturbationFeatures.Of(batch, a, i);
            if (!Sightline.Numerics.Kernels.AllFinite(x)) { output.Set(i, Score.Undefined(Reasons.NonFiniteInput)); return; }
            if (!Sightline.Numerics.Kernels.AllFinite(ai)) { output.Set(i, Score.Undefined(Reasons.NonFiniteMap)); return; }
            steps[i] = chunks;
            baseline[i] = BaselineValues.For(batch, i, Name, s.PerturbBaseline);
            var order = Perturbation.DescendingOrder(ai);
            for (int c = 0; c < chunks; c++) sums[i * chunks + c] = PerturbationFeatures.Sum(ai, order.AsSpan(c * fis, fis));
            orders[i] = order;
        });

        var rows = new PerturbationRows(steps);
        var deltas = new double[n * chunks];
        StepBatcher.Forward(model, rows.Total, (row, x) =>
        {
            var (i, c) = rows.Locate(row);
            batch.Input(i).CopyTo(x);
            PerturbationFeatures.Fill(x, orders[i].AsSpan(c * fis, fis), baseline[i], c);
        }, (row, y) =>
        {
            var (i, c) = rows.Locate(row);
            deltas[i * chunks + c] = Perturbation.Output(logits.AsSpan(i * classes, classes), batch.Targets[i], s.Softmax)
                - Perturbation.Output(y, batch.Targets[i], s.Softmax);
        }, batch.Budget);

        for (int i = 0; i < n; i++)
        {
            if (steps[i] == 0) continue;
            var dx = deltas.AsSpan(i * chunks, chunks);
            if (!Sightline.Numerics.Kernels.AllFinite(dx)) { output.Set(i, Score.Undefined(Reasons.NonFiniteOutput)); continue; }
            double rho = Similarity.Of(s.SimilarityFunc, sums.AsSpan(i * chunks, chunks), dx);
            output.Set(i, double.IsNaN(rho) ? Score.Undefined(Reasons.UndefinedCorrelation) : new Score(rho));
        }
    }
}
