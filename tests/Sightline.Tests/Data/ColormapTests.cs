using Sightline.Data;

namespace Sightline.Tests.Data;

public sealed class ColormapTests
{
    [Fact]
    public void Overlay_blends_over_a_grayscale_copy_so_input_colours_do_not_look_like_heat()
    {
        // Two pixels of the same saliency: a saturated red one and a gray one of the same luma.
        byte luma = (byte)Math.Round(0.299 * 230 + 0.587 * 25 + 0.114 * 75);
        byte[] rgb = [230, 25, 75, luma, luma, luma, 0, 0, 0];
        float[] map = [0.5f, 0.5f, 1f];
        var rgba = new byte[3 * 4];
        Colormap.Overlay(rgb, map, 3, 1, rgba);
        for (int c = 0; c < 3; c++) Assert.InRange(rgba[c] - rgba[4 + c], -1, 1);
        Assert.Equal(255, rgba[3]);
    }

    [Fact]
    public void Overlay_weight_is_alpha_times_a_quarter_plus_three_quarters_t()
    {
        byte[] rgb = [0, 0, 0, 0, 0, 0];
        float[] map = [0f, 1f];
        var rgba = new byte[2 * 4];
        Colormap.Overlay(rgb, map, 2, 1, rgba, alpha: 0.8);
        var low = Colormap.Viridis(0);
        var high = Colormap.Viridis(1);
        Assert.Equal((byte)Math.Round(low.R * 0.8 * 0.25), rgba[0]);
        Assert.Equal((byte)Math.Round(high.G * 0.8), rgba[5]);
    }
}
