namespace Sightline.Reports;

/// <summary>
/// What a group of scores is: the model, explanation method and mask it was computed with (each optional), and a
/// display name. Charts colour by <see cref="Series"/> (the model) and draw one panel per <see cref="Context"/>
/// (method and mask), so the same model keeps its colour across panels.
/// </summary>
/// <param name="Name">Display name, e.g. <c>clean/gradcam/object</c> or a file name.</param>
/// <param name="Model">Model, when known.</param>
/// <param name="Method">Explanation method, when known.</param>
/// <param name="Mask">Mask kind (e.g. <c>object</c>, <c>square</c>), when known.</param>
public sealed record GroupKey(string Name, string? Model = null, string? Method = null, string? Mask = null)
{
    /// <summary>What the colour stands for: the model when known, otherwise the whole name.</summary>
    public string Series => Model ?? Name;

    /// <summary>The panel a group is drawn in: method and mask joined by <c>/</c>, or empty when the model is unknown.</summary>
    public string Context => Model is null ? "" : string.Join("/", new[] { Method, Mask }.Where(s => !string.IsNullOrEmpty(s)));
}

/// <summary>One metric's aggregate in a summary file (the schema of <c>AlignmentSummary.WriteJson</c>).</summary>
/// <param name="Metric">Metric name.</param>
/// <param name="Mean">Mean over defined scores (NaN when none).</param>
/// <param name="Std">Standard deviation.</param>
/// <param name="N">Defined scores.</param>
/// <param name="NanCount">Undefined (NaN) scores.</param>
/// <param name="Median">Median.</param>
/// <param name="CiLow">Lower end of the bootstrap 95% CI of the mean (NaN when absent).</param>
/// <param name="CiHigh">Upper end of the 95% CI.</param>
/// <param name="Direction"><c>higher_is_better</c>, <c>lower_is_better</c>, or null when unknown.</param>
public sealed record MetricStats(string Metric, double Mean, double Std, int N, int NanCount, double Median, double CiLow, double CiHigh, string? Direction);

/// <summary>A summary JSON file: a top-level <c>metrics</c> object, optionally <c>per_class</c>, <c>semscore</c>,
/// <c>si_case_counts</c> and <c>settings</c>.</summary>
/// <param name="Path">The file.</param>
/// <param name="Key">Its group (top-level or <c>settings.group</c>, else the file name).</param>
/// <param name="Metrics">Per-metric aggregates in file order.</param>
/// <param name="PerClass">Metric → class → aggregate, when present.</param>
/// <param name="SemScore">SemScore's levels as name → formatted value, when present.</param>
/// <param name="Cases">Shared Interest case counts, when present.</param>
/// <param name="Settings">Recorded settings (string values).</param>
/// <param name="Samples">The <c>samples</c> count, when present.</param>
/// <param name="ClassNames">Top-level <c>class_names</c> (index = class id), when present: labels of the per-class table.</param>
public sealed record SummaryFile(
    string Path, GroupKey Key, IReadOnlyList<MetricStats> Metrics,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, MetricStats>>? PerClass,
    IReadOnlyDictionary<string, string>? SemScore, IReadOnlyDictionary<string, int>? Cases,
    IReadOnlyDictionary<string, string> Settings, int? Samples, IReadOnlyList<string>? ClassNames = null)
{
    /// <summary>The mask's role from <c>settings.mask_role</c>: <c>object</c> (attention wanted) or <c>spurious</c> (a planted
    /// cue: attention there is the shortcut, so every metric's direction is reversed); null when not recorded.</summary>
    public string? MaskRole => Settings.TryGetValue("mask_role", out var role) ? role : null;
}

/// <summary>The per-sample scores of one group, read from a score table.</summary>
/// <param name="Key">The group.</param>
/// <param name="Index">Sample index per row.</param>
/// <param name="Scores">Metric → score per row (NaN = undefined), in the table's column order.</param>
/// <param name="Path">The table it came from.</param>
public sealed record ScoreGroup(GroupKey Key, long[] Index, IReadOnlyDictionary<string, double[]> Scores, string Path)
{
    /// <summary>The metric names in column order.</summary>
    public IReadOnlyList<string> Metrics => [.. Scores.Keys];
}

/// <summary>One row of <c>comparison.json</c>'s <c>comparisons</c>: the paired difference a − b of a metric.</summary>
/// <param name="Metric">Metric.</param>
/// <param name="Mask">Mask kind, if any.</param>
/// <param name="Method">Explanation method, if any.</param>
/// <param name="A">First model.</param>
/// <param name="B">Second model.</param>
/// <param name="N">Paired samples.</param>
/// <param name="MeanDifference">Mean of a − b.</param>
/// <param name="CiLow">Lower end of the bootstrap 95% CI.</param>
/// <param name="CiHigh">Upper end.</param>
/// <param name="PValue">Two-sided permutation p-value.</param>
/// <param name="MaskRole"><c>object</c> or <c>spurious</c> (a planted cue: the metric's direction is reversed), when recorded.</param>
public sealed record ComparisonRow(string Metric, string? Mask, string? Method, string A, string B, int N, double MeanDifference, double CiLow, double CiHigh, double PValue,
    string? MaskRole = null);

/// <summary><c>comparison.json</c>: paired comparisons, accuracy per model and condition, and a verdict.</summary>
/// <param name="Path">The file.</param>
/// <param name="Rows">Paired comparisons.</param>
/// <param name="Accuracy">Model → condition → accuracy in [0,1].</param>
/// <param name="Passed">The verdict, when present.</param>
/// <param name="VerdictLines">The verdict's lines.</param>
public sealed record ComparisonFile(string Path, IReadOnlyList<ComparisonRow> Rows, IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> Accuracy,
    bool? Passed, IReadOnlyList<string> VerdictLines);

