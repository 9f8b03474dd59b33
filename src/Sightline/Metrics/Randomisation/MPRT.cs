using Sightline.Evaluation;
using Sightline.Models;

namespace Sightline.Metrics.Randomisation;

/// <summary>Options of <see cref="MPRT"/> (Quantus <c>MPRT</c> / <c>ModelParameterRandomisation</c>).</summary>
public sealed record MPRTOptions : MetricOptions
{
    /// <summary>Quantus defaults: normalise by max, then |a|.</summary>
    public MPRTOptions() => Abs = true;

    /// <summary>The similarity of the original and the randomised explanation (Quantus <c>similarity_func</c>, default Spearman).</summary>
    public SimilarityFunc SimilarityFunc { get; init; } = SimilarityFunc.Spearman;

    /// <summary>Randomisation order (Quantus <c>layer_order</c>, default <c>top_down</c> cascading).</summary>
    public RandomisationOrder LayerOrder { get; init; } = RandomisationOrder.TopDown;

    /// <summary>Seed of the re-initialisation (Quantus <c>seed</c>, 42).</summary>
    public int Seed { get; init; } = 42;

    /// <summary>The summary column is the last step's similarity (the fully randomised model when cascading) instead of the mean over the layers (Quantus <c>return_last_correlation</c>).</summary>
    public bool ReturnLastCorrelation { get; init; }

    /// <summary>
    /// The summary column is the mean over the layers (Quantus <c>return_average_correlation</c>; on by default here,
    /// since the column needs a scalar, so off still gives the mean); <see cref="ReturnLastCorrelation"/> takes precedence
    /// (Quantus refuses both on; with the mean on by default that would refuse <c>return_last_correlation=true</c> alone).
    /// </summary>
    public bool ReturnAverageCorrelation { get; init; } = true;
}

/// <summary>
/// Model parameter randomisation test (Adebayo et al., "Sanity Checks for Saliency Maps", NeurIPS 2018; Quantus
/// <c>MPRT</c>). For each step k of <see cref="MPRTOptions.LayerOrder"/> over the explain model's parameterised layers
/// (<see cref="IRandomisableModel.ParameterLayers"/>; cascading top-down by default: step k re-initialises the last k
/// layers, see <see cref="IRandomisableModel.WithRandomisedLayers"/> for the draws), the samples are explained again on
/// the randomised copy and ρ_k = similarity(â, â_k), â the given attribution and â_k the re-explanation, both
/// normalised per sample and |·| (Quantus defaults). Columns: <c>mprt</c> = mean_k ρ_k (Quantus
/// <c>return_average_correlation</c>) or ρ_last (<see cref="MPRTOptions.ReturnLastCorrelation"/>); <c>mprt:original</c>
/// = similarity(â, explanation on the unchanged model) (Quantus's "original" entry: 1 for a deterministic method, a check
/// that the given map is the method's); <c>mprt:&lt;layer&gt;</c> = ρ_k per step, in randomisation order (the layer the
/// step adds). Lower is better: an explanation that depends on the parameters changes when they are randomised. Each
/// copy is built once per batch, explains all samples of the batch in one call and is disposed: (L + 1) explanations
/// per sample.
/// Differences from Quantus: the re-initialisation is N(0, σ²) of each tensor's own spread, not PyTorch's
/// <c>reset_parameters</c> (see <see cref="IRandomisableModel"/>); normalisation is per sample (spec §8 row 4); Quantus's
/// average skips a key named "orig" while its entry is named "original", so its mean includes the unrandomised
/// similarity: ours is over the randomised layers only. NaN: a constant map (correlation undefined) or a non-finite
/// explanation at some layer (the mean is then NaN; the reason names it).
/// </summary>
[Metric("mprt", MetricFamily.Randomisation, ScoreDirection.LowerIsBetter, Order = 1, Minimum = -1, Maximum = 1,
    Needs = MetricNeeds.Model | MetricNeeds.Reexplain | MetricNeeds.RandomisedModels, TakesAbsolute = true, Cost = "(L+1) E",
    Summary = "Similarity of the explanation to re-explanations of cascading parameter-randomised copies of the model, per layer and averaged.",
    Citation = "Adebayo et al., Sanity Checks for Saliency Maps, NeurIPS 2018")]
public sealed class MPRT(MPRTOptions options) : EvaluationMetric<MPRTOptions>(options)
{
    /// <summary>Quantus defaults.</summary>
    public MPRT() : this(new MPRTOptions()) { }

    /// <inheritdoc/>
    public override IReadOnlyList<string> Columns(EvaluationShape shape, IModel? model) => LayerTest.Columns(Name, model, Settings.LayerOrder);

    /// <inheritdoc/>
    public override void Evaluate(EvaluationBatch batch, MetricOutput output)
    {
        var explainer = batch.RequireExplainer(Name);
        var prep = Preprocessing;
        int n = batch.Count, size = batch.Shape.AttributionValues;
        var reference = batch.Prepared(prep);
        LayerTest.Run(batch, output, Name, Settings.LayerOrder, Settings.Seed, Settings.SimilarityFunc, Settings.ReturnLastCorrelation,
            reference, compareWithOriginal: false, model =>
            {
                var maps = RandomisationSupport.Explain(batch, explainer, model, batch.Inputs, n, batch.Targets);
                RandomisationSupport.Prepare(maps, n, size, prep);
                return maps;
            });
    }
}
