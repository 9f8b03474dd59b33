using System.Text.RegularExpressions;

namespace Sightline.Text.Explainers;

/// <summary>One prompt to explain, with the optional columns of a prompts CSV (spec §4.5, §7).</summary>
/// <param name="Index">0-based position in the prompt file.</param>
/// <param name="Prompt">The prompt as given.</param>
/// <param name="Aspect">Target A (e.g. "positive"), or null.</param>
/// <param name="Reference">Target R, or null.</param>
/// <param name="Label">The dataset's most responsible word (accuracy, steering oracle), or null.</param>
public sealed record TextPrompt(int Index, string Prompt, string? Aspect = null, string? Reference = null, string? Label = null);

/// <summary>A player and its score: a token (TokenSHAP) or a word (SemeX, random) at a 0-based position.</summary>
/// <param name="Text">The token or word.</param>
/// <param name="Position">0-based position among the prompt's tokens or words.</param>
/// <param name="Score">ψ (NaN when the explanation is undefined); SemeX's non-concept words −1.0.</param>
/// <param name="IsConcept">Whether the word was a player of the game (always true for TokenSHAP).</param>
public sealed record ScoredPlayer(string Text, int Position, double Score, bool IsConcept = true);

/// <summary>One evaluated coalition (TokenSHAP's results table row), kept in the JSONL sidecar.</summary>
/// <param name="Indexes">The present players' 1-based indexes.</param>
/// <param name="Kind">"essential" or "random".</param>
/// <param name="Bits">The drawn bit string of a random coalition.</param>
/// <param name="Content">The reduced prompt sent to the model.</param>
/// <param name="Response">The model's reply, or null when skipped.</param>
/// <param name="Value">v(C), or null when skipped.</param>
/// <param name="Skip">Why the coalition was skipped.</param>
public sealed record CoalitionRecord(int[] Indexes, string Kind, string? Bits, string Content, string? Response, double? Value, string? Skip);

/// <summary>The explanation of one prompt: scores per player, or a reason why there are none, and everything computed.</summary>
public sealed record TextExplanation
{
    /// <summary>The prompt's 0-based index.</summary>
    public required int PromptIndex { get; init; }
    /// <summary>The cleaned prompt.</summary>
    public required string Prompt { get; init; }
    /// <summary>The explainer's name.</summary>
    public required string Explainer { get; init; }
    /// <summary>Players with their scores, in position order (empty when undefined before players exist).</summary>
    public required IReadOnlyList<ScoredPlayer> Players { get; init; }
    /// <summary>Why the scores are undefined (NaN), else null.</summary>
    public string? Reason { get; init; }
    /// <summary>The target text t of the value function (base reply, aspect, reference), or null.</summary>
    public string? Target { get; init; }
    /// <summary>The model's reply to the full cleaned prompt (faithfulness compares against it), or null.</summary>
    public string? Response { get; init; }
    /// <summary>The replacement of each concept (SemeX), in concept order.</summary>
    public IReadOnlyList<string>? Replacements { get; init; }
    /// <summary>The evaluated coalitions.</summary>
    public IReadOnlyList<CoalitionRecord> Coalitions { get; init; } = [];
    /// <summary>Raw importances φ of the game's players (before normalisation).</summary>
    public IReadOnlyList<double>? Phi { get; init; }
}

/// <summary>Text helpers shared by TokenSHAP and SemeX.</summary>
public static partial class TextClean
{
    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"\b\w+\b")]
    private static partial Regex WordPattern();

    /// <summary>Strip, then collapse every whitespace run to one space (spec §2).</summary>
    public static string Clean(string prompt) => Whitespace().Replace(prompt.Trim(), " ");

    /// <summary>SemeX's words: maximal runs of word characters (\b\w+\b); punctuation dropped (spec §4.1).</summary>
    public static string[] Words(string cleaned) => [.. WordPattern().Matches(cleaned).Select(m => m.Value)];

    /// <summary>Join with single spaces and collapse whitespace (removed words leave no gaps).</summary>
    public static string JoinCollapsed(IEnumerable<string> parts) => Clean(string.Join(' ', parts));
}
