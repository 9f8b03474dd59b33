using Sightline.Evaluation;
using Sightline.Metrics.Randomisation;
using Sightline.Models;

namespace Sightline.Metrics.Axiomatic;

/// <summary>Options of <see cref="InputInvariance"/> (Quantus <c>InputInvariance</c>).</summary>
public sealed record InputInvarianceOptions : MetricOptions
{
    /// <summary>Quantus defaults: raw maps (no normalisation, signed).</summary>
    public InputInvarianceOptions() => Normalise = false;

    /// <summary>The constant added to every input value (Quantus <c>input_shift</c>, −1).</summary>
    public double InputShift { get; init; } = -1;

    /// <summary>Absolute tolerance per value (NumPy <c>isclose</c> atol; Quantus compares with 1e-4).</summary>
    public double Atol { get; init; } = 1e-4;

    /// <summary>Relative tolerance per value (NumPy <c>isclose</c>'s default rtol, 1e-5, relative to |a'|).</summary>
    public double Rtol { get; init; } = 1e-5;
}

/// <summary>
/// Input invariance (Kindermans et al., "The (Un)reliability of Saliency Methods", in Explainable AI: Interpreting,
/// Explaining and Visualizing Deep Learning, Springer LNCS 11700, 2019; Quantus <c>InputInvariance</c>): a model f' whose
/// first layer absorbs a constant input shift s (bias b' = b − s·ΣW, <see cref="IRandomisableModel.WithInputShift"/>) computes
/// the same function on x + s as f on x, so an explanation method should give the same map:
/// score = 1 when |a(x) − a'(x + s)| ≤ atol + rtol·|a'(x + s)| for every value (NumPy <c>np.all(np.isclose(a, a'))</c>),
/// else 0, where a is the given attribution and a' the method's explanation of x + s on f'. Gradients pass (f' has f's
/// gradient); input × gradient and integrated gradients with a zero baseline fail (Kindermans' finding). The shift
/// compensation is exact for a first layer without zero padding; a padded Conv's border outputs see 0 instead of s, so
/// a gradient method may fail there for reasons of the model, not the method. Maps are preprocessed per the options
/// (Quantus default: none). Higher is better; 1 explanation per sample, all samples in one call. NaN: a non-finite map.
/// </summary>
[Metric("input_invariance", MetricFamily.Axiomatic, ScoreDirection.HigherIsBetter, Order = 3, Minimum = 0, Maximum = 1,
    Needs = MetricNeeds.Model | MetricNeeds.Reexplain | MetricNeeds.RandomisedModels, Cost = "1 E",
    Summary = "Whether the explanation is unchanged when the input is shifted by a constant and the first layer compensates.",
    Citation = "Kindermans et al., The (Un)reliability of Saliency Methods, LNCS 11700, 2019")]
public sealed class InputInvariance(InputInvarianceOptions options) : EvaluationMetric<InputInvarianceOptions>(options)
{
    /// <summary>Quantus defaults.</summary>
    public InputInvariance() : this(new InputInvarianceOptions()) { }

    /// <inheritdoc/>
    public override void Evaluate(EvaluationBatch batch, MetricOutput output)
    {
        if (!double.IsFinite(Settings.InputShift)) throw new InputDataException($"--param {Name}.input_shift={Settings.InputShift}: a finite number is needed.");
        if (!(Settings.Atol >= 0) || !(Settings.Rtol >= 0)) throw new InputDataException($"--param {Name}.atol / rtol: values ≥ 0 are needed.");
        var explainer = batch.RequireExplainer(Name);
        var model = RandomisationSupport.RequireRandomisable(batch, Name);
        int n = batch.Count, size = batch.Shape.AttributionValues;
        float shift = (float)Settings.InputShift;
        var shifted = new float[batch.Inputs.Length];
        for (int j = 0; j < shifted.Length; j++) shifted[j] = batch.Inputs[j] + shift;
        var prep = Preprocessing;
        var reference = batch.Prepared(prep);
        float[] maps;
        using (var copy = model.WithInputShift(shift))
            maps = RandomisationSupport.Explain(batch, explainer, copy, shifted, n, batch.Targets);
        RandomisationSupport.Prepare(maps, n, size, prep);
        for (int i = 0; i < n; i++)
        {
            var a = reference.AsSpan(i * size, size);
            var b = maps.AsSpan(i * size, size);
            if (!RandomisationSupport.AllFinite(a) || !RandomisationSupport.AllFinite(b)) { output.Set(i, Score.Undefined(RandomisationReasons.NonFinite)); continue; }
            bool close = true;
            for (int j = 0; j < size && close; j++) close = Math.Abs((double)a[j] - b[j]) <= Settings.Atol + Settings.Rtol * Math.Abs((double)b[j]);
            output.Set(i, new Score(close ? 1 : 0));
        }
    }
}
