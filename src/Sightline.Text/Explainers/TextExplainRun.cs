namespace Sightline.Text.Explainers;

/// <summary>
/// Explains prompts one after another (each prompt's coalitions are evaluated concurrently by the responder), so that
/// draw indexes, and therefore cache keys, do not depend on timing. Reports the number of prompts done.
/// </summary>
public static class TextExplainRun
{
    /// <summary>Explains every prompt in order.</summary>
    public static async Task<List<TextExplanation>> RunAsync(IReadOnlyList<TextPrompt> prompts, ITextExplainer explainer, TextExplainContext context,
        IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        var result = new List<TextExplanation>(prompts.Count);
        foreach (var p in prompts)
        {
            cancel.ThrowIfCancellationRequested();
            result.Add(await explainer.ExplainAsync(p, context, cancel).ConfigureAwait(false));
            progress?.Report(result.Count);
        }
        return result;
    }
}
