using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Sightline.IO;

/// <summary>PNG colour types (IHDR byte 9).</summary>
public enum PngColorType
{
    /// <summary>Grayscale, one channel.</summary>
    Gray = 0,
    /// <summary>RGB, three channels.</summary>
    Rgb = 2,
    /// <summary>Palette indices, one channel, with a PLTE chunk.</summary>
    Palette = 3,
    /// <summary>Grayscale plus alpha, two channels.</summary>
    GrayAlpha = 4,
    /// <summary>RGB plus alpha, four channels.</summary>
    Rgba = 6,
}

/// <summary>
/// A decoded PNG with its raw samples: palette indices are not expanded and 16-bit samples keep their full value,
/// because label maps store class ids in exactly those samples.
/// </summary>
public sealed class PngImage
{
    /// <summary>Creates an image; <paramref name="samples"/> is row-major, channels interleaved, <c>Height×Width×Channels</c>.</summary>
    public PngImage(int width, int height, PngColorType colorType, int bitDepth, ushort[] samples, byte[]? palette = null, byte[]? transparency = null)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"Image size must be positive, got {width}×{height}.");
        if (!Png.IsValidDepth(colorType, bitDepth)) throw new ArgumentException($"Bit depth {bitDepth} is not allowed for colour type {colorType}.", nameof(bitDepth));
        Width = width;
        Height = height;
        ColorType = colorType;
        BitDepth = bitDepth;
        Channels = Png.ChannelCount(colorType);
        if (samples.Length != (long)width * height * Channels)
            throw new ArgumentException($"Expected {width}×{height}×{Channels} samples, got {samples.Length}.", nameof(samples));
        if (colorType == PngColorType.Palette && (palette is null || palette.Length % 3 != 0 || palette.Length == 0 || palette.Length > 768))
            throw new ArgumentException("A palette image needs 1..256 RGB palette entries.", nameof(palette));
        Samples = samples;
        Palette = palette;
        Transparency = transparency;
    }

    /// <summary>Columns.</summary>
    public int Width { get; }

    /// <summary>Rows.</summary>
    public int Height { get; }

    /// <summary>Colour type.</summary>
    public PngColorType ColorType { get; }

    /// <summary>Bits per sample: 1, 2, 4, 8 or 16.</summary>
    public int BitDepth { get; }

    /// <summary>Samples per pixel (1 gray/palette, 2 gray+alpha, 3 RGB, 4 RGBA).</summary>
    public int Channels { get; }

    /// <summary>Raw samples, row-major with channels interleaved.</summary>
    public ushort[] Samples { get; }

    /// <summary>PLTE entries as RGB triples, or null.</summary>
    public byte[]? Palette { get; }

    /// <summary>Raw tRNS chunk contents, or null.</summary>
    public byte[]? Transparency { get; }

    /// <summary>The sample of channel <paramref name="channel"/> at column <paramref name="x"/>, row <paramref name="y"/>.</summary>
    public int this[int x, int y, int channel = 0] => Samples[((long)y * Width + x) * Channels + channel];
}

