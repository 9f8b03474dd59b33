using Sightline.IO;

namespace Sightline.Alignment;

/// <summary>
/// A folder of PNG masks as an <see cref="ISampleSource"/> of binary masks (N×H×W, values 0/1), decoded one file per
/// <see cref="Read"/> so memory stays flat however many masks there are (only the sorted file list is kept). Files are
/// every <c>*.png</c> in the folder, in ordinal file-name order. A pixel is 1 when its label is non-zero, or, with
/// classes, one of those class ids; the ignore label is never 1 (it counts as outside the object, as SemScore's
/// spurious region does). The ignore label is the encoding's default (<see cref="LabelMap.DefaultIgnore"/>: 255 for
/// palette masks, 1000 for ImageNet-S RGB masks) unless an override is given. Safe to read from several threads.
/// </summary>
public sealed class PngMaskSource : IByteSampleSource
{
    private readonly string[] _files;
    private readonly MaskEncoding _encoding;
    private readonly IReadOnlySet<int>? _classes;
    private readonly bool _overrideIgnore;
    private readonly int? _ignore;
    private readonly int _height, _width;

    /// <summary>Lists the folder and reads the first mask's size from its PNG header (nothing is decoded yet).</summary>
    /// <param name="folder">Folder of PNG masks.</param>
    /// <param name="encoding">How labels are stored (<see cref="MaskEncoding.Auto"/> decides per file from its colour type).</param>
    /// <param name="classes">Class ids that form the ground truth; null = every non-zero, non-ignored label.</param>
    /// <param name="overrideIgnore">False: each file's encoding default ignore label; true: <paramref name="ignore"/>.</param>
    /// <param name="ignore">The ignore label when <paramref name="overrideIgnore"/> is true (null = no ignore label).</param>
    /// <exception cref="InputDataException">Missing or empty folder, or an unreadable first PNG.</exception>
    public PngMaskSource(string folder, MaskEncoding encoding = MaskEncoding.Auto, IReadOnlySet<int>? classes = null, bool overrideIgnore = false, int? ignore = null)
    {
        if (!Directory.Exists(folder))
            throw new InputDataException($"{folder}: mask folder not found; check the path.");
        _files = Directory.GetFiles(folder, "*.png");
        Array.Sort(_files, (a, b) => string.CompareOrdinal(Path.GetFileName(a), Path.GetFileName(b)));
        if (_files.Length == 0)
            throw new InputDataException($"{folder}: no .png masks found.");
        Name = folder;
        _encoding = encoding;
        _classes = classes;
        _overrideIgnore = overrideIgnore;
        _ignore = ignore;
        (_width, _height) = Png.ReadSize(_files[0]);
        Shape = [_files.Length, _height, _width];
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>The mask files in sample order.</summary>
    public IReadOnlyList<string> Files => _files;

    /// <inheritdoc/>
    /// <exception cref="InputDataException">The PNG is unreadable or its size differs from the first mask's (the message names the file).</exception>
    public void Read(int index, Span<float> destination)
    {
        byte[] binary = Binary(index);
        for (int i = 0; i < binary.Length; i++) destination[i] = binary[i];
    }

    /// <inheritdoc/>
    public bool TryReadBytes(int index, Span<byte> destination)
    {
        Binary(index).CopyTo(destination);
        return true;
    }

    private byte[] Binary(int index)
    {
        // The header first: a mask of another size is refused before it is inflated.
        var (w, h) = Png.ReadSize(_files[index]);
        if (h != _height || w != _width)
            throw new InputDataException($"{_files[index]}: mask is {h}×{w} but {Path.GetFileName(_files[0])} is {_height}×{_width}; all masks in {Name} must share one size.");
        var map = Decode(index);
        return _classes is null ? map.ToBinary() : map.ToBinary(_classes);
    }

    private LabelMap Decode(int index) => _overrideIgnore
        ? LabelMap.Read(_files[index], _encoding, _ignore)
        : LabelMap.Read(_files[index], _encoding);
}
