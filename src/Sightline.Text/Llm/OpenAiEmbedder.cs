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
        var options = new OpenAIClientOptions { Endpoint = endpoint, RetryPolicy = new ClientRetryPolicy(0) };
        _generator = new OpenAI.Embeddings.EmbeddingClient(model, new ApiKeyCredential(apiKey ?? "no-key"), options).AsIEmbeddingGenerator();
    }

    /// <inheritdoc/>
    public string Describe => $"openai embeddings {_endpoint} model {_model}";

    /// <inheritdoc/>
    public bool Normalised => false;

    /// <inheritdoc/>
    public Task<float[][]> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancel = default) =>
        _caller.GetVectorsAsync(texts, t => CallKey.Of("embeddings", _endpoint.ToString(), _model, null, t, 0), BatchSize, RequestAsync, cancel);

    private async Task<float[][]> RequestAsync(IReadOnlyList<string> batch, CancellationToken cancel)
    {
        GeneratedEmbeddings<Embedding<float>> generated;
        try
        {
            generated = await _generator.GenerateAsync(batch, cancellationToken: cancel).ConfigureAwait(false);
        }
        catch (ClientResultException ex) when (ex.Status == 0)
        {
            throw new InputDataException($"--vectorizer openai: cannot reach {_endpoint} ({OneLine(ex.Message)}); check --embedding-url and that the server runs.", ex);
        }
        catch (ClientResultException ex)
        {
            throw new InputDataException($"--vectorizer openai: {_endpoint} answered HTTP {ex.Status} ({OneLine(ex.Message)}).", ex);
        }
        catch (AggregateException ex) when (ex.InnerExceptions.All(e => e is ClientResultException or HttpRequestException))
        {
            throw new InputDataException($"--vectorizer openai: cannot reach {_endpoint} ({OneLine(ex.InnerExceptions[0].Message)}); check --embedding-url and that the server runs.", ex);
        }
        catch (HttpRequestException ex)
        {
            throw new InputDataException($"--vectorizer openai: cannot reach {_endpoint} ({OneLine(ex.Message)}); check --embedding-url and that the server runs.", ex);
        }
        catch (TaskCanceledException ex) when (!cancel.IsCancellationRequested)
        {
            throw new InputDataException($"--vectorizer openai: {_endpoint} did not answer in time.", ex);
        }
        if (generated.Count != batch.Count)
            throw new InputDataException($"--vectorizer openai: {_endpoint} returned {generated.Count} embeddings for {batch.Count} texts.");
        return [.. generated.Select(g => g.Vector.ToArray())];
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim().TrimEnd('.');

    /// <inheritdoc/>
    public void Dispose() => _generator.Dispose();
}
