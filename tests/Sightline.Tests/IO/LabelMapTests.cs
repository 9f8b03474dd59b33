using Sightline.IO;

namespace Sightline.Tests.IO;

public sealed class LabelMapTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly byte[] Palette = Enumerable.Range(0, 256 * 3).Select(i => (byte)(i * 7)).ToArray();

    [Fact]
    public void Binary_encoding_marks_any_non_zero_colour_channel_and_ignores_alpha()
    {
        string path = _dir.File("rgba.png");
        // Pixels: black opaque, red, blue, black transparent-but-alpha-255... alpha must not matter.
        Png.WriteRgba8(path, 4, 1, [0, 0, 0, 255, 9, 0, 0, 0, 0, 0, 1, 255, 0, 0, 0, 0]);
        var map = LabelMap.Read(path, MaskEncoding.Binary);
        Assert.Equal(new[] { 0, 1, 1, 0 }, map.Labels);
        Assert.Null(map.IgnoreLabel);
        Assert.Equal(new byte[] { 0, 1, 1, 0 }, map.ToBinary());
    }

    [Fact]
    public void Grayscale_encoding_uses_the_gray_value_in_8_and_16_bit()
    {
        Png.WriteGray8(_dir.File("g8.png"), 3, 1, [0, 15, 200]);
        Assert.Equal(new[] { 0, 15, 200 }, LabelMap.Read(_dir.File("g8.png"), MaskEncoding.Grayscale).Labels);
        Png.WriteGray16(_dir.File("g16.png"), 3, 1, [0, 1000, 65535]);
        var m = LabelMap.Read(_dir.File("g16.png"));
        Assert.Equal(new[] { 0, 1000, 65535 }, m.Labels);
        Assert.Equal(new[] { 1000, 65535 }, m.Classes());
    }

    [Fact]
    public void Palette_encoding_uses_indices_with_255_ignored_by_default()
    {
        string path = _dir.File("voc.png");
        Png.WritePalette8(path, 3, 2, [0, 15, 255, 15, 3, 0], Palette);
        var map = LabelMap.Read(path);
        Assert.Equal(new[] { 0, 15, 255, 15, 3, 0 }, map.Labels);
        Assert.Equal(255, map.IgnoreLabel);
        Assert.Equal(new[] { 3, 15 }, map.Classes());
        Assert.Equal(new byte[] { 0, 1, 0, 1, 1, 0 }, map.ToBinary());
        Assert.Equal(new byte[] { 0, 1, 0, 1, 0, 0 }, map.ToBinary(new HashSet<int> { 15, 255 }));
        Assert.Equal(new byte[] { 1, 0, 0, 0, 0, 1 }, map.ToBinary(l => l == 0));

        var noIgnore = LabelMap.Read(path, MaskEncoding.Palette, ignoreValue: null);
        Assert.Null(noIgnore.IgnoreLabel);
        Assert.Equal(new[] { 3, 15, 255 }, noIgnore.Classes());
    }

    [Fact]
    public void Rgb_encoding_is_green_times_256_plus_red()
    {
        string path = _dir.File("imagenet-s.png");
        Png.WriteRgb8(path, 3, 1, [232, 3, 0, 5, 0, 77, 1, 1, 1]);
        var map = LabelMap.Read(path, MaskEncoding.Rgb, ignoreValue: 1000);
        Assert.Equal(new[] { 1000, 5, 257 }, map.Labels);
        Assert.Equal(1000, map.IgnoreLabel);
        Assert.Equal(new[] { 5, 257 }, map.Classes());
        Assert.Equal(new byte[] { 0, 1, 1 }, map.ToBinary());

        // ImageNet-S: 1000 is "ignore" by default for RGB masks (SemScore spec §7), whether rgb is asked for or auto-detected.
        var auto = LabelMap.Read(path);
        Assert.Equal(new[] { 1000, 5, 257 }, auto.Labels);
        Assert.Equal(1000, auto.IgnoreLabel);
        Assert.Equal(new byte[] { 0, 1, 1 }, auto.ToBinary());
        Assert.Equal(1000, LabelMap.Read(path, MaskEncoding.Rgb).IgnoreLabel);
        // An explicit null removes it: then 1000 is an ordinary class.
        var none = LabelMap.Read(path, MaskEncoding.Rgb, ignoreValue: null);
        Assert.Null(none.IgnoreLabel);
        Assert.Equal(new byte[] { 1, 1, 1 }, none.ToBinary());
    }

    [Fact]
    public void Default_ignore_label_is_per_encoding()
    {
        Assert.Equal(255, LabelMap.DefaultIgnore(MaskEncoding.Palette));
        Assert.Equal(1000, LabelMap.DefaultIgnore(MaskEncoding.Rgb));
        Assert.Null(LabelMap.DefaultIgnore(MaskEncoding.Grayscale));
        Assert.Null(LabelMap.DefaultIgnore(MaskEncoding.Binary));
    }

    [Fact]
    public void Encodings_that_do_not_fit_the_image_are_reported()
    {
        Png.WriteRgb8(_dir.File("rgb.png"), 1, 1, [1, 2, 3]);
        Assert.Contains("rgb.png", Assert.Throws<InputDataException>(() => LabelMap.Read(_dir.File("rgb.png"), MaskEncoding.Palette)).Message);
        Assert.Contains("rgb.png", Assert.Throws<InputDataException>(() => LabelMap.Read(_dir.File("rgb.png"), MaskEncoding.Grayscale)).Message);
        Png.WriteGray8(_dir.File("g.png"), 1, 1, [1]);
        Assert.Contains("g.png", Assert.Throws<InputDataException>(() => LabelMap.Read(_dir.File("g.png"), MaskEncoding.Rgb)).Message);
    }
}
