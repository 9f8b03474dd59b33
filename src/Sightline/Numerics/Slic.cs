namespace Sightline.Numerics;

/// <summary>
/// SLIC superpixels (Achanta et al., "SLIC Superpixels Compared to State-of-the-Art Superpixel Methods", IEEE TPAMI 2012)
/// as scikit-image 0.19's <c>skimage.segmentation.slic</c> computes them for a 2-D image with channels last, which is how
/// Quantus's IROF calls it (<c>slic(np.moveaxis(x, 0, -1).astype("double"), start_label=0)</c>, every other argument at
/// its default: n_segments 100, compactness 10, max_num_iter 10, sigma 0, enforce_connectivity, min/max size factors
/// 0.5 / 3, no SLIC-zero, no mask). Managed, float64, no allocation per pixel.
/// <para>Algorithm, step by step as scikit-image does it:</para>
/// <list type="number">
/// <item>The whole image is rescaled to [0, 1] (minus its minimum, divided by its new maximum unless that is 0).</item>
/// <item>A 3-channel image is converted from sRGB to CIE L*a*b* (D65, 2°; the sRGB companding and the 7.787·t + 16/116
/// branch below 0.008856, as <c>skimage.color.rgb2lab</c>); other channel counts are used as they are.</item>
/// <item>Initial centres lie on <c>skimage.util.regular_grid((1, H, W), n_segments)</c>: a step s ≈ √(H·W/n) per axis,
/// starting at ⌊s/2⌋ (the step rounded half to even, as NumPy); their colour starts at 0 (scikit-image 0.19 does not
/// sample the image there).</item>
/// <item>Colours are scaled by 1/compactness; the distance of pixel p to centre k is
/// ((y_p − y_k)² + (x_p − x_k)²)/S² + ‖c_p − c_k‖², S = the largest grid step, searched in a window of ±2 grid steps
/// (the steps of <c>regular_grid</c> for the actual number of centres) around each centre; a pixel keeps the first
/// centre with the strictly smallest distance.</item>
/// <item>Centres move to the mean position and colour of their pixels; max_num_iter (10) rounds. A centre that lost every
/// pixel becomes NaN in scikit-image, and no pixel is ever assigned to it again: here it is skipped, with the same labels.</item>
/// <item>Connectivity is enforced by scikit-image's scan: in raster order, each unvisited pixel starts a 4-connected
/// breadth-first region of its label (at most 3× the mean segment size); a region smaller than half the mean segment
/// size takes the label of the last other region it touched; labels are renumbered from <c>startLabel</c> in scan order.</item>
/// </list>
/// The result equals scikit-image's labels on the committed fixture images (tests compare the exported labels); rounding
/// of the colour conversion can differ in the last bits from NumPy's, which could move a pixel whose two distances tie to
/// within 1e-15.
/// </summary>
public static class Slic
{
    /// <summary>
    /// Segments image <paramref name="image"/> (C×H×W, channel-first, as Sightline holds inputs) into superpixels and
    /// writes one label per pixel (H×W) into <paramref name="labels"/>.
    /// </summary>
    /// <param name="image">C×H×W values.</param>
    /// <param name="channels">C.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="labels">H×W labels, written.</param>
    /// <param name="segments">Desired number of segments (scikit-image <c>n_segments</c>, default 100).</param>
    /// <param name="compactness">Colour/space balance (default 10; larger = squarer segments).</param>
    /// <param name="maxIterations">k-means rounds (default 10).</param>
    /// <param name="startLabel">First label, 0 or 1 (Quantus passes 0).</param>
    /// <param name="convertToLab">Convert a 3-channel image to L*a*b* (scikit-image's default for 3 channels).</param>
    /// <returns>The number of distinct labels (labels are startLabel .. startLabel + count − 1).</returns>
    public static int Segment(ReadOnlySpan<float> image, int channels, int height, int width, Span<int> labels,
        int segments = 100, double compactness = 10, int maxIterations = 10, int startLabel = 0, bool? convertToLab = null)
    {
        if (channels < 1 || height < 1 || width < 1) throw new ArgumentException("Empty image.");
        if (image.Length != channels * height * width) throw new ArgumentException("Image size does not match C×H×W.", nameof(image));
        if (labels.Length != height * width) throw new ArgumentException("Labels must hold H×W values.", nameof(labels));
        if (startLabel is not (0 or 1)) throw new ArgumentOutOfRangeException(nameof(startLabel), "start_label should be 0 or 1.");
        if (segments < 1) throw new ArgumentOutOfRangeException(nameof(segments));
        if (!(compactness > 0)) throw new ArgumentOutOfRangeException(nameof(compactness));
        int pixels = height * width;
        bool lab = convertToLab ?? channels == 3;
        if (lab && channels != 3) throw new ArgumentException("Lab colorspace conversion requires a RGB image.", nameof(convertToLab));

        // 1-2. Channel-last float64 copy, rescaled to [0, 1], optionally L*a*b*.
        var img = new double[pixels * channels];
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        for (int c = 0; c < channels; c++)
            for (int p = 0; p < pixels; p++)
            {
                double v = image[c * pixels + p];
                img[p * channels + c] = v;
                if (v < min) min = v;
            }
        for (int i = 0; i < img.Length; i++) { img[i] -= min; if (img[i] > max) max = img[i]; }
        if (max != 0) for (int i = 0; i < img.Length; i++) img[i] /= max;
        if (lab) for (int p = 0; p < pixels; p++) RgbToLab(img.AsSpan(p * 3, 3));

        // 3. Grid centres.
        var (starts, steps) = RegularGrid([1, height, width], segments);
        var ys = new List<int>();
        var xs = new List<int>();
        for (int y = starts[1]; y < height; y += steps[1]) ys.Add(y);
        for (int x = starts[2]; x < width; x += steps[2]) xs.Add(x);
        int k = ys.Count * xs.Count, f = 2 + channels;
        var centres = new double[k * f]; // y, x, colour…
        for (int a = 0; a < ys.Count; a++)
            for (int b = 0; b < xs.Count; b++)
            {
                int j = a * xs.Count + b;
                centres[j * f] = ys[a];
                centres[j * f + 1] = xs[b];
            }
        double step = Math.Max(steps[0], Math.Max(steps[1], steps[2]));
        double ratio = 1.0 / compactness;
        for (int i = 0; i < img.Length; i++) img[i] *= ratio;

        // 4-5. Local k-means.
        var (_, windowSteps) = RegularGrid([1, height, width], k);
        int stepY = windowSteps[1], stepX = windowSteps[2];
        var nearest = new int[pixels];
        var distance = new double[pixels];
        var counts = new long[k];
        double spatialWeight = 1.0 / (step * step);
        Array.Fill(nearest, startLabel - 1);
        for (int iteration = 0; iteration < maxIterations; iteration++)
        {
            bool change = false;
            Array.Fill(distance, double.MaxValue);
            for (int j = 0; j < k; j++)
            {
                double cy = centres[j * f], cx = centres[j * f + 1];
                if (double.IsNaN(cy) || double.IsNaN(cx)) continue;
                int yMin = (int)Math.Max(cy - 2 * stepY, 0), yMax = (int)Math.Min(cy + 2 * stepY + 1, height);
                int xMin = (int)Math.Max(cx - 2 * stepX, 0), xMax = (int)Math.Min(cx + 2 * stepX + 1, width);
                var colour = centres.AsSpan(j * f + 2, channels);
                for (int y = yMin; y < yMax; y++)
                {
                    double dy = cy - y;
                    dy *= dy;
                    for (int x = xMin; x < xMax; x++)
                    {
                        double dx = cx - x;
                        dx *= dx;
                        double d = (dy + dx) * spatialWeight; // z term is 0 for a 2-D image
                        int p = y * width + x;
                        var pc = img.AsSpan(p * channels, channels);
                        double dc = 0;
                        for (int c = 0; c < channels; c++) { double t = pc[c] - colour[c]; dc += t * t; }
                        d += dc;
                        if (distance[p] > d)
                        {
                            nearest[p] = j + startLabel;
                            distance[p] = d;
                            change = true;
                        }
                    }
                }
            }
            if (!change) break;
            Array.Clear(counts);
            Array.Clear(centres);
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    int p = y * width + x;
                    int j = nearest[p] - startLabel;
                    if (j < 0) continue; // never reached by a window (cannot happen without a mask)
                    counts[j]++;
                    centres[j * f] += y;
                    centres[j * f + 1] += x;
                    for (int c = 0; c < channels; c++) centres[j * f + 2 + c] += img[p * channels + c];
                }
            for (int j = 0; j < k; j++)
                for (int c = 0; c < f; c++) centres[j * f + c] /= counts[j]; // 0/0 = NaN: the centre is gone
        }

