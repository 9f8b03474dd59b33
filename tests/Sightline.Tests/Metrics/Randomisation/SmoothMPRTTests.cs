using System.Text.Json;
using Sightline.Evaluation;
using Sightline.Explainers;
using Sightline.Metrics;
using Sightline.Metrics.Axiomatic;
using Sightline.Metrics.Randomisation;
using Sightline.Models;

using static Sightline.Tests.Metrics.Randomisation.RandomisationBatches;

namespace Sightline.Tests.Metrics.Randomisation;

public sealed class SmoothMPRTTests
{
    [Fact]
    public void Smooth_mprt_with_one_sample_is_mprt_on_the_original_explanation()
    {
        var (model, x, y) = Setup();
        var explainer = new TestReexplainer("input_x_gradient");
        var batch = RandomisationBatches.Make(model, x, y, explainer);
        var smooth = RandomisationBatches.Run(new SmoothMPRT(new SmoothMPRTOptions { NrSamples = 1 }), batch);
        var plain = RandomisationBatches.Run(new MPRT(new MPRTOptions { LayerOrder = RandomisationOrder.BottomUp, NormaliseFunc = Normalisation.BySecondMoment }), batch);
        Assert.Equal(plain.Values, smooth.Values);
    }

    [Fact]
    public void Smooth_mprt_averages_noisy_explanations_of_all_samples_per_call()
    {
        var (model, x, y) = Setup();
        var explainer = new TestReexplainer("input_x_gradient");
        var batch = RandomisationBatches.Make(model, x, y, explainer);
        int before = explainer.Calls;
        var output = RandomisationBatches.Run(new SmoothMPRT(new SmoothMPRTOptions { NrSamples = 3 }), batch);
        Assert.Equal(3 * 3, explainer.Calls - before);     // (L + 1) models × 3 draws
        Assert.All(explainer.Rows.Skip(1), r => Assert.Equal(batch.Count, r));
        Assert.All(output.Values, v => Assert.InRange(v, -1, 1));
    }
}
