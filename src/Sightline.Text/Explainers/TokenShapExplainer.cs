using System.Text.RegularExpressions;
using Sightline.Statistics;
using Sightline.Text.Coalitions;

namespace Sightline.Text.Explainers;

/// <summary>Settings of <see cref="TokenShapExplainer"/> (defaults: ronigold/TokenSHAP HEAD's <c>analyze</c>).</summary>
public sealed record TokenShapOptions
{
    /// <summary>Sampling ratio r (default 0: essentials only, the leave-one-out closed form).</summary>
    public double SamplingRatio { get; init; }

    /// <summary>max_combinations M (default 1000; null = no cap).</summary>
    public int? MaxCombinations { get; init; } = 1000;

    /// <summary>The splitter's regex (default a single space, so punctuation stays attached: "blue?").</summary>
    public string Splitter { get; init; } = " ";

    /// <summary>A tokenizer splitter instead of the regex (TokenSHAP's TokenizerSplitter), or null.</summary>
    public WordPieceSplitter? Tokenizer { get; init; }
}

/// <summary>
/// TokenSHAP's tokenizer splitter for BERT WordPiece vocabularies: players are the word pieces (special tokens left out),
/// and a reduced prompt is rejoined as Hugging Face's <c>convert_tokens_to_string</c> does: pieces joined with spaces,
/// " ##" removed.
/// </summary>
public sealed class WordPieceSplitter(Microsoft.ML.Tokenizers.BertTokenizer tokenizer)
{
    /// <summary>'minilm' (the embedded all-MiniLM-L6-v2 vocabulary) or a vocab.txt path.</summary>
    public static WordPieceSplitter Open(string name)
    {
        if (name == "minilm") return new WordPieceSplitter(Values.MiniLmEmbedder.Tokenizer);
        const string expected = "'minilm' or a BERT vocab.txt (one word piece per line, with [UNK], [CLS] and [SEP])";
        var text = IO.TextInputFile.ReadAllText(name, "--tokenizer", expected);
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToHashSet(StringComparer.Ordinal);
        // BertTokenizer.Create throws ArgumentException on a vocabulary without its special tokens.
        if (new[] { "[UNK]", "[CLS]", "[SEP]" }.FirstOrDefault(t => !lines.Contains(t)) is { } missing)
            throw new InputDataException($"--tokenizer {name}: not a BERT vocab.txt (no {missing} line); give {expected}.");
        using var s = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text));
        return new WordPieceSplitter(Microsoft.ML.Tokenizers.BertTokenizer.Create(s, new Microsoft.ML.Tokenizers.BertOptions { LowerCaseBeforeTokenization = true }));
    }

    /// <summary>The word pieces of <paramref name="text"/>.</summary>
    public string[] Split(string text) =>
        [.. tokenizer.EncodeToTokens(text, out _).Select(t => t.Value).Where(v => v is not ("[CLS]" or "[SEP]"))];

    /// <summary>convert_tokens_to_string: " ".join(tokens).replace(" ##", "").</summary>
    public static string Join(IEnumerable<string> tokens) => string.Join(' ', tokens).Replace(" ##", "", StringComparison.Ordinal).Trim();
}

/// <summary>
/// TokenSHAP (Goldshmidt &amp; Horovicz, "TokenSHAP: Interpreting Large Language Models with Monte Carlo Shapley Value
/// Estimation", NLP4Science 2024, arXiv 2407.10114; ronigold/TokenSHAP HEAD): players are the prompt's tokens (a regex
/// split of the cleaned prompt, rejoined with single spaces), the target is the model's reply to the full prompt, the
/// coalitions are the n essentials plus min(extra, P) random ones (extra from the sampling ratio and max_combinations,
/// spec §3.1), v(C) = sim(reply(C), reply(N)), and ψ the normalised with-minus-without difference (spec §2). LLM calls
/// per prompt: 1 + n + min(extra, P). Indexes are 1-based in the output, as TokenSHAP's keys "&lt;token&gt;_&lt;i&gt;".
/// </summary>
public sealed class TokenShapExplainer(TokenShapOptions options) : ITextExplainer
{
    private readonly Regex _splitter = Compile(options.Splitter);

    /// <inheritdoc/>
    public string Name => "tokenshap";

