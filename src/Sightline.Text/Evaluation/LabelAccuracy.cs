namespace Sightline.Text.Evaluation;

/// <summary>One row of <see cref="LabelAccuracy"/>.</summary>
/// <param name="PromptIndex">0-based prompt index.</param>
/// <param name="Label">The label word.</param>
/// <param name="LabelRank">1-based rank of the label word, or null when the word is not among the explanation's words.</param>
/// <param name="Top3">The three best words.</param>
/// <param name="TopDifference">s₁ − s₂ (NaN with one word).</param>
/// <param name="TopLabelDifference">s₁ − s_label (NaN when the label is absent).</param>
/// <param name="Entropy">Entropy in bits of the positive scores, normalised to sum 1.</param>
public sealed record AccuracyRow(int PromptIndex, string Label, int? LabelRank, string[] Top3, double TopDifference, double TopLabelDifference, double Entropy);

/// <summary>
/// SemeX's accuracy test (spec §7, GenderBias): rank the words by score keyed by word (a later duplicate overwrites an
/// earlier one's score, keeping the first one's place), label_rank = the rank of the label word, top-3 words,
/// top_difference = s₁ − s₂, top_label_difference = s₁ − s_label, entropy (log₂) over the positive scores;
/// accuracy = the share of rows with label_rank = 1, with the means of the differences.
/// </summary>
public static class LabelAccuracy
{
    /// <summary>One row.</summary>
    public static AccuracyRow Row(int promptIndex, IReadOnlyList<string> words, IReadOnlyList<double> scores, string label)
    {
        var byWord = new Dictionary<string, double>(StringComparer.Ordinal);
        var order = new List<string>();
        for (int i = 0; i < words.Count; i++)
        {
            if (!byWord.ContainsKey(words[i])) order.Add(words[i]);
            byWord[words[i]] = scores[i];
        }
        var ranked = order.OrderByDescending(w => byWord[w]).ToList(); // stable: ties keep first appearance
        int at = ranked.IndexOf(label);
        if (at < 0) at = ranked.FindIndex(w => string.Equals(w, label, StringComparison.OrdinalIgnoreCase));
        double s1 = ranked.Count > 0 ? byWord[ranked[0]] : double.NaN;
        double s2 = ranked.Count > 1 ? byWord[ranked[1]] : double.NaN;
        var positive = byWord.Values.Where(s => s > 0).ToArray();
        double total = positive.Sum();
        double entropy = positive.Length == 0 ? double.NaN : -positive.Sum(s => s / total * Math.Log2(s / total));
        return new AccuracyRow(promptIndex, label, at < 0 ? null : at + 1, [.. ranked.Take(3)], s1 - s2,
            at < 0 ? double.NaN : s1 - byWord[ranked[at]], entropy);
    }

    /// <summary>accuracy = share of rows with label_rank = 1 (rows whose label is absent count as wrong).</summary>
    public static double Accuracy(IReadOnlyList<AccuracyRow> rows) => rows.Count == 0 ? double.NaN : rows.Count(r => r.LabelRank == 1) / (double)rows.Count;
}
