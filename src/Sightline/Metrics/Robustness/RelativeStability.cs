using Sightline.Evaluation;
using Sightline.Models;

namespace Sightline.Metrics.Robustness;

/// <summary>Which change the explanation's relative change is divided by (Agarwal et al. 2022).</summary>
internal enum StabilityKind
{
    /// <summary>RIS: ‖(x − x')/x‖₂.</summary>
    Input,
    /// <summary>ROS: ‖h(x) − h(x')‖₂ on the model outputs.</summary>
    Output,
    /// <summary>RRS: ‖(l(x) − l(x'))/l(x)‖₂ on hidden activations.</summary>
    Representation,
}

/// <summary>The options the three relative stability metrics share.</summary>
internal readonly record struct StabilitySettings(int NrSamples, double EpsMin, double LowerBound, double? UpperBound,
    bool ReturnNanWhenPredictionChanges, bool Softmax = false, string[]? LayerNames = null);

/// <summary>
/// The relative stability metrics of Agarwal, Johnson, Pawelczyk, Krishna, Saxena, Zitnik &amp; Lakkaraju, "Rethinking
/// Stability for Attribution-based Explanations" (ICLR 2022 PAIR2Struct workshop): per draw k,
/// r_k = ‖(a − a'_k) / a‖₂ / max(D_k, ε), zeros of a (and of x, l) replaced by ε = eps_min (Quantus's a + (a == 0)·ε),
/// x'_k = x + U(0.02, 0.2) per value (Quantus's <c>uniform_noise</c> with lower_bound 0.02 and its RIS default
/// perturb_func_kwargs upper_bound 0.2: the noise is positive), score = max_k r_k.
/// <para>
/// Class flips (spec §8 row 12): with return_nan_when_prediction_changes (default true) Quantus sets a draw whose
/// predicted class differs from x's to NaN and then takes np.max, so a single flip makes the sample NaN. Sightline takes
/// the maximum over the draws that kept the class and reports the number of flipped draws in a second column
/// <c>&lt;metric&gt;_flips</c> (counted with or without the flag); with the flag off every draw counts. All draws flipped:
/// NaN (<see cref="Reasons.AllDrawsFlipped"/>). Denominator: max(D, ε) as in the paper (Quantus adds ε only when D is
/// exactly 0; they differ only for 0 &lt; D &lt; ε).
/// </para>
/// </summary>
internal static class RelativeStability
{
    /// <summary>The result columns: the score, then the flip count.</summary>
    public static IReadOnlyList<string> Columns(string metric) => [metric, metric + "_flips"];

    /// <summary>The additive noise of the options.</summary>
    public static Perturb Noise(EvaluationBatch batch, string metric, StabilitySettings o)
    {
        Reexplanation.RequirePositive(o.NrSamples, metric, "nr_samples");
        if (!(o.EpsMin > 0)) throw new InputDataException($"--param {metric}.eps_min={o.EpsMin}: must be > 0.");
        Sensitivity.Check(metric, o.NrSamples, o.LowerBound, o.UpperBound);
        return Reexplanation.AdditiveNoise(batch, metric, Reexplanation.Uniform(o.LowerBound, o.UpperBound));
    }

    /// <summary>Scores every sample (column 0) and counts its flipped draws (column 1).</summary>
    public static void Evaluate(EvaluationBatch batch, MetricOutput output, string metric, StabilityKind kind, AttributionPreprocessing preprocessing,
        StabilitySettings o, Perturb perturb)
    {
        int n = batch.Count, asize = batch.Shape.AttributionValues;
        var model = batch.RequireModel(metric);
        int k = model.OutputCount;
        var a = batch.Prepared(preprocessing);
        var pred = Reexplanation.Predictions(batch, metric);
        RowOutputs outputs;
        float[]? reference = null;
        int refWidth = 0;
        if (kind == StabilityKind.Representation)
        {
            var hidden = Hidden.For(batch, metric, o.LayerNames);
            outputs = hidden;
            refWidth = hidden.Width;
            reference = new float[n * refWidth];
            hidden.Run(batch.Inputs, n, reference);
        }
        else
        {
            outputs = RowOutputs.Logits(model, batch.Budget);
            if (kind == StabilityKind.Output)
            {
                refWidth = k;
                reference = (float[])batch.Logits(metric).Clone();
                if (o.Softmax) for (int i = 0; i < n; i++) Softmax(reference.AsSpan(i * k, k));
            }
        }
        var best = new double[n];
        Array.Fill(best, double.NaN);
        var flips = new int[n];
        var bad = new bool[n];
        var probs = new float[k];
        Reexplanation.Run(batch, metric, o.NrSamples, preprocessing, perturb, outputs, (i, _, xp, ap, y) =>
        {
            bool flipped = Perturbation.ArgMax(y[..k]) != pred[i];
            if (flipped) flips[i]++;
            if (flipped && o.ReturnNanWhenPredictionChanges) return;
            if (!Reexplanation.AllFinite(ap)) { bad[i] = true; return; }
            double num = Reexplanation.RelativeL2(a.AsSpan(i * asize, asize), ap, o.EpsMin);
            double den;
            switch (kind)
            {
                case StabilityKind.Input:
                    den = Reexplanation.RelativeL2(batch.Input(i), xp, o.EpsMin);
                    break;
                case StabilityKind.Output:
                    y[..k].CopyTo(probs);
                    if (o.Softmax) Softmax(probs);
                    den = Reexplanation.L2Distance(reference.AsSpan(i * k, k), probs);
                    break;
                default:
                    den = Reexplanation.RelativeL2(reference.AsSpan(i * refWidth + k, refWidth - k), y[k..], o.EpsMin);
                    break;
            }
            double r = num / Math.Max(den, o.EpsMin);
            best[i] = double.IsNaN(best[i]) ? r : Math.Max(best[i], r);
        });
        for (int i = 0; i < n; i++)
        {
            output.Set(i, 1, flips[i]);
            if (!Reexplanation.AllFinite(a.AsSpan(i * asize, asize)) || bad[i]) output.Set(i, Score.Undefined(Reasons.NonFiniteMap));
            else if (double.IsNaN(best[i])) output.Set(i, Score.Undefined(Reasons.AllDrawsFlipped));
            else output.Set(i, new Score(best[i]));
        }
    }

