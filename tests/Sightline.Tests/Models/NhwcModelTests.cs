using Sightline.Models;

namespace Sightline.Tests.Models;

public sealed class NhwcModelTests
{
    // Per-sample H×W×C = 2×2×3; layer "hwc" is channels-last 2×2×4 (a Transpose output), "chw" channels-first 4×2×2.
    private const int H = 2, W = 2, C = 3, K = 4;

    /// <summary>Every interface that extends <see cref="IModel"/> in the library: a capability a decorator must keep.</summary>
    public static TheoryData<string> Models => ["forward-only", "activations", "gradients"];

    private static IModel Make(string kind) => kind switch
    {
        "forward-only" => new ForwardOnly(),
        "activations" => new Activations(),
        _ => new Gradients(),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void The_nhwc_wrapper_implements_every_model_interface_its_model_implements(string kind)
    {
        var inner = Make(kind);
        var wrapped = NhwcModel.Wrap(inner, InputLayout.Nhwc);
        var capabilities = typeof(IModel).Assembly.GetTypes().Where(t => t.IsInterface && typeof(IModel).IsAssignableFrom(t)).ToArray();
        Assert.Contains(typeof(IGradientModel), capabilities);
        foreach (var capability in capabilities)
            Assert.True(capability.IsInstanceOfType(inner) == capability.IsInstanceOfType(wrapped), $"{capability.Name}: model {capability.IsInstanceOfType(inner)}, wrapper {capability.IsInstanceOfType(wrapped)}");
        Assert.Equal(ModelOutputKind.LogSoftmax, wrapped.OutputKind);
        Assert.Equal(new[] { C, H, W }, wrapped.InputShape);
        Assert.Equal(inner.OutputCount, wrapped.OutputCount);
    }

    [Theory]
    [InlineData("activations")]
    [InlineData("gradients")]
    public void Layer_activations_reach_the_model_with_channels_last_inputs_and_channels_last_layers_come_back_channels_first(string kind)
    {
        var wrapped = (IActivationModel)NhwcModel.Wrap(Make(kind), InputLayout.Nhwc);
        Assert.Equal(new[] { K, H, W }, wrapped.LayerShape("hwc"));
        Assert.Equal(new[] { K, H, W }, wrapped.LayerShape("chw"));
        Assert.Equal(new[] { K, H, W }, wrapped.Layers.Single(l => l.Name == "hwc").Shape);
        var x = Enumerable.Range(0, 2 * C * H * W).Select(i => (float)i).ToArray();   // two samples, C×H×W
        var act = new float[2 * K * H * W];
        var logits = new float[2];
        wrapped.LayerActivations("hwc", x, 2, act, logits);
        // The fake's channels-last layer holds value 100·n + 10·channel + pixel at [n, pixel, channel].
        for (int n = 0; n < 2; n++)
            for (int ch = 0; ch < K; ch++)
                for (int p = 0; p < H * W; p++) Assert.Equal(100 * n + 10 * ch + p, act[n * K * H * W + ch * H * W + p]);
        // The fake's logit is its first input value: x[n, c=0, pixel 0] in either layout.
        Assert.Equal(new[] { x[0], x[C * H * W] }, logits);
        wrapped.LayerActivations("chw", x, 2, act, logits);
        Assert.Equal(Enumerable.Range(0, 2 * K * H * W).Select(i => (float)i), act);
    }

    [Fact]
    public void Layer_gradients_and_replacements_of_a_channels_last_layer_are_transposed_both_ways()
    {
        var wrapped = (IGradientModel)NhwcModel.Wrap(new Gradients(), InputLayout.Nhwc);
        var x = new float[C * H * W];
        var act = new float[K * H * W];
        var grad = new float[K * H * W];
        wrapped.LayerActivations("hwc", x, 1, [0], act, grad, new float[1]);
        for (int ch = 0; ch < K; ch++)
            for (int p = 0; p < H * W; p++) Assert.Equal(-(10 * ch + p), grad[ch * H * W + p]);
        // The fake's ForwardWithLayer returns Σ_j j·a_j over its native (channels-last) order.
        var chw = Enumerable.Range(0, K * H * W).Select(i => (float)i).ToArray();
        var logits = new float[1];
        wrapped.ForwardWithLayer("hwc", x, chw, 1, logits);
        double want = 0;
        for (int ch = 0; ch < K; ch++)
            for (int p = 0; p < H * W; p++) want += (p * K + ch) * chw[ch * H * W + p];
        Assert.Equal(want, logits[0], 1e-3);
    }

    [Theory]
    [InlineData(8, 8, 5, "Relu", 32, 32, true)]          // an 8×8 grid of a 32×32 input, 5 channels last
    [InlineData(5, 8, 8, "Relu", 32, 32, false)]         // channels first
    [InlineData(4, 4, 4, "Relu", 32, 32, false)]         // ambiguous: channels-first unless a Transpose made it
    [InlineData(4, 4, 4, "Transpose", 32, 32, true)]
    [InlineData(8, 8, 5, "Conv", 32, 32, false)]         // ONNX Conv is always N×C×H×W
    [InlineData(7, 7, 512, "Add", 224, 224, true)]
    [InlineData(512, 7, 7, "Add", 224, 224, false)]
    [InlineData(29, 38, 64, "Relu", 225, 300, true)]     // odd sizes: strides 7.8 and 7.9
    [InlineData(64, 29, 38, "Relu", 225, 300, false)]
    public void Channels_last_layers_are_recognised_by_their_grid(int a, int b, int c, string op, int h, int w, bool channelsLast) =>
        Assert.Equal(channelsLast, NhwcActivationModel.IsChannelsLast(new LayerInfo("l", [a, b, c], op), h, w));

    private class ForwardOnly : IModel
    {
        public string Name => "fake";
        public IReadOnlyList<int> InputShape => [H, W, C];
        public int OutputCount => 1;
        public ModelOutputKind OutputKind => ModelOutputKind.LogSoftmax;
        public void Forward(ReadOnlySpan<float> inputs, int batch, Span<float> logits)
        {
            for (int n = 0; n < batch; n++) logits[n] = inputs[n * H * W * C];
        }
        public void Dispose() { }
    }

    private class Activations : ForwardOnly, IActivationModel
    {
        public IReadOnlyList<LayerInfo> Layers => [new("hwc", [H, W, K], "Transpose"), new("chw", [K, H, W], "Conv")];
        public IReadOnlyList<int> LayerShape(string layer) => layer == "hwc" ? [H, W, K] : [K, H, W];
        public void LayerActivations(string layer, ReadOnlySpan<float> inputs, int batch, Span<float> activations, Span<float> logits)
        {
            Forward(inputs, batch, logits);
            Fill(layer, batch, activations, 1);
        }

        protected static void Fill(string layer, int batch, Span<float> values, int sign)
        {
            for (int n = 0; n < batch; n++)
                for (int ch = 0; ch < K; ch++)
                    for (int p = 0; p < H * W; p++)
                        values[n * K * H * W + (layer == "hwc" ? p * K + ch : ch * H * W + p)] = sign * (layer == "hwc" ? 100 * n + 10 * ch + p : n * K * H * W + ch * H * W + p);
        }
    }

    private sealed class Gradients : Activations, IGradientModel
    {
        public void InputGradients(ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> gradients, Span<float> logits) => Forward(inputs, batch, logits);
        public void LayerActivations(string layer, ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> activations, Span<float> gradients, Span<float> logits)
        {
            Forward(inputs, batch, logits);
            Fill(layer, batch, activations, 1);
            if (!gradients.IsEmpty) Fill(layer, batch, gradients, -1);
        }
        public void ForwardWithLayer(string layer, ReadOnlySpan<float> inputs, ReadOnlySpan<float> activations, int batch, Span<float> logits)
        {
            double s = 0;
            for (int j = 0; j < K * H * W; j++) s += j * activations[j];
            logits[0] = (float)s;
        }
    }
}
