namespace Sightline.Models;

/// <summary>Messages about layer names shared by every back end.</summary>
public static class LayerNames
{
    /// <summary>
    /// The error for a layer name that is not among <paramref name="layers"/>: names containing it (or contained in it)
    /// first, else the five nearest by edit distance (case-insensitive Levenshtein).
    /// </summary>
    public static InputDataException Unknown(string layer, string model, IReadOnlyList<LayerInfo> layers)
    {
        var close = Closest(layer, layers.Select(l => l.Name));
        var hint = close.Count > 0 ? $" Close names: {string.Join(", ", close)}." : "";
        return new InputDataException($"Layer '{layer}' is not a layer of '{model}'.{hint} List all with 'sightline explain --list-layers'.");
    }

    /// <summary>
    /// Up to <paramref name="count"/> of <paramref name="names"/> closest to <paramref name="layer"/>: names containing it
    /// (or contained in it) first, else the nearest by case-insensitive Levenshtein distance, ties in ordinal order.
    /// </summary>
    public static IReadOnlyList<string> Closest(string layer, IEnumerable<string> names, int count = 5)
    {
        var all = names.ToList();
        var close = all.Where(n => n.Contains(layer, StringComparison.OrdinalIgnoreCase) || layer.Contains(n, StringComparison.OrdinalIgnoreCase))
            .Take(count).ToList();
        if (close.Count == 0)
            close = [.. all.OrderBy(n => EditDistance(n, layer)).ThenBy(n => n, StringComparer.Ordinal).Take(count)];
        return close;
    }

    private static int EditDistance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
