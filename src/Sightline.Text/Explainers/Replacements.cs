using System.Text.Json;
using System.Text.RegularExpressions;
using Sightline.Text.Lexicon;
using Sightline.Text.Values;

namespace Sightline.Text.Explainers;

/// <summary>SemeX's replacement strategies (spec §4.3): what an absent concept becomes.</summary>
public enum ReplacementStrategy
{
    /// <summary>r: the word is deleted.</summary>
    Remove,
    /// <summary>n: a neutral word from one LLM call.</summary>
    Neutral,
    /// <summary>a: an antonym from one LLM call (or WordNet, a flagged deviation).</summary>
    Antonym,
}

/// <summary>Produces one replacement per concept of a sentence, or null with a reason (the prompt is then skipped).</summary>
public interface IReplacementProvider
{
    /// <summary>A description for signatures and messages.</summary>
    string Describe { get; }

    /// <summary>The replacements of <paramref name="concepts"/> in <paramref name="sentence"/>, same length, or null.</summary>
    Task<(string[]? Replacements, string? Reason)> ReplaceAsync(string sentence, IReadOnlyList<string> concepts, CancellationToken cancel = default);
}

/// <summary>Strategy r: every concept becomes "".</summary>
public sealed class RemovalReplacements : IReplacementProvider
{
    /// <inheritdoc/>
    public string Describe => "remove";

    /// <inheritdoc/>
    public Task<(string[]?, string?)> ReplaceAsync(string sentence, IReadOnlyList<string> concepts, CancellationToken cancel = default) =>
        Task.FromResult<(string[]?, string?)>(([.. concepts.Select(_ => "")], null));
}

/// <summary>
/// Strategies n and a by one LLM call per prompt (SemeX: GPT-4o-mini, temperature 1.0, system message "You are a
/// helpful assistant") with the spec's prompts (§4.3, paraphrased from the reference): the example sentence "Describe
/// the ideal qualities of a leader in a team." with [Describe, qualities, leader, team] → [Mention, aspects,
/// individual, group] (neutral) or [Ignore, flaws, follower, individual] (antonym). The port asks for a JSON array,
/// parses the reply robustly (the first [...] in it, JSON or a Python-style list), checks the length and retries (a
/// sampling model gives a new draw each time) up to <see cref="Attempts"/> times.
/// </summary>
public sealed partial class LlmReplacements(ITextResponder llm, ReplacementStrategy strategy) : IReplacementProvider
{
    /// <summary>Calls per prompt at most.</summary>
    public int Attempts { get; init; } = 3;

    /// <inheritdoc/>
    public string Describe => $"{(strategy == ReplacementStrategy.Neutral ? "neutral" : "antonym")} by {llm.Describe}";

    /// <summary>The request for one sentence.</summary>
    public static string Prompt(ReplacementStrategy strategy, string sentence, IReadOnlyList<string> concepts)
    {
        bool neutral = strategy == ReplacementStrategy.Neutral;
        var task = neutral
            ? "You neutralise concepts in a sentence. Replace each listed concept by a word that removes its semantic importance, keeps the sentence grammatical, and is not a synonym of the concept."
            : "You replace concepts in a sentence by their opposites. Replace each listed concept by an antonym (a word with the opposite meaning) that keeps the sentence grammatical.";
        var example = neutral ? "[\"Mention\", \"aspects\", \"individual\", \"group\"]" : "[\"Ignore\", \"flaws\", \"follower\", \"individual\"]";
        return $"{task}\n\nExample:\nSentence: \"Describe the ideal qualities of a leader in a team.\"\nConcepts: [\"Describe\", \"qualities\", \"leader\", \"team\"]\nAnswer: {example}\n\n" +
               $"Sentence: \"{sentence}\"\nConcepts: {JsonSerializer.Serialize(concepts)}\n" +
               $"Answer with only a JSON array of exactly {concepts.Count} strings, one replacement per concept, in the same order.";
    }

    /// <inheritdoc/>
    public async Task<(string[]?, string?)> ReplaceAsync(string sentence, IReadOnlyList<string> concepts, CancellationToken cancel = default)
    {
        string? last = null;
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            var reply = (await llm.RespondAsync([Prompt(strategy, sentence, concepts)], cancel).ConfigureAwait(false))[0];
            if (reply.Text is null) return (null, $"replacement request refused ({reply.SkipReason})");
            var parsed = Parse(reply.Text);
            if (parsed is not null && parsed.Length == concepts.Count) return (parsed, null);
            last = parsed is null ? "no list in the reply" : $"{parsed.Length} replacements for {concepts.Count} concepts";
        }
        return (null, $"replacement reply unusable after {Attempts} attempts ({last})");
    }

    [GeneratedRegex("""'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|([^,\[\]\s][^,\[\]]*)""")]
    private static partial Regex ListItem();

    /// <summary>The list in an LLM reply: the first [...] span as a JSON array of strings, else as a Python-style list; null when none.</summary>
    public static string[]? Parse(string reply)
    {
        int start = reply.IndexOf('[');
        if (start < 0) return null;
        for (int end = reply.LastIndexOf(']'); end > start; end = end == 0 ? -1 : reply.LastIndexOf(']', end - 1))
        {
            try
            {
                var arr = JsonSerializer.Deserialize<JsonElement>(reply[start..(end + 1)]);
                if (arr.ValueKind == JsonValueKind.Array)
                    return [.. arr.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()!.Trim() : e.ToString())];
            }
            catch (JsonException) { }
        }
        int close = reply.IndexOf(']', start);
        if (close < 0) return null;
        var inner = reply[(start + 1)..close];
        var items = ListItem().Matches(inner).Select(x => (x.Groups[1].Success ? x.Groups[1].Value : x.Groups[2].Success ? x.Groups[2].Value : x.Groups[3].Value).Trim()).ToArray();
        return items.Length > 0 ? items : null;
    }
}

/// <summary>
/// <c>--antonyms wordnet</c>: an offline antonym per concept from WordNet (first direct antonym of any sense, adjective
/// satellites through their head; noun, verb, then adjective readings), the concept itself removed when WordNet has none.
/// <b>A deviation from SemeX</b>, which asks GPT-4o-mini: flagged in the output.
/// </summary>
public sealed class WordNetAntonyms(WordNet wordNet) : IReplacementProvider
{
    /// <inheritdoc/>
    public string Describe => "antonym by WordNet (deviation: the reference asks an LLM)";

    private readonly Evaluation.WordNetAntonymSource _source = new(wordNet);

    /// <summary>The antonym of one word, or "" when WordNet has none.</summary>
    public string Antonym(string word) => _source.Antonym(word);

    /// <inheritdoc/>
    public Task<(string[]?, string?)> ReplaceAsync(string sentence, IReadOnlyList<string> concepts, CancellationToken cancel = default) =>
        Task.FromResult<(string[]?, string?)>(([.. concepts.Select(Antonym)], null));
}