    /// <summary>The options.</summary>
    public TokenShapOptions Options => options;

    /// <summary>The players of a cleaned prompt (empty pieces of the split dropped).</summary>
    public string[] Players(string cleaned) => options.Tokenizer is { } t ? t.Split(cleaned) : [.. _splitter.Split(cleaned).Where(t => t.Length > 0)];

    private string Join(IEnumerable<string> tokens) => options.Tokenizer is null ? string.Join(' ', tokens) : WordPieceSplitter.Join(tokens);

    /// <inheritdoc/>
    public async Task<TextExplanation> ExplainAsync(TextPrompt prompt, TextExplainContext context, CancellationToken cancel = default)
    {
        var cleaned = TextClean.Clean(prompt.Prompt);
        var tokens = Players(cleaned);
        int n = tokens.Length;
        var baseline = (await context.Responder.RespondAsync([cleaned], cancel).ConfigureAwait(false))[0];
        TextExplanation Undefined(string reason, IReadOnlyList<CoalitionRecord>? records = null) => new()
        {
            PromptIndex = prompt.Index, Prompt = cleaned, Explainer = Name, Reason = reason, Target = baseline.Text, Response = baseline.Text,
            Players = [.. tokens.Select((t, i) => new ScoredPlayer(t, i, double.NaN))], Coalitions = records ?? [],
        };
        if (baseline.Text is null) return Undefined($"the full prompt got no reply ({baseline.SkipReason})");
        if (n < 2) return Undefined(n == 0 ? "empty prompt" : "one player: its only coalition is the empty prompt");
        var coalitions = CoalitionSampler.Essentials(n);
        long extra = CoalitionSampler.TokenShapExtra(n, options.SamplingRatio, options.MaxCombinations);
        coalitions.AddRange(CoalitionSampler.Random(n, extra, SplitMix.Derive(context.Seed, prompt.Index)));
        var outcome = await CoalitionGame.PlayAsync(n, coalitions,
            c => Join(tokens.Where((_, j) => c.Present[j])), baseline.Text, context, cancel).ConfigureAwait(false);
        return new TextExplanation
        {
            PromptIndex = prompt.Index, Prompt = cleaned, Explainer = Name, Target = baseline.Text, Response = baseline.Text,
            Players = [.. tokens.Select((t, i) => new ScoredPlayer(t, i, outcome.Psi[i]))],
            Reason = outcome.Reason, Coalitions = outcome.Records, Phi = outcome.Phi,
        };
    }

    private static Regex Compile(string pattern)
    {
        try { return new Regex(pattern, RegexOptions.CultureInvariant); }
        catch (ArgumentException ex) { throw new InputDataException($"--splitter '{pattern}' is not a valid regular expression ({ex.Message.TrimEnd('.')}).", ex); }
    }
}

/// <summary>
/// The random baseline (SemeX, spec §9): U(0, 1) per regex word, min-max normalised (not sum-normalised); no model calls
/// except the stored full-prompt reply.
/// </summary>
public sealed class RandomTextExplainer : ITextExplainer
{
    /// <inheritdoc/>
    public string Name => "random";

    /// <inheritdoc/>
    public async Task<TextExplanation> ExplainAsync(TextPrompt prompt, TextExplainContext context, CancellationToken cancel = default)
    {
        var cleaned = TextClean.Clean(prompt.Prompt);
        var words = TextClean.Words(cleaned);
        var response = (await context.Responder.RespondAsync([cleaned], cancel).ConfigureAwait(false))[0];
        var rng = new SplitMix(SplitMix.Derive(context.Seed, prompt.Index));
        var u = words.Select(_ => rng.NextDouble()).ToArray();
        double min = u.Length > 0 ? u.Min() : 0, max = u.Length > 0 ? u.Max() : 0;
        var scores = u.Select(x => max > min ? (x - min) / (max - min) : 0.0).ToArray();
        return new TextExplanation
        {
            PromptIndex = prompt.Index, Prompt = cleaned, Explainer = Name, Response = response.Text,
            Players = [.. words.Select((w, i) => new ScoredPlayer(w, i, scores[i]))],
            Reason = words.Length == 0 ? "no words" : null,
        };
    }
}
