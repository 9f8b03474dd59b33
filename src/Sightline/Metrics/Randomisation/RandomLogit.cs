using Sightline.Evaluation;

namespace Sightline.Metrics.Randomisation;

/// <summary>Options of <see cref="RandomLogit"/> (Quantus <c>RandomLogit</c>).</summary>
public sealed record RandomLogitOptions : MetricOptions
{
    /// <summary>
    /// Classes the off-target y' is drawn from (Quantus <c>num_classes</c>). 0 (default) = the model's outputs; Quantus
    /// defaults to 1000, which must be set by hand for other data (on 10-class data it draws classes that do not exist).
    /// </summary>
    public int NumClasses { get; init; }
}

/// <summary>
/// Random logit test (Sixt, Granz and Landgraf, "When Explanations Lie: Why Many Modified BP Attributions Fail", ICML
/// 2020; Quantus <c>RandomLogit</c>): SSIM(â_y, â_y'), the structural similarity of the given attribution for the target
/// y and the method's explanation of the same input for a class y' drawn uniformly from the other K − 1 classes, both
/// normalised per sample (by max, Quantus default) and flattened. A method that explains the class, not just the input,
/// gives dissimilar maps: lower is better. SSIM is skimage's <c>structural_similarity</c> on the flattened maps as
/// Quantus's <c>ssim</c> calls it (a 1-D uniform window of 7 values, sample covariance, K1 = 0.01, K2 = 0.03, data range
/// = max − min over both maps; see <see cref="RandomisationSupport.Ssim"/>). y' comes from the per-sample generator
/// <see cref="EvaluationBatch.RandomFor"/> (run seed, metric, sample index): Quantus reseeds NumPy's global RNG with 42 for
/// every sample, so every sample of a class gets the same y' (spec §8 row 13). K is the model's output count unless
/// <see cref="RandomLogitOptions.NumClasses"/> is set. All samples are re-explained in one call (1 explanation per sample).
/// NaN: fewer than 7 values, both maps one constant (data range 0), a non-finite map.
/// </summary>
[Metric("random_logit", MetricFamily.Randomisation, ScoreDirection.LowerIsBetter, Order = 4, Minimum = -1, Maximum = 1,
    Needs = MetricNeeds.Model | MetricNeeds.Reexplain, Cost = "1 E",
    Summary = "SSIM between the explanation of the target and of a random other class.",
    Citation = "Sixt et al., When Explanations Lie: Why Many Modified BP Attributions Fail, ICML 2020")]
public sealed class RandomLogit(RandomLogitOptions options) : EvaluationMetric<RandomLogitOptions>(options)
{
    /// <summary>Quantus defaults (with K from the model).</summary>
    public RandomLogit() : this(new RandomLogitOptions()) { }

    /// <inheritdoc/>
    public override void Evaluate(EvaluationBatch batch, MetricOutput output)
    {
        var explainer = batch.RequireExplainer(Name);
        var model = batch.ExplainModel ?? batch.RequireModel(Name);
        int k = Settings.NumClasses == 0 ? model.OutputCount : Settings.NumClasses;
        if (k < 2 || k > model.OutputCount)
            throw new InputDataException($"--param {Name}.num_classes={Settings.NumClasses}: between 2 and the model's {model.OutputCount} outputs is needed (0 = all of them).");
        int n = batch.Count, size = batch.Shape.AttributionValues;
        var off = new int[n];
        for (int i = 0; i < n; i++) off[i] = OffTarget(batch.RandomFor(i, Name), batch.Targets[i], k);
        var prep = Preprocessing;
        var reference = batch.Prepared(prep);
        var maps = RandomisationSupport.Explain(batch, explainer, model, batch.Inputs, n, off);
        RandomisationSupport.Prepare(maps, n, size, prep);
        for (int i = 0; i < n; i++)
            output.Set(i, RandomisationSupport.Ssim(reference.AsSpan(i * size, size), maps.AsSpan(i * size, size)));
    }

    /// <summary>A class drawn uniformly from [0, <paramref name="classes"/>) without <paramref name="target"/>.</summary>
    internal static int OffTarget(Random rng, int target, int classes)
    {
        if (target < 0 || target >= classes) return rng.Next(classes);
        int y = rng.Next(classes - 1);
        return y >= target ? y + 1 : y;
    }
}
