using Sightline.Explainers;

namespace Sightline.Tests.Explainers;

public sealed class GradientExplainerTests
{
    private const int C = 3, H = 6, W = 5, K = 4, Classes = 5;
    private static readonly ConvGapModel Model = new(C, H, W, K, Classes, seed: 11);

    private static float[] Run(IExplainer e, float[] x, int n, int[] targets, ExplainSettings? s = null)
    {
        s ??= new ExplainSettings();
        var output = new float[n * e.OutputChannels(C, s) * H * W];
        e.Explain(Model, x, n, targets, output, s);
        return output;
    }

    [Fact]
    public void Saliency_is_the_channel_sum_of_absolute_gradients()
    {
        var x = ConvGapModel.RandomInputs(2, C, H, W, 1);
        int[] t = [1, 3];
        var grads = new float[x.Length];
        Model.InputGradients(x, 2, t, grads, new float[2 * Classes]);
        var maps = Run(new Saliency(), x, 2, t);
        int p = H * W;
        for (int i = 0; i < 2; i++)
            for (int q = 0; q < p; q++)
            {
                float want = 0;
                for (int c = 0; c < C; c++) want += Math.Abs(grads[i * C * p + c * p + q]);
                Assert.Equal(want, maps[i * p + q], 1e-6);
            }
    }

    [Fact]
    public void Channel_reduce_none_keeps_channels_and_max_takes_the_largest()
    {
        var x = ConvGapModel.RandomInputs(1, C, H, W, 2);
        var none = Run(new InputXGradient(), x, 1, [0], new ExplainSettings { ChannelReduce = ChannelReduce.None });
        Assert.Equal(C * H * W, none.Length);
        var max = Run(new InputXGradient(), x, 1, [0], new ExplainSettings { ChannelReduce = ChannelReduce.Max });
        for (int q = 0; q < H * W; q++) Assert.Equal(Math.Max(none[q], Math.Max(none[H * W + q], none[2 * H * W + q])), max[q]);
    }

    [Theory]
    [InlineData(IntegrationRule.GaussLegendre)]
    [InlineData(IntegrationRule.RiemannRight)]
    [InlineData(IntegrationRule.RiemannTrapezoid)]
    public void Quadrature_weights_sum_to_one_inside_the_unit_interval(IntegrationRule rule)
    {
        var (a, w) = IntegratedGradients.Quadrature(rule, 17);
        Assert.Equal(1.0, w.Sum(), 1e-12);
        Assert.All(a, v => Assert.InRange(v, 0, 1));
    }

    [Fact]
    public void Trapezoid_rules_give_the_textbook_and_captum_weights_on_the_same_points()
    {
        // m = 5: α = linspace(0, 1, 5). Textbook: 1/(m − 1) = 1/4, halved at the ends (Σ = 1). Captum's
        // approximation_methods.riemann_builders: [1/m]·m, first and last halved (Σ = (m − 1)/m = 0.8).
        var (a, w) = IntegratedGradients.Quadrature(IntegrationRule.RiemannTrapezoid, 5);
        Assert.Equal(new[] { 0, 0.25, 0.5, 0.75, 1 }, a);
        Assert.Equal(new[] { 0.125, 0.25, 0.25, 0.25, 0.125 }, w);
        (a, w) = IntegratedGradients.Quadrature(IntegrationRule.RiemannTrapezoidCaptum, 5);
        Assert.Equal(new[] { 0, 0.25, 0.5, 0.75, 1 }, a);
        Assert.Equal(new[] { 0.1, 0.2, 0.2, 0.2, 0.1 }, w.Select(v => Math.Round(v, 15)));
        Assert.Equal(0.8, w.Sum(), 1e-15);
        (a, w) = IntegratedGradients.Quadrature(IntegrationRule.RiemannTrapezoidCaptum, 2);
        Assert.Equal(new[] { 0.0, 1 }, a);
        Assert.Equal(new[] { 0.25, 0.25 }, w);
    }

    [Fact]
    public void Captums_trapezoid_rule_needs_two_steps()
    {
        var e = Assert.Throws<InputDataException>(() => new IntegratedGradients(new IntegratedGradientsOptions { Steps = 1, Rule = IntegrationRule.RiemannTrapezoidCaptum }));
        Assert.Contains("--steps", e.Message);
        Assert.Equal(1, new IntegratedGradients(new IntegratedGradientsOptions { Steps = 1, Rule = IntegrationRule.RiemannTrapezoid }).Options.Steps);
    }

    [Fact]
    public void Gauss_legendre_integrates_polynomials_of_degree_2m_minus_1_exactly()
    {
        var (a, w) = IntegratedGradients.Quadrature(IntegrationRule.GaussLegendre, 5);
        for (int d = 0; d <= 9; d++)
        {
            double q = 0;
            for (int k = 0; k < a.Length; k++) q += w[k] * Math.Pow(a[k], d);
            Assert.Equal(1.0 / (d + 1), q, 1e-12);
        }
    }

