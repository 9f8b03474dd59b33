using Sightline.Metrics.Faithfulness;
using Sightline.Tests.Evaluation;

namespace Sightline.Tests.Metrics.Faithfulness;

public sealed class InfidelityTests
{
    private static readonly float[] X = [1, 2, 3, 4];
    private static AffineModel Model() => AffineModel.TwoClass(1, 2, 2, [1, 2, 3, 4]);

    [Fact]
    public void Is_the_mean_squared_gap_under_cumulative_patch_removal()
    {
        // Patches of 1 in raster order, black = 1, a = 1 everywhere (no normalisation by default):
        // k=1: drop 0, Σa(x−x̃) 0; k=2: 2 vs 1; k=3: 2 + 6 = 8 vs 1 + 2 = 3; k=4: 8 + 12 = 20 vs 3 + 3 = 6.
        var got = FaithfulnessHarness.Scores(new Infidelity(new() { PerturbPatchSizes = [1] }), EvalBatches.Make(1, 2, 2, X, [1, 1, 1, 1], [0], Model()));
        Assert.Equal((0 + 1 + 25 + 196) / 4.0, got[0], 10);
    }

    [Fact]
    public void The_exact_linear_attribution_has_zero_infidelity_with_border_patches()
    {
        // a = w (broadcast over 3 channels of a model whose weights repeat per channel): Δf = Σ a (x − x̃) exactly.
        // Patch 2 on 3×3 cuts the border patches to the image: 4 patches.
        var w = new float[9];
        for (int p = 0; p < 9; p++) w[p] = p - 4;
        var m = AffineModel.TwoClass(3, 3, 3, [.. w, .. w, .. w]);
        var x = Enumerable.Range(0, 27).Select(i => (float)Math.Sin(i)).ToArray();
        var got = FaithfulnessHarness.Scores(new Infidelity(new() { PerturbPatchSizes = [2, 3] }), EvalBatches.Make(3, 3, 3, x, w, [0], m));
        Assert.Equal(0, got[0], 8);
        Assert.Equal(1 + 4 + 1, m.Rows);
    }

    [Fact]
    public void Deterministic_repeats_are_computed_once()
    {
        // §8 row 14: Quantus runs the n_perturb_samples = 10 identical black-baseline repeats 10 times (1 + 10·4 rows);
        // the score is their mean, so one repeat gives the same value with 1 + 4 rows.
        var m = Model();
        var once = FaithfulnessHarness.Scores(new Infidelity(new() { PerturbPatchSizes = [1] }), EvalBatches.Make(1, 2, 2, X, [1, 1, 1, 1], [0], m));
        Assert.Equal(1 + 4, m.Rows);
        var m1 = Model();
        var one = FaithfulnessHarness.Scores(new Infidelity(new() { PerturbPatchSizes = [1], NPerturbSamples = 1 }), EvalBatches.Make(1, 2, 2, X, [1, 1, 1, 1], [0], m1));
        Assert.Equal(one, once);
    }

    [Fact]
    public void A_uniform_baseline_draws_each_repeat()
    {
        var m = AffineModel.Random(1, 4, 4, 3, 2);
        var metric = new Infidelity(new() { PerturbBaseline = Sightline.Evaluation.PerturbBaseline.Uniform, NPerturbSamples = 3, PerturbPatchSizes = [2] });
        var batch = FaithfulnessHarness.RandomBatch(m, 2, 1, runSeed: 5);
        var a = FaithfulnessHarness.Scores(metric, batch);
        Assert.Equal(2 + 2 * 3 * 4, m.Rows);
        Assert.Equal(a, FaithfulnessHarness.Scores(metric, batch));
        FaithfulnessHarness.AssertBatchSizeInvariant(metric, batch);
    }

    [Fact]
    public void Scores_do_not_depend_on_the_batch_split() =>
        FaithfulnessHarness.AssertBatchSizeInvariant(new Infidelity(new() { PerturbPatchSizes = [2, 3] }),
            FaithfulnessHarness.RandomBatch(AffineModel.Random(3, 5, 5, 4, 2), 3, 3));
}
