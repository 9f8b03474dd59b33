using Sightline.Evaluation;
using Sightline.Metrics;
using Sightline.Metrics.Faithfulness;
using Sightline.Tests.Evaluation;
using static Sightline.Tests.Metrics.Faithfulness.MetricRuns;

namespace Sightline.Tests.Metrics.Faithfulness;

public sealed class MonotonicityCorrelationTests
{
    // x = [1,2,3,4], black = 1, w = [1,2,3,4]: f(x) = 30; removing feature j alone changes f by w_j(x_j − 1) = 0, 2, 6, 12,
    // so v_j = Δ²/30² rises with j.
    private static EvaluationBatch Toy(float[] a, AffineModel? model = null) =>
        EvalBatches.Make(1, 2, 2, [1, 2, 3, 4], a, [0], model ?? AffineModel.TwoClass(1, 2, 2, [1, 2, 3, 4]));

    private static MonotonicityCorrelation Black(int draws = 3) =>
        new(new MonotonicityCorrelationOptions { PerturbBaseline = PerturbBaseline.Black, Softmax = false, NrSamples = draws });

    [Fact]
    public void Attribution_ordered_like_the_variance_correlates_fully()
    {
        Assert.Equal(1, Run(Black(), Toy([0.1f, 0.2f, 0.3f, 0.4f]))[0], 12);
        Assert.Equal(-1, Run(Black(), Toy([0.4f, 0.3f, 0.2f, 0.1f]))[0], 12);
        // Pearson on the same data: atts [.25,.5,.75,1] against v ∝ [0,4,36,144].
        var pearson = new MonotonicityCorrelation(new MonotonicityCorrelationOptions { PerturbBaseline = PerturbBaseline.Black, Softmax = false, NrSamples = 1, SimilarityFunc = SimilarityFunc.Pearson });
        Assert.Equal(Similarity.Pearson([0.25, 0.5, 0.75, 1], [0, 4, 36, 144]), Run(pearson, Toy([0.1f, 0.2f, 0.3f, 0.4f]))[0], 9);
    }

    [Fact]
    public void Rows_are_one_per_draw_and_chunk_and_samples_share_calls()
    {
        var model = AffineModel.TwoClass(1, 2, 2, [1, 2, 3, 4]);
        var b = EvalBatches.Make(1, 2, 2, [1, 2, 3, 4, 4, 3, 2, 1], [0.1f, 0.2f, 0.3f, 0.4f, 1, 2, 3, 4], [0, 0], model, batchSize: 64);
        Run(new MonotonicityCorrelation(new MonotonicityCorrelationOptions { NrSamples = 5, FeaturesInStep = 2 }), b);
        Assert.Equal(2 + 2 * 2 * 5, model.Rows);
        Assert.Equal(2, model.Calls); // unperturbed logits + one call for 20 rows
    }

    [Fact]
    public void Constant_variance_is_undefined()
    {
        // A model that ignores the input: every v is 0.
        var model = AffineModel.TwoClass(1, 2, 2, new float[4]);
        var o = Run(new MonotonicityCorrelation(new MonotonicityCorrelationOptions { NrSamples = 2 }), Toy([0.1f, 0.2f, 0.3f, 0.4f], model));
        Assert.True(double.IsNaN(o[0]));
        Assert.Equal(Reasons.UndefinedCorrelation, o.Reasons[0]);
    }

    [Fact]
    public void Uniform_draws_are_seeded_per_sample_and_batch_size_invariant()
    {
        var m = new MonotonicityCorrelation(new MonotonicityCorrelationOptions { NrSamples = 4, FeaturesInStep = 2 });
        var o = AssertBatchInvariant(m, 2, 2, 4, 1);
        AssertBounds(m, o);
        var (model, x, a, t) = Random(4, 2, 2, 4, 1, 7);
        Assert.Equal(o.Values, Run(m, EvalBatches.Make(2, 2, 4, x, a, t, model, seed: 3)).Values);
        Assert.NotEqual(o.Values, Run(m, EvalBatches.Make(2, 2, 4, x, a, t, model, seed: 5)).Values);
    }
}
