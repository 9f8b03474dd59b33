using System.Globalization;
using SkiaSharp;

namespace Sightline.Data;

/// <summary>An 8-bit RGB image, row-major, 3 bytes per pixel.</summary>
/// <param name="Width">Columns.</param>
/// <param name="Height">Rows.</param>
/// <param name="Rgb">Pixels, R G B interleaved.</param>
public sealed record RgbImage(int Width, int Height, byte[] Rgb);

/// <summary>Decodes PNG, JPEG, BMP, GIF and WebP files to RGB (through SkiaSharp's codecs), alpha dropped.</summary>
public static class ImageDecoder
{
    /// <summary>Decodes <paramref name="path"/>.</summary>
    /// <exception cref="InputDataException">Missing, unreadable or not a supported image.</exception>
    public static RgbImage Decode(string path)
    {
        if (!File.Exists(path)) throw new InputDataException($"{path}: image not found.");
        // SKBitmap.Decode accepts a truncated file and fills the missing rows with black; the codec says so instead.
        using var codec = SKCodec.Create(path, out var opened)
            ?? throw new InputDataException($"{path}: not a readable image ({opened}; supported: PNG, JPEG, BMP, GIF, WebP).");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        if (info.Width <= 0 || info.Height <= 0 || (long)info.Width * info.Height > 1L << 28)
            throw new InputDataException($"{path}: image of {info.Width}×{info.Height} pixels; images up to 2^28 pixels are supported.");
        using var src = new SKBitmap(info);
        var decoded = codec.GetPixels(info, src.GetPixels());
        if (decoded != SKCodecResult.Success)
            throw new InputDataException($"{path}: truncated or corrupt image (the decoder reports {decoded}); re-export or remove the file.");
        int w = src.Width, h = src.Height;
        var bytes = src.GetPixelSpan();
        var rgb = new byte[w * h * 3];
        for (int i = 0, j = 0; i < w * h; i++, j += 4)
        {
            rgb[i * 3] = bytes[j];
            rgb[i * 3 + 1] = bytes[j + 1];
            rgb[i * 3 + 2] = bytes[j + 2];
        }
        return new RgbImage(w, h, rgb);
    }

    /// <summary>The width and height that <see cref="Decode"/> gives <paramref name="path"/>, read from the file's header
    /// without decoding the pixels; null when the file is missing or not a readable image (<see cref="Decode"/> says why).</summary>
    public static (int Width, int Height)? TrySize(string path)
    {
        if (!File.Exists(path)) return null;
        using var codec = SKCodec.Create(path, out _);
        return codec is null ? null : (codec.Info.Width, codec.Info.Height);
    }

    /// <summary>Writes RGBA pixels (<c>Height×Width×4</c> bytes) as an 8-bit RGBA PNG with the project's one PNG encoder
    /// (<see cref="IO.Png.WriteRgba8"/>), creating the folder when needed.</summary>
    public static void WritePng(string path, int width, int height, ReadOnlySpan<byte> rgba)
    {
        IO.Png.WriteRgba8(path, width, height, rgba);
    }
}

/// <summary>
/// Image preprocessing, torchvision style: optional resize of the shorter side to <see cref="Resize"/> (or to an exact
/// <see cref="Size"/>), centre crop to <see cref="Crop"/> (offsets round((H − crop)/2), round((W − crop)/2)), scaling
/// by 1/<see cref="Scale"/>, then (x − mean)/std per channel, in RGB or BGR channel order, CHW float32.
/// Resizing uses a separable triangle (bilinear) filter widened by the downscale factor, i.e. antialiased like
/// PIL/torchvision's bilinear.
/// </summary>
public sealed record Preprocessing
{
    /// <summary>Shorter side after resizing (torchvision Resize(int)); null = no aspect-preserving resize.</summary>
    public int? Resize { get; init; } = 256;
    /// <summary>Exact output size [H, W] before cropping (squash, no aspect kept); overrides <see cref="Resize"/>.</summary>
    public int[]? Size { get; init; }
    /// <summary>Centre-crop side; null = no crop.</summary>
    public int? Crop { get; init; } = 224;
    /// <summary>Per-channel mean (after scaling), in the model's channel order.</summary>
    public float[] Mean { get; init; } = [0.485f, 0.456f, 0.406f];
    /// <summary>Per-channel std, in the model's channel order.</summary>
    public float[] Std { get; init; } = [0.229f, 0.224f, 0.225f];
    /// <summary>Pixel values are divided by this (255 gives [0,1]).</summary>
    public float Scale { get; init; } = 255f;
    /// <summary>Channel order fed to the model: "rgb" or "bgr".</summary>
    public string ChannelOrder { get; init; } = "rgb";
    /// <summary>Grayscale models: 1 channel (luma) instead of 3.</summary>
    public int Channels { get; init; } = 3;

