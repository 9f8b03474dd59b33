using System.Reflection;
using Sightline.Metrics;

namespace Sightline.Evaluation;

/// <summary>
/// Per-sample results of one metric on one batch: <see cref="Columns"/> values per sample (column 0 is the metric's own
/// scalar; extra columns such as <c>mprt:&lt;layer&gt;</c> or a flip count follow), one reason per sample (null when
/// there is nothing to report), and for curve metrics an N × <see cref="CurveLength"/> curve.
/// </summary>
public sealed class MetricOutput
{
    /// <summary>Allocates results for <paramref name="count"/> samples, all NaN.</summary>
    public MetricOutput(int count, IReadOnlyList<string> columns, int curveLength = 0)
    {
        if (columns.Count == 0) throw new ArgumentException("A metric writes at least one column.", nameof(columns));
        Count = count;
        Columns = columns;
        Values = new double[count * columns.Count];
        Array.Fill(Values, double.NaN);
        Reasons = new string?[count];
        CurveLength = curveLength;
        Curves = curveLength > 0 ? new float[count * curveLength] : [];
        if (curveLength > 0) Array.Fill(Curves, float.NaN);
    }

    /// <summary>Samples.</summary>
    public int Count { get; }

    /// <summary>Column names, the metric's own name first.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>Values, sample-major (N × columns).</summary>
    public double[] Values { get; }

    /// <summary>Reason per sample (why the score is NaN, or a flag on a defined score).</summary>
    public string?[] Reasons { get; }

    /// <summary>Points per curve (0 = not a curve metric).</summary>
    public int CurveLength { get; }

    /// <summary>Curves, sample-major (N × <see cref="CurveLength"/>), NaN-padded.</summary>
    public float[] Curves { get; }

    /// <summary>Sets sample <paramref name="i"/>'s main score and reason.</summary>
    public void Set(int i, Score score)
    {
        Values[i * Columns.Count] = score.Value;
        Reasons[i] = score.Reason;
    }

    /// <summary>Sets sample <paramref name="i"/>'s value in column <paramref name="column"/>.</summary>
    public void Set(int i, int column, double value) => Values[i * Columns.Count + column] = value;

    /// <summary>Sample <paramref name="i"/>'s main score.</summary>
    public double this[int i] => Values[i * Columns.Count];

    /// <summary>Sample <paramref name="i"/>'s curve (writable).</summary>
    public Span<float> Curve(int i) => Curves.AsSpan(i * CurveLength, CurveLength);
}

/// <summary>
/// A quality metric of attributions over a typed batch (<see cref="EvaluationBatch"/>): faithfulness, robustness,
/// complexity, randomisation, axiomatic and (through an adapter) localisation. Implementations are stateless apart
/// from their immutable options (a <see cref="MetricOptions"/> record whose defaults are the paper's / Quantus's), carry
/// a <see cref="MetricAttribute"/> (name, family, direction, bounds, needs) and have a public constructor taking their
/// options record, which is how <see cref="MetricCatalogue"/> builds them. <see cref="Evaluate"/> may be called
/// concurrently on different batches; it never throws for a bad sample (NaN + reason), only for a misconfigured run
/// (<see cref="InputDataException"/>).
/// </summary>
public interface IEvaluationMetric
{
    /// <summary>The class's metadata.</summary>
    MetricAttribute Info { get; }

    /// <summary>The stable name (<see cref="MetricAttribute.Name"/>).</summary>
    string Name => Info.Name;

    /// <summary>The options the metric was built with.</summary>
    MetricOptions Options { get; }

    /// <summary>True when this instance scores |a| (QGE refuses the sign-flip inverse for it).</summary>
    bool UsesAbsolute => Options.Abs;

    /// <summary>Result columns for a run of this geometry and model: the metric's name first.</summary>
    IReadOnlyList<string> Columns(EvaluationShape shape, Models.IModel? model) => [Name];

    /// <summary>Points of the per-sample curve for this geometry (0 for scalar metrics).</summary>
    int CurveLength(EvaluationShape shape) => 0;

    /// <summary>Scores every sample of <paramref name="batch"/> into <paramref name="output"/>.</summary>
    void Evaluate(EvaluationBatch batch, MetricOutput output);
}

/// <summary>Base class of the built-in metrics: metadata from the class's attribute, typed options.</summary>
/// <typeparam name="TOptions">The options record.</typeparam>
public abstract class EvaluationMetric<TOptions>(TOptions options) : IEvaluationMetric where TOptions : MetricOptions
{
    private MetricAttribute? _info;

    /// <inheritdoc/>
    public MetricAttribute Info => _info ??= GetType().GetCustomAttribute<MetricAttribute>()
        ?? throw new InvalidOperationException($"{GetType().Name} lacks [Metric(...)].");

    /// <inheritdoc/>
    public string Name => Info.Name;

    /// <summary>The typed options.</summary>
    public TOptions Settings { get; } = options;

    /// <inheritdoc/>
    public MetricOptions Options => Settings;

    /// <summary>The preprocessing the options ask for (per-sample normalisation, then |a|).</summary>
    protected AttributionPreprocessing Preprocessing => new(Settings.Normalise ? Settings.NormaliseFunc : Normalisation.None, Settings.Abs);

    /// <inheritdoc/>
    public virtual IReadOnlyList<string> Columns(EvaluationShape shape, Models.IModel? model) => [Name];

    /// <inheritdoc/>
    public virtual int CurveLength(EvaluationShape shape) => 0;

    /// <inheritdoc/>
    public abstract void Evaluate(EvaluationBatch batch, MetricOutput output);
}
