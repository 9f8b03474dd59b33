using System.Globalization;
using Sightline.Evaluation;
using Sightline.Models;
using Sightline.Numerics;

namespace Sightline.Metrics.Faithfulness;

/// <summary>Options of <see cref="ROAD"/> (Quantus's constructor arguments and defaults).</summary>
public sealed record ROADOptions : MetricOptions
{
    /// <summary>Defaults as Quantus: normalise by negative (positives ÷ max, negatives ÷ |min|).</summary>
    public ROADOptions() => NormaliseFunc = Normalisation.ByNegative;

    /// <summary>Percentages of pixels removed (Quantus <c>percentages</c>, 1, 3, …, 99).</summary>
    public double[] Percentages { get; init; } = [.. Enumerable.Range(0, 50).Select(k => 1.0 + 2 * k)];

    /// <summary>Standard deviation of the noise added to imputed values (Quantus <c>noise</c>, 0.01).</summary>
    public double Noise { get; init; } = 0.01;

    /// <summary>Quantus's <c>softmax</c> (true); the score reads the argmax, which softmax does not change.</summary>
    public bool Softmax { get; init; } = true;
}

/// <summary>
/// ROAD, RemOve And Debias (Rong, Leemann, Borisov, Kasneci, Kasneci, "A Consistent and Efficient Evaluation Strategy
/// for Attribution Methods", ICML 2022): for each percentage p, the ⌊P·p/100⌋ most relevant pixels (P = H·W; stable
/// descending order of the attribution, summed over channels for C-channel maps; MoRF) are replaced by noisy linear
/// imputation (<see cref="NoisyLinearImputation"/>: each removed pixel the weighted mean of its 8 neighbours, a sparse
/// linear system per image and channel, plus N(0, noise²) drawn from the sample's seeded generator), and the curve point
/// is <c>c_p = [argmax f(x̃_p) = y]</c>. Per sample: the curve over p (<see cref="MetricOutput.Curves"/>) and its mean as
/// the scalar. Lower is better (a faithful map removes the evidence first, so accuracy falls fast). Quantus defaults:
/// percentages 1, 3, …, 99, noise 0.01, normalise by negative, abs false, softmax true. Differences from Quantus: Quantus
/// returns {p: mean over samples} computed from its FIRST batch only (§8 row 6); here every sample has its curve, so the
/// run's summary averages all samples; noise is seeded per sample and percentage (Quantus draws from torch's global
/// RNG); all imputed inputs of all samples share model calls. NaN for NaN/∞ inputs or maps.
/// </summary>
[Metric("road", MetricFamily.Faithfulness, ScoreDirection.LowerIsBetter, Order = 9, Minimum = 0, Maximum = 1,
    Needs = MetricNeeds.Model, Curve = true, Cost = "50 (+50 solves)",
    Summary = "Accuracy as the most relevant pixels are replaced by noisy linear imputation (curve over 1..99 %); its mean.",
    Citation = "Rong et al., ICML 2022")]
public sealed class ROAD(ROADOptions options) : EvaluationMetric<ROADOptions>(options)
{
    /// <inheritdoc/>
    public override int CurveLength(EvaluationShape shape) => Settings.Percentages.Length;

    /// <inheritdoc/>
    public override void Evaluate(EvaluationBatch batch, MetricOutput output)
    {
        var model = batch.RequireModel(Name);
        var s = Settings;
        var shape = batch.Shape;
        if (s.Percentages.Length == 0 || s.Percentages.Any(p => !(p >= 0 && p <= 100)))
            throw new InputDataException($"--param {Name}.percentages={string.Join(",", s.Percentages.Select(p => p.ToString(CultureInfo.InvariantCulture)))}: each must be between 0 and 100.");
        if (!(s.Noise >= 0) || double.IsInfinity(s.Noise)) throw new InputDataException($"--param {Name}.noise={s.Noise}: must be a finite value ≥ 0.");
        int n = batch.Count, pixels = shape.Pixels, ad = shape.AttributionValues, np = s.Percentages.Length;
        var a = batch.Prepared(Preprocessing);

        var steps = new int[n];
        var orders = new int[n][];
        Parallel.For(0, n, i =>
        {
            var x = batch.Input(i);
            var ai = a.AsSpan(i * ad, ad);
            if (!Sightline.Numerics.Kernels.AllFinite(x)) { output.Set(i, Score.Undefined(Reasons.NonFiniteInput)); return; }
            if (!Sightline.Numerics.Kernels.AllFinite(ai)) { output.Set(i, Score.Undefined(Reasons.NonFiniteMap)); return; }
            ReadOnlySpan<float> perPixel = ai;
            if (shape.AttributionChannels > 1)
            {
                var sum = new float[pixels];
                for (int c = 0; c < shape.AttributionChannels; c++)
                    for (int p = 0; p < pixels; p++) sum[p] += ai[c * pixels + p];
                perPixel = sum;
            }
            orders[i] = Perturbation.DescendingOrder(perPixel);
            steps[i] = np;
        });

        var rows = new PerturbationRows(steps);
        StepBatcher.Forward(model, rows.Total, (row, x) =>
        {
            var (i, k) = rows.Locate(row);
            batch.Input(i).CopyTo(x);
            int removed = Removed(pixels, s.Percentages[k]);
            var rng = new Random(EvaluationBatch.SeedFor(batch.Seed, Name + "/" + k.ToString(CultureInfo.InvariantCulture), batch.FirstIndex + i));
            NoisyLinearImputation.Impute(x, shape.Channels, shape.Height, shape.Width, orders[i].AsSpan(0, removed), s.Noise, rng);
        }, (row, y) =>
        {
            var (i, k) = rows.Locate(row);
            output.Curve(i)[k] = Perturbation.ArgMax(y) == batch.Targets[i] ? 1f : 0f;
        }, batch.Budget);

        for (int i = 0; i < n; i++)
        {
            if (steps[i] == 0) continue;
            double mean = 0;
            foreach (var v in output.Curve(i)) mean += v;
            output.Set(i, new Score(mean / np));
        }
    }

    /// <summary>Pixels removed at percentage <paramref name="p"/>: ⌊P·p/100⌋ (Quantus's <c>int(a_size * p / 100)</c>).</summary>
    public static int Removed(int pixels, double p) => (int)(pixels * p / 100.0);
}