    /// <summary>Every setting with its values (arrays element by element), e.g. for run signatures.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"Preprocessing {{ Resize = {Resize?.ToString(CultureInfo.InvariantCulture) ?? "none"}, Size = {(Size is null ? "none" : string.Join("x", Size))}, Crop = {Crop?.ToString(CultureInfo.InvariantCulture) ?? "none"}, Mean = [{string.Join(", ", Mean.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}], Std = [{string.Join(", ", Std.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}], Scale = {Scale.ToString("R", CultureInfo.InvariantCulture)}, ChannelOrder = {ChannelOrder}, Channels = {Channels} }}");

    /// <summary>The output [H, W] for an input of the given size.</summary>
    public (int H, int W) OutputSize(int height, int width)
    {
        var (h, w) = ResizedSize(height, width);
        return Crop is int c ? (Math.Min(c, h), Math.Min(c, w)) : (h, w);
    }

    private (int H, int W) ResizedSize(int height, int width)
    {
        if (Size is { Length: 2 } s) return (s[0], s[1]);
        if (Resize is int r)
        {
            // torchvision: the shorter side becomes r, the longer side int(r · long / short).
            long longer = height <= width ? (long)r * width / height : (long)r * height / width;
            // The resized RGB image is held whole as floats: refuse a size that cannot be, before any arithmetic overflows.
            if (longer * r * 3 > Array.MaxLength)
                throw new InputDataException($"--resize/resize {r} makes this {width}×{height} image {(height <= width ? $"{longer}×{r}" : $"{r}×{longer}")} (width×height), too large to hold; give the model's own size (a few hundred pixels).");
            return height <= width ? (r, (int)longer) : ((int)longer, r);
        }
        return (height, width);
    }

    /// <summary>Applies the pipeline to <paramref name="image"/>, writing Channels×H×W floats.</summary>
    public void Apply(RgbImage image, Span<float> destination)
    {
        var (rh, rw) = ResizedSize(image.Height, image.Width);
        var resized = rh == image.Height && rw == image.Width ? ToFloat(image) : ResizeRgb(image, rh, rw);
        var (oh, ow) = OutputSize(image.Height, image.Width);
        int top = (int)Math.Round((rh - oh) / 2.0, MidpointRounding.ToEven), left = (int)Math.Round((rw - ow) / 2.0, MidpointRounding.ToEven);
        if (destination.Length != Channels * oh * ow)
            throw new ArgumentException($"Destination holds {destination.Length} values; the preprocessed image has {Channels}×{oh}×{ow}.");
        bool bgr = ChannelOrder.Equals("bgr", StringComparison.OrdinalIgnoreCase);
        for (int c = 0; c < Channels; c++)
        {
            int src = Channels == 1 ? -1 : bgr ? 2 - c : c;
            float mean = Mean[Math.Min(c, Mean.Length - 1)], std = Std[Math.Min(c, Std.Length - 1)];
            for (int y = 0; y < oh; y++)
                for (int x = 0; x < ow; x++)
                {
                    int p = ((top + y) * rw + left + x) * 3;
                    float v = src < 0 ? 0.299f * resized[p] + 0.587f * resized[p + 1] + 0.114f * resized[p + 2] : resized[p + src];
                    destination[c * oh * ow + y * ow + x] = (v / Scale - mean) / std;
                }
        }
    }

