using System.Text.RegularExpressions;

namespace Sightline.Text.Values;

/// <summary>
/// scikit-learn's <c>TfidfVectorizer()</c> with its defaults (Pedregosa et al., JMLR 2011), as TokenSHAP uses it (spec
/// §3.3): fitted on exactly the given documents, lower-cased, tokens = matches of <c>(?u)\b\w\w+\b</c> (one-character
/// tokens dropped), tf = raw count, idf(t) = ln((1 + D)/(1 + df(t))) + 1 (smooth idf), rows L2-normalised, float64;
/// cosine similarity = the dot product of normalised rows, and a row with no tokens has similarity 0.
/// </summary>
public static partial class TfidfVectorizer
{
    [GeneratedRegex(@"\b\w\w+\b")]
    private static partial Regex TokenPattern();

    /// <summary>The tokens of one document after lower-casing (sklearn's default analyzer).</summary>
    public static IEnumerable<string> Tokens(string document)
    {
        foreach (Match m in TokenPattern().Matches(document.ToLowerInvariant())) yield return m.Value;
    }

    /// <summary>
    /// Fits on [<paramref name="target"/>, documents...] (D = 1 + documents, duplicates kept) and returns the cosine of
    /// each document's tf-idf row with the target's. Throws <see cref="EmptyVocabularyException"/> when no document has a
    /// token (sklearn raises "empty vocabulary").
    /// </summary>
    public static double[] Similarities(string target, IReadOnlyList<string> documents)
    {
        var all = new List<string>(documents.Count + 1) { target };
        all.AddRange(documents);
        var rows = Fit(all, out int vocabulary);
        if (vocabulary == 0) throw new EmptyVocabularyException();
        var t = rows[0];
        var sims = new double[documents.Count];
        for (int d = 0; d < documents.Count; d++)
        {
            double dot = 0;
            foreach (var (term, w) in rows[d + 1])
                if (t.TryGetValue(term, out var tw)) dot += w * tw;
            sims[d] = dot;
        }
        return sims;
    }

    /// <summary>The L2-normalised tf-idf rows of <paramref name="documents"/> (term → weight; an empty row for no tokens).</summary>
    public static List<Dictionary<string, double>> Fit(IReadOnlyList<string> documents, out int vocabulary)
    {
        var counts = new List<Dictionary<string, int>>(documents.Count);
        var df = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var doc in documents)
        {
            var c = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var tok in Tokens(doc)) c[tok] = c.GetValueOrDefault(tok) + 1;
            foreach (var term in c.Keys) df[term] = df.GetValueOrDefault(term) + 1;
            counts.Add(c);
        }
        vocabulary = df.Count;
        int n = documents.Count;
        var rows = new List<Dictionary<string, double>>(n);
        foreach (var c in counts)
        {
            var row = new Dictionary<string, double>(c.Count, StringComparer.Ordinal);
            double norm = 0;
            foreach (var (term, tf) in c)
            {
                double w = tf * (Math.Log((1.0 + n) / (1.0 + df[term])) + 1.0);
                row[term] = w;
                norm += w * w;
            }
            norm = Math.Sqrt(norm);
            if (norm > 0) foreach (var term in c.Keys) row[term] /= norm;
            rows.Add(row);
        }
        return rows;
    }
}

/// <summary>No document had a token of two or more word characters: TF-IDF is undefined (sklearn raises).</summary>
public sealed class EmptyVocabularyException() : Exception("empty TF-IDF vocabulary: no reply has a word of two or more letters");
