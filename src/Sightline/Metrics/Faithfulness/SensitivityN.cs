using Sightline.Evaluation;
using Sightline.Models;

namespace Sightline.Metrics.Faithfulness;

/// <summary>Options of <see cref="SensitivityN"/> (Quantus's constructor arguments and defaults).</summary>
public sealed record SensitivityNOptions : MetricOptions
{
    /// <summary>Features removed per step (Quantus <c>features_in_step</c>, 1); must divide d = C·H·W (the map broadcast to the input).</summary>
    public int FeaturesInStep { get; init; } = 1;

    /// <summary>The largest share of features removed (Quantus <c>n_max_percentage</c>, 0.8).</summary>
    public double NMaxPercentage { get; init; } = 0.8;

    /// <summary>What replaces removed features (Quantus <c>perturb_baseline</c>, black = min(x)).</summary>
    public PerturbBaseline PerturbBaseline { get; init; } = PerturbBaseline.Black;

    /// <summary>The correlation (Quantus <c>similarity_func</c>, Pearson).</summary>
    public SimilarityFunc SimilarityFunc { get; init; } = SimilarityFunc.Pearson;

    /// <summary>Read softmax probabilities instead of logits (Quantus <c>softmax</c>, true).</summary>
    public bool Softmax { get; init; } = true;

    /// <summary>
    /// Ancona et al.'s sampling instead of Quantus's ordered removal: step n removes a random subset of n·fis features
    /// (seeded per sample and step) from x alone (default false).
    /// </summary>
    public bool RandomSubsets { get; init; }
}

/// <summary>
/// Sensitivity-n (Ancona, Ceolini, Öztireli, Gross, "Towards Better Understanding of Gradient-based Attribution Methods
/// for Deep Neural Networks", ICLR 2018): removing a set S of n features should change the output by about the
/// attribution mass of S. Port (per sample): for n = 1..M, M = ⌊n_max_percentage·d / fis⌋ (d = attribution features),
/// x̃_n = x with the first n·fis features of the stable descending attribution order replaced by the baseline
/// (cumulative removal, as Quantus), and
/// <c>ρ = corr_n( Σ_{j∈S_n} a_j , f(x) − f(x̃_n) )</c>, S_n = every feature removed so far (Ancona's Σ over the removed
/// set). With <see cref="SensitivityNOptions.RandomSubsets"/>, S_n is a random n·fis-subset removed from x alone.
/// Differences from Quantus (§8 row 5): Quantus correlates ACROSS the samples of its first batch for each n (one value
/// per n, not per sample; it fails with batch size 1, issue #354) and pairs each Δf with the attribution of the last
/// chunk only; here each sample has its own correlation over n, so the score does not depend on the batch. Quantus
/// also predicts all ⌈d/fis⌉ steps and keeps M; only M are run here. Quantus defaults: fis 1, n_max 0.8, black, Pearson,
/// normalise, abs false, softmax true. NaN (<see cref="Reasons.UndefinedCorrelation"/>) when a series is constant or
/// M &lt; 2.
/// </summary>
[Metric("sensitivity_n", MetricFamily.Faithfulness, ScoreDirection.HigherIsBetter, Order = 11, Minimum = -1, Maximum = 1,
    Needs = MetricNeeds.Model, Cost = "1+⌊0.8·d/fis⌋",
    Summary = "Per-sample correlation over n between the attribution mass of the n removed features and the output drop.",
    Citation = "Ancona et al., ICLR 2018")]
public sealed class SensitivityN(SensitivityNOptions options) : EvaluationMetric<SensitivityNOptions>(options)
{
    /// <summary>The number of steps M for <paramref name="shape"/>.</summary>
    public int Steps(EvaluationShape shape)
    {
        int d = PerturbationFeatures.Count(shape);
        return (int)Math.Floor(Settings.NMaxPercentage * d / Settings.FeaturesInStep);
    }

