using Sightline.Evaluation;

namespace Sightline.Metrics.Faithfulness;

/// <summary>Options of <see cref="Monotonicity"/> (Quantus <c>Monotonicity</c>'s constructor arguments and defaults).</summary>
public sealed record MonotonicityOptions : MetricOptions
{
    /// <summary>Takes |a| by default (Quantus <c>abs=True</c>).</summary>
    public MonotonicityOptions() => Abs = true;

    /// <summary>Features inserted per step (channel-pixels after broadcasting the map to C×H×W); must divide d = C·H·W.</summary>
    public int FeaturesInStep { get; init; } = 1;

    /// <summary>The all-baseline input the features are inserted into (default black = the sample's min(x)).</summary>
    public PerturbBaseline PerturbBaseline { get; init; } = PerturbBaseline.Black;

    /// <summary>Read the target's softmax probability (true) or its logit.</summary>
    public bool Softmax { get; init; } = true;
}

/// <summary>
/// Monotonicity (Arya et al., "One Explanation Does Not Fit All: A Toolkit and Taxonomy of AI Explainability
/// Techniques", arXiv:1909.03012, 2019; Quantus <c>Monotonicity</c>). Start from the all-baseline input x_b (every
/// value = the baseline of x); order the features of the normalised |a|, broadcast to C×H×W (d = C·H·W), by
/// ascending value (stable: ties by ascending flat index); insert x's values into x_b cumulatively, <c>fis</c> at a
/// time, and predict after each step: p_k = f_y(x̃_k), k = 1..d/fis (the last step is x itself). The score is
/// <c>1</c> when every Δp_k = p_{k+1} − p_k ≥ 0 (the output never falls as ever more relevant features are added),
/// else <c>0</c>.
/// <para>
/// Differences from Quantus: Quantus re-applies the baseline to the already-baselined array at each step (its "black"
/// is recomputed as the min of that array), so x is never inserted, every prediction is f(x_b) and it always returns
/// True (spec §8 row 1); here x's values are inserted. The baseline constant is computed from x. Stable ties (§8 row 8),
/// per-sample normalisation (§8 row 4), all samples' steps share model calls. features_in_step must divide d.
/// </para>
/// Undefined: a map with NaN/∞ (<c>non-finite-map</c>), a non-finite model output (<c>non-finite-output</c>).
/// A score is 0 or 1.
/// </summary>
[Metric("monotonicity", MetricFamily.Faithfulness, ScoreDirection.HigherIsBetter, Order = 5, Minimum = 0, Maximum = 1,
    Needs = MetricNeeds.Model, TakesAbsolute = true, Cost = "⌈d/fis⌉",
    Summary = "1 when the target output never falls as features are inserted into the baseline by ascending |a|",
    Citation = "Arya et al., One explanation does not fit all: a toolkit and taxonomy of AI explainability techniques, arXiv 2019")]
public sealed class Monotonicity(MonotonicityOptions options) : EvaluationMetric<MonotonicityOptions>(options)
{
    /// <summary>With default options.</summary>
    public Monotonicity() : this(new MonotonicityOptions()) { }

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
            order[i] = Perturbation.AscendingOrder(a);
            baseline[i] = BaselineValues.For(batch, i, Name, Settings.PerturbBaseline);
            rows[i] = steps;
        }
        var preds = new double[batch.Count * steps];
        new PerturbationRows(rows).Run(model, batch.Budget,
            (i, k, x) =>
            {
                var input = batch.Input(i);
                for (int j = 0; j < x.Length; j++) x[j] = baseline[i].Value(0, j);
                var o = order[i];
                int inserted = (k + 1) * fis;
                for (int j = 0; j < inserted; j++) x[o[j]] = input[o[j]];
            },
            (i, k, y) => preds[i * steps + k] = Perturbation.Output(y, batch.Targets[i], Settings.Softmax));
        for (int i = 0; i < batch.Count; i++)
        {
            if (rows[i] == 0) continue;
            var p = preds.AsSpan(i * steps, steps);
            bool finite = true, monotone = true;
            for (int k = 0; k < p.Length; k++)
            {
                if (!double.IsFinite(p[k])) { finite = false; break; }
                if (k > 0 && p[k] - p[k - 1] < 0) monotone = false;
            }
            output.Set(i, finite ? new Score(monotone ? 1 : 0) : Score.Undefined(Reasons.NonFiniteOutput));
        }
    }
}
