namespace Sightline.Text.Coalitions;

/// <summary>How a coalition was produced (spec §2): a leave-one-out ("essential") coalition N∖{i}, or a random one.</summary>
public enum CoalitionKind
{
    /// <summary>N∖{i}: every player but one.</summary>
    Essential,
    /// <summary>A seeded random coalition (fixed or legacy generator).</summary>
    Random,
}

/// <summary>
/// A coalition C ⊆ {0..n−1}: <see cref="Present"/>[j] is true when player j is present. <see cref="Bits"/> is the n-bit
/// string (most significant bit first) the random generator drew, or null for an essential coalition; with the legacy
/// one-based generator (SemeX's bug) two different strings can give the same effective coalition, and both are kept.
/// </summary>
/// <param name="Present">Player j present iff Present[j].</param>
/// <param name="Kind">Essential or random.</param>
/// <param name="Bits">The drawn bit string (random coalitions), else null.</param>
public sealed record Coalition(bool[] Present, CoalitionKind Kind, string? Bits = null)
{
    /// <summary>Number of players present.</summary>
    public int Size
    {
        get
        {
            int s = 0;
            foreach (bool p in Present) if (p) s++;
            return s;
        }
    }

    /// <summary>The present players' 1-based indexes (TokenSHAP's convention), ascending.</summary>
    public int[] OneBasedIndexes()
    {
        var list = new List<int>(Present.Length);
        for (int j = 0; j < Present.Length; j++) if (Present[j]) list.Add(j + 1);
        return [.. list];
    }
}
