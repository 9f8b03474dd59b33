using Sightline.IO;
using Sightline.Statistics;

namespace Sightline.Cli.Demo;

/// <summary>
/// A labelled image set with a planted cue, after the Explanation Alignment coloured-square experiment (Bang et al.,
/// ECCV 2024 workshop; mitvis/explanation_alignment): grayscale objects become RGB images in [0,1], and a
/// <see cref="SquareSize"/>×<see cref="SquareSize"/> square in the top-left corner is painted with a colour from a fixed
/// palette. The ground truths are the object mask (object pixels not covered by the square) and the square's mask;
/// the two are disjoint, so attention on the square never counts as attention on the object.
/// </summary>
public sealed class SpuriousCueData
{
    /// <summary>Side of the square in pixels.</summary>
    public const int SquareSize = 5;

    /// <summary>The experiment's 10-colour palette (RGB), index = class when correlated.</summary>
    public static readonly byte[][] Palette =
    [
        [230, 25, 75], [245, 130, 48], [255, 225, 25], [210, 245, 60], [60, 180, 75],
        [70, 240, 240], [0, 130, 200], [145, 30, 180], [240, 50, 230], [0, 0, 128],
    ];

    private SpuriousCueData(int count, int size, float[] images, int[] labels, byte[] objectMasks, int[] colours, string source)
    {
        Count = count; Size = size; Images = images; Labels = labels; ObjectMasks = objectMasks; Colours = colours; Source = source;
    }

    /// <summary>Number of images.</summary>
    public int Count { get; }
    /// <summary>Image side (square images).</summary>
    public int Size { get; }
    /// <summary>N×3×Size×Size float32 in [0,1].</summary>
    public float[] Images { get; }
    /// <summary>Class labels 0..9.</summary>
    public int[] Labels { get; }
    /// <summary>N×Size×Size object masks (0/1).</summary>
    public byte[] ObjectMasks { get; }
    /// <summary>Palette index of each image's square.</summary>
    public int[] Colours { get; }
    /// <summary>Where the objects came from ("fashion-mnist" or "shapes").</summary>
    public string Source { get; }

    /// <summary>The square's mask (the same for every image).</summary>
    public byte[] SquareMask()
    {
        var m = new byte[Size * Size];
        for (int y = 0; y < SquareSize; y++) for (int x = 0; x < SquareSize; x++) m[y * Size + x] = 1;
        return m;
    }

    /// <summary>Class names of the data set.</summary>
    public static IReadOnlyList<string> ClassNames(string source) => source == "fashion-mnist"
        ? ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
        : ["disc", "square", "triangle", "cross", "ring", "bar", "diamond", "ellipse", "plus", "frame"];

    /// <summary>
    /// Builds a set from grayscale objects (object mask = pixels &gt; 0, or <paramref name="objectMasks"/> when given, minus
    /// the pixels the square covers, which no longer show the object): the square's colour is the label with probability
    /// <paramref name="correlation"/>, otherwise a uniformly random palette index (seeded). With
    /// <paramref name="shuffle"/> set, colours follow a fixed random permutation of the classes (the "uncorrelated
    /// test" of the experiment), so a model that reads the square is misled systematically.
    /// </summary>
    public static SpuriousCueData Build(byte[] gray, int[] labels, int count, int size, double correlation, bool shuffle, ulong seed, string source, byte[]? objectMasks = null)
    {
        var rng = new SplitMix(seed);
        var perm = Enumerable.Range(0, 10).ToArray();
        if (shuffle)
        {
            // A derangement so that no class keeps its own colour.
            do { for (int i = 9; i > 0; i--) { int j = rng.NextInt(i + 1); (perm[i], perm[j]) = (perm[j], perm[i]); } }
            while (perm.Where((p, i) => p == i).Any());
        }
        int pixels = size * size;
        var images = new float[count * 3 * pixels];
        var masks = new byte[count * pixels];
        var colours = new int[count];
        for (int n = 0; n < count; n++)
        {
            int label = labels[n];
            int colour = shuffle ? perm[label] : rng.NextDouble() < correlation ? label : rng.NextInt(10);
            colours[n] = colour;
            for (int p = 0; p < pixels; p++)
            {
                byte g = gray[n * pixels + p];
                masks[n * pixels + p] = objectMasks is not null ? objectMasks[n * pixels + p] : g > 0 ? (byte)1 : (byte)0;
                float v = g / 255f;
                for (int c = 0; c < 3; c++) images[(n * 3 + c) * pixels + p] = v;
            }
            for (int y = 0; y < SquareSize; y++)
                for (int x = 0; x < SquareSize; x++)
                {
                    masks[n * pixels + y * size + x] = 0;
                    for (int c = 0; c < 3; c++) images[(n * 3 + c) * pixels + y * size + x] = Palette[colour][c] / 255f;
                }
        }
        return new SpuriousCueData(count, size, images, [.. labels.Take(count)], masks, colours, source);
    }

