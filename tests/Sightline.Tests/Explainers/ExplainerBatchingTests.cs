using Sightline.Explainers;
using Sightline.Models;
using Sightline.Statistics;

namespace Sightline.Tests.Explainers;

/// <summary>
/// The explainers' rows go through the one <see cref="StepBatcher"/>: rows of several samples share model calls (counted
/// by <see cref="ConvGapModel.Calls"/>), and results do not depend on how rows are cut into calls.
/// </summary>
public sealed class ExplainerBatchingTests
{
    private const int C = 3, H = 6, W = 5, K = 4, Classes = 5;
    private const string L = ConvGapModel.FeatureLayer;

    public static TheoryData<string> Methods() =>
    [
        "saliency", "input_x_gradient", "integrated_gradients", "integrated_gradients_uniform", "smoothgrad", "occlusion", "rise",
        "gradcam", "gradcam_plus_plus", "xgradcam", "layercam", "eigencam", "scorecam", "ablationcam",
    ];

    private static IExplainer Make(string name) => name switch
    {
        "saliency" => new Saliency(),
        "input_x_gradient" => new InputXGradient(),
        "integrated_gradients" => new IntegratedGradients(new IntegratedGradientsOptions { Steps = 9, Baseline = BaselineKind.Gaussian }),
        "integrated_gradients_uniform" => new IntegratedGradients(new IntegratedGradientsOptions { Steps = 5, Baseline = BaselineKind.Uniform, Rule = IntegrationRule.RiemannTrapezoid }),
        "smoothgrad" => new SmoothGrad(new SmoothGradOptions(0.2, 7)),
        "occlusion" => new Occlusion(new OcclusionOptions(3, 2, 0.25f)),
        "rise" => new Rise(new RiseOptions(37, 0.5, 2)),
        "gradcam" => new GradCam(L),
        "gradcam_plus_plus" => new GradCamPlusPlus(L),
        "xgradcam" => new XGradCam(L),
        "layercam" => new LayerCam(L),
        "eigencam" => new EigenCam(L),
        "scorecam" => new ScoreCam(L),
        "ablationcam" => new AblationCam(L),
        _ => throw new ArgumentException(name),
    };

