namespace Sightline.Neurons.Sanity;

/// <summary>One row of the paper's pass/fail table (Decrease%, main results figure).</summary>
/// <param name="Metric">Metric name (the CLI name; the T&amp;R rows use the continuous variants for Exp and the binary ones for Theo).</param>
/// <param name="MissingExperimental">Missing labels, experimental test.</param>
/// <param name="MissingTheoretical">Missing labels, theoretical test.</param>
/// <param name="ExtraExperimental">Extra labels, experimental test.</param>
/// <param name="ExtraTheoretical">Extra labels, theoretical test.</param>
public sealed record PaperRow(string Metric, double MissingExperimental, double MissingTheoretical, double ExtraExperimental, double ExtraTheoretical)
{
    /// <summary>The paper's verdict: all four Decrease% ≥ 90 (threshold inferred from the figure's colouring).</summary>
    public bool Pass => TheoreticalPass && ExperimentalPass;

    /// <summary>Both theoretical columns ≥ 90: the part of the verdict that <see cref="SanityTests.Theoretical"/> reproduces.</summary>
    public bool TheoreticalPass => MissingTheoretical >= 90 && ExtraTheoretical >= 90;

    /// <summary>Both experimental columns ≥ 90 (real models and data, spec §9; not reproducible without them).</summary>
    public bool ExperimentalPass => MissingExperimental >= 90 && ExtraExperimental >= 90;
}

/// <summary>
/// The published sanity-test table of Oikarinen, Yan, Weng, "Evaluating Neuron Explanations", ICML 2025 (main results figure;
/// spec §8). Only correlation, cosine, auprc, f1 and iou pass.
/// </summary>
public static class PaperResults
{
    /// <summary>
    /// The paper's row for a metric name, or null when the paper's main table has none (the harmonic-mean combinations). The
    /// theoretical test uses the binary top-and-random variants, so <c>correlation_top_random_binary</c> maps to the
    /// <c>correlation_top_random</c> row (whose theoretical columns come from the binary variant with the reference's quirk).
    /// </summary>
    public static PaperRow? Find(string metric)
    {
        var name = metric.EndsWith("_top_random_binary", StringComparison.Ordinal) ? metric[..^"_binary".Length] : metric;
        return Table.FirstOrDefault(r => r.Metric == name);
    }

    /// <summary>The 18 rows in the paper's order.</summary>
    public static IReadOnlyList<PaperRow> Table { get; } =
    [
        new("recall", 98.66, 100, 0, 0),
        new("precision", 45.73, 0, 99.81, 100),
        new("f1", 93.68, 100, 99.82, 100),
        new("iou", 93.62, 100, 99.81, 100),
        new("accuracy", 23.79, 60, 70.37, 69.68),
        new("balanced_accuracy", 98.65, 100, 53.67, 60),
        new("inverse_balanced_accuracy", 64.18, 60, 99.50, 100),
        new("auc", 94.96, 100, 59.18, 60),
        new("inverse_auc", 52.81, 60, 99.99, 100),
        new("correlation", 99.41, 100, 99.92, 100),
        new("correlation_top_random", 87.83, 100, 60.26, 43.64),
        new("spearman", 64.05, 67.20, 49.21, 44.08),
        new("spearman_top_random", 80.04, 100, 59.81, 19.68),
        new("cosine", 99.45, 100, 99.26, 100),
        new("wpmi", 95.89, 100, 58.84, 100),
        new("mad", 59.81, 60, 99.34, 100),
        new("auprc", 95.61, 100, 99.46, 100),
        new("inverse_auprc", 99.15, 100, 95.58, 89.54),
    ];
}
