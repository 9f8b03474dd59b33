using Sightline.Metrics;
using Sightline.Models;

namespace Sightline.Evaluation.Qge;

/// <summary>The random rankings QGE's baselines draw (eval-project's <c>random</c> and <c>chunky</c>).</summary>
public enum RankingKind
{
    /// <summary>A uniform permutation of 0..d−1 divided by d−1, reshaped to the attribution's shape.</summary>
    Random,
    /// <summary>A permutation on a ⌈H/C⌉×⌈W/C⌉ grid, nearest-upsampled to H×W and repeated over channels.</summary>
    Chunky,
}

/// <summary>Random rankings fed to a metric as attribution maps (higher value = more important).</summary>
public static class RandomRankings
{
    /// <summary>
    /// Writes one ranking of <paramref name="kind"/> for an A×H×W attribution into <paramref name="output"/>:
    /// <see cref="RankingKind.Random"/>: a uniform permutation π of 0..d−1 (Fisher–Yates), value π/(d−1) (0 when d = 1);
    /// <see cref="RankingKind.Chunky"/>: a permutation of the g = ⌈H/C⌉·⌈W/C⌉ cells, value π/(g−1), pixel (y, x) taking its
    /// cell (⌊y/C⌋, ⌊x/C⌋), the same on every channel.
    /// </summary>
    public static void Draw(RankingKind kind, int chunk, EvaluationShape shape, Random random, Span<float> output)
    {
        int a = shape.AttributionChannels, h = shape.Height, w = shape.Width;
        if (kind == RankingKind.Random)
        {
            int d = a * h * w;
            var perm = Permutation(d, random);
            float scale = d > 1 ? 1f / (d - 1) : 0f;
            for (int i = 0; i < d; i++) output[i] = perm[i] * scale;
            return;
        }
        if (chunk < 1) throw new ArgumentOutOfRangeException(nameof(chunk), "A chunk size is at least 1.");
        int gh = (h + chunk - 1) / chunk, gw = (w + chunk - 1) / chunk, g = gh * gw;
        var cells = Permutation(g, random);
        float cs = g > 1 ? 1f / (g - 1) : 0f;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                output[y * w + x] = cells[(y / chunk) * gw + x / chunk] * cs;
        for (int c = 1; c < a; c++) output[..(h * w)].CopyTo(output.Slice(c * h * w, h * w));
    }

    private static int[] Permutation(int n, Random random)
    {
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }
}

/// <summary>QGE settings (the CLI's <c>--qge</c>, <c>--qge-normalise</c>, <c>--random-baseline</c>, <c>--random-ranking</c>, <c>--qge-pool</c>).</summary>
public sealed record QgeOptions
{
    /// <summary>The inverse (value swap by default).</summary>
    public InverseMethod Method { get; init; } = InverseMethod.ValueSwap;

    /// <summary>Multiply QGE and q_bas by −1 for lower-is-better metrics, so that higher is better for every metric.</summary>
    public bool NormaliseSign { get; init; }

    /// <summary>K of q_bas^K (0 = off).</summary>
    public int RandomBaseline { get; init; }

    /// <summary>The random rankings of q_bas and the pool.</summary>
    public RankingKind Ranking { get; init; } = RankingKind.Random;

    /// <summary>Chunk size C of <see cref="RankingKind.Chunky"/>.</summary>
    public int Chunk { get; init; } = 4;

    /// <summary>Pool size N for the z-score ground truth (0 = off).</summary>
    public int Pool { get; init; }

    /// <summary>Seed stream name of the rankings: shared by every metric, so all metrics see the same rankings per sample.</summary>
    public const string RankingStream = "qge-rankings";
}

/// <summary>
/// QGE, the Quality Gap Estimator (Eiras-Franco, Hedström, Höhne, "Evaluate with the Inverse: Efficient Approximation
/// of Latent Explanation Quality Distribution", AAAI 2025), around any <see cref="IEvaluationMetric"/> Ψ:
/// QGE(e) = Ψ(e) − Ψ(e_inv), with e_inv the value-swapped or sign-flipped explanation, computed on the raw attribution
/// (Ψ normalises and takes |·| once, after inversion — the reference applies them before and again inside Ψ); every
/// re-explanation Ψ makes is inverted too (<see cref="InvertingReexplainer"/>). The sign follows Ψ's direction (a good
/// explanation gives a negative QGE on a lower-is-better Ψ) unless <see cref="QgeOptions.NormaliseSign"/>.
/// Optional: the random baseline q_bas^K = Ψ(e) − (1/K)·Σ_k Ψ(r_k) over K seeded random rankings (eval-project, std fixed
/// to 1), and the pool ground truth z = (Ψ(e) − mean_pool Ψ) / std_pool Ψ over N rankings (population std, NaN scores left
/// out). Columns per metric column c: <c>c</c>, <c>c_inverse</c>, <c>c_qge</c>; then <c>c_qbas</c>, <c>c_z</c>,
/// <c>c_pool_mean</c>, <c>c_pool_std</c> for the main column when asked. e and e_inv (and the rankings) are scored in one
/// metric call over an expanded batch (<see cref="EvaluationBatch.Expand"/>), so their perturbation rows share model calls
/// and stochastic metrics use the same random draws for both, except for metrics whose scores depend on the batch or
/// that re-explain, which are scored separately.
/// </summary>
public sealed class QualityGap
{
    private const int PoolGroup = 64;

