using Sightline.Evaluation;
using Sightline.Models;

namespace Sightline.Metrics.Faithfulness;

/// <summary>The loss <see cref="Infidelity"/> compares model and attribution changes with (Quantus <c>loss_func</c>).</summary>
public enum InfidelityLoss
{
    /// <summary>Mean squared error (Quantus <c>mse</c>, the default).</summary>
    Mse,
}

/// <summary>Options of <see cref="Infidelity"/> (Quantus's constructor arguments and defaults).</summary>
public sealed record InfidelityOptions : MetricOptions
{
    /// <summary>Defaults as Quantus: no normalisation.</summary>
    public InfidelityOptions() => Normalise = false;

    /// <summary>The loss (Quantus <c>loss_func</c>, mse).</summary>
    public InfidelityLoss LossFunc { get; init; } = InfidelityLoss.Mse;

    /// <summary>Square patch sides (Quantus <c>perturb_patch_sizes</c>, [4]).</summary>
    public int[] PerturbPatchSizes { get; init; } = [4];

    /// <summary>Repeats (Quantus <c>n_perturb_samples</c>, 10); identical unless the baseline is random, so computed once then.</summary>
    public int NPerturbSamples { get; init; } = 10;

    /// <summary>What replaces a patch (Quantus <c>perturb_baseline</c>, black = min(x)).</summary>
    public PerturbBaseline PerturbBaseline { get; init; } = PerturbBaseline.Black;

    /// <summary>Read softmax probabilities instead of logits (Quantus <c>softmax</c>, false).</summary>
    public bool Softmax { get; init; }
}

/// <summary>
/// Infidelity (Yeh, Hsieh, Suggala, Inouye, Ravikumar, "On the (In)fidelity and Sensitivity of Explanations",
/// NeurIPS 2019), as Quantus computes it: for each patch size p, the image is cut into square p×p patches in raster
/// order (rows of patches top to bottom, left to right; patches at the right/bottom border are cut to the image, which
/// is what Quantus's edge padding amounts to) and x̃_k = x with patches 1..k replaced by the baseline (CUMULATIVE, all
/// channels); then
/// <c>INFD = mean_repeats mean_p (1/K_p) Σ_k ( (f(x) − f(x̃_k)) − Σ_j a_j (x_j − x̃_{k,j}) )²</c>, a broadcast to C×H×W
/// (a 1-channel map counts once per channel, as Quantus's <c>np.broadcast_to</c>). Lower is better. Quantus defaults:
/// loss mse, patch sizes [4], n_perturb_samples 10, black (min(x)), normalise false, abs false, softmax false.
/// Differences from Quantus: with a deterministic baseline the n_perturb_samples repeats are identical, so they are
/// computed once (§8 row 14: Quantus runs 10×); a uniform baseline draws each repeat from the sample's seeded generator;
/// the baseline value comes from the unperturbed x (Quantus recomputes it from the partly perturbed array, which is the
/// same for black and white). NaN for NaN/∞ inputs, maps or outputs.
/// </summary>
[Metric("infidelity", MetricFamily.Faithfulness, ScoreDirection.LowerIsBetter, Order = 3, Minimum = 0, Maximum = double.PositiveInfinity,
    Needs = MetricNeeds.Model, Cost = "1+⌈H/4⌉⌈W/4⌉ (×n_perturb_samples only for a uniform baseline)",
    Summary = "Mean squared gap between the output change and the attribution-weighted input change under cumulative patch removal.",
    Citation = "Yeh et al., NeurIPS 2019")]
