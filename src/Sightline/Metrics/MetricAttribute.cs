namespace Sightline.Metrics;

/// <summary>The family a metric belongs to (the folder it lives in), after Quantus' taxonomy.</summary>
public enum MetricFamily
{
    /// <summary>Compares an explanation with a ground-truth region.</summary>
    Localisation,
    /// <summary>Checks an explanation against the model's response to perturbations.</summary>
    Faithfulness,
    /// <summary>Stability of an explanation under small input changes.</summary>
    Robustness,
    /// <summary>How concise an explanation is.</summary>
    Complexity,
    /// <summary>Sensitivity of an explanation to model or label randomisation.</summary>
    Randomisation,
    /// <summary>Axioms such as completeness.</summary>
    Axiomatic,
    /// <summary>Metrics about metrics (QGE).</summary>
    Meta,
    /// <summary>Neuron (concept) explanation metrics.</summary>
    Neuron,
}

/// <summary>Which way a score improves.</summary>
public enum ScoreDirection
{
    /// <summary>A larger value is a better explanation.</summary>
    HigherIsBetter,
    /// <summary>A smaller value is a better explanation.</summary>
    LowerIsBetter,
}

/// <summary>What a metric needs beyond an attribution map (the catalogue's "needs" column; the pipeline checks it before a run).</summary>
[Flags]
public enum MetricNeeds
{
    /// <summary>Only the attribution map (complexity metrics).</summary>
    None = 0,
    /// <summary>Forward passes of the model (perturbation metrics).</summary>
    Model = 1,
    /// <summary>Gradients of the model (a gradient back end).</summary>
    Gradients = 2,
    /// <summary>A ground-truth mask per sample (localisation metrics).</summary>
    Masks = 4,
    /// <summary>Re-explaining perturbed inputs or other targets with the run's method (robustness, randomisation).</summary>
    Reexplain = 8,
    /// <summary>Copies of the model with randomised parameters (<see cref="Models.IRandomisableModel"/>).</summary>
    RandomisedModels = 16,
    /// <summary>A layer's activations (<see cref="Models.IActivationModel"/>).</summary>
    Activations = 32,
    /// <summary>Inputs beyond a map and a mask (labels, predictions, quadrants): not part of a default <c>align</c> set.</summary>
    ExtraInputs = 64,
    /// <summary>A whole batch of samples at once: a sample's score depends on the others (Sufficiency, Consistency).</summary>
    WholeBatch = 128,
}

/// <summary>
/// Declares a metric class: its stable snake_case name (used by the CLI, result columns and reports),
/// its family, its score direction, its bounds and the paper it comes from. The metric registry is built from
/// these attributes, so the catalogue cannot drift from the classes.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class MetricAttribute(string name, MetricFamily family, ScoreDirection direction) : Attribute
{
    /// <summary>Stable snake_case name.</summary>
    public string Name { get; } = name;

    /// <summary>Metric family.</summary>
    public MetricFamily Family { get; } = family;

    /// <summary>Score direction.</summary>
    public ScoreDirection Direction { get; } = direction;

    /// <summary>Smallest value a defined score can take.</summary>
    public double Minimum { get; init; } = 0;

    /// <summary>Largest value a defined score can take.</summary>
    public double Maximum { get; init; } = 1;

    /// <summary>One-line description for listings and <c>--help</c>.</summary>
    public string Summary { get; init; } = "";

    /// <summary>The paper (short citation) the definition comes from.</summary>
    public string Citation { get; init; } = "";

    /// <summary>True when the metric needs inputs beyond a map and a mask (labels, predictions, quadrants),
    /// so it is not part of the default <c>align</c> set.</summary>
    public bool NeedsExtraInputs { get; init; }

    /// <summary>What the metric needs (model, gradients, masks, re-explanation, randomised models, ...).</summary>
    public MetricNeeds Needs { get; init; }

    /// <summary>
    /// Position within the family in listings, result columns and reports (ascending; ties by name). The catalogue is
    /// ordered by family, then this, so there is no hand-kept list of names to drift from the classes.
    /// </summary>
    public int Order { get; init; }

    /// <summary>
    /// True when the metric's defaults take |a| (Quantus <c>abs=True</c>). Then the sign of an attribution carries no
    /// information for it, and QGE's sign-flip inverse is meaningless; the instance's options have the final say
    /// (<c>IEvaluationMetric.UsesAbsolute</c>).
    /// </summary>
    public bool TakesAbsolute { get; init; }

    /// <summary>True when the metric's per-sample result is a curve (pixel flipping, region perturbation, selectivity, ROAD);
    /// its scalar column is the curve's mean.</summary>
    public bool Curve { get; init; }

    /// <summary>Rough model cost in forward rows per sample, as the catalogue table states it (e.g. <c>1+⌈d/fis⌉</c>).</summary>
    public string Cost { get; init; } = "";
}
