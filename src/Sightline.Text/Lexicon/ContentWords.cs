using System.Reflection;
using System.Text.RegularExpressions;

namespace Sightline.Text.Lexicon;

/// <summary>spaCy's English stop list (spacy/lang/en/stop_words.py: 326 entries, contractions included), looked up lower-cased.</summary>
public static class StopWords
{
    private static readonly Lazy<HashSet<string>> Words = new(() =>
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream("Sightline.Text.Resources.spacy_en_stop_words.txt")!;
        using var r = new StreamReader(s);
        var set = new HashSet<string>(StringComparer.Ordinal);
        while (r.ReadLine() is { } line) if (line.Length > 0) set.Add(line);
        return set;
    });

    /// <summary>The list.</summary>
    public static IReadOnlySet<string> All => Words.Value;

    /// <summary>Whether <paramref name="word"/> (lower-cased) is a stop word.</summary>
    public static bool Contains(string word) => Words.Value.Contains(word.ToLowerInvariant());
}

/// <summary>
/// SemeX's concept extraction (spec §4.2) without spaCy: a word is a concept iff it is not a spaCy stop word and is a
/// NOUN, VERB or ADJ by WordNet (any sense of it or of a base form found by morphy), or a proper noun by rule
/// (a capitalised, purely alphabetic word that WordNet does not know). spaCy's tokenizer splits contractions ("don't" →
/// "do" + "n't", "it's" → "it" + "'s"), and SemeX keeps only spaCy tokens equal to a regex word, so a word followed by
/// "'t" or preceded by an apostrophe is never a concept, as in the reference. Duplicates collapse at the first
/// occurrence. <b>Tags can differ from spaCy's</b>: WordNet knows every part of speech a word can have, not the one it
/// has in the sentence (e.g. "fast", "light", "present" count as content words wherever they stand).
/// </summary>
public sealed partial class ContentWords(WordNet wordNet)
{
    [GeneratedRegex(@"\b\w+\b")]
    private static partial Regex WordPattern();

    /// <summary>The concepts of a cleaned prompt: positions (0-based among its regex words) of the first occurrence of each concept word.</summary>
    public IReadOnlyList<int> Concepts(string cleaned)
    {
        var matches = WordPattern().Matches(cleaned);
        var result = new List<int>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int j = 0; j < matches.Count; j++)
        {
            var w = matches[j].Value;
            if (seen.Contains(w) || PartOfContraction(cleaned, matches[j]) || !IsConcept(w)) continue;
            seen.Add(w);
            result.Add(j);
        }
        return result;
    }

    /// <summary>Whether a word is a concept by the rules above.</summary>
    public bool IsConcept(string word)
    {
        if (StopWords.Contains(word)) return false;
        if (word.Any(char.IsDigit)) return false; // spaCy: NUM (or a mixed token we cannot tag reliably)
        if (wordNet.Has(word, WordNetPos.Noun) || wordNet.Has(word, WordNetPos.Verb) || wordNet.Has(word, WordNetPos.Adjective)) return true;
        // Proper-noun rule: a capitalised word WordNet does not know (names, brands) is PROPN; an unknown lower-case word
        // (a typo, slang) is not taken.
        return word.Length > 1 && char.IsUpper(word[0]) && word.All(char.IsLetter);
    }

    private static bool PartOfContraction(string text, Match m)
    {
        int end = m.Index + m.Length;
        bool followedByNt = end + 1 < text.Length && IsApostrophe(text[end]) && (text[end + 1] == 't' || text[end + 1] == 'T') && m.Value.EndsWith('n');
        bool afterApostrophe = m.Index > 0 && IsApostrophe(text[m.Index - 1]) && m.Index > 1 && char.IsLetter(text[m.Index - 2]);
        return followedByNt || afterApostrophe;
    }

    private static bool IsApostrophe(char c) => c is '\'' or '’' or '‘';
}
