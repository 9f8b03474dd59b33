namespace Sightline.Statistics;

/// <summary>
/// A small, fast, seedable generator (SplitMix64, Steele et al. 2014) for resampling. Deterministic for a seed on
/// every platform, unlike <see cref="Random"/>'s unspecified algorithm; independent streams come from distinct seeds.
/// </summary>
public struct SplitMix(ulong seed)
{
    private ulong _state = seed;

    /// <summary>Next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E37_79B9_7F4A_7C15ul;
        z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9ul;
        z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EBul;
        return z ^ (z >> 31);
    }

    /// <summary>
    /// Advances the generator by <paramref name="draws"/> draws at once (SplitMix64's state moves by a constant per draw),
    /// so the values from draw <paramref name="draws"/> on can be produced without producing those before them (rows of
    /// one seeded stream filled in parallel).
    /// </summary>
    public void Skip(long draws) => _state += 0x9E37_79B9_7F4A_7C15ul * (ulong)draws;

    /// <summary>Uniform integer in [0, n) (Lemire's multiply-shift; bias below 2⁻³² for n &lt; 2³²).</summary>
    public int NextInt(int n) => (int)((NextUInt64() >> 32) * (ulong)(uint)n >> 32);

    /// <summary>Uniform double in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1ul << 53));

    /// <summary>A seed for stream <paramref name="index"/> derived from <paramref name="seed"/>.</summary>
    public static ulong Derive(ulong seed, long index)
    {
        var g = new SplitMix(seed ^ (0xD1B5_4A32_D192_ED03ul * (ulong)(index + 1)));
        return g.NextUInt64();
    }
}