    /// <summary>Wraps <paramref name="metric"/>.</summary>
    /// <exception cref="InputDataException">Sign flip for a metric that takes |a|; random rankings for a metric that re-explains.</exception>
    public QualityGap(IEvaluationMetric metric, QgeOptions options)
    {
        if (options.Method == InverseMethod.SignFlip && metric.UsesAbsolute)
            throw new InputDataException($"--qge sign_flip: metric '{metric.Name}' scores |a|, so −e scores exactly as e and QGE would be 0; use --qge value_swap (or --param {metric.Name}.abs=false).");
        bool rankings = options.RandomBaseline > 0 || options.Pool > 0;
        if (rankings && Reexplains(metric))
            throw new InputDataException($"--random-baseline/--qge-pool: metric '{metric.Name}' re-explains perturbed inputs, and a random ranking has no explainer to re-run; use QGE alone for it.");
        if (options.RandomBaseline < 0 || options.Pool < 0) throw new InputDataException("--random-baseline and --qge-pool take a count ≥ 0.");
        Metric = metric;
        Options = options;
    }

    /// <summary>The wrapped metric Ψ.</summary>
    public IEvaluationMetric Metric { get; }

    /// <summary>The settings.</summary>
    public QgeOptions Options { get; }

    /// <summary>The result columns for this geometry.</summary>
    public IReadOnlyList<string> Columns(EvaluationShape shape, IModel? model)
    {
        var inner = Metric.Columns(shape, model);
        var cols = new List<string>();
        foreach (var c in inner) { cols.Add(c); cols.Add(c + "_inverse"); cols.Add(c + "_qge"); }
        if (Options.RandomBaseline > 0) cols.Add(inner[0] + "_qbas");
        if (Options.Pool > 0) { cols.Add(inner[0] + "_z"); cols.Add(inner[0] + "_pool_mean"); cols.Add(inner[0] + "_pool_std"); }
        return cols;
    }

