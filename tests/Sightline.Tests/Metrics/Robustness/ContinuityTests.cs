using Sightline.Evaluation;
using Sightline.Metrics;
using Sightline.Metrics.Robustness;
using Sightline.Tests.Evaluation;

namespace Sightline.Tests.Metrics.Robustness;

public sealed class ContinuityTests
{
    // x = [[1, 2], [3, 5]], black = min(x) = 1, a = x (input × gradient with unit weights), no normalisation.
    // nr_steps 5 on a 2-pixel axis: step ⌊5/5⌋ = 1, shifts −2, −1, (0 skipped), 1, 2.
    //   x shifts: +1 → [[1,1],[1,3]]: |Δ| = (0,1,2,2), L1 5, L2 3;   −1 → [[2,1],[5,1]]: (1,1,2,4), L1 8, L2 √22;
    //             ±2 → all 1: (0,1,2,4), L1 7, L2 √21.                           max = 8/√22 ≈ 1.7056
    //   y shifts: +1 → [[1,1],[1,2]]: (0,1,2,3), L1 6, L2 √14;   −1 → [[3,5],[1,1]]: (2,3,2,4), L1 11, L2 √33;
    //             ±2 → 7/√21.                                                     max = 11/√33 ≈ 1.9149
    private static EvaluationBatch Batch(FuncReexplainer explainer) =>
        Robust.Batch(AffineModel.TwoClass(1, 2, 2, [1, 1, 1, 1]), explainer, 2, 2, [1, 2, 3, 5], [0]);

    [Fact]
    public void Horizontal_translations_by_hand()
    {
        var o = Robust.Run(new Continuity(new() { NrSteps = 5, Normalise = false }), Batch(FuncReexplainer.InputTimesGradient()));
        Assert.Equal(8 / (Math.Sqrt(22) + 1e-9), o[0], 9);
    }

    [Fact]
    public void Perturb_func_is_honoured_quantus_always_translates_along_x()
    {
        var y = Robust.Run(new Continuity(new() { NrSteps = 5, Normalise = false, PerturbFunc = ContinuityPerturbFunc.TranslationYDirection }),
            Batch(FuncReexplainer.InputTimesGradient()));
        Assert.Equal(11 / (Math.Sqrt(33) + 1e-9), y[0], 9);
        Assert.NotEqual(8 / Math.Sqrt(22), y[0], 3); // what Quantus returns for translation_y_direction
    }

    [Fact]
    public void Gradient_of_an_affine_model_gives_zero()
    {
        var o = Robust.Run(new Continuity(new() { NrSteps = 5 }), Batch(FuncReexplainer.Gradient()));
        Assert.Equal(0, o[0]);
    }

    [Fact]
    public void Shifts_follow_the_step_rule_and_skip_zero()
    {
        var s = Continuity.Shifts(32, 28);
        Assert.Equal(27, s.Length);
        Assert.Equal(-32, s[0]);
        Assert.Equal(22, s[^1]);
        Assert.DoesNotContain(0, s);
        Assert.Equal([-2, -1, 1, 2], Continuity.Shifts(2, 5));
        Assert.Equal(-224, Continuity.Shifts(224, 28)[0]);
        Assert.Equal(16, Continuity.Shifts(224, 28)[1] + 224);
        var e = Assert.Throws<InputDataException>(() => Continuity.Shifts(3, 28));
        Assert.Contains("continuity.nr_steps=28", e.Message);
    }

    [Fact]
    public void Translate_moves_content_and_fills_the_border()
    {
        var o = new float[4];
        Continuity.Translate([1, 2, 3, 5], 1, 2, 2, 1, vertical: false, () => 9, o);
        Assert.Equal([9, 1, 9, 3], o);
        Continuity.Translate([1, 2, 3, 5], 1, 2, 2, -1, vertical: true, () => 9, o);
        Assert.Equal([3, 5, 9, 9], o);
    }

    [Fact]
    public void Constant_image_is_nan_every_translation_leaves_it_unchanged()
    {
        var batch = Robust.Batch(AffineModel.TwoClass(1, 2, 2, [1, 1, 1, 1]), FuncReexplainer.InputTimesGradient(), 2, 2, [2, 2, 2, 2], [0]);
        var o = Robust.Run(new Continuity(new() { NrSteps = 5 }), batch);
        Assert.Equal(Reasons.UnchangedInput, o.Reasons[0]);
    }

    [Fact]
    public void Translations_of_all_samples_share_explain_calls()
    {
        var explainer = FuncReexplainer.InputTimesGradient();
        var batch = Robust.Batch(AffineModel.TwoClass(1, 2, 2, [1, 1, 1, 1]), explainer, 2, 2, [1, 2, 3, 5, 0, 1, 0, 1, 2, 2, 1, 1], [0, 0, 0]);
        Robust.Run(new Continuity(new() { NrSteps = 5 }), batch);
        Assert.Equal(4, explainer.Calls); // 4 shifts, 3 samples each
        Assert.Equal(12, explainer.Rows);
    }
}
