using System.Text.Json;
using Sightline.Evaluation;
using Sightline.Explainers;
using Sightline.Metrics;
using Sightline.Metrics.Axiomatic;
using Sightline.Metrics.Randomisation;
using Sightline.Models;

using static Sightline.Tests.Metrics.Randomisation.RandomisationBatches;

namespace Sightline.Tests.Metrics.Randomisation;

public sealed class MPRTTests
{
    [Fact]
    public void Mprt_columns_are_named_by_layer_in_randomisation_order()
    {
        var (model, _, _) = Setup();
        var shape = new EvaluationShape(C, H, W, C, K);
        Assert.Equal(["mprt", "mprt:original", "mprt:bias", "mprt:weight"], new MPRT().Columns(shape, model));
        var bottomUp = new MPRT(new MPRTOptions { LayerOrder = RandomisationOrder.BottomUp });
        Assert.Equal(["mprt", "mprt:original", "mprt:weight", "mprt:bias"], bottomUp.Columns(shape, model));
        Assert.Equal(["smooth_mprt", "smooth_mprt:original", "smooth_mprt:weight", "smooth_mprt:bias"], new SmoothMPRT().Columns(shape, model));
    }

    [Fact]
    public void Mprt_of_a_model_independent_explanation_is_one_everywhere()
    {
        var (model, x, y) = Setup();
        float[] map = [.. Enumerable.Range(0, C * H * W).Select(i => (float)Math.Cos(i))];
        var batch = RandomisationBatches.Make(model, x, y, new TestReexplainer("fixed", map));
        var output = RandomisationBatches.Run(new MPRT(), batch);
        Assert.All(output.Values, v => Assert.Equal(1.0, v, 12));
    }

    [Fact]
    public void Mprt_of_the_gradient_drops_when_the_weights_are_randomised()
    {
        var (model, x, y) = Setup();
        var explainer = new TestReexplainer("gradient");
        var batch = RandomisationBatches.Make(model, x, y, explainer);
        var output = RandomisationBatches.Run(new MPRT(), batch);
        int cols = output.Columns.Count;
        for (int i = 0; i < batch.Count; i++)
        {
            Assert.Equal(1.0, output.Values[i * cols + 1], 12);      // original
            Assert.Equal(1.0, output.Values[i * cols + 2], 12);      // bias only: the gradient is W[t]
            Assert.True(output.Values[i * cols + 3] < 0.9);          // weight randomised too
            Assert.Equal((output.Values[i * cols + 2] + output.Values[i * cols + 3]) / 2, output[i], 12);
        }
        // One copy per step per batch, and every re-explanation covers all samples at once.
        Assert.Equal(2, model.CopiesMade);
        Assert.Equal([["bias"], ["bias", "weight"]], model.Requests);
        Assert.All(explainer.Rows.Skip(1), r => Assert.Equal(batch.Count, r));
        var last = RandomisationBatches.Run(new MPRT(new MPRTOptions { ReturnLastCorrelation = true }), batch);
        for (int i = 0; i < batch.Count; i++) Assert.Equal(last.Values[i * cols + 3], last[i], 12);
    }
}