    /// <summary>Scores <paramref name="batch"/>; the curves (if any) are those of Ψ(e).</summary>
    public MetricOutput Evaluate(EvaluationBatch batch)
    {
        var shape = batch.Shape;
        var inner = Metric.Columns(shape, batch.Model);
        int n = batch.Count, values = shape.AttributionValues, ic = inner.Count;
        var inverse = Inversion.InvertAll(Options.Method, batch.Attributions, n, values);
        var inverseExplainer = batch.Explainer is null ? null : new InvertingReexplainer(batch.Explainer, Options.Method, values);
        MetricOutput original, inverted;
        if (Separate(Metric))
        {
            original = Score(batch);
            inverted = Score(batch.WithAttributions(inverse, inverseExplainer));
        }
        else
        {
            var both = new float[2L * n * values];
            batch.Attributions.CopyTo(both, 0);
            inverse.CopyTo(both, (long)n * values);
            var joint = Score(batch.Expand(2, both, batch.Explainer));
            original = Take(joint, 0, n);
            inverted = Take(joint, n, n);
        }

        var output = new MetricOutput(n, Columns(shape, batch.Model), Metric.CurveLength(shape));
        double sign = Options.NormaliseSign && Metric.Info.Direction == ScoreDirection.LowerIsBetter ? -1 : 1;
        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < ic; c++)
            {
                double psi = original.Values[i * ic + c], inv = inverted.Values[i * ic + c];
                output.Set(i, 3 * c, psi);
                output.Set(i, 3 * c + 1, inv);
                output.Set(i, 3 * c + 2, sign * (psi - inv));
            }
            output.Reasons[i] = original.Reasons[i] ?? (inverted.Reasons[i] is { } r ? "inverse: " + r : null);
            if (output.CurveLength > 0) original.Curve(i).CopyTo(output.Curve(i));
        }

        int col = 3 * ic;
        if (Options.RandomBaseline > 0)
        {
            var scores = RankingScores(batch, Options.RandomBaseline);
            for (int i = 0; i < n; i++)
                output.Set(i, col, sign * (original.Values[i * ic] - NanMean(scores, i, n, Options.RandomBaseline)));
            col++;
        }
        if (Options.Pool > 0)
        {
            var scores = RankingScores(batch, Options.Pool);
            for (int i = 0; i < n; i++)
            {
                double mean = NanMean(scores, i, n, Options.Pool), sd = NanStd(scores, i, n, Options.Pool, mean);
                output.Set(i, col, sd > 0 ? (original.Values[i * ic] - mean) / sd : double.NaN);
                output.Set(i, col + 1, mean);
                output.Set(i, col + 2, sd);
            }
        }
        return output;
    }

    /// <summary>
    /// Ψ's main column on <paramref name="copies"/> seeded random rankings per sample of <paramref name="batch"/>, copy-major
    /// (score of ranking r of sample i at r·N + i); the rankings are those <see cref="Evaluate"/> uses for q_bas and the pool
    /// (ranking r of a sample does not depend on the batch it is in or on <paramref name="copies"/>).
    /// </summary>
    public double[] RankingScores(EvaluationBatch batch, int copies)
    {
        int n = batch.Count, values = batch.Shape.AttributionValues, ic = Metric.Columns(batch.Shape, batch.Model).Count;
        var scores = new double[(long)copies * n];
        var rngs = new Random[n];
        for (int i = 0; i < n; i++) rngs[i] = batch.RandomFor(i, QgeOptions.RankingStream);
        for (int start = 0; start < copies; start += PoolGroup)
        {
            int g = Math.Min(PoolGroup, copies - start);
            var maps = new float[(long)g * n * values];
            for (int r = 0; r < g; r++)
                for (int i = 0; i < n; i++)
                    RandomRankings.Draw(Options.Ranking, Options.Chunk, batch.Shape, rngs[i], maps.AsSpan((r * n + i) * values, values));
            if (Separate(Metric))
                for (int r = 0; r < g; r++)
                {
                    var o = Score(batch.WithAttributions(maps.AsSpan(r * n * values, n * values).ToArray(), null));
                    for (int i = 0; i < n; i++) scores[(start + r) * n + i] = o.Values[i * ic];
                }
            else
            {
                var o = Score(batch.Expand(g, maps, null));
                for (int k = 0; k < g * n; k++) scores[(long)start * n + k] = o.Values[k * ic];
            }
        }
        return scores;
    }

    private MetricOutput Score(EvaluationBatch batch)
    {
        var o = new MetricOutput(batch.Count, Metric.Columns(batch.Shape, batch.Model), Metric.CurveLength(batch.Shape));
        Metric.Evaluate(batch, o);
        return o;
    }

    private static MetricOutput Take(MetricOutput joint, int start, int count)
    {
        var o = new MetricOutput(count, joint.Columns, joint.CurveLength);
        int c = joint.Columns.Count;
        Array.Copy(joint.Values, (long)start * c, o.Values, 0, (long)count * c);
        Array.Copy(joint.Reasons, start, o.Reasons, 0, count);
        if (joint.CurveLength > 0) Array.Copy(joint.Curves, (long)start * joint.CurveLength, o.Curves, 0, (long)count * joint.CurveLength);
        return o;
    }

    private static bool Reexplains(IEvaluationMetric m) => (m.Info.Needs & (MetricNeeds.Reexplain | MetricNeeds.RandomisedModels)) != 0;

    private static bool Separate(IEvaluationMetric m) => Reexplains(m) || m.Info.Needs.HasFlag(MetricNeeds.WholeBatch);

    private static double NanMean(double[] s, int i, int n, int copies)
    {
        double sum = 0;
        int k = 0;
        for (int r = 0; r < copies; r++) { double v = s[(long)r * n + i]; if (!double.IsNaN(v)) { sum += v; k++; } }
        return k > 0 ? sum / k : double.NaN;
    }

    private static double NanStd(double[] s, int i, int n, int copies, double mean)
    {
        double sum = 0;
        int k = 0;
        for (int r = 0; r < copies; r++) { double v = s[(long)r * n + i]; if (!double.IsNaN(v)) { sum += (v - mean) * (v - mean); k++; } }
        return k > 0 ? Math.Sqrt(sum / k) : double.NaN;
    }
}

/// <summary>
/// A metric wrapped with QGE for the evaluation pipeline: its name, metadata and options are the inner metric's; its
/// columns are <see cref="QualityGap.Columns"/> (<c>m</c>, <c>m_inverse</c>, <c>m_qge</c>, …); its curves are Ψ(e)'s.
/// </summary>
public sealed class QgeMetric(IEvaluationMetric inner, QgeOptions options) : IEvaluationMetric
{
    private readonly QualityGap _gap = new(inner, options);

    /// <summary>The wrapped metric.</summary>
    public IEvaluationMetric Inner => inner;

    /// <summary>The QGE settings.</summary>
    public QgeOptions Settings => options;

    /// <inheritdoc/>
    public MetricAttribute Info => inner.Info;

    /// <inheritdoc/>
    public string Name => inner.Name;

    /// <inheritdoc/>
    public MetricOptions Options => inner.Options;

    /// <inheritdoc/>
    public bool UsesAbsolute => inner.UsesAbsolute;

    /// <inheritdoc/>
    public IReadOnlyList<string> Columns(EvaluationShape shape, IModel? model) => _gap.Columns(shape, model);

    /// <inheritdoc/>
    public int CurveLength(EvaluationShape shape) => inner.CurveLength(shape);

    /// <inheritdoc/>
    public void Evaluate(EvaluationBatch batch, MetricOutput output)
    {
        var o = _gap.Evaluate(batch);
        o.Values.CopyTo(output.Values, 0);
        o.Reasons.CopyTo(output.Reasons, 0);
        if (o.CurveLength > 0) o.Curves.CopyTo(output.Curves, 0);
    }
}
