using Sightline.Evaluation;
using Sightline.Models;

namespace Sightline.Metrics.Faithfulness;

/// <summary>Options of <see cref="FaithfulnessCorrelation"/> (Quantus's constructor arguments and defaults).</summary>
public sealed record FaithfulnessCorrelationOptions : MetricOptions
{
    /// <summary>Random subsets per sample (Quantus <c>nr_runs</c>, 100).</summary>
    public int NrRuns { get; init; } = 100;

    /// <summary>Features per subset (Quantus <c>subset_size</c>, 224): channel-pixels of the map broadcast to C×H×W.</summary>
    public int SubsetSize { get; init; } = 224;

    /// <summary>What replaces the subset (Quantus <c>perturb_baseline</c>, black = min(x)).</summary>
    public PerturbBaseline PerturbBaseline { get; init; } = PerturbBaseline.Black;

    /// <summary>The correlation (Quantus <c>similarity_func</c>, Pearson).</summary>
    public SimilarityFunc SimilarityFunc { get; init; } = SimilarityFunc.Pearson;

    /// <summary>Read softmax probabilities instead of logits (Quantus <c>softmax</c>, false).</summary>
    public bool Softmax { get; init; }
}

/// <summary>
/// Faithfulness correlation (Bhatt, Weller, Moura, "Evaluating and Aggregating Feature-based Model Explanations",
/// IJCAI 2020): for r = 1..nr_runs draw a random subset S_r of subset_size features (without replacement), replace them
/// by the baseline b and score
/// <c>ρ = corr_r( Σ_{j∈S_r} a_j , f(x) − f(x_{S_r←b}) )</c>, f = the target's logit (or softmax probability). A
/// feature is a channel-pixel of the map broadcast to C×H×W (d = C·H·W, as Quantus main counts them; spec §6).
/// Quantus defaults: nr_runs 100, subset_size 224, black (= min(x)), Pearson, normalise (by max), abs false, softmax
/// false. Differences from Quantus: normalisation per sample (§8 row 4); subsets drawn from the sample's own seeded
/// generator (<see cref="EvaluationBatch.RandomFor"/>; Quantus uses the global NumPy RNG, §8 row 13); all nr_runs
/// perturbations of all samples share model calls. NaN (<see cref="Reasons.UndefinedCorrelation"/>) when either series
/// is constant (e.g. a constant attribution map), <see cref="Reasons.NonFiniteInput"/> /
/// <see cref="Reasons.NonFiniteMap"/> for NaN/∞ in the sample. subset_size must be in [1, features], nr_runs ≥ 2.
/// </summary>
[Metric("faithfulness_correlation", MetricFamily.Faithfulness, ScoreDirection.HigherIsBetter, Order = 1, Minimum = -1, Maximum = 1,
    Needs = MetricNeeds.Model, Cost = "1+nr_runs (1+100)",
    Summary = "Correlation over random feature subsets between their attribution sum and the output drop when they are removed.",
    Citation = "Bhatt et al., IJCAI 2020")]
public sealed class FaithfulnessCorrelation(FaithfulnessCorrelationOptions options) : EvaluationMetric<FaithfulnessCorrelationOptions>(options)
{
    /// <inheritdoc/>
    public override void Evaluate(EvaluationBatch batch, MetricOutput output)
    {
        var model = batch.RequireModel(Name);
        var s = Settings;
        var shape = batch.Shape;
        int d = PerturbationFeatures.Count(shape), n = batch.Count, runs = s.NrRuns, k = s.SubsetSize;
        if (runs < 2) throw new InputDataException($"--param {Name}.nr_runs={runs}: at least 2 subsets are needed for a correlation.");
        if (k < 1 || k > d) throw new InputDataException($"--param {Name}.subset_size={k}: must be between 1 and the {d} features per sample (C·H·W, the map broadcast to the input).");
        var a = batch.Prepared(Preprocessing);
        var logits = batch.Logits(Name);
        int classes = model.OutputCount;

        var steps = new int[n];
        var baseline = new BaselineValues[n];
        var subsets = new int[n][];
        var sums = new double[n * runs];
        Parallel.For(0, n, i =>
        {
            var x = batch.Input(i);
            var ai = PerturbationFeatures.Of(batch, a, i);
            if (!Sightline.Numerics.Kernels.AllFinite(x)) { output.Set(i, Score.Undefined(Reasons.NonFiniteInput)); return; }
            if (!Sightline.Numerics.Kernels.AllFinite(ai)) { output.Set(i, Score.Undefined(Reasons.NonFiniteMap)); return; }
            steps[i] = runs;
            baseline[i] = BaselineValues.For(batch, i, Name, s.PerturbBaseline);
            var rng = batch.RandomFor(i, Name);
            var pool = new int[d];
            for (int j = 0; j < d; j++) pool[j] = j;
            var chosen = new int[runs * k];
            for (int r = 0; r < runs; r++)
            {
                // Partial Fisher–Yates: the first k of the pool are a uniform k-subset; the pool is left permuted, which
                // keeps every later draw uniform too.
                for (int j = 0; j < k; j++)
                {
                    int m = j + rng.Next(d - j);
                    (pool[j], pool[m]) = (pool[m], pool[j]);
                }
                pool.AsSpan(0, k).CopyTo(chosen.AsSpan(r * k, k));
                sums[i * runs + r] = PerturbationFeatures.Sum(ai, chosen.AsSpan(r * k, k));
            }
            subsets[i] = chosen;
        });

        var rows = new PerturbationRows(steps);
        var deltas = new double[n * runs];
        StepBatcher.Forward(model, rows.Total, (row, x) =>
        {
            var (i, r) = rows.Locate(row);
            batch.Input(i).CopyTo(x);
            PerturbationFeatures.Fill(x, subsets[i].AsSpan(r * k, k), baseline[i], r);
        }, (row, y) =>
        {
            var (i, r) = rows.Locate(row);
            deltas[i * runs + r] = Perturbation.Output(logits.AsSpan(i * classes, classes), batch.Targets[i], s.Softmax)
                - Perturbation.Output(y, batch.Targets[i], s.Softmax);
        }, batch.Budget);

        for (int i = 0; i < n; i++)
        {
            if (steps[i] == 0) continue;
            var dx = deltas.AsSpan(i * runs, runs);
            if (!Sightline.Numerics.Kernels.AllFinite(dx)) { output.Set(i, Score.Undefined(Reasons.NonFiniteOutput)); continue; }
            double rho = Similarity.Of(s.SimilarityFunc, sums.AsSpan(i * runs, runs), dx);
            output.Set(i, double.IsNaN(rho) ? Score.Undefined(Reasons.UndefinedCorrelation) : new Score(rho));
        }
    }
}
