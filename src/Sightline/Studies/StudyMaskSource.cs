using Sightline.Alignment;
using Sightline.IO;

namespace Sightline.Studies;

/// <summary>
/// One mask set of a study read sample by sample as label maps: a PNG folder (ordinal file order, <see cref="LabelMap"/>
/// with the set's encoding and ignore label) or an NPY stack N×H×W (0/1, bool or integer labels; the set's ignore label,
/// none by default). <see cref="Mask"/> turns a sample's labels into the binary ground truth the metrics score against:
/// the whole mask (labels that are non-zero, or among the set's classes, and not ignored), or, per target, the pixels
/// whose label is the target's class. Safe to read from several threads.
/// </summary>
public sealed class StudyMaskSource : IDisposable
{
    private readonly StudyMaskSet _set;
    private readonly string[]? _files;
    private readonly NpySampleSource? _npy;

    /// <summary>Opens the set (lists the folder, or opens the NPY header).</summary>
    /// <exception cref="InputDataException">An empty folder, an NPY that is not N×H×W.</exception>
    public StudyMaskSource(StudyMaskSet set)
    {
        _set = set;
        if (Directory.Exists(set.Path))
        {
            _files = Directory.GetFiles(set.Path, "*.png");
            Array.Sort(_files, (a, b) => string.CompareOrdinal(System.IO.Path.GetFileName(a), System.IO.Path.GetFileName(b)));
            if (_files.Length == 0) throw new InputDataException($"masks.{set.Name}: {set.Path} holds no .png masks.");
            var (w, h) = Png.ReadSize(_files[0]);
            Count = _files.Length;
            Height = h;
            Width = w;
        }
        else
        {
            _npy = new NpySampleSource(set.Path);
            var s = _npy.Shape;
            if (!(s.Count == 3 || (s.Count == 4 && s[1] == 1)))
            {
                _npy.Dispose();
                throw new InputDataException($"masks.{set.Name}: {set.Path} has shape ({string.Join(", ", s)}); masks are N×H×W (or N×1×H×W).");
            }
            Count = s[0];
            Height = s[^2];
            Width = s[^1];
        }
    }

    /// <summary>The set.</summary>
    public StudyMaskSet Set => _set;

    /// <summary>Masks in the set.</summary>
    public int Count { get; }

    /// <summary>Mask height (of the first mask for PNG folders).</summary>
    public int Height { get; }

    /// <summary>Mask width.</summary>
    public int Width { get; }

    /// <summary>The files (PNG folders) or the NPY, for the run signature.</summary>
    public IEnumerable<string> Files => _files ?? [_set.Path];

    /// <summary>The label map of sample <paramref name="index"/>.</summary>
    /// <exception cref="InputDataException">A PNG that cannot be read or has another size, an NPY label that is not an integer.</exception>
    public LabelMap Labels(int index)
    {
        if (_files is not null)
        {
            var file = _files[index];
            var (w, h) = Png.ReadSize(file);
            if (h != Height || w != Width)
                throw new InputDataException($"masks.{_set.Name}: {file} is {h}×{w} but {System.IO.Path.GetFileName(_files[0])} is {Height}×{Width}; all masks of a set share one size.");
            return _set.OverrideIgnore ? LabelMap.Read(file, _set.Encoding, _set.Ignore) : LabelMap.Read(file, _set.Encoding);
        }
        var values = new float[Height * Width];
        _npy!.Read(index, values);
        var labels = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            if (v != MathF.Floor(v)) throw new InputDataException($"masks.{_set.Name}: {_set.Path} mask {index} holds {v.ToString(System.Globalization.CultureInfo.InvariantCulture)}; masks hold 0/1 or integer labels.");
            labels[i] = (int)v;
        }
        return new LabelMap(Height, Width, labels, _set.OverrideIgnore ? _set.Ignore : null);
    }

    /// <summary>
    /// The binary ground truth of <paramref name="labels"/> at <paramref name="height"/>×<paramref name="width"/>
    /// (nearest-neighbour resized when the set allows it): for a per-target set, the pixels labelled
    /// <paramref name="classLabel"/>; otherwise every non-zero (or listed) label; the ignore label never counts.
    /// </summary>
    /// <exception cref="InputDataException">The sizes differ and the set does not allow resizing.</exception>
    public byte[] Mask(LabelMap labels, int classLabel, int height, int width)
    {
        byte[] binary = _set.PerTarget ? labels.ToBinary(l => l == classLabel)
            : _set.Classes is { } classes ? labels.ToBinary(new HashSet<int>(classes))
            : labels.ToBinary();
        if (labels.Height == height && labels.Width == width) return binary;
        if (!_set.Resize)
            throw new InputDataException($"masks.{_set.Name}: masks are {labels.Height}×{labels.Width} but the model takes {height}×{width} inputs; give masks at the input size or set resize: true (nearest neighbour).");
        var resized = new byte[height * width];
        MaskResize.Nearest(binary, labels.Height, labels.Width, resized, height, width);
        return resized;
    }

    /// <inheritdoc/>
    public void Dispose() => _npy?.Dispose();
}