    /// <summary>The resized and cropped RGB image (before scaling and normalisation), for overlays.</summary>
    public RgbImage Display(RgbImage image)
    {
        var (rh, rw) = ResizedSize(image.Height, image.Width);
        var resized = rh == image.Height && rw == image.Width ? ToFloat(image) : ResizeRgb(image, rh, rw);
        var (oh, ow) = OutputSize(image.Height, image.Width);
        int top = (int)Math.Round((rh - oh) / 2.0, MidpointRounding.ToEven), left = (int)Math.Round((rw - ow) / 2.0, MidpointRounding.ToEven);
        var rgb = new byte[oh * ow * 3];
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
                for (int c = 0; c < 3; c++)
                    rgb[(y * ow + x) * 3 + c] = (byte)Math.Clamp(Math.Round(resized[((top + y) * rw + left + x) * 3 + c]), 0, 255);
        return new RgbImage(ow, oh, rgb);
    }

    private static float[] ToFloat(RgbImage image)
    {
        var f = new float[image.Rgb.Length];
        for (int i = 0; i < f.Length; i++) f[i] = image.Rgb[i];
        return f;
    }

    /// <summary>Antialiased bilinear resize of interleaved RGB (values kept in 0..255 as floats).</summary>
    public static float[] ResizeRgb(RgbImage image, int outH, int outW)
    {
        var src = ToFloat(image);
        var horiz = ResizeAxis(src, image.Height, image.Width, outW, horizontal: true);
        return ResizeAxis(horiz, image.Height, outW, outH, horizontal: false);
    }

    private static float[] ResizeAxis(float[] src, int h, int w, int outSize, bool horizontal)
    {
        int inSize = horizontal ? w : h;
        double scale = (double)inSize / outSize;
        double support = Math.Max(1.0, scale);
        var dst = new float[horizontal ? h * outSize * 3 : outSize * w * 3];
        var weights = new List<(int Start, double[] W)>(outSize);
        for (int o = 0; o < outSize; o++)
        {
            double centre = (o + 0.5) * scale;
            int lo = Math.Max(0, (int)Math.Floor(centre - support)), hi = Math.Min(inSize - 1, (int)Math.Ceiling(centre + support));
            var ws = new double[hi - lo + 1];
            double total = 0;
            for (int i = lo; i <= hi; i++) total += ws[i - lo] = Math.Max(0, 1 - Math.Abs((i + 0.5 - centre) / support));
            if (total == 0) { ws[Math.Clamp((int)centre - lo, 0, ws.Length - 1)] = 1; total = 1; }
            for (int i = 0; i < ws.Length; i++) ws[i] /= total;
            weights.Add((lo, ws));
        }
        if (horizontal)
        {
            Parallel.For(0, h, y =>
            {
                for (int o = 0; o < outSize; o++)
                {
                    var (start, ws) = weights[o];
                    double r = 0, g = 0, b = 0;
                    for (int k = 0; k < ws.Length; k++)
                    {
                        int p = (y * w + start + k) * 3;
                        r += ws[k] * src[p]; g += ws[k] * src[p + 1]; b += ws[k] * src[p + 2];
                    }
                    int d = (y * outSize + o) * 3;
                    dst[d] = (float)r; dst[d + 1] = (float)g; dst[d + 2] = (float)b;
                }
            });
        }
        else
        {
            Parallel.For(0, outSize, o =>
            {
                var (start, ws) = weights[o];
                for (int x = 0; x < w; x++)
                {
                    double r = 0, g = 0, b = 0;
                    for (int k = 0; k < ws.Length; k++)
                    {
                        int p = ((start + k) * w + x) * 3;
                        r += ws[k] * src[p]; g += ws[k] * src[p + 1]; b += ws[k] * src[p + 2];
                    }
                    int d = (o * w + x) * 3;
                    dst[d] = (float)r; dst[d + 1] = (float)g; dst[d + 2] = (float)b;
                }
            });
        }
        return dst;
    }
}

/// <summary>One image of a data set: its path and label (−1 when unknown).</summary>
/// <param name="Path">Image file.</param>
/// <param name="Label">Class index, or −1.</param>
public sealed record ImageItem(string Path, int Label);

