using Sightline.Evaluation;
using Sightline.Metrics;
using Sightline.Metrics.Robustness;
using Sightline.Tests.Evaluation;

namespace Sightline.Tests.Metrics.Robustness;

public sealed class AvgSensitivityTests
{
    // y_0 = Σ 3·x_j on 1×2×2: input × gradient gives a = 3x, so ‖a − a'‖ / ‖a‖ = ‖δ‖ / ‖x‖ (with ‖x‖ instead of ‖a‖ in the
    // denominator, the pre-#288 bug, it would be 3‖δ‖/‖x‖).
    private static readonly float[] X = [1, 2, 3, 4];

    internal static (double R0, double R1) FixedRatios(float[] x, float[][] deltas, float w)
    {
        double Ratio(float[] d)
        {
            double num = 0, den = 0;
            for (int j = 0; j < x.Length; j++)
            {
                float a = w * x[j], ap = w * (x[j] + d[j]);
                num += ((double)a - ap) * ((double)a - ap);
                den += (double)a * a;
            }
            return Math.Sqrt(num) / Math.Sqrt(den);
        }
        return (Ratio(deltas[0]), Ratio(deltas[1]));
    }

    [Fact]
    public void Gradient_of_an_affine_model_does_not_move_so_sensitivity_is_zero()
    {
        var model = AffineModel.Random(1, 2, 2, 3, seed: 1);
        var batch = Robust.Batch(model, FuncReexplainer.Gradient(), 2, 2, [1, 2, 3, 4, -1, 0.5f, 2, 0], [0, 2]);
        var o = Robust.Run(new AvgSensitivity(new() { NrSamples = 7 }), batch);
        Assert.Equal(0, o[0]);
        Assert.Equal(0, o[1]);
    }

    [Fact]
    public void Mean_relative_change_with_fixed_noise_divides_by_the_attribution_norm()
    {
        var model = AffineModel.TwoClass(1, 2, 2, [3, 3, 3, 3]);
        float[][] deltas = [[0.1f, 0, 0, 0], [0.2f, 0.2f, 0, 0]];
        var batch = Robust.Batch(model, FuncReexplainer.InputTimesGradient(), 2, 2, X, [0]);
        var o = new MetricOutput(1, ["avg_sensitivity"]);
        new AvgSensitivity(new() { NrSamples = 2 }).Evaluate(batch, o, Robust.Fixed([deltas]));
        var (r0, r1) = FixedRatios(X, deltas, 3);
        Assert.Equal((r0 + r1) / 2, o[0], 12);
        Assert.Equal((0.1 + Math.Sqrt(0.08)) / 2 / Math.Sqrt(30), o[0], 6); // by hand: ‖δ‖/‖x‖, ‖x‖ = √30
    }

    [Fact]
    public void Noise_is_uniform_from_the_per_sample_generator_in_draw_order()
    {
        // Replays the documented draws: δ = −0.2 + 0.4·U per value from RandomFor(i, name), values then draws in order.
        var model = AffineModel.TwoClass(1, 2, 2, [1, 1, 1, 1]);
        var batch = Robust.Batch(model, FuncReexplainer.InputTimesGradient(), 2, 2, [.. X, .. X.Select(v => -v)], [0, 0], seed: 5, firstIndex: 10);
        var o = Robust.Run(new AvgSensitivity(new() { NrSamples = 9 }), batch);
        for (int i = 0; i < 2; i++)
        {
            var rng = batch.RandomFor(i, "avg_sensitivity");
            var x = batch.Input(i).ToArray();
            double sum = 0;
            for (int k = 0; k < 9; k++)
            {
                double num = 0;
                for (int j = 0; j < 4; j++)
                {
                    float xp = (float)(x[j] + (-0.2 + 0.4 * rng.NextDouble()));
                    num += ((double)x[j] - xp) * ((double)x[j] - xp);
                }
                sum += Math.Sqrt(num) / Math.Sqrt(30);
            }
            Assert.Equal(sum / 9, o[i], 12);
        }
    }

