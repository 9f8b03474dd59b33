using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using OpenAI;
using Sightline.Text.Calls;
using Sightline.Text.Values;

namespace Sightline.Text.Llm;

/// <summary>
/// <c>--vectorizer openai</c>: embeddings from <c>{URL}/embeddings</c> of an OpenAI-compatible API (SemeX uses
/// text-embedding-3-small), through Microsoft.Extensions.AI's <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>.
/// The OpenAI .NET SDK requests <c>encoding_format: base64</c> (float32 bytes), so the server must support it. Batches
/// of 20 texts (the reference's size); each text is cached on its own; the cosine is explicit (vectors not assumed
/// normalised), all similarities 0 when any norm is 0 (the reference).
/// </summary>
public sealed class OpenAiEmbedder : ITextEmbedder, IDisposable
{
    private readonly IEmbeddingGenerator<string, Embedding<float>> _generator;
    private readonly CachedCaller _caller;
    private readonly Uri _endpoint;
    private readonly string _model;

    /// <summary>Texts per request.</summary>
    public const int BatchSize = 20;

    /// <summary>An embedder calling <paramref name="endpoint"/> with <paramref name="model"/>.</summary>
    public OpenAiEmbedder(Uri endpoint, string model, string? apiKey, CachedCaller caller)
    {
        _endpoint = endpoint;
        _model = model;
        _caller = caller;
        var options = new OpenAIClientOptions { Endpoint = endpoint, RetryPolicy = new ClientRetryPolicy(3) };
        _generator = new OpenAI.Embeddings.EmbeddingClient(model, new ApiKeyCredential(apiKey ?? "no-key"), options).AsIEmbeddingGenerator();
    }

    /// <inheritdoc/>
    public string Describe => $"openai embeddings {_endpoint} model {_model}";

    /// <inheritdoc/>
    public bool Normalised => false;

    /// <inheritdoc/>
    public async Task<float[][]> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancel = default)
    {
        var result = new float[texts.Count][];
        var keys = texts.Select(t => CallKey.Of("embeddings", _endpoint.ToString(), _model, null, t, 0)).ToArray();
        var missing = new List<int>();
        for (int i = 0; i < texts.Count; i++)
            if (_caller.Cache.TryGet(keys[i], out var hit)) { result[i] = MiniLmEmbedder.FromBase64(hit); _caller.CountHit(); }
            else missing.Add(i);
        var unique = missing.GroupBy(i => texts[i], StringComparer.Ordinal).Select(g => g.ToArray()).ToList();
        for (int start = 0; start < unique.Count; start += BatchSize)
        {
            var batch = unique.Skip(start).Take(BatchSize).ToList();
            GeneratedEmbeddings<Embedding<float>> generated;
            try
            {
                generated = await _generator.GenerateAsync([.. batch.Select(g => texts[g[0]])], cancellationToken: cancel).ConfigureAwait(false);
            }
            catch (ClientResultException ex)
            {
                throw new InputDataException($"--vectorizer openai: {_endpoint} answered HTTP {ex.Status} ({ex.Message.ReplaceLineEndings(" ").Trim().TrimEnd('.')}).", ex);
            }
            if (generated.Count != batch.Count)
                throw new InputDataException($"--vectorizer openai: {_endpoint} returned {generated.Count} embeddings for {batch.Count} texts.");
            for (int b = 0; b < batch.Count; b++)
            {
                var v = generated[b].Vector.ToArray();
                _caller.CountCall();
                _caller.Cache.Put(keys[batch[b][0]], MiniLmEmbedder.ToBase64(v));
                foreach (int i in batch[b]) result[i] = v;
            }
        }
        return result;
    }

    /// <inheritdoc/>
    public void Dispose() => _generator.Dispose();
}
