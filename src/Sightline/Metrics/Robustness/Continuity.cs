using Sightline.Evaluation;

namespace Sightline.Metrics.Robustness;

/// <summary>The input perturbation of <see cref="Continuity"/> (Quantus <c>perturb_func</c>).</summary>
public enum ContinuityPerturbFunc
{
    /// <summary>Horizontal translation (Quantus <c>translation_x_direction</c>, the default).</summary>
    TranslationXDirection,
    /// <summary>Vertical translation (Quantus <c>translation_y_direction</c>).</summary>
    TranslationYDirection,
}

/// <summary>Options of <see cref="Continuity"/> (Quantus <c>Continuity</c>'s arguments and defaults).</summary>
public sealed record ContinuityOptions : MetricOptions
{
    /// <summary>Quantus's defaults: normalise, then |a|.</summary>
    public ContinuityOptions() => Abs = true;

    /// <summary>Translations per sample (Quantus <c>nr_steps</c>, default 28).</summary>
    public int NrSteps { get; init; } = 28;

    /// <summary>The perturbation (Quantus <c>perturb_func</c>, default horizontal translation); honoured (spec §8 row 11).</summary>
    public ContinuityPerturbFunc PerturbFunc { get; init; } = ContinuityPerturbFunc.TranslationXDirection;

    /// <summary>What fills the pixels shifted in (Quantus <c>perturb_baseline</c>, default black = min(x)).</summary>
    public PerturbBaseline PerturbBaseline { get; init; } = PerturbBaseline.Black;

    /// <summary>A sample whose prediction changes under any translation is NaN (Quantus <c>return_nan_when_prediction_changes</c>, default false).</summary>
    public bool ReturnNanWhenPredictionChanges { get; init; }
}

/// <summary>
/// Continuity (Montavon, Samek &amp; Müller, "Methods for Interpreting and Understanding Deep Neural Networks", Digital
/// Signal Processing 73, 2018), in the form Quantus adopted when it realigned the metric with the paper (#357): the
/// strongest variation of the explanation under translations of the input,
/// max_t ‖a(x) − a(x_t)‖₁ / (‖x − x_t‖₂ + 1e-9), where x_t is x shifted by t pixels along the chosen axis (content moves by
/// t, the uncovered pixels are filled with the baseline: black = the sample's min(x)), and a(x_t) is the run's method
/// re-explaining x_t for the same target. The shifts are t_k = −L + k·⌊(2L + 1)/nr_steps⌋ for k = 0..nr_steps−1, L the
/// width (x direction) or height (y direction); with the defaults on 32 pixels: −32, −30, …, 22. Norms run over the
/// attribution values (A×H×W, A = 1 or C). Lower is better. Quantus defaults: nr_steps 28, perturb_baseline black,
/// normalise true (a / max|a|), abs true, softmax false.
/// <para>
/// What Quantus computes and what Sightline computes (spec §8 row 11): Quantus's Continuity ignores its
/// <c>perturb_func</c> argument (it always translates along x) and applies normalise and |·| twice (once when explaining,
/// once in the metric); Sightline honours <see cref="ContinuityOptions.PerturbFunc"/> (y translations translate along y)
/// and preprocesses a(x) and a(x_t) exactly once. For the built-in normalisations the double application is idempotent,
/// so only the perturbation fix changes numbers. One more difference: a shift that leaves x unchanged (t = 0, which the
/// grid hits whenever L is a multiple of the step) is skipped. Montavon's definition takes x' ≠ x, and with the 1e-9
/// guard that term is ‖a(x) − a(x)‖₁ · 10⁹: zero when the re-explanation reproduces a bit for bit, float noise × 10⁹ when
/// a came from another batch composition or another tool (<c>--saliency</c>). Quantus computes it. Translations of all
/// samples share explainer calls.
/// </para>
/// NaN: every translation leaves x unchanged (a constant image, <see cref="Reasons.UnchangedInput"/>), a non-finite map or
/// re-explanation (<see cref="Reasons.NonFiniteMap"/>), a class flip with return_nan_when_prediction_changes
/// (<see cref="Reasons.PredictionChanged"/>).
/// </summary>
[Metric("continuity", MetricFamily.Robustness, ScoreDirection.LowerIsBetter, Order = 4, Minimum = 0, Maximum = double.PositiveInfinity,
    Needs = MetricNeeds.Model | MetricNeeds.Reexplain, TakesAbsolute = true, Cost = "1+28 E, 28 fwd",
    Summary = "Largest ‖a(x) − a(x_t)‖₁ / ‖x − x_t‖₂ over translations x_t of the image.",
    Citation = "Montavon et al., Methods for Interpreting and Understanding Deep Neural Networks, DSP 2018")]