    /// <inheritdoc/>
    public override void Evaluate(EvaluationBatch batch, MetricOutput output)
    {
        var model = batch.RequireModel(Name);
        var s = Settings;
        var shape = batch.Shape;
        int d = PerturbationFeatures.Count(shape), n = batch.Count, fis = s.FeaturesInStep;
        PerturbationFeatures.Steps(Name, fis, shape);
        if (!(s.NMaxPercentage > 0 && s.NMaxPercentage <= 1))
            throw new InputDataException($"--param {Name}.n_max_percentage={s.NMaxPercentage}: must be in (0, 1].");
        int m = Steps(shape);
        var a = batch.Prepared(Preprocessing);
        var logits = batch.Logits(Name);
        int classes = model.OutputCount;

        var steps = new int[n];
        var baseline = new BaselineValues[n];
        var orders = new int[n][];
        var features = new float[n][];
        var sums = new double[n * Math.Max(m, 0)];
        Parallel.For(0, n, i =>
        {
            var x = batch.Input(i);
            var ai = PerturbationFeatures.Of(batch, a, i);
            features[i] = ai;
            if (!Sightline.Numerics.Kernels.AllFinite(x)) { output.Set(i, Score.Undefined(Reasons.NonFiniteInput)); return; }
            if (!Sightline.Numerics.Kernels.AllFinite(ai)) { output.Set(i, Score.Undefined(Reasons.NonFiniteMap)); return; }
            if (m < 2) { output.Set(i, Score.Undefined(Reasons.UndefinedCorrelation)); return; }
            steps[i] = m;
            baseline[i] = BaselineValues.For(batch, i, Name, s.PerturbBaseline);
            if (s.RandomSubsets) return; // drawn per row
            var order = Perturbation.DescendingOrder(ai);
            double total = 0;
            for (int k = 0; k < m; k++)
            {
                total += PerturbationFeatures.Sum(ai, order.AsSpan(k * fis, fis));
                sums[i * m + k] = total;
            }
            orders[i] = order;
        });

        var rows = new PerturbationRows(steps);
        var deltas = new double[n * Math.Max(m, 0)];
        StepBatcher.Forward(model, rows.Total, (row, x) =>
        {
            var (i, k) = rows.Locate(row);
            batch.Input(i).CopyTo(x);
            int size = (k + 1) * fis;
            if (!s.RandomSubsets)
            {
                PerturbationFeatures.Fill(x, orders[i].AsSpan(0, size), baseline[i], k);
                return;
            }
            var subset = RandomSubset(batch, i, k, d, size);
            sums[i * m + k] = PerturbationFeatures.Sum(features[i], subset);
            PerturbationFeatures.Fill(x, subset, baseline[i], k);
        }, (row, y) =>
        {
            var (i, k) = rows.Locate(row);
            deltas[i * m + k] = Perturbation.Output(logits.AsSpan(i * classes, classes), batch.Targets[i], s.Softmax)
                - Perturbation.Output(y, batch.Targets[i], s.Softmax);
        }, batch.Budget);

        for (int i = 0; i < n; i++)
        {
            if (steps[i] == 0) continue;
            var dx = deltas.AsSpan(i * m, m);
            if (!Sightline.Numerics.Kernels.AllFinite(dx)) { output.Set(i, Score.Undefined(Reasons.NonFiniteOutput)); continue; }
            double rho = Similarity.Of(s.SimilarityFunc, sums.AsSpan(i * m, m), dx);
            output.Set(i, double.IsNaN(rho) ? Score.Undefined(Reasons.UndefinedCorrelation) : new Score(rho));
        }
    }

    private int[] RandomSubset(EvaluationBatch batch, int i, int step, int d, int size)
    {
        var rng = new Random(EvaluationBatch.SeedFor(batch.Seed, Name + "/subset/" + step.ToString(System.Globalization.CultureInfo.InvariantCulture), batch.FirstIndex + i));
        var pool = new int[d];
        for (int j = 0; j < d; j++) pool[j] = j;
        for (int j = 0; j < size; j++)
        {
            int r = j + rng.Next(d - j);
            (pool[j], pool[r]) = (pool[r], pool[j]);
        }
        return pool[..size];
    }
}
