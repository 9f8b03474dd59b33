using Sightline.Explainers;

namespace Sightline.Tests.Explainers;

public sealed class PerturbationExplainerTests
{
    private const int C = 2, H = 6, W = 6, Classes = 3;

    [Fact]
    public void Occlusion_of_a_linear_model_averages_window_contributions()
    {
        var model = new LinearModel(C, H, W, Classes, 4);
        var x = ConvGapModel.RandomInputs(1, C, H, W, 1);
        var o = new float[H * W];
        new Occlusion(new OcclusionOptions(Window: 2, Stride: 2)).Explain(model, x, 1, [1], o, new ExplainSettings { ChannelReduce = ChannelReduce.Mean });
        // Non-overlapping 2×2 windows: every pixel gets its window's Σ_c Σ_window W·x.
        int p = H * W;
        for (int y = 0; y < H; y++)
            for (int xx = 0; xx < W; xx++)
            {
                int wy = y / 2 * 2, wx = xx / 2 * 2;
                double want = 0;
                for (int c = 0; c < C; c++)
                    for (int dy = 0; dy < 2; dy++)
                        for (int dx = 0; dx < 2; dx++)
                        {
                            int q = c * p + (wy + dy) * W + wx + dx;
                            want += model.Weight(1, q) * x[q];
                        }
                Assert.Equal(want, o[y * W + xx], 1e-4);
            }
    }

    [Theory]
    [InlineData(32, 15, 8, new[] { 0, 15, 8, 15, 16, 15, 24, 8 })]   // ⌈17/8⌉ + 1 = 4 windows, the last cut to 8
    [InlineData(6, 3, 2, new[] { 0, 3, 2, 3, 4, 2 })]
    [InlineData(32, 8, 8, new[] { 0, 8, 8, 8, 16, 8, 24, 8 })]       // exact tiling
    [InlineData(5, 3, 1, new[] { 0, 3, 1, 3, 2, 3 })]
    [InlineData(5, 9, 2, new[] { 0, 5 })]                            // a window larger than the image is cut to it
    [InlineData(10, 1, 20, new[] { 0, 1 })]                          // stride > window: the start 20 is past the end
    [InlineData(10, 2, 3, new[] { 0, 2, 3, 2, 6, 2, 9, 1 })]         // stride > window: gaps, last window cut
    public void Occlusion_windows_start_at_multiples_of_the_stride_until_the_axis_is_covered_as_in_captum(int size, int window, int stride, int[] startsAndLengths)
    {
        var got = Occlusion.Windows(size, window, stride);
        Assert.Equal(startsAndLengths, got.SelectMany(g => new[] { g.Start, g.Length }));
    }

    [Theory]
    [InlineData(3, 2, new[] { 3, 3, 3, 3, 2.5, 2 })]   // windows [0,3) [2,5) [4,6): partial tiling
    [InlineData(2, 2, new[] { 2.0, 2, 2, 2, 2, 2 })]   // exact tiling
    [InlineData(4, 3, new[] { 4, 4, 4, 3.5, 3, 3 })]   // [0,4) [3,6): ⌈2/3⌉ + 1 = 2 windows, the second cut to 3
    public void Occlusion_of_a_sum_model_on_ones_averages_the_occluded_areas_of_the_covering_windows(int window, int stride, double[] perAxis)
    {
        // f(x) = Σ x, x = 1: a window occluding a×b pixels scores a·b; the windows covering a pixel form a product set, so
        // its attribution is m[y]·m[x], m[i] = mean length of the windows covering index i along an axis.
        var got = new float[36];
        new Occlusion(new OcclusionOptions(window, stride)).Explain(new SumModel(), Enumerable.Repeat(1f, 36).ToArray(), 1, [0], got, new ExplainSettings());
        for (int y = 0; y < 6; y++)
            for (int x = 0; x < 6; x++) Assert.Equal(perAxis[y] * perAxis[x], got[y * 6 + x], 1e-5);
    }