/// <summary>One heat-map panel of an example: a model and method's overlay and its scores.</summary>
/// <param name="Model">Model.</param>
/// <param name="Method">Explanation method.</param>
/// <param name="Image">Absolute path of the overlay PNG.</param>
/// <param name="Scores">Score name → value.</param>
public sealed record ExamplePanel(string Model, string Method, string Image, IReadOnlyDictionary<string, double> Scores);

/// <summary>One example of <c>examples.json</c>.</summary>
/// <param name="Index">Sample index.</param>
/// <param name="Title">Caption.</param>
/// <param name="Input">Absolute path of the input PNG, if any.</param>
/// <param name="Mask">Absolute path of the mask PNG, if any.</param>
/// <param name="Panels">Heat-map panels.</param>
/// <param name="Rank"><c>best</c> or <c>worst</c> when the producer ranked the examples itself (see <see cref="ExampleSet.Ranking"/>).</param>
public sealed record Example(long Index, string Title, string? Input, string? Mask, IReadOnlyList<ExamplePanel> Panels, string? Rank = null);

/// <summary><c>examples.json</c>: examples with paths resolved against the file's folder.</summary>
/// <param name="Path">The file.</param>
/// <param name="Legend">The producer's legend (e.g. what the outlines mean), if any.</param>
/// <param name="Examples">The examples.</param>
/// <param name="Ranking">How the producer chose and ordered the examples (<c>ranking.description</c>), when it did: the
/// report then keeps its order and ranks instead of ranking by the first score.</param>
public sealed record ExampleSet(string Path, string? Legend, IReadOnlyList<Example> Examples, string? Ranking = null);

/// <summary>One row of an <c>explain</c> run's <c>predictions.csv</c>.</summary>
/// <param name="Index">Sample index.</param>
/// <param name="Path">Input path or name.</param>
/// <param name="Label">True class (−1 when unknown).</param>
/// <param name="Predicted">Predicted class.</param>
/// <param name="Probability">Softmax probability of the prediction.</param>
/// <param name="Target">The class explained.</param>
public sealed record Prediction(long Index, string Path, long Label, long Predicted, double Probability, long Target);

/// <summary>An <c>explain</c> output folder: <c>predictions.csv</c> and optional <c>overlays/NNNNNN.png</c>.</summary>
/// <param name="Path">The predictions file.</param>
/// <param name="Rows">Predictions in file order.</param>
/// <param name="OverlayDir">The overlays folder, when present.</param>
public sealed record ExplainOutput(string Path, IReadOnlyList<Prediction> Rows, string? OverlayDir);

/// <summary>Saliency maps and masks recorded in an <c>align</c> summary's settings, with that run's scores, so the
/// report can draw heat maps for its best and worst samples.</summary>
/// <param name="Saliency">Saliency NPY/NPZ path.</param>
/// <param name="Masks">Mask NPY/NPZ path.</param>
/// <param name="Scores">The run's per-sample scores.</param>
public sealed record AlignMaps(string Saliency, string Masks, ScoreGroup Scores);

/// <summary>Everything <see cref="ResultsScanner"/> recognised in a results folder.</summary>
/// <param name="Root">The folder.</param>
/// <param name="ScoreGroups">Per-sample score groups from all score tables.</param>
/// <param name="Summaries">Summary files.</param>
/// <param name="Comparison">The comparison file, if any.</param>
/// <param name="ExampleSets">Example files.</param>
/// <param name="ExplainOutputs">Explain runs.</param>
/// <param name="AlignMaps">Align runs whose maps and masks could be found.</param>
/// <param name="Skipped">Files that looked relevant but could not be read, with the reason.</param>
/// <param name="TextRuns">Text explanation runs (<c>sightline text explain</c> / <c>text demo</c> attributions).</param>
/// <param name="TextCurves">Faithfulness curves of text explanations (<c>sightline text faithfulness</c> / <c>text demo</c>).</param>
public sealed record ReportInputs(
    string Root, IReadOnlyList<ScoreGroup> ScoreGroups, IReadOnlyList<SummaryFile> Summaries, ComparisonFile? Comparison,
    IReadOnlyList<ExampleSet> ExampleSets, IReadOnlyList<ExplainOutput> ExplainOutputs, IReadOnlyList<AlignMaps> AlignMaps,
    IReadOnlyList<string> Skipped, IReadOnlyList<TextAttributions>? TextRuns = null, IReadOnlyList<TextCurve>? TextCurves = null)
{
    /// <summary>Text runs found (never null).</summary>
    public IReadOnlyList<TextAttributions> Texts => TextRuns ?? [];

    /// <summary>Faithfulness curves found (never null).</summary>
    public IReadOnlyList<TextCurve> Curves => TextCurves ?? [];

    /// <summary>True when nothing reportable was found.</summary>
    public bool IsEmpty => ScoreGroups.Count == 0 && Summaries.Count == 0 && Comparison is null && ExampleSets.Count == 0 && ExplainOutputs.Count == 0
        && Texts.Count == 0 && Curves.Count == 0;
}

/// <summary>What <see cref="HtmlReport.Write"/> found and what the page warns about.</summary>
/// <param name="Inputs">The scanned results.</param>
/// <param name="Warnings">Everything the report could not show, one line each (also listed at the top of the page).</param>
public sealed record ReportResult(ReportInputs Inputs, IReadOnlyList<string> Warnings);