/// <summary>
/// A list of images with labels, from a class-per-subfolder tree, a flat folder (labels −1), or a CSV of
/// <c>path,label</c> (header optional; relative paths resolved against the CSV's folder). Files are ordered by ordinal
/// path so indices are stable across machines. A class folder's label is, in this order: the folder name's index in the
/// model's class names when they are given (every folder must then be one of them); the folder name itself when all
/// folder names are non-negative integers (class ids); otherwise the folder's position among all class folders sorted
/// ordinally, empty folders included, so an empty folder never shifts the labels of the others.
/// </summary>
public sealed class ImageDataset
{
    private static readonly HashSet<string> Extensions = new(StringComparer.OrdinalIgnoreCase) { ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp" };

    private ImageDataset(IReadOnlyList<ImageItem> items, IReadOnlyList<string> classes)
    {
        Items = items;
        Classes = classes;
    }

    /// <summary>The images.</summary>
    public IReadOnlyList<ImageItem> Items { get; }

    /// <summary>Class folder names in ordinal order (empty folders included), empty for flat folders and CSV files.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>
    /// Opens a folder or a CSV file; <paramref name="classNames"/> (the model's class names by output index, e.g. a
    /// model config's <c>labels</c>) maps class folder names to class ids.
    /// </summary>
    /// <exception cref="InputDataException">Missing path, no images, malformed CSV, a class folder not among <paramref name="classNames"/>.</exception>
    public static ImageDataset Open(string path, IReadOnlyList<string>? classNames = null)
    {
        if (File.Exists(path) && path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)) return FromCsv(path);
        if (!Directory.Exists(path)) throw new InputDataException($"{path}: no such image folder or CSV file.");
        var subdirs = Directory.GetDirectories(path).OrderBy(d => d, StringComparer.Ordinal).ToArray();
        var items = new List<ImageItem>();
        var classes = new List<string>();
        if (subdirs.Length > 0 && Directory.GetFiles(path).All(f => !Extensions.Contains(System.IO.Path.GetExtension(f))))
        {
            var names = subdirs.Select(d => System.IO.Path.GetFileName(d)).ToArray();
            var labels = ClassIds(path, names, classNames);
            for (int k = 0; k < subdirs.Length; k++)
            {
                classes.Add(names[k]);
                var files = Directory.GetFiles(subdirs[k]).Where(f => Extensions.Contains(System.IO.Path.GetExtension(f))).OrderBy(f => f, StringComparer.Ordinal).ToArray();
                int label = labels[k];
                items.AddRange(files.Select(f => new ImageItem(f, label)));
            }
        }
        else
        {
            items.AddRange(Directory.GetFiles(path).Where(f => Extensions.Contains(System.IO.Path.GetExtension(f))).OrderBy(f => f, StringComparer.Ordinal).Select(f => new ImageItem(f, -1)));
        }
        if (items.Count == 0) throw new InputDataException($"{path}: no images found (PNG, JPEG, BMP, GIF, WebP), neither directly nor in class subfolders.");
        return new ImageDataset(items, classes);
    }

    private static int[] ClassIds(string root, string[] folders, IReadOnlyList<string>? classNames)
    {
        if (classNames is { Count: > 0 })
        {
            var index = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < classNames.Count; i++) index.TryAdd(classNames[i], i);
            return [.. folders.Select(f => index.TryGetValue(f, out var id) ? id
                : throw new InputDataException($"{System.IO.Path.Combine(root, f)}: class folder '{f}' is not one of the model's {classNames.Count} labels (from its config); rename it to a label (e.g. '{classNames[0]}').") )];
        }
        var numeric = folders.Select(f => int.TryParse(f, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : -1).ToArray();
        if (numeric.All(id => id >= 0)) return numeric;
        return [.. Enumerable.Range(0, folders.Length)];
    }

    private static ImageDataset FromCsv(string csv)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(csv))!;
        var items = new List<ImageItem>();
        int lineNo = 0;
        foreach (var line in File.ReadLines(csv))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var parts = line.Split(',');
            if (parts.Length < 1) continue;
            var p = parts[0].Trim().Trim('"');
            int label = -1;
            if (parts.Length > 1 && !int.TryParse(parts[1].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out label))
            {
                if (lineNo == 1) continue; // header
                throw new InputDataException($"{csv}:{lineNo}: label '{parts[1].Trim()}' is not an integer.");
            }
            if (lineNo == 1 && !Extensions.Contains(System.IO.Path.GetExtension(p))) continue;
            items.Add(new ImageItem(System.IO.Path.IsPathRooted(p) ? p : System.IO.Path.Combine(dir, p), parts.Length > 1 ? label : -1));
        }
        if (items.Count == 0) throw new InputDataException($"{csv}: no image rows (expected path,label).");
        return new ImageDataset(items, []);
    }
}
