using Sightline.IO;
using Sightline.Numerics;
using Sightline.Tests.Cli;

namespace Sightline.Tests.Metrics.Faithfulness;

public sealed class SlicTests
{
    private static string F(string name) => Path.Combine(AlignCommandTests.RepoRoot(), "tests", "fixtures", name);

    [Fact]
    public void Matches_scikit_image_on_the_fixture_images()
    {
        // tests/fixtures/evaluate/faithfulness_b/slic_labels.npy: skimage 0.19.3 slic(channel-last x, start_label=0).
        var x = NpyReader.Open(F("models/inputs.npy")).ReadAll<float>();
        var want = NpyReader.Open(F("evaluate/faithfulness_b/slic_labels.npy")).ReadAll<int>();
        var labels = new int[32 * 32];
        for (int i = 0; i < 4; i++)
        {
            int count = Slic.Segment(x.AsSpan(i * 3 * 1024, 3 * 1024), 3, 32, 32, labels);
            var expected = want.AsSpan(i * 1024, 1024).ToArray();
            Assert.Equal(expected, labels);
            Assert.Equal(expected.Distinct().Count(), count);
        }
    }

    [Theory]
    [InlineData(3, 64, 64, 100, 10.0)]
    [InlineData(1, 48, 80, 50, 10.0)]
    [InlineData(3, 40, 56, 30, 1.0)]
    public void Matches_scikit_image_on_smooth_images_with_edges(int c, int h, int w, int segments, double compactness)
    {
        // slic_synthetic.npz: the formula image of evaluate_faithfulness_b.py's synthetic_image, segmented by skimage.
        var img = new float[c * h * w];
        for (int k = 0; k < c; k++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    double inside = (x - w / 2.0) * (x - w / 2.0) + (y - h / 3.0) * (y - h / 3.0) < (h / 4.0) * (h / 4.0) ? 1 : 0;
                    img[(k * h + y) * w + x] = (float)(Math.Sin(0.11 * x * (k + 1)) + Math.Cos(0.07 * y * (k + 2)) + inside * (1.5 - k));
                }
        var want = ReadNpz(F("evaluate/faithfulness_b/slic_synthetic.npz"), $"slic_{c}x{h}x{w}_n{segments}_c{compactness.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        var labels = new int[h * w];
        int count = Slic.Segment(img, c, h, w, labels, segments, compactness);
        Assert.Equal(want, labels);
        Assert.Equal(want.Distinct().Count(), count);
    }

    private static int[] ReadNpz(string path, string name)
    {
        using var zip = System.IO.Compression.ZipFile.OpenRead(path);
        var entry = zip.GetEntry(name + ".npy") ?? throw new KeyNotFoundException(name);
        var tmp = Path.Combine(Path.GetTempPath(), $"slic-{Guid.NewGuid():N}.npy");
        try
        {
            using (var src = entry.Open()) using (var dst = File.Create(tmp)) src.CopyTo(dst);
            using var r = NpyReader.Open(tmp);
            return r.ReadAll<int>();
        }
        finally { File.Delete(tmp); }
    }

    [Fact]
    public void The_grid_follows_regular_grid()
    {
        // regular_grid((1, 32, 32), 100): steps 1, 3, 3 from 0, 1, 1 → 11 × 11 centres.
        var (starts, steps) = Slic.RegularGrid([1, 32, 32], 100);
        Assert.Equal([0, 1, 1], starts);
        Assert.Equal([1, 3, 3], steps);
        (starts, steps) = Slic.RegularGrid([1, 2, 2], 4);
        Assert.Equal([1, 1, 1], steps);
    }

    [Fact]
    public void A_constant_image_is_cut_into_grid_cells_with_labels_in_scan_order()
    {
        var labels = new int[8 * 8];
        int count = Slic.Segment(new float[3 * 64], 3, 8, 8, labels, segments: 4);
        Assert.Equal(4, count);
        Assert.Equal(0, labels[0]);
        Assert.Equal(Enumerable.Range(0, 4), labels.Distinct().Order());
        // skimage: slic(np.zeros((8, 8, 3)), n_segments=4, start_label=0): rows 0-4 are 0 0 0 0 0 1 1 1, rows 5-7 2 2 2 2 2 3 3 3.
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++) Assert.Equal((y < 5 ? 0 : 2) + (x < 5 ? 0 : 1), labels[y * 8 + x]);
    }

    [Fact]
    public void Lab_conversion_matches_skimage_for_white_and_red()
    {
        double[] white = [1, 1, 1];
        Slic.RgbToLab(white);
        Assert.Equal(100, white[0], 3);
        Assert.Equal(0, white[1], 2);
        Assert.Equal(0, white[2], 2);
        double[] red = [1, 0, 0];
        Slic.RgbToLab(red);
        // skimage.color.rgb2lab([[[1, 0, 0]]]) = [53.24058794, 80.09230823, 67.20275104]
        Assert.Equal(53.24058794, red[0], 6);
        Assert.Equal(80.09230823, red[1], 6);
        Assert.Equal(67.20275104, red[2], 6);
    }
}
