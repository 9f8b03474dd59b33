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
                _orderKeys = new ulong[2 * map.Length];
            }
            Ranking.DescendingStableOrder(map, _order.AsSpan(0, map.Length), _orderKeys.AsSpan(0, 2 * map.Length));
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
        DescendingStableOrder(map, order, new ulong[2 * map.Length]);
        return order;
    }

    /// <summary>
    /// Writes the indices of <paramref name="values"/> sorted by descending value, ties by ascending index.
    /// −0 and +0 are equal (they tie, in index order). NaN sorts last. <paramref name="keys"/> is scratch of at least twice the length. A stable LSD radix sort on the
    /// 32-bit order-preserving float key (three 11-bit passes), O(n), several times faster than a comparison sort on
    /// 224×224 maps; ties keep their ascending-index order because every pass is stable.
    /// </summary>
    public static void DescendingStableOrder(ReadOnlySpan<float> values, Span<int> order, Span<ulong> keys)
    {
        int n = values.Length;
        if (keys.Length < 2 * n) throw new ArgumentException("Scratch must hold twice as many keys as values.", nameof(keys));
        var a = keys[..n];
        var b = keys.Slice(n, n);
        for (int i = 0; i < n; i++)
        {
            // Map the float to an unsigned key that sorts ascending with the value, then invert it for descending order.
            uint bits = BitConverter.SingleToUInt32Bits(values[i]);
            if (bits == 0x8000_0000u) bits = 0; // −0 ties with +0 (NumPy compares them equal)
            uint asc = (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
            if (float.IsNaN(values[i])) asc = 0;
            a[i] = ((ulong)~asc << 32) | (uint)i;
        }
        Span<int> counts = stackalloc int[2048];
        for (int shift = 32; shift < 64; shift += 11)
        {
            counts.Clear();
            foreach (var k in a) counts[(int)((k >> shift) & 2047)]++;
            if (counts.Contains(n)) continue; // every key has the same digit: the pass would not move anything
            int sum = 0;
            for (int d = 0; d < 2048; d++) { int c = counts[d]; counts[d] = sum; sum += c; }
            foreach (var k in a) b[counts[(int)((k >> shift) & 2047)]++] = k;
            var t = a; a = b; b = t;
        }
        for (int i = 0; i < n; i++) order[i] = (int)(a[i] & 0xFFFF_FFFFu);
    }
}