    [Fact]
    public void Upper_bound_switches_to_noise_between_the_bounds()
    {
        var model = AffineModel.TwoClass(1, 2, 2, [1, 1, 1, 1]);
        var batch = Robust.Batch(model, FuncReexplainer.InputTimesGradient(), 2, 2, X, [0]);
        var o = Robust.Run(new AvgSensitivity(new() { NrSamples = 50, LowerBound = 0.1, UpperBound = 0.1000001 }), batch);
        Assert.Equal(0.2 / Math.Sqrt(30), o[0], 5); // δ ≈ 0.1 on each of 4 values: ‖δ‖ = 0.2
        var e = Assert.Throws<InputDataException>(() => Robust.Run(new AvgSensitivity(new() { LowerBound = 0.3, UpperBound = 0.2 }), batch));
        Assert.Contains("avg_sensitivity.upper_bound", e.Message);
    }

    [Fact]
    public void Prediction_change_gives_nan_only_when_asked()
    {
        // Σx = 0.02: uniform noise of ±0.2 on four values flips the sign (class 0 ↔ 1) in most draws.
        var model = AffineModel.TwoClass(1, 2, 2, [1, 1, 1, 1]);
        var batch = Robust.Batch(model, FuncReexplainer.InputTimesGradient(), 2, 2, [0.5f, -0.5f, 0.5f, -0.48f], [0]);
        var flagged = Robust.Run(new AvgSensitivity(new() { NrSamples = 20, ReturnNanWhenPredictionChanges = true }), batch);
        Assert.True(double.IsNaN(flagged[0]));
        Assert.Equal(Reasons.PredictionChanged, flagged.Reasons[0]);
        var plain = Robust.Run(new AvgSensitivity(new() { NrSamples = 20 }), batch);
        Assert.True(plain[0] > 0);
    }

    [Fact]
    public void All_zero_attribution_is_nan_with_a_reason()
    {
        var model = AffineModel.TwoClass(1, 2, 2, [1, 1, 1, 1]);
        var batch = new EvaluationBatch(new EvaluationShape(1, 2, 2, 1, 2), 1, X, new float[4], [0], model: model,
            explainer: FuncReexplainer.InputTimesGradient());
        var o = Robust.Run(new AvgSensitivity(new() { NrSamples = 3 }), batch);
        Assert.True(double.IsNaN(o[0]));
        Assert.Equal(Reasons.EmptySaliency, o.Reasons[0]);
    }

    [Fact]
    public void Saliency_only_runs_are_refused_naming_method()
    {
        var model = AffineModel.TwoClass(1, 2, 2, [1, 1, 1, 1]);
        var batch = new EvaluationBatch(new EvaluationShape(1, 2, 2, 1, 2), 1, X, [1, 1, 1, 1], [0], model: model);
        var e = Assert.Throws<InputDataException>(() => Robust.Run(new AvgSensitivity(new()), batch));
        Assert.Contains("--method", e.Message);
    }

    [Fact]
    public void The_kth_noisy_copies_of_all_samples_share_one_explain_call()
    {
        var model = AffineModel.Random(1, 2, 2, 3, seed: 2);
        var explainer = FuncReexplainer.InputTimesGradient();
        var inputs = Enumerable.Range(0, 16).Select(v => v * 0.1f - 0.7f).ToArray();
        var batch = Robust.Batch(model, explainer, 2, 2, inputs, [0, 1, 2, 0], firstIndex: 100);
        Robust.Run(new AvgSensitivity(new() { NrSamples = 10 }), batch);
        Assert.Equal(10, explainer.Calls);
        Assert.Equal(40, explainer.Rows);
        Assert.Equal(Enumerable.Range(0, 10).Select(k => 100 + (k + 1) * Reexplanation.DrawIndexStride), explainer.FirstIndices);

        // A budget of 3 rows per call: a draw of 4 samples no longer fits one call, so chunks of 3 rows straddle draws (20
        // calls of at most 3 rows for 40 rows), never one call per sample and draw.
        var small = Robust.Batch(model, explainer, 2, 2, inputs, [0, 1, 2, 0], batchSize: 3);
        Robust.Run(new AvgSensitivity(new() { NrSamples = 10 }), small);
        Assert.Equal(20, explainer.Calls);
        Assert.Equal(40, explainer.Rows);
    }
}