        // 6. Connectivity.
        double segmentSize = (double)pixels / k;
        int minSize = (int)(0.5 * segmentSize), maxSize = (int)(3 * segmentSize);
        return EnforceConnectivity(nearest, height, width, minSize, maxSize, startLabel, labels);
    }

    /// <summary>
    /// scikit-image's <c>util.regular_grid(shape, n_points)</c>: per axis a start and a step of a grid holding about
    /// <paramref name="points"/> points.
    /// </summary>
    internal static (int[] Starts, int[] Steps) RegularGrid(int[] shape, int points)
    {
        int ndim = shape.Length;
        // argsort is stable for these tiny arrays (NumPy sorts ≤ 16 elements by insertion).
        var order = Enumerable.Range(0, ndim).OrderBy(i => shape[i]).ToArray();
        var sorted = order.Select(i => (double)shape[i]).ToArray();
        double space = sorted.Aggregate(1.0, (a, b) => a * b);
        var starts = new int[ndim];
        var steps = new int[ndim];
        if (space <= points)
        {
            Array.Fill(steps, 1);
            return (starts, steps);
        }
        var stepsizes = Enumerable.Repeat(Math.Pow(space / points, 1.0 / ndim), ndim).ToArray();
        if (sorted.Where((s, i) => s < stepsizes[i]).Any())
            for (int dim = 0; dim < ndim; dim++)
            {
                stepsizes[dim] = sorted[dim];
                double rest = 1;
                for (int j = dim + 1; j < ndim; j++) rest *= sorted[j];
                for (int j = dim + 1; j < ndim; j++) stepsizes[j] = Math.Pow(rest / points, 1.0 / (ndim - dim - 1));
                if (sorted.Select((s, i) => s >= stepsizes[i]).All(b => b)) break;
            }
        var sortedStarts = stepsizes.Select(s => (int)Math.Floor(s / 2)).ToArray();
        var sortedSteps = stepsizes.Select(s => (int)Math.Round(s, MidpointRounding.ToEven)).ToArray();
        // slices[i] for original axis i is the sorted slice at rank(i).
        for (int r = 0; r < ndim; r++)
        {
            starts[order[r]] = sortedStarts[r];
            steps[order[r]] = Math.Max(1, sortedSteps[r]);
        }
        return (starts, steps);
    }

    /// <summary>sRGB in [0, 1] → CIE L*a*b* (D65, 2°) in place, as <c>skimage.color.rgb2lab</c>.</summary>
    internal static void RgbToLab(Span<double> rgb)
    {
        double r = Linear(rgb[0]), g = Linear(rgb[1]), b = Linear(rgb[2]);
        double x = (r * 0.412453 + g * 0.357580 + b * 0.180423) / 0.95047;
        double y = r * 0.212671 + g * 0.715160 + b * 0.072169;
        double z = (r * 0.019334 + g * 0.119193 + b * 0.950227) / 1.08883;
        double fx = F(x), fy = F(y), fz = F(z);
        rgb[0] = 116.0 * fy - 16.0;
        rgb[1] = 500.0 * (fx - fy);
        rgb[2] = 200.0 * (fy - fz);

        static double Linear(double c) => c > 0.04045 ? Math.Pow((c + 0.055) / 1.055, 2.4) : c / 12.92;
        static double F(double t) => t > 0.008856 ? Math.Cbrt(t) : 7.787 * t + 16.0 / 116.0;
    }

    private static int EnforceConnectivity(int[] segments, int height, int width, int minSize, int maxSize, int startLabel, Span<int> connected)
    {
        int mask = startLabel - 1;
        connected.Fill(mask);
        int capacity = Math.Max(1, maxSize);
        var coords = new int[capacity];
        int newLabel = startLabel;
        ReadOnlySpan<int> ddx = [1, -1, 0, 0];
        ReadOnlySpan<int> ddy = [0, 0, 1, -1];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int p0 = y * width + x;
                if (segments[p0] == mask || connected[p0] > mask) continue;
                int adjacent = newLabel, label = segments[p0];
                connected[p0] = newLabel;
                int size = 1, visited = 0;
                coords[0] = p0;
                while (visited < size && size < maxSize)
                {
                    int cy = coords[visited] / width, cx = coords[visited] % width;
                    for (int i = 0; i < 4; i++)
                    {
                        int yy = cy + ddy[i], xx = cx + ddx[i];
                        if (xx < 0 || xx >= width || yy < 0 || yy >= height) continue;
                        int q = yy * width + xx;
                        if (segments[q] == label && connected[q] == mask)
                        {
                            connected[q] = newLabel;
                            coords[size++] = q;
                            if (size >= maxSize) break;
                        }
                        else if (connected[q] > mask && connected[q] != newLabel)
                            adjacent = connected[q];
                    }
                    visited++;
                }
                if (size < minSize)
                    for (int i = 0; i < size; i++) connected[coords[i]] = adjacent;
                else
                    newLabel++;
            }
        // Labels are startLabel .. newLabel − 1, except when the last region was merged into itself (no neighbour).
        int maxLabel = mask;
        foreach (var l in connected) if (l > maxLabel) maxLabel = l;
        return maxLabel - startLabel + 1;
    }
}