    private static float[] Run(IExplainer e, ConvGapModel model, float[] x, int[] targets, ExplainSettings settings)
    {
        int n = targets.Length;
        var o = new float[n * e.OutputChannels(C, settings) * H * W];
        e.Explain(model, x, n, targets, o, settings);
        return o;
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Results_are_bitwise_identical_whatever_the_rows_per_call(string method)
    {
        var x = ConvGapModel.RandomInputs(4, C, H, W, 21);
        int[] t = [0, 3, 1, 4];
        var e = Make(method);
        var one = Run(e, new ConvGapModel(C, H, W, K, Classes, 5), x, t, new ExplainSettings { BatchSize = 1, Seed = 3 });
        foreach (int b in new[] { 2, 7, 64 })
            Assert.Equal(one, Run(e, new ConvGapModel(C, H, W, K, Classes, 5), x, t, new ExplainSettings { BatchSize = b, Seed = 3 }));
        Assert.Equal(one, Run(e, new ConvGapModel(C, H, W, K, Classes, 5), x, t, new ExplainSettings { Seed = 3 }));
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void A_batch_gives_the_maps_of_its_samples_explained_one_by_one(string method)
    {
        var x = ConvGapModel.RandomInputs(3, C, H, W, 22);
        int[] t = [2, 0, 4];
        var e = Make(method);
        var model = new ConvGapModel(C, H, W, K, Classes, 6);
        var all = Run(e, model, x, t, new ExplainSettings { BatchSize = 5, Seed = 8, FirstIndex = 10 });
        int per = all.Length / 3, size = C * H * W;
        for (int i = 0; i < 3; i++)
        {
            var alone = Run(e, model, x.AsSpan(i * size, size).ToArray(), [t[i]], new ExplainSettings { BatchSize = 64, Seed = 8, FirstIndex = 10 + i });
            Assert.Equal(all.AsSpan(i * per, per).ToArray(), alone);
        }
    }

    [Fact]
    public void Occlusion_windows_of_several_samples_share_calls()
    {
        // 4×10 images, window 2, stride 2: 2 × 5 = 10 windows; 8 samples × (1 + 10) rows = 88 rows at 64 per call: 2 calls, not 8.
        var model = new ConvGapModel(1, 4, 10, 2, 3, 1);
        var x = ConvGapModel.RandomInputs(8, 1, 4, 10, 2);
        new Occlusion(new OcclusionOptions(2, 2)).Explain(model, x, 8, new int[8], new float[8 * 40], new ExplainSettings { BatchSize = 64 });
        Assert.Equal(2, model.Calls);
        Assert.Equal(64, model.MaxRowsSeen);
    }

    [Fact]
    public void Integrated_gradient_steps_of_several_samples_share_calls()
    {
        var model = new ConvGapModel(C, H, W, K, Classes, 1);
        var x = ConvGapModel.RandomInputs(8, C, H, W, 2);
        new IntegratedGradients(new IntegratedGradientsOptions { Steps = 50 }).Explain(model, x, 8, new int[8], new float[8 * H * W], new ExplainSettings { BatchSize = 64 });
        Assert.Equal(7, model.Calls); // ⌈400 / 64⌉, not one call per sample (8)
    }

    [Fact]
    public void Smoothgrad_copies_of_several_samples_share_calls()
    {
        var model = new ConvGapModel(C, H, W, K, Classes, 1);
        var x = ConvGapModel.RandomInputs(3, C, H, W, 2);
        new SmoothGrad(new SmoothGradOptions(0.1, 10)).Explain(model, x, 3, new int[3], new float[3 * H * W], new ExplainSettings { BatchSize = 8 });
        Assert.Equal(4, model.Calls); // ⌈30 / 8⌉, not 2 per sample (6)
    }

    [Fact]
    public void Rise_masks_of_several_samples_share_calls()
    {
        var model = new ConvGapModel(C, H, W, K, Classes, 1);
        var x = ConvGapModel.RandomInputs(3, C, H, W, 2);
        new Rise(new RiseOptions(100, 0.5, 2)).Explain(model, x, 3, new int[3], new float[3 * H * W], new ExplainSettings { BatchSize = 64 });
        Assert.Equal(5, model.Calls); // ⌈300 / 64⌉, not 2 per sample (6)
    }

    [Theory]
    [InlineData("scorecam")]
    [InlineData("ablationcam")]
    public void Cam_re_runs_of_several_samples_share_calls(string method)
    {
        // 6 samples: one layer call, then 6 × K = 24 re-run rows in one call, not one per sample.
        var model = new ConvGapModel(C, H, W, K, Classes, 1);
        var x = ConvGapModel.RandomInputs(6, C, H, W, 2);
        Make(method).Explain(model, x, 6, new int[6], new float[6 * H * W], new ExplainSettings { BatchSize = 64 });
        Assert.Equal(2, model.Calls);
        // With 4 rows per call: 2 layer calls (4 + 2 samples) and ⌈16 / 4⌉ + ⌈8 / 4⌉ re-run calls.
        var small = new ConvGapModel(C, H, W, K, Classes, 1);
        Make(method).Explain(small, x, 6, new int[6], new float[6 * H * W], new ExplainSettings { BatchSize = 4 });
        Assert.Equal(2 + 4 + 2, small.Calls);
        Assert.Equal(4, small.MaxRowsSeen);
    }

    [Fact]
    public void Gradient_maps_of_a_batch_are_one_run()
    {
        var model = new ConvGapModel(C, H, W, K, Classes, 1);
        var x = ConvGapModel.RandomInputs(10, C, H, W, 2);
        new Saliency().Explain(model, x, 10, new int[10], new float[10 * H * W], new ExplainSettings { BatchSize = 4 });
        Assert.Equal(3, model.Calls);
    }

    [Fact]
    public void Skipping_a_splitmix_stream_equals_drawing_through_it()
    {
        var a = new SplitMix(12345);
        for (int i = 0; i < 1000; i++) a.NextUInt64();
        var b = new SplitMix(12345);
        b.Skip(1000);
        Assert.Equal(a.NextUInt64(), b.NextUInt64());
        b.Skip(0);
        Assert.Equal(a.NextDouble(), b.NextDouble());
    }
}
