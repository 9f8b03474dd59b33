namespace Sightline.IO;

/// <summary>How class labels are stored in a PNG mask.</summary>
public enum MaskEncoding
{
    /// <summary>Palette image → <see cref="Palette"/>; gray (± alpha) → <see cref="Grayscale"/>; RGB(A) → <see cref="Rgb"/>.</summary>
    Auto,
    /// <summary>Any non-zero sample is 1 (for RGB/RGBA any non-zero colour channel; alpha is ignored). Palette images use the index.</summary>
    Binary,
    /// <summary>Label = gray value (8 or 16 bit; lower depths use the raw sample).</summary>
    Grayscale,
    /// <summary>Label = palette index (Pascal VOC style; 255 is "ignore" by default).</summary>
    Palette,
    /// <summary>Label = G·256 + R of an 8-bit RGB(A) image (ImageNet-S style); blue and alpha are ignored.</summary>
    Rgb,
}

/// <summary>
/// A per-pixel class-id map decoded from a PNG mask. Label 0 is background; <see cref="IgnoreLabel"/>, when set,
/// marks pixels that belong to no class (VOC borders, ImageNet-S "other") and never count as a target.
/// </summary>
public sealed class LabelMap
{
    /// <summary>The VOC convention for palette masks.</summary>
    public const int PaletteIgnoreDefault = 255;

    /// <summary>The ImageNet-S convention for RGB-encoded masks (label G·256 + R = 1000 is "ignore"; SemScore spec §7).</summary>
    public const int RgbIgnoreDefault = 1000;

    /// <summary>
    /// The ignore label an encoding uses unless told otherwise: 255 for <see cref="MaskEncoding.Palette"/> (Pascal VOC),
    /// 1000 for <see cref="MaskEncoding.Rgb"/> (ImageNet-S), none for the others. <paramref name="resolved"/> must not be
    /// <see cref="MaskEncoding.Auto"/> (see <see cref="Resolve"/>).
    /// </summary>
    public static int? DefaultIgnore(MaskEncoding resolved) => resolved switch
    {
        MaskEncoding.Palette => PaletteIgnoreDefault,
        MaskEncoding.Rgb => RgbIgnoreDefault,
        _ => null,
    };

