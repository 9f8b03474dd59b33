using Sightline.Evaluation;
using Sightline.Metrics.Faithfulness;
using Sightline.Tests.Evaluation;
using static Sightline.Tests.Metrics.Faithfulness.MetricRuns;

namespace Sightline.Tests.Metrics.Faithfulness;

public sealed class MonotonicityTests
{
    [Fact]
    public void Inserting_x_into_the_baseline_that_lowers_the_output_is_not_monotone()
    {
        // Spec §8 row 1: Quantus re-applies the baseline, never inserts x, predicts f(x_b) at every step and says True.
        // x = [1,2,3,4], black = 1, w = [1,−2,1,1]: f(x_b) = 1; inserting by ascending a (0, 1, 2, 3) gives 1, −1, 1, 4.
        var model = AffineModel.TwoClass(1, 2, 2, [1, -2, 1, 1]);
        var b = EvalBatches.Make(1, 2, 2, [1, 2, 3, 4], [0.1f, 0.2f, 0.3f, 0.4f], [0], model);
        Assert.Equal(0, Run(new Monotonicity(new MonotonicityOptions { Softmax = false }), b)[0]);
        Assert.Equal(0, Run(new Monotonicity(), b)[0]);
        Assert.Equal(8, model.Rows); // 4 steps per run, twice
    }

    [Fact]
    public void A_model_that_rises_with_every_inserted_feature_is_monotone()
    {
        var model = AffineModel.TwoClass(1, 2, 2, [1, 2, 3, 4]);
        var b = EvalBatches.Make(1, 2, 2, [1, 2, 3, 4], [0.1f, 0.2f, 0.3f, 0.4f], [0], model);
        Assert.Equal(1, Run(new Monotonicity(), b)[0]);
    }

    [Fact]
    public void Features_are_inserted_by_ascending_attribution_in_chunks()
    {
        // w = [−1, 0, 0, 5], x = [2, 3, 4, 1] (black = 1, f(x_b) = 4), a = [.4, .3, .2, .1]: features go in as 3, 2, 1, 0;
        // f stays 4 until feature 0 (x0 = 2) brings it to 3 → not monotone.
        var model = AffineModel.TwoClass(1, 2, 2, [-1, 0, 0, 5]);
        var b = EvalBatches.Make(1, 2, 2, [2, 3, 4, 1], [0.4f, 0.3f, 0.2f, 0.1f], [0], model);
        Assert.Equal(0, Run(new Monotonicity(new MonotonicityOptions { Softmax = false }), b)[0]);
        // fis 4: a single step (x itself), no differences → monotone.
        Assert.Equal(1, Run(new Monotonicity(new MonotonicityOptions { Softmax = false, FeaturesInStep = 4 }), b)[0]);
        // fis 2: {3, 2} inserted → 4, then {1, 0} → 3: a drop → 0.
        Assert.Equal(0, Run(new Monotonicity(new MonotonicityOptions { Softmax = false, FeaturesInStep = 2 }), b)[0]);
        Assert.Throws<InputDataException>(() => Run(new Monotonicity(new MonotonicityOptions { FeaturesInStep = 3 }), b));
    }

    [Fact]
    public void Batch_size_invariant_and_shares_calls()
    {
        var m = new Monotonicity(new MonotonicityOptions { FeaturesInStep = 4 });
        AssertBounds(m, AssertBatchInvariant(m, 2, 2, 4, 1));
        AssertBatchInvariant(new Monotonicity(new MonotonicityOptions { FeaturesInStep = 2, PerturbBaseline = PerturbBaseline.Uniform }), 2, 2, 4, 2);
        var (model, x, a, t) = Random(4, 2, 2, 4, 1, 9);
        Run(m, EvalBatches.Make(2, 2, 4, x, a, t, model, batchSize: 64));
        Assert.Equal(1, model.Calls);
        Assert.Equal(4 * 4, model.Rows);
    }
}