    [Fact]
    public void Occlusion_results_do_not_depend_on_the_batch_size()
    {
        var model = new ConvGapModel(C, H, W, 3, Classes, 2);
        var x = ConvGapModel.RandomInputs(2, C, H, W, 3);
        var occ = new Occlusion(new OcclusionOptions(3, 1));
        var a = new float[2 * H * W];
        var b = new float[2 * H * W];
        occ.Explain(model, x, 2, [0, 1], a, new ExplainSettings { BatchSize = 1 });
        occ.Explain(model, x, 2, [0, 1], b, new ExplainSettings { BatchSize = 13 });
        Assert.Equal(a, b);
    }

    [Fact]
    public void Rise_of_a_constant_model_is_flat_near_the_class_probability()
    {
        var model = new LinearModel(C, H, W, Classes, 0);
        var x = new float[C * H * W]; // zero input → equal logits → P = 1/3 for every mask
        var o = new float[H * W];
        new Rise(new RiseOptions(Masks: 3000, Probability: 0.5, CellSize: 3)).Explain(model, x, 1, [0], o, new ExplainSettings { Seed = 1 });
        Assert.All(o, v => Assert.InRange(v, 1.0 / 3 * 0.9, 1.0 / 3 * 1.1));
    }

    [Fact]
    public void Rise_holds_one_batch_of_masks_not_all_of_them()
    {
        // 65,537 masks of 64×64 are 2^28 + 4,096 floats: more than one array may hold, so masks must be made per batch.
        var model = new LinearModel(1, 64, 64, 2, 0);
        var o = new float[64 * 64];
        new Rise(new RiseOptions(Masks: 65_537, Probability: 0.5, CellSize: 2)).Explain(model, new float[64 * 64], 1, [0], o, new ExplainSettings { BatchSize = 1024 });
        Assert.All(o, v => Assert.InRange(v, 0.5 * 0.95, 0.5 * 1.05)); // zero input: P = 1/2 for every mask
    }

    [Fact]
    public void Rise_masks_are_seeded_and_lie_in_the_unit_interval()
    {
        var rise = new Rise(new RiseOptions(10, 0.5, 4));
        var a = new float[H * W];
        var b = new float[H * W];
        rise.Mask(3, H, W, 7, a);
        rise.Mask(3, H, W, 7, b);
        Assert.Equal(a, b);
        Assert.All(a, v => Assert.InRange(v, 0f, 1f));
        rise.Mask(4, H, W, 7, b);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Rise_finds_the_pixels_a_model_depends_on()
    {
        // y_0 = 10·x at one pixel; RISE must rank that pixel's neighbourhood highest.
        var model = new SinglePixelModel(C, H, W, pixel: 2 * W + 3);
        var x = Enumerable.Repeat(1f, C * H * W).ToArray();
        var o = new float[H * W];
        new Rise(new RiseOptions(2000, 0.5, 3)).Explain(model, x, 1, [0], o, new ExplainSettings { Seed = 3 });
        int best = Array.IndexOf(o, o.Max());
        Assert.True(Math.Abs(best / W - 2) <= 1 && Math.Abs(best % W - 3) <= 1, $"peak at {best}");
    }

    private sealed class SumModel : Sightline.Models.IModel
    {
        public string Name => "sum";
        public IReadOnlyList<int> InputShape => [1, 6, 6];
        public int OutputCount => 1;
        public void Forward(ReadOnlySpan<float> inputs, int batch, Span<float> logits)
        {
            for (int i = 0; i < batch; i++)
            {
                float s = 0;
                foreach (var v in inputs.Slice(i * 36, 36)) s += v;
                logits[i] = s;
            }
        }
        public void Dispose() { }
    }

    private sealed class SinglePixelModel(int c, int h, int w, int pixel) : Sightline.Models.IModel
    {
        public string Name => "pixel";
        public IReadOnlyList<int> InputShape => [c, h, w];
        public int OutputCount => 2;
        public void Forward(ReadOnlySpan<float> inputs, int batch, Span<float> logits)
        {
            for (int i = 0; i < batch; i++)
            {
                logits[i * 2] = 10 * inputs[i * c * h * w + pixel];
                logits[i * 2 + 1] = 5;
            }
        }
        public void Dispose() { }
    }
}
