using System.Text.Json;
using Sightline.Text.Values;

namespace Sightline.Text.Tests.Values;

public sealed class TfidfVectorizerTests
{
    // Hand computation (sklearn is not on this machine): D = 3, "a" is dropped (one character),
    // idf(cat) = ln(4/3) + 1, idf(sat) = ln(4/2) + 1, target row (cat, sat) = (idf_cat, idf_sat)/‖·‖.
    [Fact]
    public void Spec_example_gives_sklearn_idf_row_and_cosines()
    {
        var rows = TfidfVectorizer.Fit(["a cat sat", "a cat", "dog"], out int vocabulary);
        Assert.Equal(3, vocabulary);
        double idfCat = Math.Log(4.0 / 3) + 1, idfSat = Math.Log(2) + 1;
        Assert.Equal(1.2876820724517808, idfCat, 15);
        Assert.Equal(1.6931471805599454, idfSat, 15);
        Assert.Equal(0.6053485081062916, rows[0]["cat"], 15);
        Assert.Equal(0.7959605415681652, rows[0]["sat"], 15);
        var sims = TfidfVectorizer.Similarities("a cat sat", ["a cat", "dog"]);
        Assert.Equal(0.6053485081062916, sims[0], 15);
        Assert.Equal(0.0, sims[1]);
    }

    /// <summary>
    /// scikit-learn 1.2.1's own TfidfVectorizer() and cosine_similarity on TokenSHAP-style calls (target first, replies
    /// after), written by tools/fixtures/tfidf_sklearn.py: the vocabulary, the target's tf-idf row (idf and L2 norm) and every similarity agree to
    /// a few ulps (case, apostrophes, one-character tokens, duplicates, raw counts, Unicode, underscores, digits, a reply
    /// without tokens).
    /// </summary>
    [Fact]
    public void Idf_rows_and_similarities_match_scikit_learn_on_the_fixture_cases()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "fixtures", "text", "tfidf_sklearn.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var cases = doc.RootElement.GetProperty("cases").EnumerateArray().ToList();
        Assert.Equal(6, cases.Count);
        foreach (var c in cases)
        {
            var texts = c.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToArray();
            var vocabulary = c.GetProperty("vocabulary").EnumerateArray().Select(t => t.GetString()!).ToArray();
            var rows = TfidfVectorizer.Fit(texts, out int size);
            Assert.Equal(vocabulary.Length, size);
            Assert.Equal(vocabulary.Order(StringComparer.Ordinal), rows.SelectMany(r => r.Keys).Distinct().Order(StringComparer.Ordinal));
            var target = c.GetProperty("target_row").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            for (int t = 0; t < vocabulary.Length; t++)
                Assert.Equal(target[t], rows[0].GetValueOrDefault(vocabulary[t]), 1e-15);
            var expected = c.GetProperty("similarities").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            var sims = TfidfVectorizer.Similarities(texts[0], texts[1..]);
            Assert.Equal(expected.Length, sims.Length);
            for (int i = 0; i < sims.Length; i++) Assert.Equal(expected[i], sims[i], 1e-14);
        }
    }

    [Fact]
    public void Tokens_are_lower_cased_runs_of_two_or_more_word_characters() =>
        Assert.Equal(new[] { "the", "cat", "blue", "x_1", "über" }, TfidfVectorizer.Tokens("The CAT's blue? a X_1 Über"));

    [Fact]
    public void Repeated_terms_count_raw_and_duplicate_documents_are_kept()
    {
        // Target "dog dog cat" vs two copies of "dog": D = 3, df(dog) = 3, df(cat) = 1.
        double idfDog = Math.Log(4.0 / 4) + 1, idfCat = Math.Log(4.0 / 2) + 1;
        double norm = Math.Sqrt(4 * idfDog * idfDog + idfCat * idfCat);
        var sims = TfidfVectorizer.Similarities("dog dog cat", ["dog", "dog"]);
        Assert.Equal(2 * idfDog / norm, sims[0], 14);
        Assert.Equal(sims[0], sims[1]);
    }

    [Fact]
    public void A_reply_without_tokens_has_similarity_zero() =>
        Assert.Equal(0.0, TfidfVectorizer.Similarities("good day", ["a ! ?"])[0]);

    [Fact]
    public void No_tokens_anywhere_is_an_empty_vocabulary() =>
        Assert.Throws<EmptyVocabularyException>(() => TfidfVectorizer.Similarities("a", ["b", "?"]));
}