    [Fact]
    public void Integrated_gradients_are_complete()
    {
        var x = ConvGapModel.RandomInputs(3, C, H, W, 3);
        int[] t = [0, 2, 4];
        var ig = new IntegratedGradients(new IntegratedGradientsOptions { Steps = 256, Rule = IntegrationRule.RiemannMiddle });
        var attr = new float[x.Length];
        ig.Attribute(Model, x, 3, t, attr, new ExplainSettings());
        var fx = new float[3 * Classes];
        Model.Forward(x, 3, fx);
        var f0 = new float[3 * Classes];
        Model.Forward(new float[x.Length], 3, f0);
        int size = C * H * W;
        for (int i = 0; i < 3; i++)
        {
            double sum = attr.AsSpan(i * size, size).ToArray().Sum(v => (double)v);
            double delta = fx[i * Classes + t[i]] - f0[i * Classes + t[i]];
            Assert.Equal(delta, sum, 2e-3);
        }
    }

    [Fact]
    public void Integrated_gradients_do_not_depend_on_the_batch_size()
    {
        var x = ConvGapModel.RandomInputs(2, C, H, W, 4);
        int[] t = [1, 2];
        var ig = new IntegratedGradients(new IntegratedGradientsOptions { Steps = 20, Baseline = BaselineKind.Gaussian });
        var a = Run(ig, x, 2, t, new ExplainSettings { BatchSize = 1, Seed = 5 });
        var b = Run(ig, x, 2, t, new ExplainSettings { BatchSize = 7, Seed = 5 });
        var c = Run(ig, x, 2, t, new ExplainSettings { Seed = 5 });
        Assert.Equal(a, b);
        Assert.Equal(a, c);
    }

    [Fact]
    public void Batches_never_exceed_the_requested_size()
    {
        var model = new ConvGapModel(C, H, W, K, Classes, 11);
        var x = ConvGapModel.RandomInputs(1, C, H, W, 4);
        new IntegratedGradients(new IntegratedGradientsOptions { Steps = 50 }).Explain(model, x, 1, [0], new float[H * W], new ExplainSettings { BatchSize = 8 });
        Assert.Equal(8, model.MaxRowsSeen);
        Assert.Equal(7, model.Calls);
    }

    [Fact]
    public void Automatic_batches_of_gradient_calls_count_the_models_activations()
    {
        // Input rows cost 4·4·90 = 1,440 bytes; the layer's 4·6·5 = 120 values cost 2·4·120 = 960 more per gradient row.
        var model = new ConvGapModel(C, H, W, K, Classes, 11);
        var settings = new ExplainSettings { MemoryBudgetBytes = 1440 * 8 };
        Assert.Equal(8, settings.RowsPerCall(C * H * W));
        Assert.Equal(K * H * W, ExplainMath.GradientActivationValues(model));
        Assert.Equal(4, settings.RowsPerCall(C * H * W, ExplainMath.GradientActivationValues(model)));
        var x = ConvGapModel.RandomInputs(1, C, H, W, 4);
        new IntegratedGradients(new IntegratedGradientsOptions { Steps = 50 }).Explain(model, x, 1, [0], new float[H * W], settings);
        Assert.Equal(4, model.MaxRowsSeen);
    }

    [Fact]
    public void Smoothgrad_is_seeded_by_sample_index_not_by_chunking()
    {
        var x = ConvGapModel.RandomInputs(3, C, H, W, 5);
        int[] t = [0, 1, 2];
        var sg = new SmoothGrad(new SmoothGradOptions(0.2, 10));
        var all = Run(sg, x, 3, t, new ExplainSettings { Seed = 9, BatchSize = 4 });
        var last = new float[H * W];
        sg.Explain(Model, x.AsSpan(2 * C * H * W), 1, [2], last, new ExplainSettings { Seed = 9, FirstIndex = 2, BatchSize = 3 });
        Assert.Equal(all.AsSpan(2 * H * W).ToArray(), last);
        var other = Run(sg, x, 3, t, new ExplainSettings { Seed = 10, BatchSize = 4 });
        Assert.NotEqual(all, other);
    }

    [Fact]
    public void Smoothgrad_with_zero_noise_equals_saliency()
    {
        var x = ConvGapModel.RandomInputs(2, C, H, W, 6);
        int[] t = [3, 4];
        Assert.Equal(Run(new Saliency(), x, 2, t), Run(new SmoothGrad(new SmoothGradOptions(0, 4)), x, 2, t));
    }

    [Fact]
    public void Gradient_methods_on_a_forward_only_model_fail_with_a_clear_message()
    {
        var linear = new LinearModel(C, H, W, Classes, 1);
        var ex = Assert.Throws<InputDataException>(() => new Saliency().Explain(linear, new float[C * H * W], 1, [0], new float[H * W], new ExplainSettings()));
        Assert.Contains("gradients", ex.Message);
    }

    [Fact]
    public void Out_of_range_target_is_rejected()
    {
        Assert.Throws<InputDataException>(() => Run(new Saliency(), new float[C * H * W], 1, [Classes]));
    }
}
