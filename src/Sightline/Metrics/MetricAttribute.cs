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
}
