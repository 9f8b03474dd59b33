using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Sightline.Text.Calls;

/// <summary>
/// The one cache every model call goes through (LLM chat, embedding requests, local embedding and classifier
/// forwards): a content-addressed store from a request key (<see cref="CallKey"/>) to the reply, serialised as text.
/// Implementations are thread-safe.
/// </summary>
public interface ICallCache : IDisposable
{
    /// <summary>The stored reply for <paramref name="key"/>, if any.</summary>
    bool TryGet(string key, [NotNullWhen(true)] out string? value);

    /// <summary>Stores the reply for <paramref name="key"/> (durably, for a persistent cache, before returning).</summary>
    void Put(string key, string value);

    /// <summary>Where the cache lives, for messages ("memory" for an in-process one).</summary>
    string Location { get; }
}

/// <summary>An in-process cache: identical calls within one run are made once.</summary>
public sealed class MemoryCallCache : ICallCache
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _store = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public bool TryGet(string key, [NotNullWhen(true)] out string? value) => _store.TryGetValue(key, out value);

    /// <inheritdoc/>
    public void Put(string key, string value) => _store[key] = value;

    /// <inheritdoc/>
    public string Location => "memory";

    /// <summary>Number of stored replies.</summary>
    public int Count => _store.Count;

    /// <inheritdoc/>
    public void Dispose() { }
}

/// <summary>
/// The content address of a model call: SHA-256 of the canonical JSON of (kind, endpoint, model, parameters, payload,
/// draw). <c>draw</c> is the occurrence number of an identical request within a run when the model samples
/// (temperature &gt; 0), so that repeated requests are separate draws and a rerun replays each draw; it is 0 for
/// deterministic calls, which therefore collapse.
/// </summary>
public static class CallKey
{
    /// <summary>The key of one call.</summary>
    /// <param name="kind">What is called: "chat", "embeddings", "minilm", "classifier".</param>
    /// <param name="endpoint">The service URL or the local model's content hash.</param>
    /// <param name="model">The model name.</param>
    /// <param name="parameters">Sampling parameters (any JSON-serialisable object; serialised in declaration order).</param>
    /// <param name="payload">The messages or the input texts.</param>
    /// <param name="draw">The draw index (0 when deterministic).</param>
    public static string Of(string kind, string endpoint, string model, object? parameters, object payload, int draw)
    {
        var json = JsonSerializer.Serialize(new object?[] { kind, endpoint, model, parameters, payload, draw });
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)));
    }
}