/// <summary>
/// Self-contained PNG codec (no native dependency): decodes every standard colour type and bit depth, all five
/// filters and Adam7 interlacing, checking chunk CRCs; encodes 8- and 16-bit images.
/// </summary>
public static class Png
{
    private static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];

    // Guards against decompression bombs and corrupt IHDRs before allocating.
    private const long MaxSamples = 1L << 30;

    internal static int ChannelCount(PngColorType t) => t switch
    {
        PngColorType.Gray or PngColorType.Palette => 1,
        PngColorType.GrayAlpha => 2,
        PngColorType.Rgb => 3,
        PngColorType.Rgba => 4,
        _ => 0,
    };

    internal static bool IsValidDepth(PngColorType t, int depth) => t switch
    {
        PngColorType.Gray => depth is 1 or 2 or 4 or 8 or 16,
        PngColorType.Palette => depth is 1 or 2 or 4 or 8,
        PngColorType.Rgb or PngColorType.GrayAlpha or PngColorType.Rgba => depth is 8 or 16,
        _ => false,
    };

    /// <summary>Decodes a PNG file.</summary>
    /// <exception cref="InputDataException">Missing, truncated or corrupt file (bad signature, CRC, IHDR or image data).</exception>
    public static PngImage Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new InputDataException($"{path}: file not found; check the path.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputDataException($"{path}: cannot read ({e.Message}).", e);
        }
        return Decode(bytes, path);
    }

    /// <summary>
    /// The width and height from a PNG file's IHDR chunk (its first 24 bytes), without decoding the image: sizes can be
    /// compared before a large file is inflated.
    /// </summary>
    /// <exception cref="InputDataException">Missing or unreadable file, or no PNG signature and IHDR at its start.</exception>
    public static (int Width, int Height) ReadSize(string path)
    {
        Span<byte> head = stackalloc byte[24];
        int got;
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
            got = fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new InputDataException($"{path}: file not found; check the path.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputDataException($"{path}: cannot read ({e.Message}).", e);
        }
        if (got < 24 || !head[..8].SequenceEqual(Signature) || !head.Slice(12, 4).SequenceEqual("IHDR"u8))
            throw new InputDataException($"{path}: not a PNG file (no signature and IHDR at its start).");
        uint w = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(head[16..]);
        uint h = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(head[20..]);
        if (w == 0 || h == 0 || w > int.MaxValue || h > int.MaxValue)
            throw new InputDataException($"{path}: PNG header gives an invalid size {w}×{h}.");
        return ((int)w, (int)h);
    }

    /// <summary>Decodes PNG bytes; <paramref name="name"/> is used in error messages.</summary>
    public static PngImage Decode(ReadOnlySpan<byte> png, string name)
    {
        if (png.Length < 8 || !png[..8].SequenceEqual(Signature))
            throw new InputDataException($"{name}: not a PNG file (bad signature).");
        int pos = 8;
        int width = 0, height = 0, depth = 0, interlace = 0;
        PngColorType type = PngColorType.Gray;
        bool haveHeader = false, haveEnd = false;
        byte[]? palette = null, transparency = null;
        using var idat = new MemoryStream();
        while (!haveEnd)
        {
            if (pos + 12 > png.Length)
                throw new InputDataException($"{name}: truncated PNG (the file ends before the IEND chunk); re-export the image.");
            uint len = BinaryPrimitives.ReadUInt32BigEndian(png[pos..]);
            if (len > int.MaxValue || pos + 12 + (long)len > png.Length)
                throw new InputDataException($"{name}: truncated PNG (a chunk of {len} bytes runs past the end of the file); re-export the image.");
            var typeBytes = png.Slice(pos + 4, 4);
            var data = png.Slice(pos + 8, (int)len);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(png[(pos + 8 + (int)len)..]);
            string chunk = Encoding.ASCII.GetString(typeBytes);
            if (Crc32.Compute(png.Slice(pos + 4, 4 + (int)len)) != crc)
                throw new InputDataException($"{name}: corrupt PNG (CRC mismatch in the {chunk} chunk at byte {pos}); the file is damaged, re-export it.");
            pos += 12 + (int)len;
            if (!haveHeader && chunk != "IHDR")
                throw new InputDataException($"{name}: corrupt PNG (first chunk is {chunk}, expected IHDR).");
            switch (chunk)
            {
                case "IHDR":
                    if (len != 13) throw new InputDataException($"{name}: corrupt PNG (IHDR has {len} bytes, expected 13).");
                    width = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(data), int.MaxValue);
                    height = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(data[4..]), int.MaxValue);
                    depth = data[8];
                    type = (PngColorType)data[9];
                    interlace = data[12];
                    if (width <= 0 || height <= 0 || ChannelCount(type) == 0 || !IsValidDepth(type, depth) || data[10] != 0 || data[11] != 0 || interlace > 1)
                        throw new InputDataException($"{name}: unsupported or corrupt PNG header ({width}×{height}, colour type {data[9]}, bit depth {depth}, compression {data[10]}, filter {data[11]}, interlace {interlace}).");
                    if ((long)width * height * ChannelCount(type) > MaxSamples)
                        throw new InputDataException($"{name}: PNG of {width}×{height} is too large to decode.");
                    haveHeader = true;
                    break;
                case "PLTE":
                    if (len % 3 != 0 || len == 0 || len > 768) throw new InputDataException($"{name}: corrupt PNG (PLTE of {len} bytes).");
                    palette = data.ToArray();
                    break;
                case "tRNS":
                    transparency = data.ToArray();
                    break;
                case "IDAT":
                    idat.Write(data);
                    break;
                case "IEND":
                    haveEnd = true;
                    break;
                default:
                    // Bit 5 of the first byte clear = critical chunk we must understand; ancillary ones are skipped.
                    if ((typeBytes[0] & 0x20) == 0)
                        throw new InputDataException($"{name}: unsupported critical PNG chunk '{chunk}'.");
                    break;
            }
        }
        if (type == PngColorType.Palette && palette is null)
            throw new InputDataException($"{name}: corrupt PNG (palette image without a PLTE chunk).");
        int channels = ChannelCount(type);
        int bitsPerPixel = channels * depth;
        long rawSize = 0;
        foreach (var (pw, ph) in Passes(width, height, interlace))
            if (pw > 0 && ph > 0) // empty Adam7 passes contribute no bytes, not even filter bytes
                rawSize += (long)ph * (1 + ((long)pw * bitsPerPixel + 7) / 8);
        if (rawSize > int.MaxValue) throw new InputDataException($"{name}: PNG of {width}×{height} is too large to decode.");
        var raw = new byte[rawSize];
        idat.Position = 0;
        int got = 0;
        try
        {
            using var z = new ZLibStream(idat, CompressionMode.Decompress);
            int n;
            while (got < raw.Length && (n = z.Read(raw, got, raw.Length - got)) > 0) got += n;
        }
        catch (InvalidDataException e)
        {
            throw new InputDataException($"{name}: corrupt PNG (image data cannot be decompressed: {e.Message}).", e);
        }
        if (got != raw.Length)
            throw new InputDataException($"{name}: truncated PNG (image data holds {got} of {raw.Length} bytes).");

        var samples = new ushort[(long)width * height * channels];
        int bpp = Math.Max(1, bitsPerPixel / 8);
        int offset = 0;
        int pass = 0;
        foreach (var (pw, ph) in Passes(width, height, interlace))
        {
            var (x0, y0, dx, dy) = interlace == 1 ? Adam7[pass] : (0, 0, 1, 1);
            pass++;
            if (pw == 0 || ph == 0) continue;
            int stride = (int)(((long)pw * bitsPerPixel + 7) / 8);
            Span<byte> previous = new byte[stride];
            for (int row = 0; row < ph; row++)
            {
                int filter = raw[offset];
                var line = raw.AsSpan(offset + 1, stride);
                offset += 1 + stride;
                Unfilter(filter, line, previous, bpp, name);
                int y = y0 + row * dy;
                for (int i = 0; i < pw; i++)
                {
                    long dst = ((long)y * width + x0 + (long)i * dx) * channels;
                    for (int c = 0; c < channels; c++)
                        samples[dst + c] = ReadSample(line, (long)i * channels + c, depth);
                }
                previous = line;
            }
        }
        return new PngImage(width, height, type, depth, samples, palette, transparency);
    }

    private static readonly (int X0, int Y0, int Dx, int Dy)[] Adam7 =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    private static IEnumerable<(int Width, int Height)> Passes(int width, int height, int interlace)
    {
        if (interlace == 0)
        {
            yield return (width, height);
            yield break;
        }
        foreach (var (x0, y0, dx, dy) in Adam7)
            yield return ((width - x0 + dx - 1) / dx, (height - y0 + dy - 1) / dy);
    }

    private static ushort ReadSample(ReadOnlySpan<byte> line, long index, int depth)
    {
        switch (depth)
        {
            case 8: return line[(int)index];
            case 16: return BinaryPrimitives.ReadUInt16BigEndian(line[(int)(index * 2)..]);
            default:
                // Sub-byte samples are packed most significant bits first.
                long bit = index * depth;
                int shift = 8 - depth - (int)(bit & 7);
                return (ushort)((line[(int)(bit >> 3)] >> shift) & ((1 << depth) - 1));
        }
    }

    private static void Unfilter(int filter, Span<byte> line, ReadOnlySpan<byte> prev, int bpp, string name)
    {
        switch (filter)
        {
            case 0:
                break;
            case 1:
                for (int i = bpp; i < line.Length; i++) line[i] += line[i - bpp];
                break;
            case 2:
                for (int i = 0; i < line.Length; i++) line[i] += prev[i];
                break;
            case 3:
                for (int i = 0; i < line.Length; i++)
                    line[i] += (byte)(((i >= bpp ? line[i - bpp] : 0) + prev[i]) >> 1);
                break;
            case 4:
                for (int i = 0; i < line.Length; i++)
                    line[i] += Paeth(i >= bpp ? line[i - bpp] : (byte)0, prev[i], i >= bpp ? prev[i - bpp] : (byte)0);
                break;
            default:
                throw new InputDataException($"{name}: corrupt PNG (unknown row filter {filter}).");
        }
    }

    private static byte Paeth(byte a, byte b, byte c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    /// <summary>Writes an 8-bit grayscale PNG.</summary>
    public static void WriteGray8(string path, int width, int height, ReadOnlySpan<byte> pixels) =>
        Write(path, new PngImage(width, height, PngColorType.Gray, 8, Widen(pixels)));

    /// <summary>Writes a 16-bit grayscale PNG.</summary>
    public static void WriteGray16(string path, int width, int height, ReadOnlySpan<ushort> pixels) =>
        Write(path, new PngImage(width, height, PngColorType.Gray, 16, pixels.ToArray()));

    /// <summary>Writes an 8-bit RGB PNG; <paramref name="rgb"/> holds <c>Height×Width×3</c> bytes.</summary>
    public static void WriteRgb8(string path, int width, int height, ReadOnlySpan<byte> rgb) =>
        Write(path, new PngImage(width, height, PngColorType.Rgb, 8, Widen(rgb)));

    /// <summary>Writes an 8-bit RGBA PNG; <paramref name="rgba"/> holds <c>Height×Width×4</c> bytes.</summary>
    public static void WriteRgba8(string path, int width, int height, ReadOnlySpan<byte> rgba) =>
        Write(path, new PngImage(width, height, PngColorType.Rgba, 8, Widen(rgba)));

    /// <summary>Writes an 8-bit palette PNG; <paramref name="paletteRgb"/> holds 1..256 RGB triples.</summary>
    public static void WritePalette8(string path, int width, int height, ReadOnlySpan<byte> indices, ReadOnlySpan<byte> paletteRgb) =>
        Write(path, new PngImage(width, height, PngColorType.Palette, 8, Widen(indices), paletteRgb.ToArray()));

    /// <summary>Encodes 8-bit RGBA pixels (<c>Height×Width×4</c> bytes) as the bytes of a PNG file, e.g. for a data URI.</summary>
    /// <exception cref="ArgumentException">The buffer does not hold <c>width·height·4</c> bytes.</exception>
    public static byte[] EncodeRgba8(int width, int height, ReadOnlySpan<byte> rgba) => Encode(new PngImage(width, height, PngColorType.Rgba, 8, Widen(rgba)));

    /// <summary>Encodes 8-bit RGB pixels (<c>Height×Width×3</c> bytes) as the bytes of a PNG file.</summary>
    /// <exception cref="ArgumentException">The buffer does not hold <c>width·height·3</c> bytes.</exception>
    public static byte[] EncodeRgb8(int width, int height, ReadOnlySpan<byte> rgb) => Encode(new PngImage(width, height, PngColorType.Rgb, 8, Widen(rgb)));

    /// <summary>Encodes <paramref name="image"/> as the bytes of a PNG file (see <see cref="Write(string, PngImage)"/>).</summary>
    public static byte[] Encode(PngImage image)
    {
        using var stream = new MemoryStream();
        Write(stream, image);
        return stream.ToArray();
    }

    private static ushort[] Widen(ReadOnlySpan<byte> bytes)
    {
        var s = new ushort[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) s[i] = bytes[i];
        return s;
    }

    /// <summary>
    /// Writes <paramref name="image"/> (bit depth 8 or 16, any colour type; palette indices must be below the palette
    /// size). Rows use the adaptive minimum-sum-of-absolute-differences filter choice, non-interlaced.
    /// </summary>
    public static void Write(string path, PngImage image)
    {
        AtomicFile.Write(path, stream => Write(stream, image));
    }

    /// <summary>Writes <paramref name="image"/> as PNG to a stream (see <see cref="Write(string, PngImage)"/>).</summary>
    public static void Write(Stream stream, PngImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.BitDepth is not (8 or 16))
            throw new NotSupportedException($"The PNG writer handles bit depths 8 and 16, not {image.BitDepth}.");
        int maxValue = (1 << image.BitDepth) - 1;
        if (image.ColorType == PngColorType.Palette) maxValue = image.Palette!.Length / 3 - 1;
        stream.Write(Signature);
        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, image.Width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], image.Height);
        ihdr[8] = (byte)image.BitDepth;
        ihdr[9] = (byte)image.ColorType;
        ihdr[10] = ihdr[11] = ihdr[12] = 0;
        WriteChunk(stream, "IHDR", ihdr);
        if (image.Palette is not null && image.ColorType == PngColorType.Palette) WriteChunk(stream, "PLTE", image.Palette);
        if (image.Transparency is not null) WriteChunk(stream, "tRNS", image.Transparency);

        int bytesPerSample = image.BitDepth / 8;
        int bpp = image.Channels * bytesPerSample;
        int stride = image.Width * bpp;
        var prev = new byte[stride];
        var cur = new byte[stride];
        var candidate = new byte[stride];
        var best = new byte[stride];
        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (int y = 0; y < image.Height; y++)
            {
                int rowStart = y * image.Width * image.Channels;
                for (int i = 0; i < image.Width * image.Channels; i++)
                {
                    ushort v = image.Samples[rowStart + i];
                    if (v > maxValue)
                        throw new ArgumentException($"Sample {v} at row {y} exceeds {maxValue} for a {image.BitDepth}-bit {image.ColorType} PNG.", nameof(image));
                    if (bytesPerSample == 1) cur[i] = (byte)v;
                    else BinaryPrimitives.WriteUInt16BigEndian(cur.AsSpan(i * 2), v);
                }
                int bestFilter = 0;
                long bestScore = long.MaxValue;
                for (int f = 0; f <= 4; f++)
                {
                    long score = Filter(f, cur, prev, candidate, bpp);
                    if (score < bestScore)
                    {
                        bestScore = score;
                        bestFilter = f;
                        (best, candidate) = (candidate, best);
                    }
                }
                z.WriteByte((byte)bestFilter);
                z.Write(best);
                (prev, cur) = (cur, prev);
            }
        }
        WriteChunk(stream, "IDAT", compressed.GetBuffer().AsSpan(0, (int)compressed.Length));
        WriteChunk(stream, "IEND", []);
    }

    private static long Filter(int filter, ReadOnlySpan<byte> cur, ReadOnlySpan<byte> prev, Span<byte> output, int bpp)
    {
        long score = 0;
        for (int i = 0; i < cur.Length; i++)
        {
            byte a = i >= bpp ? cur[i - bpp] : (byte)0;
            byte b = prev[i];
            byte c = i >= bpp ? prev[i - bpp] : (byte)0;
            byte predictor = filter switch
            {
                0 => 0,
                1 => a,
                2 => b,
                3 => (byte)((a + b) >> 1),
                _ => Paeth(a, b, c),
            };
            byte v = (byte)(cur[i] - predictor);
            output[i] = v;
            score += (sbyte)v < 0 ? -(sbyte)v : v;
        }
        return score;
    }

    private static void WriteChunk(Stream stream, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> head = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        Encoding.ASCII.GetBytes(type, head[4..]);
        uint crc = Crc32.Update(Crc32.Initial, head[4..]);
        crc = Crc32.Final(Crc32.Update(crc, data));
        stream.Write(head);
        stream.Write(data);
        Span<byte> tail = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(tail, crc);
        stream.Write(tail);
    }
}
