using System.Buffers.Binary;
using Sightline.IO;

namespace Sightline.Tests.IO;

public sealed class PngTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static ushort[] Pattern(int count, int max, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (ushort)rng.Next(0, max + 1)).ToArray();
    }

    [Theory]
    [InlineData(PngColorType.Gray, 8)]
    [InlineData(PngColorType.Gray, 16)]
    [InlineData(PngColorType.Rgb, 8)]
    [InlineData(PngColorType.Rgb, 16)]
    [InlineData(PngColorType.GrayAlpha, 8)]
    [InlineData(PngColorType.GrayAlpha, 16)]
    [InlineData(PngColorType.Rgba, 8)]
    [InlineData(PngColorType.Rgba, 16)]
    public void Written_images_decode_to_the_same_samples(PngColorType type, int depth)
    {
        int w = 37, h = 23;
        int channels = type switch { PngColorType.Gray => 1, PngColorType.GrayAlpha => 2, PngColorType.Rgb => 3, _ => 4 };
        // Smooth gradients plus noise so the adaptive writer picks a mix of all five filters.
        var samples = new ushort[w * h * channels];
        var rng = new Random(depth + (int)type);
        int max = (1 << depth) - 1;
        for (int i = 0; i < samples.Length; i++)
            samples[i] = (ushort)((i % 7 == 0 ? rng.Next(max + 1) : (i * 37) % (max + 1)));
        var image = new PngImage(w, h, type, depth, samples);
        string path = _dir.File($"{type}{depth}.png");
        Png.Write(path, image);
        var back = Png.Read(path);
        Assert.Equal(w, back.Width);
        Assert.Equal(h, back.Height);
        Assert.Equal(type, back.ColorType);
        Assert.Equal(depth, back.BitDepth);
        Assert.Equal(samples, back.Samples);
    }

    [Fact]
    public void Convenience_writers_round_trip()
    {
        byte[] gray = Pattern(12, 255, 1).Select(v => (byte)v).ToArray();
        Png.WriteGray8(_dir.File("g.png"), 4, 3, gray);
        Assert.Equal(gray.Select(v => (ushort)v), Png.Read(_dir.File("g.png")).Samples);

        ushort[] g16 = Pattern(12, 65535, 2);
        Png.WriteGray16(_dir.File("g16.png"), 3, 4, g16);
        Assert.Equal(g16, Png.Read(_dir.File("g16.png")).Samples);

        byte[] rgb = Pattern(36, 255, 3).Select(v => (byte)v).ToArray();
        Png.WriteRgb8(_dir.File("rgb.png"), 4, 3, rgb);
        Assert.Equal(rgb.Select(v => (ushort)v), Png.Read(_dir.File("rgb.png")).Samples);

        byte[] rgba = Pattern(48, 255, 4).Select(v => (byte)v).ToArray();
        Png.WriteRgba8(_dir.File("rgba.png"), 4, 3, rgba);
        Assert.Equal(rgba.Select(v => (ushort)v), Png.Read(_dir.File("rgba.png")).Samples);

        byte[] palette = Enumerable.Range(0, 256 * 3).Select(i => (byte)i).ToArray();
        byte[] idx = [0, 1, 2, 255, 254, 0, 7, 8, 9, 10, 11, 12];
        Png.WritePalette8(_dir.File("p.png"), 4, 3, idx, palette);
        var p = Png.Read(_dir.File("p.png"));
        Assert.Equal(PngColorType.Palette, p.ColorType);
        Assert.Equal(idx.Select(v => (ushort)v), p.Samples);
        Assert.Equal(palette, p.Palette);
        Assert.Equal(255, p[3, 0]);
    }

    [Fact]
    public void Palette_index_beyond_the_palette_is_refused_by_the_writer()
    {
        Assert.Throws<ArgumentException>(() => Png.WritePalette8(_dir.File("bad.png"), 2, 1, [0, 3], [0, 0, 0, 255, 255, 255]));
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 0)]
    [InlineData(4, 0)]
    [InlineData(1, 3)]
    [InlineData(2, 3)]
    [InlineData(4, 3)]
    public void Hand_assembled_low_bit_depth_images_decode(int depth, int colorType)
    {
        // Width 11 leaves a partly used last byte in every row.
        int w = 11, h = 5, max = (1 << depth) - 1;
        var values = new int[h, w];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                values[y, x] = (x * 3 + y * 5) % (max + 1);
        byte[] palette = colorType == 3 ? Enumerable.Range(0, (max + 1) * 3).Select(i => (byte)(i * 5)).ToArray() : null!;
        string path = _dir.File($"low{depth}_{colorType}.png");
        File.WriteAllBytes(path, Craft.Png(w, h, depth, colorType, Craft.PackRows(values, depth), palette));
        var img = Png.Read(path);
        Assert.Equal(depth, img.BitDepth);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                Assert.Equal(values[y, x], img[x, y]);
    }

    [Fact]
    public void Hand_assembled_16_bit_gray_keeps_full_values()
    {
        ushort[] v = [0, 1, 256, 1000, 65535, 32768];
        var rows = new byte[2 * (1 + 3 * 2)];
        for (int y = 0; y < 2; y++)
        {
            // Row 1 uses the Sub filter: each stored byte is the difference to the byte two positions left.
            rows[y * 7] = (byte)(y == 0 ? 0 : 1);
            var raw = new byte[6];
            for (int x = 0; x < 3; x++) BinaryPrimitives.WriteUInt16BigEndian(raw.AsSpan(x * 2), v[y * 3 + x]);
            for (int i = 0; i < 6; i++) rows[y * 7 + 1 + i] = y == 0 || i < 2 ? raw[i] : (byte)(raw[i] - raw[i - 2]);
        }
        string path = _dir.File("g16.png");
        File.WriteAllBytes(path, Craft.Png(3, 2, 16, 0, rows));
        Assert.Equal(v, Png.Read(path).Samples);
    }

    [Fact]
    public void Hand_assembled_Adam7_interlaced_image_decodes()
    {
        int w = 10, h = 9;
        var value = new Func<int, int, byte>((x, y) => (byte)(y * 16 + x));
        (int X0, int Y0, int Dx, int Dy)[] passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];
        var scan = new List<byte>();
        foreach (var (x0, y0, dx, dy) in passes)
        {
            for (int y = y0; y < h; y += dy)
            {
                var row = new List<byte>();
                for (int x = x0; x < w; x += dx) row.Add(value(x, y));
                if (row.Count == 0) continue;
                // Up filter on the second row of a pass would need the previous row; filter 0 keeps the test independent.
                scan.Add(0);
                scan.AddRange(row);
            }
        }
        string path = _dir.File("adam7.png");
        File.WriteAllBytes(path, Craft.Png(w, h, 8, 0, scan.ToArray(), interlace: 1));
        var img = Png.Read(path);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                Assert.Equal(value(x, y), img[x, y]);
    }

    [Fact]
    public void Adam7_image_smaller_than_a_block_decodes()
    {
        // 3×2: several passes are empty and must contribute no bytes at all.
        int w = 3, h = 2;
        (int X0, int Y0, int Dx, int Dy)[] passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];
        var scan = new List<byte>();
        foreach (var (x0, y0, dx, dy) in passes)
            for (int y = y0; y < h; y += dy)
            {
                var row = new List<byte>();
                for (int x = x0; x < w; x += dx) row.Add((byte)(10 * y + x));
                if (row.Count == 0) continue;
                scan.Add(0);
                scan.AddRange(row);
            }
        string path = _dir.File("tiny7.png");
        File.WriteAllBytes(path, Craft.Png(w, h, 8, 0, scan.ToArray(), interlace: 1));
        Assert.Equal(new ushort[] { 0, 1, 2, 10, 11, 12 }, Png.Read(path).Samples);
    }

    [Fact]
    public void Corrupt_crc_is_reported_naming_the_file()
    {
        string path = _dir.File("crc.png");
        Png.WriteGray8(path, 4, 4, new byte[16]);
        byte[] bytes = File.ReadAllBytes(path);
        bytes[20] ^= 0x01; // inside IHDR data
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InputDataException>(() => Png.Read(path));
        Assert.Contains("crc.png", e.Message);
        Assert.Contains("CRC", e.Message);
    }

    [Fact]
    public void Truncated_file_is_reported()
    {
        string path = _dir.File("trunc.png");
        Png.WriteRgb8(path, 8, 8, Pattern(192, 255, 5).Select(v => (byte)v).ToArray());
        byte[] bytes = File.ReadAllBytes(path);
        foreach (int keep in new[] { bytes.Length - 12, bytes.Length - 30, 40, 5 })
        {
            File.WriteAllBytes(path, bytes[..keep]);
            var e = Assert.Throws<InputDataException>(() => Png.Read(path));
            Assert.Contains("trunc.png", e.Message);
        }
    }

    [Fact]
    public void Missing_file_and_non_png_are_reported()
    {
        Assert.Contains("none.png", Assert.Throws<InputDataException>(() => Png.Read(_dir.File("none.png"))).Message);
        File.WriteAllText(_dir.File("text.png"), "not a png at all");
        Assert.Contains("not a PNG", Assert.Throws<InputDataException>(() => Png.Read(_dir.File("text.png"))).Message);
    }

    [Fact]
    public void Too_little_image_data_is_reported()
    {
        string path = _dir.File("short.png");
        File.WriteAllBytes(path, Craft.Png(4, 4, 8, 0, new byte[10]));
        Assert.Contains("short.png", Assert.Throws<InputDataException>(() => Png.Read(path)).Message);
    }
}