    private static void Softmax(Span<float> v)
    {
        float max = float.NegativeInfinity;
        foreach (var f in v) max = Math.Max(max, f);
        double sum = 0;
        for (int j = 0; j < v.Length; j++) sum += Math.Exp(v[j] - max);
        for (int j = 0; j < v.Length; j++) v[j] = (float)(Math.Exp(v[j] - max) / sum);
    }

    /// <summary>Logits followed by the concatenated activations of the named layers, per row.</summary>
    internal sealed class Hidden : RowOutputs
    {
        private readonly IActivationModel _model;
        private readonly string[] _layers;
        private readonly int[] _sizes;
        private readonly ModelBudget _budget;

        private Hidden(IActivationModel model, string[] layers, ModelBudget budget)
        {
            _model = model;
            _layers = layers;
            _sizes = [.. layers.Select(l => model.LayerShape(l).Aggregate(1, (p, q) => p * q))];
            _budget = budget;
        }

        /// <summary>The layers read (the named ones, or the default).</summary>
        public IReadOnlyList<string> Layers => _layers;

        /// <inheritdoc/>
        public override int Width => _model.OutputCount + _sizes.Sum();

        /// <summary>
        /// The representation for <paramref name="metric"/>: the named layers of the batch's model (it must expose
        /// activations, <see cref="IActivationModel"/>), or by default the last layer the model lists before its output
        /// (trailing entries with as many values as the model has outputs, the logits and a Softmax or Identity after
        /// them, are passed over).
        /// </summary>
        /// <exception cref="InputDataException">The model exposes no activations, a name is unknown, or no default layer exists.</exception>
        public static Hidden For(EvaluationBatch batch, string metric, string[]? names)
        {
            var model = batch.Model as IActivationModel ?? batch.ExplainModel as IActivationModel
                ?? throw new InputDataException($"Metric '{metric}' reads hidden activations; model '{batch.RequireModel(metric).Name}' does not expose its layers on this back end.");
            var layers = model.Layers;
            string[] chosen;
            if (names is { Length: > 0 })
            {
                foreach (var l in names)
                    if (!layers.Any(x => x.Name == l)) throw LayerNames.Unknown(l, model.Name, layers);
                chosen = names;
            }
            else
            {
                string? last = null;
                for (int j = layers.Count - 1; j >= 0 && last is null; j--)
                    if (model.LayerShape(layers[j].Name).Aggregate(1, (p, q) => p * q) != model.OutputCount) last = layers[j].Name;
                chosen = last is null
                    ? throw new InputDataException($"Metric '{metric}': model '{model.Name}' lists no hidden layer; name one with --param {metric}.layer_names=LAYER.")
                    : [last];
            }
            return new Hidden(model, chosen, batch.Budget);
        }

        /// <inheritdoc/>
        public override void Run(float[] inputs, int rows, Span<float> outputs)
        {
            int size = _model.InputShape.Aggregate(1, (p, q) => p * q), k = _model.OutputCount, width = Width;
            int per = _budget.RowsPerCall(size + _sizes.Max());
            per = Math.Max(1, Math.Min(per, rows));
            var logits = new float[per * k];
            var acts = _sizes.Select(s => new float[per * s]).ToArray();
            for (int start = 0; start < rows; start += per)
            {
                int m = Math.Min(per, rows - start);
                var x = inputs.AsSpan(start * size, m * size);
                for (int l = 0; l < _layers.Length; l++)
                    _model.LayerActivations(_layers[l], x, m, acts[l].AsSpan(0, m * _sizes[l]), logits.AsSpan(0, m * k));
                for (int r = 0; r < m; r++)
                {
                    var row = outputs.Slice((start + r) * width, width);
                    logits.AsSpan(r * k, k).CopyTo(row);
                    int off = k;
                    for (int l = 0; l < _layers.Length; l++)
                    {
                        acts[l].AsSpan(r * _sizes[l], _sizes[l]).CopyTo(row[off..]);
                        off += _sizes[l];
                    }
                }
            }
        }
    }
}
