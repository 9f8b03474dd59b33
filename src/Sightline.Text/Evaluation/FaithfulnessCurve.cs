using Sightline.Statistics;
using Sightline.Text.Lexicon;
using Sightline.Text.Values;

namespace Sightline.Text.Evaluation;

/// <summary>How <see cref="FaithfulnessCurve"/> masks the words it does not keep.</summary>
public enum FaithfulnessMask
{
    /// <summary>"..." (the default).</summary>
    Ellipsis,
    /// <summary>A random word from the shipped 20k list (seeded).</summary>
    Random,
}

/// <summary>
/// SemeX's faithfulness curve (spec §6), a sufficiency-style keep-top-k test, higher is better: for kᵢ = i·0.1
/// (float64, i = 0..10), sort the words by score descending (stable), m = ⌊len·kᵢ⌋, thr = the m-th score (+∞ for m = 0),
/// keep every word with score ≥ thr (ties all kept), mask the others ("..." or a random word), join in position order
/// with spaces, and sim_k = cos(E(LLM(masked)), E(stored response)), where E is TF-IDF fitted on those two texts only
/// (default) or an embedder. A refused call drops that k (NaN). Explanations containing NaN are skipped.
/// </summary>
public static class FaithfulnessCurve
{
    /// <summary>The 11 fractions k = i·0.1.</summary>
    public static double[] Fractions { get; } = [.. Enumerable.Range(0, 11).Select(i => i * 0.1)];

    /// <summary>The column name of fraction i: sim_0.0 … sim_1.0.</summary>
    public static string Column(int i) => "sim_" + (i / 10.0).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Which positions are kept at fraction <paramref name="k"/>.</summary>
    public static bool[] Kept(ReadOnlySpan<double> scores, double k)
    {
        int n = scores.Length;
        var order = Enumerable.Range(0, n).ToArray();
        var copy = scores.ToArray();
        // Stable descending sort: ties in position order.
        var sorted = order.OrderByDescending(i => copy[i]).ToArray();
        int m = (int)Math.Floor(n * k);
        double thr = m == 0 ? double.PositiveInfinity : copy[sorted[m - 1]];
        var keep = new bool[n];
        for (int i = 0; i < n; i++) keep[i] = copy[i] >= thr;
        return keep;
    }

    /// <summary>The masked texts of one explanation, one per fraction.</summary>
    public static string[] MaskedTexts(IReadOnlyList<string> words, ReadOnlySpan<double> scores, FaithfulnessMask mask, ulong seed)
    {
        var rng = new SplitMix(seed);
        var list = EnglishWords.All;
        var texts = new string[Fractions.Length];
        for (int f = 0; f < Fractions.Length; f++)
        {
            var keep = Kept(scores, Fractions[f]);
            texts[f] = string.Join(' ', words.Select((w, i) => keep[i] ? w : mask == FaithfulnessMask.Ellipsis ? "..." : list[rng.NextInt(list.Count)]));
        }
        return texts;
    }

    /// <summary>The curve of one explanation: sim per fraction (NaN for refused calls).</summary>
    /// <param name="words">The explanation's words (players) in position order.</param>
    /// <param name="scores">Their scores (all finite).</param>
    /// <param name="response">The stored full-prompt response.</param>
    /// <param name="llm">The explained model.</param>
    /// <param name="embedder">null for pair-fitted TF-IDF, else an embedder (cosine).</param>
    /// <param name="mask">Masking mode.</param>
    /// <param name="seed">Seed of random-word masking.</param>
    /// <param name="cancel">Cancellation.</param>
    public static async Task<double[]> ComputeAsync(IReadOnlyList<string> words, double[] scores, string response, ITextResponder llm,
        IReplyScorer? embedder, FaithfulnessMask mask, ulong seed, CancellationToken cancel = default)
    {
        var texts = MaskedTexts(words, scores, mask, seed);
        var replies = await llm.RespondAsync(texts, cancel).ConfigureAwait(false);
        var sims = new double[texts.Length];
        for (int f = 0; f < texts.Length; f++)
        {
            if (replies[f].Text is not { } reply) { sims[f] = double.NaN; continue; }
            if (embedder is null)
            {
                try { sims[f] = TfidfVectorizer.Similarities(response, [reply])[0]; }
                catch (EmptyVocabularyException) { sims[f] = double.NaN; }
            }
        }
        if (embedder is not null)
        {
            var answered = Enumerable.Range(0, texts.Length).Where(f => replies[f].Text is not null).ToArray();
            var v = await embedder.ScoreAsync(response, [.. answered.Select(f => replies[f].Text!)], cancel).ConfigureAwait(false);
            for (int a = 0; a < answered.Length; a++) sims[answered[a]] = v[a];
        }
        return sims;
    }
}
