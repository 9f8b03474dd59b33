using System.Numerics;
using Sightline.Statistics;

namespace Sightline.Text.Coalitions;

/// <summary>
/// The coalitions TokenSHAP (Goldshmidt &amp; Horovicz 2024, ronigold/TokenSHAP) and SemeX (k-amara/SemeX, ConceptX:
/// Amara, Sevastjanova, El-Assady, arXiv 2505.07610) evaluate (spec §2): the n essential coalitions N∖{i}, plus up to m
/// random ones from a seeded generator:
/// <list type="number">
/// <item>draw u uniformly in [1, 2ⁿ − 2] (the empty and full sets excluded);</item>
/// <item>write u as an n-bit string, most significant bit first; player j is present iff character j is '1';</item>
/// <item>reject strings equal to an essential coalition; duplicates collapse;</item>
/// <item>stop at m distinct coalitions or after 10·m attempts.</item>
/// </list>
/// The available pool is P = 2ⁿ − 2 − n; when m ≥ P the whole pool is taken (the same set the reference reaches almost
/// surely). The legacy switch reproduces the reference SemeX/ConceptX bug (spec §4.4): bit j means index j + 1, read as
/// a 0-based concept index, so concept 0 is never present, bit n−1 is ignored, the empty coalition is reachable, the only
/// string rejected is 1…10 and the accepted pool is 2ⁿ − 3 strings.
/// </summary>
public static class CoalitionSampler
{
    /// <summary>Largest n whose strings are drawn as integers u; above it the bits are drawn one by one (the same distribution).</summary>
    private const int IntegerDrawLimit = 62;

    /// <summary>Largest pool enumerated whole when m ≥ P.</summary>
    private const long EnumerateLimit = 1 << 20;

    /// <summary>The n essential (leave-one-out) coalitions N∖{i}, i = 0..n−1.</summary>
    public static List<Coalition> Essentials(int n)
    {
        var list = new List<Coalition>(n);
        for (int i = 0; i < n; i++)
        {
            var present = new bool[n];
            Array.Fill(present, true);
            present[i] = false;
            list.Add(new Coalition(present, CoalitionKind.Essential));
        }
        return list;
    }

    /// <summary>
    /// The fixed generator's pool size P = 2ⁿ − 2 − n (coalitions that are neither empty, full nor essential), or
    /// <see cref="long.MaxValue"/> when it does not fit (n ≥ 63). The legacy pool is <see cref="LegacyPool"/>.
    /// </summary>
    public static long Pool(int n) => n >= 63 ? long.MaxValue : Math.Max(0, (1L << n) - 2 - n);

    /// <summary>The legacy generator's accepted pool, 2ⁿ − 3 strings (n ≥ 2), or <see cref="long.MaxValue"/> for n ≥ 63.</summary>
    public static long LegacyPool(int n) => n >= 63 ? long.MaxValue : Math.Max(0, (1L << n) - 3);

    /// <summary>
    /// SemeX's requested number of random coalitions (its ratio is always 1.0): m = min(30, 2ⁿ − 1 − n) (spec §4.4).
    /// </summary>
    public static int SemexRequested(int n) => n >= 30 ? 30 : (int)Math.Max(0, Math.Min(30L, (1L << n) - 1 - n));

    /// <summary>
    /// TokenSHAP's (HEAD) number of extra random coalitions (spec §3.1): M (default 1000) is raised to n when smaller and
    /// budget = max(0, M − n) (∞ when M is null); with sampling ratio r &lt; 1, extra = min(⌊(2ⁿ − 1 − n)·r⌋, budget); with
    /// r ≥ 1, extra = budget (r ≥ 1 with M null is rejected: the reference crashes on int(∞)). The effective count is
    /// min(extra, P), so the LLM calls are 1 (baseline) + n + min(extra, P).
    /// </summary>
    /// <param name="n">Number of players.</param>
    /// <param name="samplingRatio">r ≥ 0.</param>
    /// <param name="maxCombinations">M, or null for no cap.</param>
    public static long TokenShapExtra(int n, double samplingRatio, int? maxCombinations)
    {
        if (!(samplingRatio >= 0) || double.IsInfinity(samplingRatio))
            throw new InputDataException($"--sampling-ratio {samplingRatio}: give a finite number ≥ 0.");
        double budget = maxCombinations is { } m ? Math.Max(0, Math.Max(m, n) - n) : double.PositiveInfinity;
        double extra;
        if (samplingRatio < 1)
        {
            double all = n >= 1000 ? double.PositiveInfinity : Math.Pow(2, n) - 1 - n;
            extra = Math.Min(Math.Floor(all * samplingRatio), budget);
            if (double.IsNaN(extra)) extra = 0; // ∞·0 with r = 0
        }
        else
        {
            if (double.IsPositiveInfinity(budget))
                throw new InputDataException("--sampling-ratio ≥ 1 with no --max-combinations cap asks for every coalition without a bound (the reference crashes on it); give --max-combinations.");
            extra = budget;
        }
        double pool = Pool(n);
        return (long)Math.Min(Math.Min(extra, pool), long.MaxValue);
    }

