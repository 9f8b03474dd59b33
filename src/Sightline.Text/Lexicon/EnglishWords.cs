using System.Reflection;

namespace Sightline.Text.Lexicon;

/// <summary>
/// The shipped 20,000-word English list (random-word masking, spec §6; the steering fallback, spec §8): the most frequent
/// alphabetic WordNet lemmas (tools/fixtures/english_words.py). A deviation: the reference's own 20k list is not
/// available, so the random words differ from its draws.
/// </summary>
public static class EnglishWords
{
    private static readonly Lazy<string[]> Words = new(() =>
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream("Sightline.Text.Resources.english_words_20k.txt")!;
        using var r = new StreamReader(s);
        var list = new List<string>(20000);
        while (r.ReadLine() is { } line) if (line.Length > 0) list.Add(line);
        return [.. list];
    });

    /// <summary>The list.</summary>
    public static IReadOnlyList<string> All => Words.Value;
}
