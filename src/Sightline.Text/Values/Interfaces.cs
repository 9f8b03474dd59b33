namespace Sightline.Text.Values;

/// <summary>
/// The explained model's reply to one input: <see cref="Text"/>, or null with <see cref="SkipReason"/> when the call
/// was refused (a content filter): that coalition is skipped (spec §5).
/// </summary>
/// <param name="Text">The reply text, or null when skipped.</param>
/// <param name="SkipReason">Why the input got no reply.</param>
public readonly record struct Reply(string? Text, string? SkipReason = null)
{
    /// <summary>A skipped reply.</summary>
    public static Reply Skipped(string reason) => new(null, reason);
}

/// <summary>
/// The explained model as TokenSHAP and SemeX see it: text in, text out (an LLM through a chat API, or the identity when
/// the embedding model itself is explained). Calls for several inputs may run concurrently.
/// </summary>
public interface ITextResponder
{
    /// <summary>A description for signatures and messages (endpoint and model, or "none").</summary>
    string Describe { get; }

    /// <summary>The replies to <paramref name="inputs"/>, in order.</summary>
    Task<Reply[]> RespondAsync(IReadOnlyList<string> inputs, CancellationToken cancel = default);
}

/// <summary><c>--llm none</c>: the reply is the input itself, so the value function (embedder, classifier) is the explained model.</summary>
public sealed class IdentityResponder : ITextResponder
{
    /// <inheritdoc/>
    public string Describe => "none";

    /// <inheritdoc/>
    public Task<Reply[]> RespondAsync(IReadOnlyList<string> inputs, CancellationToken cancel = default) =>
        Task.FromResult(inputs.Select(t => new Reply(t)).ToArray());
}

/// <summary>
/// The value v of a reply: its similarity to a target text (a vectoriser, spec §3.3) or a classifier's probability of
/// a class (the target is then unused).
/// </summary>
public interface IReplyScorer
{
    /// <summary>A description for signatures and messages.</summary>
    string Describe { get; }

    /// <summary>v(rᵢ) for every reply, against <paramref name="target"/>.</summary>
    Task<double[]> ScoreAsync(string target, IReadOnlyList<string> replies, CancellationToken cancel = default);
}

/// <summary>A sentence embedder: one vector per text.</summary>
public interface ITextEmbedder
{
    /// <summary>A description for signatures and messages.</summary>
    string Describe { get; }

    /// <summary>Whether the vectors come back L2-normalised (then cosine = dot product).</summary>
    bool Normalised { get; }

    /// <summary>The embeddings of <paramref name="texts"/>, in order.</summary>
    Task<float[][]> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancel = default);
}

/// <summary><c>--vectorizer tfidf</c>: TokenSHAP's TF-IDF cosine, re-fitted on [target, replies...] at every call.</summary>
public sealed class TfidfScorer : IReplyScorer
{
    /// <inheritdoc/>
    public string Describe => "tfidf";

    /// <inheritdoc/>
    public Task<double[]> ScoreAsync(string target, IReadOnlyList<string> replies, CancellationToken cancel = default) =>
        Task.FromResult(TfidfVectorizer.Similarities(target, replies));
}

/// <summary>
/// Cosine similarity of embeddings (the target embedded with the replies in one batch). For unnormalised embedders
/// (OpenAI's) the cosine is explicit, and, as in the reference, if any vector has norm 0 every similarity is 0.
/// </summary>
public sealed class EmbeddingScorer(ITextEmbedder embedder) : IReplyScorer
{
    /// <inheritdoc/>
    public string Describe => embedder.Describe;

    /// <inheritdoc/>
    public async Task<double[]> ScoreAsync(string target, IReadOnlyList<string> replies, CancellationToken cancel = default)
    {
        var texts = new List<string>(replies.Count + 1) { target };
        texts.AddRange(replies);
        var v = await embedder.EmbedAsync(texts, cancel).ConfigureAwait(false);
        var sims = new double[replies.Count];
        if (embedder.Normalised)
        {
            for (int i = 0; i < sims.Length; i++) sims[i] = System.Numerics.Tensors.TensorPrimitives.Dot<float>(v[0], v[i + 1]);
            return sims;
        }
        var norms = v.Select(x => Math.Sqrt(System.Numerics.Tensors.TensorPrimitives.Dot<float>(x, x))).ToArray();
        if (norms.Any(n => n == 0)) return sims;
        for (int i = 0; i < sims.Length; i++)
            sims[i] = System.Numerics.Tensors.TensorPrimitives.Dot<float>(v[0], v[i + 1]) / (norms[0] * norms[i + 1]);
        return sims;
    }
}
