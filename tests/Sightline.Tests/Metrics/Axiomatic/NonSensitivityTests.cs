using Sightline.Evaluation;
using Sightline.Metrics.Axiomatic;
using Sightline.Tests.Evaluation;
using Sightline.Tests.Metrics.Faithfulness;
using static Sightline.Tests.Metrics.Faithfulness.MetricRuns;

namespace Sightline.Tests.Metrics.Axiomatic;

public sealed class NonSensitivityTests
{
    // Quantus's toy models (tests/metrics/test_axiomatic_metrics.py): one output each, so softmax is off (a softmax over
    // one output is constantly 1).
    private static FuncModel SemiSensitive(int h, int w) => new(1, h, w, 1, (x, _) => SumRow(x, w, 0), "semi-sensitive");
    private static FuncModel Sensitive(int h, int w) => new(1, h, w, 1, (x, _) => { float s = 0; foreach (var v in x) s += v; return s; }, "sensitive");
    private static FuncModel Insensitive(int h, int w) => new(1, h, w, 1, (_, _) => 100, "insensitive");
    private static FuncModel Trick(int h, int w) => new(1, h, w, 1, (x, _) => SumRow(x, w, 1), "trick");

    private static float SumRow(ReadOnlySpan<float> x, int w, int row)
    {
        float s = 0;
        foreach (var v in x.Slice(row * w, w)) s += v;
        return s;
    }

    private static NonSensitivity Toy(int fis) => new(new NonSensitivityOptions
    {
        PerturbBaseline = PerturbBaseline.Uniform, Normalise = false, Eps = 1e-5, FeaturesInStep = fis, Softmax = false,
    });

    private static double Score(NonSensitivity m, FuncModel model, float[] x, float[] a) =>
        Run(m, EvalBatches.Make(1, model.InputShape[1], model.InputShape[2], x, a, [0], model))[0];

    [Fact]
    public void Quantus_semi_sensitive_model_scores_0() =>
        Assert.Equal(0, Score(Toy(2), SemiSensitive(2, 2), [1, 2, 3, 4], [10, 10, 0, 0]));

    [Fact]
    public void Quantus_sensitive_model_with_tiny_attributions_scores_4()
    {
        var rng = new Random(1);
        var a = Enumerable.Range(0, 4).Select(_ => (float)(1e-6 + rng.NextDouble() * 1e-6)).ToArray();
        Assert.Equal(4, Score(Toy(1), Sensitive(2, 2), [5, 5, 5, 5], a));
    }

    [Fact]
    public void Quantus_insensitive_model_scores_16()
    {
        var rng = new Random(2);
        var x = Enumerable.Range(0, 16).Select(_ => (float)rng.NextDouble()).ToArray();
        Assert.Equal(16, Score(Toy(1), Insensitive(4, 4), x, Ones(16)));
    }

    [Fact]
    public void Quantus_trick_model_scores_4() =>
        Assert.Equal(4, Score(Toy(1), Trick(2, 2), [1, 2, 3, 4], [10, 10, 0, 0]));

    [Fact]
    public void Each_sample_is_predicted_once_per_chunk_with_shared_calls()
    {
        // Spec §8 row 14: Quantus predicts the whole batch for each single-sample perturbation (B²·d rows).
        var (model, x, a, t) = Random(4, 2, 2, 2, 1, 3);
        var b = EvalBatches.Make(2, 2, 2, x, a, t, model, batchSize: 64);
        Run(new NonSensitivity(), b);
        Assert.Equal(4 + 4 * 8, model.Rows);
        Assert.Equal(2, model.Calls);
    }

    [Fact]
    public void Known_answer_on_an_affine_model_with_black_baseline()
    {
        // x = [1,2,3,4] (black = 1), w = [1, 0, 1, 0] (logit; class 1 ≡ 0): removing 0 changes nothing (x0 = min), 1 nothing
        // (w = 0), 2 and 3: −2 and 0. a = [0, 5, 0, 1]: non-features {0, 2}; insensitive {0, 1, 3} → XOR at 1, 2, 3 → 3.
        var model = AffineModel.TwoClass(1, 2, 2, [1, 0, 1, 0]);
        var b = EvalBatches.Make(1, 2, 2, [1, 2, 3, 4], [0, 5, 0, 1], [0], model);
        Assert.Equal(3, Run(new NonSensitivity(new NonSensitivityOptions { Softmax = false }), b)[0]);
        // Quantus's chunks: non-features in index order, then features: fis 2 → {0, 2} sensitive, {1, 3} insensitive → 4.
        Assert.Equal(4, Run(new NonSensitivity(new NonSensitivityOptions { Softmax = false, FeaturesInStep = 2 }), b)[0]);
        Assert.Throws<InputDataException>(() => Run(new NonSensitivity(new NonSensitivityOptions { FeaturesInStep = 3 }), b));
    }

    [Fact]
    public void Chunks_never_mix_features_and_non_features()
    {
        // w = [1, 1, 1, 0, 0, 0], x = 2s (zero baseline), a = [1, 0, 1, 0, 1, 0], fis 2. Non-features {1, 3, 5}: chunks
        // {1, 3} (Δ = 2, sensitive: XOR at 1 and 3), {5} (insensitive); features {0, 2, 4}: chunks {0, 2} (sensitive),
        // {4} (Δ = 0: XOR at 4) → 3.
        var model = AffineModel.TwoClass(1, 2, 3, [1, 1, 1, 0, 0, 0]);
        var b = EvalBatches.Make(1, 2, 3, [2, 2, 2, 2, 2, 2], [1, 0, 1, 0, 1, 0], [0], model, batchSize: 64);
        var m = new NonSensitivity(new NonSensitivityOptions { Softmax = false, FeaturesInStep = 2, PerturbBaseline = PerturbBaseline.Zero });
        Assert.Equal(3, Run(m, b)[0]);
        Assert.Equal(1 + 4, model.Rows); // the logits of x, then ⌈3/2⌉ + ⌈3/2⌉ chunks
    }

    [Fact]
    public void Batch_size_invariant()
    {
        AssertBatchInvariant(new NonSensitivity(new NonSensitivityOptions { FeaturesInStep = 2 }), 2, 2, 2, 1);
        AssertBatchInvariant(new NonSensitivity(new NonSensitivityOptions { PerturbBaseline = PerturbBaseline.Uniform }), 2, 2, 2, 2);
    }
}
