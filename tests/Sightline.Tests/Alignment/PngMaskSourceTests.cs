using Sightline.Alignment;
using Sightline.IO;
using Sightline.Tests.Cli;

namespace Sightline.Tests.Alignment;

public sealed class PngMaskSourceTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static float[] ReadAll(ISampleSource source, int index)
    {
        var buffer = new float[source.Shape[1] * source.Shape[2]];
        source.Read(index, buffer);
        return buffer;
    }

    [Fact]
    public void Files_are_listed_in_ordinal_order_and_decoded_one_at_a_time_on_read()
    {
        string folder = _dir.File("masks");
        Directory.CreateDirectory(folder);
        Png.WriteGray8(Path.Combine(folder, "b.png"), 2, 2, [0, 2, 0, 0]);
        Png.WriteGray8(Path.Combine(folder, "a.png"), 2, 2, [1, 0, 0, 0]);
        File.WriteAllBytes(Path.Combine(folder, "c.png"), [1, 2, 3]); // corrupt: only noticed when sample 2 is read
        var source = new PngMaskSource(folder);
        Assert.Equal(new[] { 3, 2, 2 }, source.Shape);
        Assert.Equal(new[] { "a.png", "b.png", "c.png" }, source.Files.Select(Path.GetFileName));
        Assert.Equal(new float[] { 1, 0, 0, 0 }, ReadAll(source, 0));
        Assert.Equal(new float[] { 0, 1, 0, 0 }, ReadAll(source, 1));
        var e = Assert.Throws<InputDataException>(() => ReadAll(source, 2));
        Assert.Contains("c.png", e.Message);
    }

    [Fact]
    public void A_mask_of_another_size_is_reported_by_file_name_when_read()
    {
        string folder = _dir.File("mixed");
        Directory.CreateDirectory(folder);
        Png.WriteGray8(Path.Combine(folder, "01.png"), 2, 2, new byte[4]);
        Png.WriteGray8(Path.Combine(folder, "02.png"), 3, 2, new byte[6]);
        var source = new PngMaskSource(folder);
        var e = Assert.Throws<InputDataException>(() => ReadAll(source, 1));
        Assert.Contains("02.png", e.Message);
        Assert.Contains("2×3", e.Message);
    }

    [Fact]
    public void Rgb_masks_treat_1000_as_ignore_by_default_and_the_override_can_change_it()
    {
        string folder = _dir.File("rgb");
        Directory.CreateDirectory(folder);
        // Labels G·256 + R: 1000 (R 232, G 3), 5, 0.
        Png.WriteRgb8(Path.Combine(folder, "m.png"), 3, 1, [232, 3, 0, 5, 0, 0, 0, 0, 0]);
        Assert.Equal(new float[] { 0, 1, 0 }, ReadAll(new PngMaskSource(folder, MaskEncoding.Rgb), 0));
        Assert.Equal(new float[] { 0, 1, 0 }, ReadAll(new PngMaskSource(folder), 0));
        Assert.Equal(new float[] { 1, 1, 0 }, ReadAll(new PngMaskSource(folder, MaskEncoding.Rgb, overrideIgnore: true, ignore: null), 0));
        Assert.Equal(new float[] { 1, 0, 0 }, ReadAll(new PngMaskSource(folder, MaskEncoding.Rgb, overrideIgnore: true, ignore: 5), 0));
        Assert.Equal(new float[] { 0, 1, 0 }, ReadAll(new PngMaskSource(folder, MaskEncoding.Rgb, new HashSet<int> { 5, 1000 }), 0));
    }

    [Fact]
    public void Palette_masks_drop_the_255_ignore_label_and_classes_pick_the_ground_truth()
    {
        // Moved from the deleted MaskStack.Load tests: the same files through the path align uses.
        byte[] palette = [.. Enumerable.Range(0, 256 * 3).Select(i => (byte)(i * 7))];
        string folder = _dir.File("palette");
        Directory.CreateDirectory(folder);
        Png.WritePalette8(Path.Combine(folder, "b.png"), 2, 2, [0, 2, 255, 1], palette);
        Png.WritePalette8(Path.Combine(folder, "a.png"), 2, 2, [1, 0, 0, 0], palette);
        Png.WritePalette8(Path.Combine(folder, "C.png"), 2, 2, [0, 0, 0, 3], palette);
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "ignored");
        var source = new PngMaskSource(folder);
        Assert.Equal(new[] { "C.png", "a.png", "b.png" }, source.Files.Select(Path.GetFileName));
        Assert.Equal(new[] { 3, 2, 2 }, source.Shape);
        Assert.Equal(new float[] { 0, 0, 0, 1 }, ReadAll(source, 0));
        Assert.Equal(new float[] { 1, 0, 0, 0 }, ReadAll(source, 1));
        Assert.Equal(new float[] { 0, 1, 0, 1 }, ReadAll(source, 2));
        var only2 = new PngMaskSource(folder, MaskEncoding.Auto, new HashSet<int> { 2 });
        Assert.Equal(new float[] { 0, 0, 0, 0 }, ReadAll(only2, 0));
        Assert.Equal(new float[] { 0, 1, 0, 0 }, ReadAll(only2, 2));
    }

    [Fact]
    public void Missing_or_empty_folders_are_input_errors()
    {
        Assert.Throws<InputDataException>(() => new PngMaskSource(_dir.File("absent")));
        Directory.CreateDirectory(_dir.File("empty"));
        Assert.Contains("no .png", Assert.Throws<InputDataException>(() => new PngMaskSource(_dir.File("empty"))).Message);
    }
}
