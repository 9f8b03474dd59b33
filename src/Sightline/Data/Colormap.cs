namespace Sightline.Data;

/// <summary>
/// Viridis (van der Walt &amp; Smith, matplotlib 2015), a perceptually uniform, colour-blind-friendly sequential colormap,
/// evaluated with the degree-6 polynomial fit of Matt Zucker (public domain, max error &lt; 1/255 per channel). Heat maps
/// and overlays map 0 → dark purple, 0.5 → teal, 1 → yellow.
/// </summary>
public static class Colormap
{
    private static readonly double[][] Coefficients =
    [
        [0.2777273272234177, 0.005407344544966578, 0.3340998053353061],
        [0.1050930431085774, 1.404613529898575, 1.384590162594685],
        [-0.3308618287255563, 0.214847559468213, 0.09509516302823659],
        [-4.634230498983486, -5.799100973351585, -19.33244095627987],
        [6.228269936347081, 14.17993336680509, 56.69055260068105],
        [4.776384997670288, -13.74514537774601, -65.35303263337234],
        [-5.435455855934631, 4.645852612178535, 26.3124352495832],
    ];

    private static readonly byte[] Lut = BuildLut();

    private static byte[] BuildLut()
    {
        var lut = new byte[256 * 3];
        for (int i = 0; i < 256; i++)
        {
            double t = i / 255.0;
            for (int c = 0; c < 3; c++)
            {
                double v = 0;
                for (int k = Coefficients.Length - 1; k >= 0; k--) v = v * t + Coefficients[k][c];
                lut[i * 3 + c] = (byte)Math.Clamp(Math.Round(v * 255), 0, 255);
            }
        }
        return lut;
    }

    /// <summary>The RGB colour of <paramref name="t"/> ∈ [0,1] (clamped; NaN maps to 0).</summary>
    public static (byte R, byte G, byte B) Viridis(double t)
    {
        int i = double.IsNaN(t) ? 0 : (int)Math.Round(Math.Clamp(t, 0, 1) * 255);
        return (Lut[i * 3], Lut[i * 3 + 1], Lut[i * 3 + 2]);
    }

    /// <summary>
    /// Blends a heat map over a <em>grayscale</em> copy of an RGB image (luma 0.299·R + 0.587·G + 0.114·B), so colours of
    /// the input (a planted coloured square, say) cannot be mistaken for heat: the map is min–max scaled per image to
    /// t ∈ [0,1] (non-finite values → 0; a constant map → 0 everywhere), coloured with viridis and alpha-blended with
    /// weight <c>alpha·(0.25 + 0.75·t)</c>, so even the lowest saliency tints the image slightly and the highest covers
    /// it by <paramref name="alpha"/>; writes opaque RGBA.
    /// </summary>
    public static void Overlay(ReadOnlySpan<byte> rgb, ReadOnlySpan<float> map, int width, int height, Span<byte> rgba, double alpha = 0.6)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (var v in map) if (float.IsFinite(v)) { min = Math.Min(min, v); max = Math.Max(max, v); }
        double range = max > min ? max - min : 1;
        for (int p = 0; p < width * height; p++)
        {
            double t = float.IsFinite(map[p]) && max > min ? (map[p] - min) / range : 0;
            var (r, g, b) = Viridis(t);
            double a = alpha * (0.25 + 0.75 * t);
            double gray = 0.299 * rgb[p * 3] + 0.587 * rgb[p * 3 + 1] + 0.114 * rgb[p * 3 + 2];
            rgba[p * 4] = (byte)Math.Round(gray * (1 - a) + r * a);
            rgba[p * 4 + 1] = (byte)Math.Round(gray * (1 - a) + g * a);
            rgba[p * 4 + 2] = (byte)Math.Round(gray * (1 - a) + b * a);
            rgba[p * 4 + 3] = 255;
        }
    }
}