    /// <summary>
    /// Loads Fashion-MNIST (IDX, optionally gzipped) from <paramref name="directory"/>: returns grayscale 28×28 images and labels
    /// of the train or test split, or null when the files are absent.
    /// </summary>
    public static (byte[] Gray, int[] Labels, int Count)? LoadFashionMnist(string directory, bool train)
    {
        string prefix = train ? "train" : "t10k";
        string? images = Find(directory, $"{prefix}-images-idx3-ubyte"), labels = Find(directory, $"{prefix}-labels-idx1-ubyte");
        if (images is null || labels is null) return null;
        var img = Idx.Read(images);
        var lab = Idx.Read(labels);
        if (img.Shape.Length != 3 || img.Shape[1] != 28 || img.Shape[2] != 28 || lab.Shape[0] != img.Shape[0])
            throw new InputDataException($"{images}: expected N×28×28 images with N labels, got {string.Join("×", img.Shape)} and {lab.Shape[0]} labels.");
        // Items are centred but wide garments reach the top-left corner (about 28% of the test images have object pixels
        // under the 5×5 square); Build paints the square over them and takes those pixels out of the object mask.
        return (img.Data, [.. lab.Data.Select(b => (int)b)], img.Shape[0]);
    }

    private static string? Find(string dir, string stem)
    {
        foreach (var name in new[] { stem, stem + ".gz" })
        {
            var p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }
        return null;
    }

    /// <summary>
    /// A procedurally generated 10-class shape set (28×28, exact object masks), used when Fashion-MNIST is not installed:
    /// each class is a distinct shape at a random position, scale and intensity over random background clutter, drawn away from the top-left square; the object mask is the exact shape.
    /// </summary>
    public static (byte[] Gray, int[] Labels, byte[] Masks) Shapes(int count, ulong seed)
    {
        const int s = 28;
        var rng = new SplitMix(seed);
        var gray = new byte[count * s * s];
        var labels = new int[count];
        var masks = new byte[count * s * s];
        for (int n = 0; n < count; n++)
        {
            int label = rng.NextInt(10);
            // Background clutter makes the shapes harder to read than the square, as real objects are.
            for (int p = 0; p < s * s; p++) gray[n * s * s + p] = (byte)rng.NextInt(50);
            labels[n] = label;
            double cx = 15 + (rng.NextDouble() * 8 - 3), cy = 15 + (rng.NextDouble() * 8 - 3), r = 4.5 + rng.NextDouble() * 3.5;
            byte intensity = (byte)(110 + rng.NextInt(110));
            for (int y = 0; y < s; y++)
                for (int x = 0; x < s; x++)
                {
                    if (x < SquareSize + 2 && y < SquareSize + 2) continue;
                    double dx = x - cx, dy = y - cy, d = Math.Sqrt(dx * dx + dy * dy);
                    bool on = label switch
                    {
                        0 => d <= r,
                        1 => Math.Abs(dx) <= r * 0.8 && Math.Abs(dy) <= r * 0.8,
                        2 => dy >= -r && dy <= r * 0.7 && Math.Abs(dx) <= (dy + r) * 0.55,
                        3 => Math.Abs(Math.Abs(dx) - Math.Abs(dy)) <= 1.2 && d <= r,
                        4 => d <= r && d >= r * 0.55,
                        5 => Math.Abs(dy) <= 1.8 && Math.Abs(dx) <= r,
                        6 => Math.Abs(dx) + Math.Abs(dy) <= r,
                        7 => dx * dx / (r * r) + dy * dy / (r * r * 0.3) <= 1,
                        8 => (Math.Abs(dx) <= 1.5 && Math.Abs(dy) <= r) || (Math.Abs(dy) <= 1.5 && Math.Abs(dx) <= r),
                        _ => Math.Max(Math.Abs(dx), Math.Abs(dy)) <= r && Math.Max(Math.Abs(dx), Math.Abs(dy)) >= r - 2,
                    };
                    if (on)
                    {
                        gray[n * s * s + y * s + x] = (byte)Math.Min(255, intensity + rng.NextInt(40));
                        masks[n * s * s + y * s + x] = 1;
                    }
                }
        }
        return (gray, labels, masks);
    }
}
