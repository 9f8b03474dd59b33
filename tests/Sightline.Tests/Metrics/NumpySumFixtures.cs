using System.Globalization;
using Sightline.Tests.Cli;

namespace Sightline.Tests.Metrics;

/// <summary>
/// The inputs of tools/fixtures/numpy_sums.py, regenerated here (SplitMix64 streams; see the script's docstring), and
/// its committed known answers from NumPy 1.24 (tests/fixtures/numpy_sums).
/// </summary>
internal static class NumpySumFixtures
{
    private const ulong Gamma = 0x9E3779B97F4A7C15UL;

    public static string Dir => Path.Combine(AlignCommandTests.RepoRoot(), "tests", "fixtures", "numpy_sums");

    /// <summary>stream(seed)[i] = SplitMix64's finaliser of seed + (i + 1)·γ (mod 2⁶⁴).</summary>
    public static ulong Stream(ulong seed, int i)
    {
        ulong z = unchecked(seed + (ulong)(i + 1) * Gamma);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }

    /// <summary>values(kind, seed, n) of the script: 0 wide, 1 unit, 2 grid, 3 signed wide.</summary>
    public static float[] Values(int kind, ulong seed, int n)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            ulong z = Stream(seed, i);
            double m = z >> 40;
            x[i] = kind switch
            {
                1 => (float)Math.ScaleB(m, -24),
                2 => (float)((z % 11) / 10.0),
                _ => (float)((kind == 3 && (z & 1) == 1 ? -1 : 1) * Math.ScaleB(m, (int)((z >> 32 & 0xFF) % 21) - 10 - 24)),
            };
        }
        return x;
    }

    /// <summary>The size×size grid map (values k/10 in float32) of seed, row-major.</summary>
    public static float[] GridMap(ulong seed, int size) => Values(2, seed, size * size);

    /// <summary>Mask kind 0 (pixel in iff (z ≫ 20) mod 3 = 0) or kind 1 (a disc) from stream(seed + 1).</summary>
    public static byte[] Mask(ulong seed, int size, int kind)
    {
        var mask = new byte[size * size];
        if (kind == 0)
        {
            for (int i = 0; i < mask.Length; i++) mask[i] = (byte)((Stream(seed + 1, i) >> 20) % 3 == 0 ? 1 : 0);
            return mask;
        }
        long cy = (long)(Stream(seed + 1, 0) % (ulong)size), cx = (long)(Stream(seed + 1, 1) % (ulong)size);
        long radius = 2 + (long)(Stream(seed + 1, 2) % (ulong)(size / 2));
        for (int r = 0; r < size; r++)
            for (int c = 0; c < size; c++)
                mask[r * size + c] = (byte)((r - cy) * (r - cy) + (c - cx) * (c - cx) <= radius * radius ? 1 : 0);
        return mask;
    }

    public sealed record SumCase(int Length, int Kind, ulong Seed, float Expected);

    public sealed record SssCase(int Size, ulong Seed, int MaskKind, float? Tau, bool Hard, long Inside, long Outside, double Total, double Expected);

    public static IReadOnlyList<SumCase> Sums() =>
        [.. Rows("sums.csv").Select(f => new SumCase(int.Parse(f[0], CultureInfo.InvariantCulture), int.Parse(f[1], CultureInfo.InvariantCulture),
            ulong.Parse(f[2], CultureInfo.InvariantCulture), BitConverter.UInt32BitsToSingle(uint.Parse(f[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture))))];

    public static IReadOnlyList<SssCase> Sss() =>
        [.. Rows("sss.csv").Select(f =>
        {
            bool hard = f[4] == "1";
            double total = hard
                ? double.Parse(f[7], CultureInfo.InvariantCulture)
                : BitConverter.UInt32BitsToSingle(uint.Parse(f[7], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            return new SssCase(int.Parse(f[0], CultureInfo.InvariantCulture), ulong.Parse(f[1], CultureInfo.InvariantCulture),
                int.Parse(f[2], CultureInfo.InvariantCulture), f[3] == "none" ? null : float.Parse(f[3], CultureInfo.InvariantCulture), hard,
                long.Parse(f[5], CultureInfo.InvariantCulture), long.Parse(f[6], CultureInfo.InvariantCulture), total,
                BitConverter.UInt64BitsToDouble(ulong.Parse(f[8], NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
        })];

    private static IEnumerable<string[]> Rows(string file) =>
        File.ReadLines(Path.Combine(Dir, file)).Skip(1).Where(l => l.Length > 0).Select(l => l.Split(','));
}