public sealed class Continuity(ContinuityOptions options) : EvaluationMetric<ContinuityOptions>(options)
{
    /// <summary>The guard in the denominator.</summary>
    internal const double Epsilon = 1e-9;

    /// <summary>The shifts for an axis of <paramref name="length"/> pixels, t = 0 left out.</summary>
    /// <exception cref="InputDataException">nr_steps exceeds 2L + 1 (the step would be 0).</exception>
    public static int[] Shifts(int length, int nrSteps, string metric = "continuity")
    {
        Reexplanation.RequirePositive(nrSteps, metric, "nr_steps");
        int step = (2 * length + 1) / nrSteps;
        if (step == 0)
            throw new InputDataException($"--param {metric}.nr_steps={nrSteps}: at most {2 * length + 1} translations fit an axis of {length} pixels (the step ⌊(2L+1)/nr_steps⌋ would be 0).");
        return [.. Enumerable.Range(0, nrSteps).Select(k => -length + k * step).Where(t => t != 0)];
    }

    /// <summary>
    /// Writes x translated by <paramref name="shift"/> pixels along x (<paramref name="vertical"/> false) or y into
    /// <paramref name="output"/>: output[c, r, q] = x[c, r, q − t] (or x[c, r − t, q]) where that lies inside the image, else
    /// <paramref name="fill"/> (cv2.warpAffine with an integer translation and a constant border, as Quantus's
    /// <c>translation_x_direction</c>).
    /// </summary>
    public static void Translate(ReadOnlySpan<float> x, int channels, int height, int width, int shift, bool vertical, Func<float> fill, Span<float> output)
    {
        for (int c = 0; c < channels; c++)
            for (int r = 0; r < height; r++)
                for (int q = 0; q < width; q++)
                {
                    int sr = vertical ? r - shift : r, sq = vertical ? q : q - shift;
                    output[(c * height + r) * width + q] = sr >= 0 && sr < height && sq >= 0 && sq < width
                        ? x[(c * height + sr) * width + sq]
                        : fill();
                }
    }

    /// <inheritdoc/>
    public override void Evaluate(EvaluationBatch batch, MetricOutput output)
    {
        var o = Settings;
        var s = batch.Shape;
        bool vertical = o.PerturbFunc == ContinuityPerturbFunc.TranslationYDirection;
        var shifts = Shifts(vertical ? s.Height : s.Width, o.NrSteps, Name);
        var rngs = new Random?[batch.Count];
        Evaluate(batch, output, shifts.Length, (i, k, x, xt) =>
        {
            Func<float> fill;
            if (o.PerturbBaseline == PerturbBaseline.Uniform)
            {
                var rng = rngs[i] ??= batch.RandomFor(i, Name);
                fill = () => (float)rng.NextDouble();
            }
            else
            {
                float v = Perturbation.Constant(o.PerturbBaseline, x);
                fill = () => v;
            }
            Translate(x, s.Channels, s.Height, s.Width, shifts[k], vertical, fill, xt);
        });
    }

    /// <summary>Scores with explicit perturbations: <paramref name="steps"/> perturbed copies per sample from <paramref name="perturb"/>.</summary>
    internal void Evaluate(EvaluationBatch batch, MetricOutput output, int steps, Perturb perturb)
    {
        int n = batch.Count, asize = batch.Shape.AttributionValues;
        var prep = Preprocessing;
        var a = batch.Prepared(prep);
        var best = new double[n];
        Array.Fill(best, double.NaN);
        var flips = new int[n];
        var bad = new bool[n];
        int[]? pred = Settings.ReturnNanWhenPredictionChanges ? Reexplanation.Predictions(batch, Name) : null;
        var outputs = pred is null ? null : RowOutputs.Logits(batch.RequireModel(Name), batch.Budget);
        Reexplanation.Run(batch, Name, steps, prep, perturb, outputs, (i, _, xt, at, logits) =>
        {
            if (pred is not null && Perturbation.ArgMax(logits) != pred[i]) flips[i]++;
            if (!Reexplanation.AllFinite(at)) { bad[i] = true; return; }
            double dx = Reexplanation.L2Distance(batch.Input(i), xt);
            if (dx == 0) return;
            double v = Reexplanation.L1Distance(a.AsSpan(i * asize, asize), at) / (dx + Epsilon);
            best[i] = double.IsNaN(best[i]) ? v : Math.Max(best[i], v);
        });
        for (int i = 0; i < n; i++)
        {
            if (!Reexplanation.AllFinite(a.AsSpan(i * asize, asize)) || bad[i]) output.Set(i, Score.Undefined(Reasons.NonFiniteMap));
            else if (flips[i] > 0) output.Set(i, Score.Undefined(Reasons.PredictionChanged));
            else if (double.IsNaN(best[i])) output.Set(i, Score.Undefined(Reasons.UnchangedInput));
            else output.Set(i, new Score(best[i]));
        }
    }
}
