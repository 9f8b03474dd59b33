using Sightline.Data;
using Sightline.Tests.Cli;

namespace Sightline.Tests.Data;

public sealed class ImageDataTests
{
    private static byte[] Rgba(int w, int h, Func<int, int, (byte R, byte G, byte B)> f)
    {
        var px = new byte[w * h * 4];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                var (r, g, b) = f(x, y);
                int i = (y * w + x) * 4;
                px[i] = r; px[i + 1] = g; px[i + 2] = b; px[i + 3] = 255;
            }
        return px;
    }

    [Fact]
    public void Png_round_trips_through_the_decoder_exactly()
    {
        using var dir = new TempDir();
        ImageDecoder.WritePng(dir.File("a.png"), 5, 3, Rgba(5, 3, (x, y) => ((byte)(x * 50), (byte)(y * 80), 7)));
        var img = ImageDecoder.Decode(dir.File("a.png"));
        Assert.Equal((5, 3), (img.Width, img.Height));
        Assert.Equal(new byte[] { 200, 160, 7 }, img.Rgb.AsSpan(14 * 3, 3).ToArray());
    }

    [Fact]
    public void Corrupt_image_is_an_input_error_naming_the_file()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("bad.png"), "not a png");
        var ex = Assert.Throws<InputDataException>(() => ImageDecoder.Decode(dir.File("bad.png")));
        Assert.Contains("bad.png", ex.Message);
    }

    [Fact]
    public void Class_subfolders_give_ordinal_labels_and_stable_order()
    {
        using var dir = new TempDir();
        foreach (var (cls, name) in new[] { ("dog", "b.png"), ("cat", "z.png"), ("cat", "a.png") })
        {
            Directory.CreateDirectory(dir.File(cls));
            ImageDecoder.WritePng(Path.Combine(dir.File(cls), name), 2, 2, Rgba(2, 2, (_, _) => (1, 2, 3)));
        }
        var ds = ImageDataset.Open(dir.Path);
        Assert.Equal(new[] { "cat", "dog" }, ds.Classes);
        Assert.Equal(new[] { 0, 0, 1 }, ds.Items.Select(i => i.Label));
        Assert.EndsWith(Path.Combine("cat", "a.png"), ds.Items[0].Path);
    }

    [Fact]
    public void Csv_lists_paths_relative_to_the_csv_with_labels()
    {
        using var dir = new TempDir();
        ImageDecoder.WritePng(dir.File("x.png"), 2, 2, Rgba(2, 2, (_, _) => (1, 2, 3)));
        File.WriteAllText(dir.File("list.csv"), "path,label\nx.png,4\n");
        var ds = ImageDataset.Open(dir.File("list.csv"));
        Assert.Equal(4, ds.Items.Single().Label);
        Assert.Equal(dir.File("x.png"), ds.Items[0].Path);
    }

    [Fact]
    public void Centre_crop_and_normalisation_follow_torchvision()
    {
        // 6×4 image, value = 10·x + y on every channel; no resize, crop 2 → rows 1..2, cols 2..3 (round((6−2)/2) = 2).
        var img = new RgbImage(6, 4, [.. Enumerable.Range(0, 24).SelectMany(i => Enumerable.Repeat((byte)(10 * (i % 6) + i / 6), 3))]);
        var pre = new Preprocessing { Resize = null, Crop = 2, Mean = [0, 0, 0], Std = [1, 1, 1], Scale = 1 };
        var dst = new float[3 * 2 * 2];
        pre.Apply(img, dst);
        Assert.Equal(new float[] { 21, 31, 22, 32 }, dst[..4]);
        var norm = new Preprocessing { Resize = null, Crop = null, Mean = [0.5f, 0.5f, 0.5f], Std = [0.5f, 0.5f, 0.5f] };
        var one = new RgbImage(1, 1, [255, 0, 51]);
        var v = new float[3];
        norm.Apply(one, v);
        Assert.Equal(new[] { 1f, -1f, -0.6f }, v.Select(f => MathF.Round(f, 5)));
        var bgr = norm with { ChannelOrder = "bgr" };
        bgr.Apply(one, v);
        Assert.Equal(1f, v[2], 5);
    }

    [Fact]
    public void Resize_keeps_the_aspect_ratio_like_torchvision_and_constant_images_stay_constant()
    {
        var pre = new Preprocessing { Resize = 8, Crop = null, Mean = [0, 0, 0], Std = [1, 1, 1], Scale = 1 };
        Assert.Equal((8, 16), pre.OutputSize(10, 20));
        var img = new RgbImage(20, 10, [.. Enumerable.Repeat((byte)77, 600)]);
        var dst = new float[3 * 8 * 16];
        pre.Apply(img, dst);
        Assert.All(dst, v => Assert.Equal(77f, v, 3));
    }

    private static string ClassTree(TempDir dir, params string[] folders)
    {
        foreach (var f in folders)
        {
            Directory.CreateDirectory(dir.File(f));
            if (!f.StartsWith("empty", StringComparison.Ordinal) && f != "5")
                ImageDecoder.WritePng(Path.Combine(dir.File(f), "a.png"), 2, 2, Rgba(2, 2, (_, _) => (1, 2, 3)));
        }
        return dir.Path;
    }

    [Fact]
    public void An_empty_class_folder_keeps_its_index_and_does_not_shift_later_labels()
    {
        using var dir = new TempDir();
        var ds = ImageDataset.Open(ClassTree(dir, "ant", "bee", "empty_cat", "fox"));
        Assert.Equal(new[] { 0, 1, 3 }, ds.Items.Select(i => i.Label));
        Assert.Equal(new[] { "ant", "bee", "empty_cat", "fox" }, ds.Classes);
    }

    [Fact]
    public void Numeric_class_folders_are_class_ids()
    {
        using var dir = new TempDir();
        var ds = ImageDataset.Open(ClassTree(dir, "0", "17", "5", "9"));
        Assert.Equal(new[] { 0, 17, 9 }, ds.Items.Select(i => i.Label));
    }

    [Fact]
    public void Class_folders_map_through_the_models_labels()
    {
        using var dir = new TempDir();
        var ds = ImageDataset.Open(ClassTree(dir, "dog", "tench"), ["tench", "goldfish", "dog"]);
        Assert.Equal(new[] { 2, 0 }, ds.Items.Select(i => i.Label));
        var e = Assert.Throws<InputDataException>(() => ImageDataset.Open(dir.Path, ["tench", "goldfish"]));
        Assert.Contains("dog", e.Message);
    }
}
