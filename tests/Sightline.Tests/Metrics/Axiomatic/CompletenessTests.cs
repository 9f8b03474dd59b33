using Sightline.Evaluation;
using Sightline.Metrics.Axiomatic;
using Sightline.Tests.Evaluation;
using static Sightline.Tests.Metrics.Faithfulness.MetricRuns;

namespace Sightline.Tests.Metrics.Axiomatic;

public sealed class CompletenessTests
{
    // x = [1,2,3,4], black = 1 → x_b = 1s; logit 0 = Σx: f(x) = 10, f(x_b) = 4, Δf = 6.
    private static EvaluationBatch Toy(float[] a, AffineModel? model = null) =>
        EvalBatches.Make(1, 2, 2, [1, 2, 3, 4], a, [0], model ?? AffineModel.TwoClass(1, 2, 2, Ones(4)));

    private static readonly CompletenessOptions Raw = new() { Normalise = false };

    [Fact]
    public void Attributions_summing_to_the_output_change_are_complete()
    {
        var o = Run(new Completeness(Raw), Toy([0, 1, 2, 3]));
        Assert.Equal(["completeness", "completeness_residual"], o.Columns);
        Assert.Equal(1, o[0]);
        Assert.Equal(0, o.Values[1], 12);
    }

    [Fact]
    public void Residual_is_sum_minus_delta()
    {
        var o = Run(new Completeness(Raw), Toy([0, 1, 2, 1]));
        Assert.Equal(0, o[0]);
        Assert.Equal(-2, o.Values[1], 6);
        // Quantus's default normalise for Completeness, by negative: [0, 1/3, 2/3, 1] sums to 2.
        var n = Run(new Completeness(), Toy([0, 1, 2, 3]));
        Assert.Equal(0, n[0]);
        Assert.Equal(2 - 6, n.Values[1], 6);
        // Negatives ÷ |min|: [−2, 1, 2, 3] → [−1, 1/3, 2/3, 1], Σ = 1 (by max it would be 4/3).
        Assert.Equal(1 - 6, Run(new Completeness(), Toy([-2, 1, 2, 3])).Values[1], 6);
    }

    [Fact]
    public void A_sum_off_by_float_rounding_is_complete_with_tolerance()
    {
        // Spec §8 row 7: Quantus tests Σa == Δf exactly, so a sum off by 1e-5 is "incomplete" there.
        var a = new float[] { 0, 1, 2, 3.00001f };
        Assert.NotEqual(6.0, a.Sum(v => (double)v));
        Assert.Equal(1, Run(new Completeness(Raw), Toy(a))[0]);
        Assert.Equal(0, Run(new Completeness(Raw with { Rtol = 0, Atol = 0 }), Toy(a))[0]);
    }

    [Fact]
    public void Sum_runs_over_the_map_as_given_not_broadcast()
    {
        // C = 2: w = 1s, x = [1,2 | 3,4], x_b = 1s: Δf = 6; a 1-channel map [2, 4] sums to 6 (broadcast it would sum to 12).
        var model = AffineModel.TwoClass(2, 1, 2, Ones(4));
        var b = EvalBatches.Make(2, 1, 2, [1, 2, 3, 4], [2, 4], [0], model, batchSize: 64);
        Assert.Equal(1, Run(new Completeness(Raw), b)[0]);
        Assert.Equal(2, model.Rows); // x (the shared logits) and x_b
    }

    [Fact]
    public void Batch_size_invariant_and_softmax_option()
    {
        AssertBatchInvariant(new Completeness(), 2, 2, 2, 1);
        AssertBatchInvariant(new Completeness(new CompletenessOptions { PerturbBaseline = PerturbBaseline.Uniform, Softmax = true }), 2, 2, 2, 2);
    }
}
