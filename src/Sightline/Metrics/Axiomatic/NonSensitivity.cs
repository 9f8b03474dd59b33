using Sightline.Evaluation;
using Sightline.Metrics.Faithfulness;

namespace Sightline.Metrics.Axiomatic;

/// <summary>Options of <see cref="NonSensitivity"/> (Quantus <c>NonSensitivity</c>'s constructor arguments and defaults).</summary>
public sealed record NonSensitivityOptions : MetricOptions
{
    /// <summary>Takes |a| by default (Quantus <c>abs=True</c>).</summary>
    public NonSensitivityOptions() => Abs = true;

    /// <summary>Threshold below which an attribution counts as zero and an output change as none.</summary>
    public double Eps { get; init; } = 1e-5;

    /// <summary>Features removed together (channel-pixels after broadcasting the map to C×H×W); must divide d = C·H·W.</summary>
    public int FeaturesInStep { get; init; } = 1;

    /// <summary>What removed features are replaced with (default black = the sample's min(x)).</summary>
    public PerturbBaseline PerturbBaseline { get; init; } = PerturbBaseline.Black;

    /// <summary>Read the target's softmax probability (true) or its logit.</summary>
    public bool Softmax { get; init; } = true;
}

/// <summary>
/// Non-sensitivity (Nguyen and Martínez, "On Quantitative Aspects of Model Interpretability", arXiv:2007.07584, 2020;
/// Quantus <c>NonSensitivity</c> after its rewrite, #369). The normalised |a| is broadcast to C×H×W (d = C·H·W) and split
/// into non-features (|a_j| &lt; eps; Quantus tests a_j &lt; eps, the same under its default abs=True) and features; as Quantus does, the non-features in flat-index order are cut into chunks
/// of <c>fis</c>, then the features likewise (a chunk never mixes the groups; ⌈n_nf/fis⌉ + ⌈n_f/fis⌉ chunks). Each chunk
/// alone is replaced by the baseline and <c>Δ_k = |f_y(x) − f_y(x̃_k)|</c>. The score is the number of features j where
/// <c>[|a_j| &lt; eps] XOR [Δ_{k(j)} &lt; eps]</c>: features the map calls irrelevant though the model reacts to them, or
/// relevant though it does not. Lower is better; 0 ≤ score ≤ d.
/// <para>
/// Differences from Quantus: Quantus predicts the whole batch for each single-sample perturbation (O(B²·d) rows, spec
/// §8 row 14); here each sample's rows are predicted once, all samples' rows sharing model calls;
/// per-sample normalisation (§8 row 4); a uniform baseline is drawn from the sample's seeded stream.
/// </para>
/// Undefined: a map with NaN/∞ (<c>non-finite-map</c>), a non-finite output (<c>non-finite-output</c>).
/// </summary>
[Metric("non_sensitivity", MetricFamily.Axiomatic, ScoreDirection.LowerIsBetter, Order = 2, Minimum = 0, Maximum = double.PositiveInfinity,
    Needs = MetricNeeds.Model, TakesAbsolute = true, Cost = "1+⌈d/fis⌉(+1)",
    Summary = "Number of features whose zero attribution disagrees with the model's sensitivity to removing them",
    Citation = "Nguyen and Martínez, On quantitative aspects of model interpretability, arXiv 2020")]
public sealed class NonSensitivity(NonSensitivityOptions options) : EvaluationMetric<NonSensitivityOptions>(options)
{
    /// <summary>With default options.</summary>
    public NonSensitivity() : this(new NonSensitivityOptions()) { }

    /// <inheritdoc/>
    public override void Evaluate(EvaluationBatch batch, MetricOutput output)
    {
        var model = batch.RequireModel(Name);
        var s = batch.Shape;
        int fis = Settings.FeaturesInStep, chunks = PerturbationFeatures.Steps(Name, fis, s);
        var prepared = batch.Prepared(Preprocessing);
        var y0 = PerturbationChecks.Outputs(batch, Name, Settings.Softmax);
        double eps = Settings.Eps;
        var order = new int[batch.Count][];
        var chunkStart = new int[batch.Count][]; // chunk k of sample i covers order[i][chunkStart[i][k] .. chunkStart[i][k + 1])
        var nonFeature = new bool[batch.Count][];
        var baseline = new BaselineValues[batch.Count];
        var rows = new int[batch.Count];
        for (int i = 0; i < batch.Count; i++)
        {
            var a = PerturbationFeatures.Of(batch, prepared, i);
            if (!Sightline.Numerics.Kernels.AllFinite(a)) { output.Set(i, Score.Undefined(Reasons.NonFiniteMap)); continue; }
            var nf = new bool[a.Length];
            for (int j = 0; j < a.Length; j++) nf[j] = Math.Abs(a[j]) < eps;
            nonFeature[i] = nf;
            // Quantus: the non-features (a < eps) in index order, fis at a time, then the features likewise: a chunk
            // never mixes the two groups, so the last chunk of each group may be shorter.
            var o = new int[a.Length];
            var starts = new List<int>(chunks + 2);
            int n = 0;
            foreach (bool group in (ReadOnlySpan<bool>)[true, false])
            {
                int first = n;
                for (int j = 0; j < a.Length; j++) if (nf[j] == group) o[n++] = j;
                for (int q = first; q < n; q += fis) starts.Add(q);
            }
            starts.Add(n);
            order[i] = o;
            chunkStart[i] = [.. starts];
            baseline[i] = BaselineValues.For(batch, i, Name, Settings.PerturbBaseline);
            rows[i] = starts.Count - 1;
        }
        var delta = new double[batch.Count][];
        for (int i = 0; i < batch.Count; i++) delta[i] = new double[rows[i]];
        new PerturbationRows(rows).Run(model, batch.Budget,
            (i, k, x) =>
            {
                batch.Input(i).CopyTo(x);
                var o = order[i];
                for (int j = chunkStart[i][k]; j < chunkStart[i][k + 1]; j++) x[o[j]] = baseline[i].Value(0, o[j]);
            },
            (i, k, y) => delta[i][k] = Math.Abs(y0[i] - Perturbation.Output(y, batch.Targets[i], Settings.Softmax)));
        for (int i = 0; i < batch.Count; i++)
        {
            if (rows[i] == 0) continue;
            int count = 0;
            bool finite = true;
            for (int k = 0; k < rows[i]; k++)
            {
                double dk = delta[i][k];
                if (!double.IsFinite(dk)) { finite = false; break; }
                bool insensitive = dk < eps;
                for (int j = chunkStart[i][k]; j < chunkStart[i][k + 1]; j++)
                    if (nonFeature[i][order[i][j]] != insensitive) count++;
            }
            output.Set(i, finite ? new Score(count) : Score.Undefined(Reasons.NonFiniteOutput));
        }
    }
}
