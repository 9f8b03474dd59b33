using System.Text.RegularExpressions;
using Sightline.Statistics;
using Sightline.Text.Coalitions;
using Sightline.Text.Lexicon;

namespace Sightline.Text.Explainers;

/// <summary>SemeX's targets (spec §4.5).</summary>
public enum SemexTarget
{
    /// <summary>B: the model's reply to the full cleaned prompt.</summary>
    Base,
    /// <summary>A: an aspect string (<c>--aspect</c> or an <c>aspect</c> column).</summary>
    Aspect,
    /// <summary>R: a reference text (<c>reference</c> column).</summary>
    Reference,
}

/// <summary>Settings of <see cref="SemexExplainer"/>.</summary>
public sealed record SemexOptions
{
    /// <summary>Target B, A or R.</summary>
    public SemexTarget Target { get; init; }

    /// <summary>Replacement r, n or a.</summary>
    public ReplacementStrategy Strategy { get; init; }

    /// <summary>The aspect for target A when the prompt has no <c>aspect</c> column.</summary>
    public string? Aspect { get; init; }

    /// <summary>Reproduce the reference's one-based random-coalition bug (spec §4.4).</summary>
    public bool LegacyOneBasedCoalitions { get; init; }

    /// <summary>The method name <c>semex-&lt;T&gt;-&lt;R&gt;</c>.</summary>
    public string Name => $"semex-{"BAR"[(int)Target]}-{"rna"[(int)Strategy]}";

    /// <summary>Parses <c>semex-T-R</c>, T ∈ {B, A, R}, R ∈ {r, n, a}.</summary>
    public static SemexOptions? TryParse(string name)
    {
        var m = Regex.Match(name, "^semex-([BAR])-([rna])$");
        if (!m.Success) return null;
        return new SemexOptions
        {
            Target = m.Groups[1].Value switch { "B" => SemexTarget.Base, "A" => SemexTarget.Aspect, _ => SemexTarget.Reference },
            Strategy = m.Groups[2].Value switch { "r" => ReplacementStrategy.Remove, "n" => ReplacementStrategy.Neutral, _ => ReplacementStrategy.Antonym },
        };
    }
}

/// <summary>
/// SemeX (k-amara/SemeX; ConceptX: Amara, Sevastjanova, El-Assady, arXiv 2505.07610), spec §4.1: players are the
/// prompt's content words ("concepts", <see cref="ContentWords"/>); an absent concept is removed or replaced by its
/// neutral word or antonym (one list per prompt); v(C) = cos(E(LLM(text_C)), E(t)) for target t (base reply, aspect or
/// reference); coalitions are the essentials plus m = min(30, 2ⁿ − 1 − n) random ones (fixed generator by default, the
/// reference's one-based bug with <see cref="SemexOptions.LegacyOneBasedCoalitions"/>); concepts get ψ and every other
/// word −1.0. Prompts with n ≤ 1 concepts are skipped (no explanation), as are prompts whose replacement list fails.
/// </summary>
public sealed class SemexExplainer(SemexOptions options, ContentWords tagger, IReplacementProvider replacements) : ITextExplainer
{
    /// <summary>The score of a word that is not a concept (the reference's).</summary>
    public const double NonConceptScore = -1.0;

    /// <inheritdoc/>
    public string Name => options.Name;

    /// <summary>The options.</summary>
    public SemexOptions Options => options;

    /// <inheritdoc/>
    public async Task<TextExplanation> ExplainAsync(TextPrompt prompt, TextExplainContext context, CancellationToken cancel = default)
    {
        var cleaned = TextClean.Clean(prompt.Prompt);
        var words = TextClean.Words(cleaned);
        var concepts = tagger.Concepts(cleaned);
        int n = concepts.Count;
        // The stored reply to the full prompt (faithfulness compares against it); for target B it is also the target.
        var full = (await context.Responder.RespondAsync([cleaned], cancel).ConfigureAwait(false))[0];
        string? target = options.Target switch
        {
            SemexTarget.Base => full.Text,
            SemexTarget.Aspect => prompt.Aspect ?? options.Aspect,
            _ => prompt.Reference,
        };
        var conceptSet = new HashSet<int>(concepts);
        TextExplanation Undefined(string reason, IReadOnlyList<string>? repl = null) => new()
        {
            PromptIndex = prompt.Index, Prompt = cleaned, Explainer = Name, Reason = reason, Target = target, Response = full.Text, Replacements = repl,
            Players = [.. words.Select((w, i) => new ScoredPlayer(w, i, double.NaN, conceptSet.Contains(i)))],
        };
        if (n <= 1) return Undefined(n == 0 ? "no concepts (content words) in the prompt" : "one concept: SemeX skips prompts with n ≤ 1");
        if (target is null)
            return Undefined(options.Target switch
            {
                SemexTarget.Base => $"the full prompt got no reply ({full.SkipReason})",
                SemexTarget.Aspect => "no aspect: give --aspect or an 'aspect' column",
                _ => "no reference: give a 'reference' column",
            });
        var conceptWords = concepts.Select(j => words[j]).ToArray();
        var (repl, why) = await replacements.ReplaceAsync(cleaned, conceptWords, cancel).ConfigureAwait(false);
        if (repl is null) return Undefined(why ?? "no replacements");
        var coalitions = CoalitionSampler.Essentials(n);
        coalitions.AddRange(CoalitionSampler.Random(n, CoalitionSampler.SemexRequested(n), SplitMix.Derive(context.Seed, prompt.Index), options.LegacyOneBasedCoalitions));
        var conceptOf = new int[words.Length];
        Array.Fill(conceptOf, -1);
        for (int k = 0; k < n; k++) conceptOf[concepts[k]] = k;
        var outcome = await CoalitionGame.PlayAsync(n, coalitions, c => TextOf(words, conceptOf, repl, c.Present), target, context, cancel).ConfigureAwait(false);
        var psi = outcome.Psi;
        return new TextExplanation
        {
            PromptIndex = prompt.Index, Prompt = cleaned, Explainer = Name, Target = target, Response = full.Text, Replacements = repl,
            Players = [.. words.Select((w, i) => conceptOf[i] >= 0 ? new ScoredPlayer(w, i, psi[conceptOf[i]], true) : new ScoredPlayer(w, i, NonConceptScore, false))],
            Reason = outcome.Reason, Coalitions = outcome.Records, Phi = outcome.Phi,
        };
    }

    /// <summary>
    /// text_C (spec §4.1 step 6): the words with each absent concept replaced (at its first position only), joined with
    /// single spaces, whitespace collapsed.
    /// </summary>
    public static string TextOf(IReadOnlyList<string> words, int[] conceptOf, IReadOnlyList<string> replacements, bool[] present) =>
        TextClean.JoinCollapsed(words.Select((w, j) => conceptOf[j] >= 0 && !present[conceptOf[j]] ? replacements[conceptOf[j]] : w));
}
