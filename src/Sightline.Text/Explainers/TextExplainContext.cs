using Sightline.Text.Coalitions;
using Sightline.Text.Values;

namespace Sightline.Text.Explainers;

/// <summary>What an explainer runs against: the explained model, the value function and the seed.</summary>
/// <param name="Responder">The explained model (LLM or identity).</param>
/// <param name="Scorer">v(reply) against a target (vectoriser similarity or classifier probability).</param>
/// <param name="Seed">Seed; prompt i draws from stream SplitMix.Derive(seed, i).</param>
public sealed record TextExplainContext(ITextResponder Responder, IReplyScorer Scorer, ulong Seed);

/// <summary>A text explainer: prompt in, scores per player out.</summary>
public interface ITextExplainer
{
    /// <summary>The name, as the SemeX README spells it (<c>tokenshap</c>, <c>semex-B-r</c>, <c>random</c>).</summary>
    string Name { get; }

    /// <summary>Explains one prompt.</summary>
    Task<TextExplanation> ExplainAsync(TextPrompt prompt, TextExplainContext context, CancellationToken cancel = default);
}

/// <summary>
/// Evaluates a prompt's coalitions against the value function in one batch: all reduced prompts go to the responder at
/// once (it sends them concurrently), then all replies are scored at once (embeddings batched; TF-IDF fitted on the
/// target plus every reply, spec §3.3); φ and ψ follow (spec §2).
/// </summary>
public static class CoalitionGame
{
    /// <summary>The result of a game.</summary>
    /// <param name="Records">One record per coalition.</param>
    /// <param name="Phi">φ per player.</param>
    /// <param name="Psi">ψ per player (all NaN when invalid).</param>
    /// <param name="Reason">Why ψ is undefined, or null.</param>
    public sealed record Outcome(IReadOnlyList<CoalitionRecord> Records, double[] Phi, double[] Psi, string? Reason);

    /// <summary>
    /// Plays the game of <paramref name="n"/> players over <paramref name="coalitions"/>, the reduced prompt of each given
    /// by <paramref name="textOf"/>, against <paramref name="target"/>.
    /// </summary>
    public static async Task<Outcome> PlayAsync(int n, IReadOnlyList<Coalition> coalitions, Func<Coalition, string> textOf, string target,
        TextExplainContext context, CancellationToken cancel)
    {
        var texts = coalitions.Select(textOf).ToArray();
        var replies = await context.Responder.RespondAsync(texts, cancel).ConfigureAwait(false);
        var answered = Enumerable.Range(0, replies.Length).Where(i => replies[i].Text is not null).ToArray();
        var values = new double?[coalitions.Count];
        string? reason = null;
        if (answered.Length > 0)
        {
            try
            {
                var scores = await context.Scorer.ScoreAsync(target, [.. answered.Select(i => replies[i].Text!)], cancel).ConfigureAwait(false);
                for (int k = 0; k < answered.Length; k++) values[answered[k]] = scores[k];
            }
            catch (EmptyVocabularyException ex)
            {
                reason = ex.Message;
            }
        }
        var records = coalitions.Select((c, i) => new CoalitionRecord(c.OneBasedIndexes(), c.Kind == CoalitionKind.Essential ? "essential" : "random", c.Bits,
            texts[i], replies[i].Text, values[i], replies[i].SkipReason)).ToArray();
        var phi = ShapleyEstimator.Phi(n, [.. coalitions.Select(c => c.Present)], values);
        var psi = reason is null ? ShapleyEstimator.Normalise(phi) : [.. Enumerable.Repeat(double.NaN, n)];
        if (reason is null && psi.Any(double.IsNaN))
            reason = answered.Length == 0
                ? "every coalition was skipped (content filter)"
                : "a player is present in every answered coalition or in none (skipped coalitions): φ is undefined";
        return new Outcome(records, phi, psi, reason);
    }
}
