using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using Sightline.Text.Calls;
using Sightline.Text.Values;

namespace Sightline.Text.Llm;

/// <summary>
/// An LLM behind an OpenAI-compatible chat API, through Microsoft.Extensions.AI's <see cref="IChatClient"/> over the
/// OpenAI .NET client (the SDK's own retries off: this class retries). Every request goes through the call cache keyed
/// by (endpoint, model, parameters, messages, draw); with temperature &gt; 0 the n-th identical request of a run is draw
/// n, so a rerun replays every draw. The inputs of one call are sent concurrently (at most
/// <see cref="ChatSettings.MaxConcurrency"/>), spaced by the client-side rate limit; HTTP 429 and 5xx are retried with
/// exponential backoff (b·2ᵏ + U(0, b/2)); a content-filter refusal (HTTP 400 with an Azure/OpenAI content-policy code,
/// or finish_reason content_filter) becomes a skipped reply, cached like any reply.
/// </summary>
public sealed class ChatResponder : ITextResponder, IDisposable
{
    private readonly ChatSettings _settings;
    private readonly IChatClient _client;
    private readonly CachedCaller _caller;
    private readonly SemaphoreSlim _slots;
    private readonly Dictionary<string, int> _draws = new(StringComparer.Ordinal);
    private readonly Lock _rateLock = new();
    private DateTime _nextSlot = DateTime.MinValue;
    private readonly System.Collections.Concurrent.ConcurrentQueue<(DateTime Slot, DateTime Sent)> _rateLog = new();

    /// <summary>How many limiter decisions <see cref="RateLimitLog"/> keeps (the first ones of the run).</summary>
    internal const int RateLogCapacity = 4096;

    /// <summary>
    /// The client-side limiter's decisions, for tests: per request (up to <see cref="RateLogCapacity"/>) the slot it was
    /// given (slots are <c>1 / RequestsPerMinute</c> minutes apart) and the UTC time it was let through after waiting.
    /// </summary>
    internal IReadOnlyList<(DateTime Slot, DateTime Sent)> RateLimitLog => [.. _rateLog];
    private readonly Random _jitter = new();

    /// <summary>A responder calling <paramref name="settings"/>' endpoint through <paramref name="caller"/>.</summary>
    public ChatResponder(ChatSettings settings, CachedCaller caller)
    {
        if (settings.MaxConcurrency < 1) throw new InputDataException("--concurrency must be ≥ 1.");
        _settings = settings;
        _caller = caller;
        _slots = new SemaphoreSlim(settings.MaxConcurrency);
        var options = new OpenAIClientOptions
        {
            Endpoint = settings.Endpoint,
            RetryPolicy = new ClientRetryPolicy(0),
            NetworkTimeout = settings.RequestTimeout,
        };
        _client = new OpenAI.Chat.ChatClient(settings.Model, new ApiKeyCredential(settings.ApiKey ?? "no-key"), options).AsIChatClient();
    }

    /// <inheritdoc/>
    public string Describe => $"{_settings.Endpoint} model {_settings.Model} T={_settings.Temperature}";

    /// <summary>Counters of calls and cache hits.</summary>
    public CachedCaller Caller => _caller;

    /// <inheritdoc/>
    public async Task<Reply[]> RespondAsync(IReadOnlyList<string> inputs, CancellationToken cancel = default)
    {
        // Keys (with draw indexes) are assigned in input order before anything is sent, so they do not depend on timing.
        var jobs = new (string Key, (string Role, string Content)[] Messages)[inputs.Count];
        var parameters = new { temperature = _settings.Temperature, max_tokens = _settings.MaxTokens };
        for (int i = 0; i < inputs.Count; i++)
        {
            var messages = _settings.Messages(inputs[i]);
            var payload = messages.Select(m => new[] { m.Role, m.Content }).ToArray();
            int draw = 0;
            if (_settings.Temperature > 0)
            {
                var baseKey = CallKey.Of("chat", _settings.Endpoint.ToString(), _settings.Model, parameters, payload, 0);
                lock (_draws)
                {
                    draw = _draws.GetValueOrDefault(baseKey);
                    _draws[baseKey] = draw + 1;
                }
            }
            jobs[i] = (CallKey.Of("chat", _settings.Endpoint.ToString(), _settings.Model, parameters, payload, draw), messages);
        }
        var tasks = jobs.Select(j => _caller.GetAsync(j.Key, () => CallAsync(j.Messages, cancel))).ToArray();
        var stored = await Task.WhenAll(tasks).ConfigureAwait(false);
        return [.. stored.Select(Decode)];
    }

    private static Reply Decode(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        return root.TryGetProperty("skip", out var skip) ? Reply.Skipped(skip.GetString()!) : new Reply(root.GetProperty("text").GetString()!);
    }