public sealed class Infidelity(InfidelityOptions options) : EvaluationMetric<InfidelityOptions>(options)
{
    /// <inheritdoc/>
    public override void Evaluate(EvaluationBatch batch, MetricOutput output)
    {
        var model = batch.RequireModel(Name);
        var s = Settings;
        var shape = batch.Shape;
        if (s.PerturbPatchSizes.Length == 0 || s.PerturbPatchSizes.Any(p => p < 1 || p > Math.Min(shape.Height, shape.Width)))
            throw new InputDataException($"--param {Name}.perturb_patch_sizes={string.Join(",", s.PerturbPatchSizes)}: each must be between 1 and the image's smaller side {Math.Min(shape.Height, shape.Width)}.");
        if (s.NPerturbSamples < 1) throw new InputDataException($"--param {Name}.n_perturb_samples={s.NPerturbSamples}: must be at least 1.");
        int n = batch.Count, h = shape.Height, w = shape.Width, size = shape.InputValues, ad = shape.AttributionValues;
        int repeats = s.PerturbBaseline == PerturbBaseline.Uniform ? s.NPerturbSamples : 1;
        var sizes = s.PerturbPatchSizes;
        var blocks = sizes.Select(p => Ceil(h, p) * Ceil(w, p)).ToArray();
        var blockStart = new int[sizes.Length + 1];
        for (int j = 0; j < sizes.Length; j++) blockStart[j + 1] = blockStart[j] + blocks[j];
        int perRepeat = blockStart[^1], perSample = repeats * perRepeat;
        var a = batch.Prepared(Preprocessing);
        var logits = batch.Logits(Name);
        int classes = model.OutputCount;

        var steps = new int[n];
        var baseline = new BaselineValues[n];
        for (int i = 0; i < n; i++)
        {
            if (!Sightline.Numerics.Kernels.AllFinite(batch.Input(i))) { output.Set(i, Score.Undefined(Reasons.NonFiniteInput)); continue; }
            if (!Sightline.Numerics.Kernels.AllFinite(a.AsSpan(i * ad, ad))) { output.Set(i, Score.Undefined(Reasons.NonFiniteMap)); continue; }
            steps[i] = perSample;
            baseline[i] = BaselineValues.For(batch, i, Name, s.PerturbBaseline);
        }
        var rows = new PerturbationRows(steps);
        var attributed = new double[rows.Total];
        var deltas = new double[rows.Total];
        StepBatcher.Forward(model, rows.Total, (row, x) =>
        {
            var (i, step) = rows.Locate(row);
            int repeat = step / perRepeat, within = step % perRepeat;
            int j = Array.FindLastIndex(blockStart, b => b <= within);
            int p = sizes[j], k = within - blockStart[j];
            var xi = batch.Input(i);
            xi.CopyTo(x);
            int across = Ceil(w, p);
            // Patches 0..k: full patch rows above `by`, then patches 0..bx of row `by`, in raster order; a uniform
            // baseline's draws are keyed by (repeat, position), so a patch gets the same values in every row of its repeat.
            for (int pb = 0; pb <= k; pb++)
            {
                int py = pb / across, px = pb % across;
                int y0 = py * p, y1 = Math.Min(h, y0 + p), x0 = px * p, x1 = Math.Min(w, x0 + p);
                for (int c = 0; c < shape.Channels; c++)
                    for (int y = y0; y < y1; y++)
                    {
                        int o = c * shape.Pixels + y * w;
                        for (int q = x0; q < x1; q++) x[o + q] = baseline[i].Value(repeat, o + q);
                    }
            }
            // Σ a ⊙ (x − x̃) over the broadcast map.
            var ai = a.AsSpan(i * ad, ad);
            double sum = 0;
            for (int c = 0; c < shape.Channels; c++)
            {
                var ac = shape.AttributionChannels == 1 ? ai : ai.Slice(c * shape.Pixels, shape.Pixels);
                int off = c * shape.Pixels;
                for (int q = 0; q < shape.Pixels; q++) sum += (double)ac[q] * ((double)xi[off + q] - x[off + q]);
            }
            attributed[row] = sum;
        }, (row, y) =>
        {
            var (i, _) = rows.Locate(row);
            deltas[row] = Perturbation.Output(logits.AsSpan(i * classes, classes), batch.Targets[i], s.Softmax)
                - Perturbation.Output(y, batch.Targets[i], s.Softmax);
        }, batch.Budget);

        for (int i = 0; i < n; i++)
        {
            if (steps[i] == 0) continue;
            long start = rows.Start(i);
            double total = 0;
            bool finite = true;
            for (int r = 0; r < repeats; r++)
            {
                double perSize = 0;
                for (int j = 0; j < sizes.Length; j++)
                {
                    double loss = 0;
                    for (int k = 0; k < blocks[j]; k++)
                    {
                        long row = start + r * perRepeat + blockStart[j] + k;
                        double e = deltas[row] - attributed[row];
                        loss += e * e;
                    }
                    perSize += loss / blocks[j];
                }
                total += perSize / sizes.Length;
            }
            double score = total / repeats;
            finite &= double.IsFinite(score);
            output.Set(i, finite ? new Score(score) : Score.Undefined(Reasons.NonFiniteOutput));
        }
    }

    private static int Ceil(int a, int b) => (a + b - 1) / b;
}
