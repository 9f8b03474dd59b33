using Sightline.Evaluation;
using Sightline.Evaluation.Qge;

namespace Sightline.Tests.Evaluation.Qge;

public sealed class MetricSanityTests
{
    // 1×6×6 inputs; the model reads only the top-left 3×3 block (its weights elsewhere are 0), which is also the mask,
    // and the explanation puts most mass there.
    private static EvaluationBatch Batch(int n = 20)
    {
        const int h = 6, w = 6, d = h * w;
        var weights = new float[2 * d];
        var mask = new byte[d];
        for (int y = 0; y < 3; y++) for (int x = 0; x < 3; x++) { weights[y * w + x] = 1 + y + x; mask[y * w + x] = 1; }
        var model = new AffineModel(1, h, w, weights);
        var rng = new Random(2);
        var inputs = Enumerable.Range(0, n * d).Select(_ => (float)rng.NextDouble()).ToArray();
        var e = new float[n * d];
        for (int i = 0; i < n; i++)
            for (int p = 0; p < d; p++) e[i * d + p] = mask[p] == 1 ? 1 + (float)rng.NextDouble() : 0.2f * (float)rng.NextDouble();
        var masks = Enumerable.Range(0, n).SelectMany(_ => mask).ToArray();
        return EvalBatches.Make(1, h, w, inputs, e, new int[n], model, masks, seed: 4);
    }

    [Fact]
    public void Relevance_mass_accuracy_passes_all_three_tests()
    {
        var r = MetricSanity.Run(MetricCatalogue.GetEvaluate("relevance_mass_accuracy").Create(), Batch(), new MetricSanityOptions());
        Assert.Equal(20, r.Samples);
        Assert.Equal(100, r.MissingWorse);
        Assert.Equal(100, r.ExtraWorse);
        Assert.Equal(20, r.InverseEligible);
        Assert.Equal(100, r.InverseBetter);
        Assert.True(r.Passes);
    }

    [Fact]
    public void A_metric_blind_to_the_map_fails_the_missing_and_extra_tests()
    {
        // top_k_intersection with k = d: every map scores |S|/k, whatever it says.
        var m = MetricCatalogue.GetEvaluate("top_k_intersection").Create([new("k", "36")]);
        var r = MetricSanity.Run(m, Batch(), new MetricSanityOptions());
        Assert.Equal(0, r.MissingWorse);
        Assert.Equal(0, r.ExtraWorse);
        Assert.False(r.MissingPass);
        Assert.False(r.Passes);
    }

    [Fact]
    public void Extra_evidence_needs_gradients()
    {
        var b = Batch(2);
        var forwardOnly = EvalBatches.Make(1, 6, 6, b.Inputs, b.Attributions, b.Targets, masks: b.Masks);
        var e = Assert.Throws<InputDataException>(() => MetricSanity.Run(MetricCatalogue.GetEvaluate("auc").Create(), forwardOnly, new MetricSanityOptions()));
        Assert.Contains("gradient", e.Message);
    }
}