    private async Task<string> CallAsync((string Role, string Content)[] messages, CancellationToken cancel)
    {
        await _slots.WaitAsync(cancel).ConfigureAwait(false);
        try
        {
            var chat = messages.Select(m => new ChatMessage(m.Role == "system" ? ChatRole.System : ChatRole.User, m.Content)).ToList();
            var options = new ChatOptions { Temperature = (float)_settings.Temperature, MaxOutputTokens = _settings.MaxTokens };
            for (int attempt = 0; ; attempt++)
            {
                await RateLimitAsync(cancel).ConfigureAwait(false);
                try
                {
                    var response = await _client.GetResponseAsync(chat, options, cancel).ConfigureAwait(false);
                    if (response.FinishReason == ChatFinishReason.ContentFilter)
                        return JsonSerializer.Serialize(new { skip = "content filter (finish_reason content_filter)" });
                    return JsonSerializer.Serialize(new { text = response.Text });
                }
                catch (ClientResultException ex) when (ex.Status == 429 || ex.Status >= 500)
                {
                    if (attempt >= _settings.MaxRetries)
                        throw new InputDataException($"--llm {_settings.Endpoint}: HTTP {ex.Status} after {attempt + 1} attempts ({OneLine(ex.Message)}); the replies so far are in the cache, rerun later to resume.", ex);
                    await Task.Delay(Backoff(attempt), cancel).ConfigureAwait(false);
                }
                catch (ClientResultException ex) when (ex.Status == 400 && IsContentFilter(ex))
                {
                    return JsonSerializer.Serialize(new { skip = "content filter (HTTP 400 content policy)" });
                }
                catch (ClientResultException ex) when (ex.Status == 0)
                {
                    throw new InputDataException($"--llm {_settings.Endpoint}: cannot reach the server ({OneLine(ex.Message)}); check the URL and that the server runs.", ex);
                }
                catch (ClientResultException ex)
                {
                    throw new InputDataException($"--llm {_settings.Endpoint}: HTTP {ex.Status} ({OneLine(ex.Message)}); check --llm, --llm-model and the key in --llm-key-env.", ex);
                }
                catch (HttpRequestException ex)
                {
                    throw new InputDataException($"--llm {_settings.Endpoint}: cannot reach the server ({OneLine(ex.Message)}); check the URL and that the server runs.", ex);
                }
                catch (TaskCanceledException ex) when (!cancel.IsCancellationRequested)
                {
                    throw new InputDataException($"--llm {_settings.Endpoint}: no reply within {_settings.RequestTimeout.TotalSeconds:0} s.", ex);
                }
            }
        }
        finally { _slots.Release(); }
    }

    /// <summary>b·2ᵏ + U(0, b/2).</summary>
    internal TimeSpan Backoff(int attempt)
    {
        double b = _settings.RetryBaseDelay.TotalMilliseconds;
        double jitter;
        lock (_jitter) jitter = _jitter.NextDouble() * b / 2;
        return TimeSpan.FromMilliseconds(b * Math.Pow(2, attempt) + jitter);
    }

    private async Task RateLimitAsync(CancellationToken cancel)
    {
        if (_settings.RequestsPerMinute <= 0) return;
        var interval = TimeSpan.FromMinutes(1 / _settings.RequestsPerMinute);
        TimeSpan wait;
        DateTime slot;
        lock (_rateLock)
        {
            var now = DateTime.UtcNow;
            slot = _nextSlot > now ? _nextSlot : now;
            _nextSlot = slot + interval;
            wait = slot - now;
        }
        // Task.Delay's timer runs on a coarse clock (a few milliseconds on Linux) and may fire before the slot by that much:
        // wait again for what is left, so that no request leaves before its slot.
        while (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : wait, cancel).ConfigureAwait(false);
            wait = slot - DateTime.UtcNow;
        }
        if (_rateLog.Count < RateLogCapacity) _rateLog.Enqueue((slot, DateTime.UtcNow));
    }

    private static bool IsContentFilter(ClientResultException ex)
    {
        string body = ex.Message;
        try { body += " " + ex.GetRawResponse()?.Content?.ToString(); } catch (InvalidOperationException) { }
        return body.Contains("content_filter", StringComparison.OrdinalIgnoreCase)
               || body.Contains("ResponsibleAIPolicyViolation", StringComparison.OrdinalIgnoreCase)
               || body.Contains("ContentPolicyViolation", StringComparison.OrdinalIgnoreCase)
               || body.Contains("content_policy_violation", StringComparison.OrdinalIgnoreCase);
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim().TrimEnd('.');

    /// <inheritdoc/>
    public void Dispose()
    {
        _client.Dispose();
        _slots.Dispose();
    }
}