    /// <summary>
    /// Up to <paramref name="requested"/> distinct random coalitions of <paramref name="n"/> players (the fixed
    /// generator, or the reference's legacy one-based generator), drawn with a SplitMix64 stream seeded by
    /// <paramref name="seed"/>, in the order drawn. Fewer come back when the 10·m attempts run out (the count actually
    /// reached is the list's length).
    /// </summary>
    public static List<Coalition> Random(int n, long requested, ulong seed, bool legacyOneBased = false)
    {
        var result = new List<Coalition>();
        if (n < 2 || requested <= 0) return result;
        long pool = legacyOneBased ? LegacyPool(n) : Pool(n);
        if (pool == 0) return result;
        if (requested >= pool && pool <= EnumerateLimit)
        {
            // The whole pool, in ascending u: what the reference reaches almost surely within its 10·m attempts.
            for (ulong u = 1; u <= (1UL << n) - 2; u++)
                if (Accept(u, n, legacyOneBased)) result.Add(Make(Bits(u, n), n, legacyOneBased));
            return result;
        }
        var rng = new SplitMix(seed);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long attempts = requested > long.MaxValue / 10 ? long.MaxValue : requested * 10;
        for (long a = 0; a < attempts && result.Count < requested; a++)
        {
            string bits;
            if (n <= IntegerDrawLimit)
            {
                ulong u = 1 + NextBelow(ref rng, (1UL << n) - 2);
                if (!Accept(u, n, legacyOneBased)) continue;
                bits = Bits(u, n);
            }
            else
            {
                bits = DrawWideBits(ref rng, n);
                if (!AcceptBits(bits, legacyOneBased)) continue;
            }
            if (!seen.Add(bits)) continue;
            result.Add(Make(bits, n, legacyOneBased));
        }
        return result;
    }

    /// <summary>
    /// The coalition a bit string means: fixed, player j present iff bits[j] = '1'; legacy (SemeX's bug), concept k
    /// (k = 1..n−1) present iff bits[k−1] = '1', concept 0 never, bits[n−1] ignored.
    /// </summary>
    public static bool[] Effective(string bits, bool legacyOneBased)
    {
        int n = bits.Length;
        var present = new bool[n];
        if (!legacyOneBased)
            for (int j = 0; j < n; j++) present[j] = bits[j] == '1';
        else
            for (int k = 1; k < n; k++) present[k] = bits[k - 1] == '1';
        return present;
    }

    private static Coalition Make(string bits, int n, bool legacy) => new(Effective(bits, legacy), CoalitionKind.Random, bits);

    private static bool Accept(ulong u, int n, bool legacy)
    {
        if (!legacy) return BitOperations.PopCount(u) != n - 1; // essentials have exactly one player absent
        // Legacy: only the string whose 1-based tuple (1..n−1) equals the 0-based essential N∖{0} is rejected: 1…10.
        ulong rejected = ((1UL << n) - 1) ^ 1UL;
        return u != rejected;
    }

    private static bool AcceptBits(string bits, bool legacy)
    {
        int ones = bits.Count(c => c == '1');
        if (ones == 0 || ones == bits.Length) return false;
        if (!legacy) return ones != bits.Length - 1;
        return !(ones == bits.Length - 1 && bits[^1] == '0');
    }

    private static string Bits(ulong u, int n)
    {
        var chars = new char[n];
        for (int j = 0; j < n; j++) chars[j] = ((u >> (n - 1 - j)) & 1) == 1 ? '1' : '0';
        return new string(chars);
    }

    private static string DrawWideBits(ref SplitMix rng, int n)
    {
        // u uniform in [1, 2ⁿ − 2] is i.i.d. Bernoulli(½) bits conditioned on neither all-0 nor all-1.
        while (true)
        {
            var chars = new char[n];
            ulong word = 0;
            for (int j = 0; j < n; j++)
            {
                if (j % 64 == 0) word = rng.NextUInt64();
                chars[j] = ((word >> (j % 64)) & 1) == 1 ? '1' : '0';
            }
            var s = new string(chars);
            if (s.Contains('0') && s.Contains('1')) return s;
        }
    }

    /// <summary>Uniform integer in [0, k) without modulo bias (rejection on the top of the 64-bit range).</summary>
    private static ulong NextBelow(ref SplitMix rng, ulong k)
    {
        ulong limit = ulong.MaxValue - ulong.MaxValue % k;
        while (true)
        {
            ulong x = rng.NextUInt64();
            if (x < limit) return x % k;
        }
    }
}
