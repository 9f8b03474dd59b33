using System.Runtime.InteropServices;

namespace Sightline.Metrics;

/// <summary>
/// Per-thread scratch memory and per-sample memo shared by the metrics that score one sample, so the binarised
/// saliency or the sorted order of a map is computed once per sample however many metrics need it, and no
/// per-sample arrays are allocated. The pipeline calls <see cref="Reset"/> before each sample; a workspace must
/// not be shared between threads.
/// </summary>
public sealed class SampleWorkspace
{
    private long _version = 1;
    private byte[] _binary = [];
    private int _binaryCount;
    private Binarization? _binaryKey;
    private long _binaryVersion;
    private ulong[] _orderKeys = [];
    private int[] _order = [];
    private long _orderVersion;
    private float[] _floats = [];

    /// <summary>Invalidates the memo: the next sample is a different one.</summary>
    public void Reset() => _version++;

    /// <summary>
    /// The binary saliency mask of <paramref name="map"/> under <paramref name="rule"/> (see <see cref="Binarizer"/>),
    /// memoised for the current sample. <paramref name="count"/> receives the number of salient pixels.
    /// </summary>
    public ReadOnlySpan<byte> Binarized(ReadOnlySpan<float> map, Binarization rule, out int count)
    {
        if (_binaryVersion != _version || _binaryKey != rule || _binary.Length < map.Length)
        {
            if (_binary.Length < map.Length) _binary = new byte[map.Length];
            _binaryCount = Binarizer.Binarize(map, rule, _binary.AsSpan(0, map.Length), FloatScratch(map.Length));
            _binaryKey = rule;
            _binaryVersion = _version;
        }
        count = _binaryCount;
        return _binary.AsSpan(0, map.Length);
    }

    /// <summary>
    /// Pixel indices of <paramref name="map"/> in descending value order, ties broken by ascending flat index
    /// (a stable order, unlike the reference's argsort(−a)), memoised for the current sample.
    /// </summary>
    public ReadOnlySpan<int> DescendingOrder(ReadOnlySpan<float> map)
    {
        if (_orderVersion != _version || _order.Length < map.Length)
        {
            if (_order.Length < map.Length)
            {
                _order = new int[map.Length];
                _orderKeys = new ulong[map.Length];
            }
            Ranking.DescendingStableOrder(map, _order.AsSpan(0, map.Length), _orderKeys.AsSpan(0, map.Length));
            _orderVersion = _version;
        }
        return _order.AsSpan(0, map.Length);
    }

    /// <summary>A float scratch buffer of at least <paramref name="length"/> values (contents undefined).</summary>
    public Span<float> FloatScratch(int length)
    {
        if (_floats.Length < length) _floats = new float[length];
        return _floats.AsSpan(0, length);
    }

    [ThreadStatic] private static SampleWorkspace? _threadLocal;

    /// <summary>A workspace private to the calling thread, reset for a new sample.</summary>
    public static SampleWorkspace ForCurrentThread()
    {
        var ws = _threadLocal ??= new SampleWorkspace();
        ws.Reset();
        return ws;
    }
}

/// <summary>Sorting helpers shared by rank-based metrics.</summary>
public static class Ranking
{
    /// <summary>
    /// The stable descending order of <paramref name="map"/> (see <see cref="DescendingStableOrder"/>): memoised in
    /// <paramref name="workspace"/> when one is given (no allocation), otherwise computed into fresh arrays.
    /// </summary>
    public static ReadOnlySpan<int> DescendingOrder(ReadOnlySpan<float> map, SampleWorkspace? workspace)
    {
        if (workspace is not null) return workspace.DescendingOrder(map);
        var order = new int[map.Length];
        DescendingStableOrder(map, order, new ulong[map.Length]);
        return order;
    }

    /// <summary>
    /// Writes the indices of <paramref name="values"/> sorted by descending value, ties by ascending index.
    /// NaN sorts last. <paramref name="keys"/> is scratch of the same length.
    /// </summary>
    public static void DescendingStableOrder(ReadOnlySpan<float> values, Span<int> order, Span<ulong> keys)
    {
        for (int i = 0; i < values.Length; i++)
        {
            // Map the float to an unsigned key that sorts ascending with the value, then invert it for descending order.
            uint bits = BitConverter.SingleToUInt32Bits(values[i]);
            uint asc = (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
            if (float.IsNaN(values[i])) asc = 0;
            keys[i] = ((ulong)~asc << 32) | (uint)i;
        }
        keys.Sort();
        for (int i = 0; i < keys.Length; i++) order[i] = (int)(keys[i] & 0xFFFF_FFFFu);
    }
}