    /// <summary>Creates a label map; <paramref name="labels"/> is row-major <c>Height×Width</c>.</summary>
    public LabelMap(int height, int width, int[] labels, int? ignoreLabel)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (height <= 0 || width <= 0 || labels.Length != (long)height * width)
            throw new ArgumentException($"Expected {height}×{width} labels, got {labels.Length}.", nameof(labels));
        Height = height;
        Width = width;
        Labels = labels;
        IgnoreLabel = ignoreLabel;
    }

    /// <summary>Rows.</summary>
    public int Height { get; }

    /// <summary>Columns.</summary>
    public int Width { get; }

    /// <summary>Class id per pixel, row-major.</summary>
    public int[] Labels { get; }

    /// <summary>The "ignore" label, or null when every label is a class or background.</summary>
    public int? IgnoreLabel { get; }

    /// <summary>
    /// Reads a PNG mask with the encoding's default ignore label (<see cref="DefaultIgnore"/>): 255 for palette masks
    /// (VOC), 1000 for RGB-encoded masks (ImageNet-S), none otherwise. Use the other overload to override it.
    /// </summary>
    public static LabelMap Read(string pngPath, MaskEncoding encoding = MaskEncoding.Auto) =>
        FromImage(Png.Read(pngPath), encoding, pngPath, useDefaultIgnore: true, ignoreValue: null);

    /// <summary>Reads a PNG mask with an explicit ignore label (null: no ignore label).</summary>
    public static LabelMap Read(string pngPath, MaskEncoding encoding, int? ignoreValue) =>
        FromImage(Png.Read(pngPath), encoding, pngPath, useDefaultIgnore: false, ignoreValue);

    /// <summary>Interprets a decoded image as labels; <paramref name="name"/> is used in error messages.</summary>
    public static LabelMap FromImage(PngImage image, MaskEncoding encoding, string name, int? ignoreValue) =>
        FromImage(image, encoding, name, useDefaultIgnore: false, ignoreValue);

    /// <summary>Interprets a decoded image as labels with the encoding's default ignore label (<see cref="DefaultIgnore"/>).</summary>
    public static LabelMap FromImage(PngImage image, MaskEncoding encoding, string name) =>
        FromImage(image, encoding, name, useDefaultIgnore: true, ignoreValue: null);

    /// <summary>The encoding <see cref="MaskEncoding.Auto"/> resolves to for an image.</summary>
    public static MaskEncoding Resolve(PngImage image, MaskEncoding encoding) =>
        encoding != MaskEncoding.Auto ? encoding : image.ColorType switch
        {
            PngColorType.Palette => MaskEncoding.Palette,
            PngColorType.Gray or PngColorType.GrayAlpha => MaskEncoding.Grayscale,
            _ => MaskEncoding.Rgb,
        };

    private static LabelMap FromImage(PngImage image, MaskEncoding encoding, string name, bool useDefaultIgnore, int? ignoreValue)
    {
        ArgumentNullException.ThrowIfNull(image);
        var resolved = Resolve(image, encoding);
        int? ignore = useDefaultIgnore ? DefaultIgnore(resolved) : ignoreValue;
        int n = image.Width * image.Height;
        int ch = image.Channels;
        var s = image.Samples;
        var labels = new int[n];
        switch (resolved)
        {
            case MaskEncoding.Binary:
            {
                // Alpha (last channel of GA/RGBA) says nothing about the class, so only colour channels count.
                int colour = image.ColorType is PngColorType.GrayAlpha or PngColorType.Rgba ? ch - 1 : ch;
                for (int i = 0; i < n; i++)
                {
                    int v = 0;
                    for (int c = 0; c < colour; c++) v |= s[i * ch + c];
                    labels[i] = v != 0 ? 1 : 0;
                }
                ignore = null;
                break;
            }
            case MaskEncoding.Grayscale:
                if (image.ColorType is not (PngColorType.Gray or PngColorType.GrayAlpha))
                    throw new InputDataException($"{name}: grayscale mask encoding needs a gray PNG but this is {image.ColorType}; use the {Resolve(image, MaskEncoding.Auto).ToString().ToLowerInvariant()} encoding.");
                for (int i = 0; i < n; i++) labels[i] = s[i * ch];
                break;
            case MaskEncoding.Palette:
                if (image.ColorType != PngColorType.Palette)
                    throw new InputDataException($"{name}: palette mask encoding needs a palette PNG but this is {image.ColorType}; use the {Resolve(image, MaskEncoding.Auto).ToString().ToLowerInvariant()} encoding.");
                for (int i = 0; i < n; i++) labels[i] = s[i];
                break;
            case MaskEncoding.Rgb:
                if (image.ColorType is not (PngColorType.Rgb or PngColorType.Rgba) || image.BitDepth != 8)
                    throw new InputDataException($"{name}: RGB mask encoding (label = G·256 + R) needs an 8-bit RGB/RGBA PNG but this is {image.BitDepth}-bit {image.ColorType}.");
                for (int i = 0; i < n; i++) labels[i] = s[i * ch + 1] * 256 + s[i * ch];
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "Unknown mask encoding.");
        }
        return new LabelMap(image.Height, image.Width, labels, ignore);
    }

    /// <summary>1 where the label is a target (and not the ignore label), else 0.</summary>
    public byte[] ToBinary(Func<int, bool> isTarget)
    {
        ArgumentNullException.ThrowIfNull(isTarget);
        var mask = new byte[Labels.Length];
        for (int i = 0; i < mask.Length; i++)
        {
            int l = Labels[i];
            mask[i] = l != IgnoreLabel && isTarget(l) ? (byte)1 : (byte)0;
        }
        return mask;
    }

    /// <summary>1 where the label is in <paramref name="classes"/> (and not the ignore label), else 0.</summary>
    public byte[] ToBinary(IReadOnlySet<int> classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        return ToBinary(classes.Contains);
    }

    /// <summary>1 for every foreground pixel: non-zero and not the ignore label.</summary>
    public byte[] ToBinary() => ToBinary(static l => l != 0);

    /// <summary>Distinct labels present, ascending, excluding background 0 and the ignore label.</summary>
    public IReadOnlyList<int> Classes()
    {
        var set = new SortedSet<int>();
        foreach (int l in Labels)
            if (l != 0 && l != IgnoreLabel) set.Add(l);
        return set.ToArray();
    }
}
