using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sightline.Text.Tests.Loopback;

/// <summary>
/// An in-process OpenAI-compatible server on 127.0.0.1 (HttpListener) with a deterministic "model", for tests and the
/// bench: <c>POST /v1/chat/completions</c> answers <see cref="Model"/>(messages) (default: the last user message
/// echoed), <c>POST /v1/embeddings</c> answers base64 float32 bag-of-words vectors. Failures are scripted: HTTP 429/500
/// for the first k requests (<see cref="FailFirst"/>), a content-filter 400 for user messages matching
/// <see cref="ContentFilter"/>, an artificial <see cref="Latency"/>. Every request is recorded.
/// </summary>
public sealed class LoopbackOpenAiServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _failuresLeft;
    private int _failureStatus;
    private int _inFlight, _maxInFlight;

    /// <summary>The reply to a chat request: (messages as (role, content), temperature) → text.</summary>
    public Func<IReadOnlyList<(string Role, string Content)>, double, string> Model { get; set; } = (m, _) => m[^1].Content;

    /// <summary>User messages for which the server answers a content-filter HTTP 400.</summary>
    public Func<string, bool> ContentFilter { get; set; } = _ => false;

    /// <summary>Delay before each answer (to measure concurrency).</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>Every chat request's user message, in arrival order.</summary>
    public ConcurrentQueue<string> ChatRequests { get; } = new();

    /// <summary>Arrival times of chat requests.</summary>
    public ConcurrentQueue<DateTime> ChatTimes { get; } = new();

    /// <summary>Number of texts embedded.</summary>
    public int EmbeddedTexts;

    /// <summary>The encoding_format of the last embeddings request.</summary>
    public string? LastEncodingFormat { get; private set; }

    /// <summary>Largest number of chat requests handled at the same time.</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>Base URL, e.g. http://127.0.0.1:PORT/v1.</summary>
    public Uri Endpoint { get; }

    /// <summary>Starts the server on a free loopback port.</summary>
    public LoopbackOpenAiServer()
    {
        for (int attempt = 0; ; attempt++)
        {
            int port = FreePort();
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try { _listener.Start(); Endpoint = new Uri($"http://127.0.0.1:{port}/v1"); break; }
            catch (HttpListenerException) when (attempt < 5) { }
        }
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>After <paramref name="count"/> more chat requests, every request fails with HTTP <paramref name="status"/> (a server that goes away mid-run).</summary>
    public void FailAfter(int count, int status)
    {
        _failureStatus = status;
        Volatile.Write(ref _healthyLeft, count);
    }

    private int _healthyLeft = int.MaxValue;

    /// <summary>The next <paramref name="count"/> chat requests fail with HTTP <paramref name="status"/>.</summary>
    public void FailFirst(int count, int status)
    {
        _failureStatus = status;
        Volatile.Write(ref _failuresLeft, count);
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync().ConfigureAwait(false); }
            catch (Exception) when (_stop.IsCancellationRequested) { return; }
            catch (HttpListenerException) { return; }
            catch (ObjectDisposedException) { return; }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        try
        {
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = JsonNode.Parse(await reader.ReadToEndAsync().ConfigureAwait(false))!;
            var path = context.Request.Url!.AbsolutePath;
            if (path.EndsWith("/chat/completions", StringComparison.Ordinal)) await ChatAsync(context, body).ConfigureAwait(false);
            else if (path.EndsWith("/embeddings", StringComparison.Ordinal)) await EmbeddingsAsync(context, body).ConfigureAwait(false);
            else await WriteAsync(context, 404, new JsonObject { ["error"] = new JsonObject { ["message"] = "not found" } }).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            try { await WriteAsync(context, 500, new JsonObject { ["error"] = new JsonObject { ["message"] = ex.Message } }).ConfigureAwait(false); }
            catch (Exception) { }
        }
    }

    private async Task ChatAsync(HttpListenerContext context, JsonNode body)
    {
        int now = Interlocked.Increment(ref _inFlight);
        int seen;
        do { seen = Volatile.Read(ref _maxInFlight); } while (now > seen && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen);
        try
        {
            var messages = body["messages"]!.AsArray().Select(m => (m!["role"]!.GetValue<string>(), ContentOf(m!["content"]!))).ToList();
            double temperature = body["temperature"]?.GetValue<double>() ?? 1.0;
            var user = messages.Last(m => m.Item1 == "user").Item2;
            ChatRequests.Enqueue(user);
            ChatTimes.Enqueue(DateTime.UtcNow);
            if (Latency > TimeSpan.Zero) await Task.Delay(Latency).ConfigureAwait(false);
            if (Interlocked.Decrement(ref _failuresLeft) >= 0 || Interlocked.Decrement(ref _healthyLeft) < 0)
            {
                await WriteAsync(context, _failureStatus, new JsonObject { ["error"] = new JsonObject { ["message"] = "scripted failure", ["type"] = "server_error" } }).ConfigureAwait(false);
                return;
            }
            if (ContentFilter(user))
            {
                await WriteAsync(context, 400, new JsonObject
                {
                    ["error"] = new JsonObject
                    {
                        ["message"] = "The response was filtered due to the prompt triggering content management policy (ResponsibleAIPolicyViolation).",
                        ["type"] = null, ["param"] = "prompt", ["code"] = "content_filter",
                    },
                }).ConfigureAwait(false);
                return;
            }
            var text = Model(messages, temperature);
            await WriteAsync(context, 200, new JsonObject
            {
                ["id"] = "chatcmpl-loopback", ["object"] = "chat.completion", ["created"] = 1700000000, ["model"] = body["model"]!.GetValue<string>(),
                ["choices"] = new JsonArray(new JsonObject
                {
                    ["index"] = 0, ["finish_reason"] = "stop",
                    ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = text },
                }),
                ["usage"] = new JsonObject { ["prompt_tokens"] = 1, ["completion_tokens"] = 1, ["total_tokens"] = 2 },
            }).ConfigureAwait(false);
        }
        finally { Interlocked.Decrement(ref _inFlight); }
    }

    private static string ContentOf(JsonNode content) =>
        content is JsonValue v ? v.GetValue<string>() : string.Concat(content.AsArray().Select(p => p!["text"]?.GetValue<string>() ?? ""));

    private async Task EmbeddingsAsync(HttpListenerContext context, JsonNode body)
    {
        var input = body["input"]!;
        var texts = input is JsonArray a ? a.Select(x => x!.GetValue<string>()).ToList() : [input.GetValue<string>()];
        LastEncodingFormat = body["encoding_format"]?.GetValue<string>();
        Interlocked.Add(ref EmbeddedTexts, texts.Count);
        var data = new JsonArray();
        for (int i = 0; i < texts.Count; i++)
        {
            var v = BagOfWords(texts[i]);
            JsonNode embedding = LastEncodingFormat == "base64"
                ? JsonValue.Create(Convert.ToBase64String(MemoryMarshal.AsBytes(v.AsSpan())))
                : new JsonArray([.. v.Select(x => (JsonNode)JsonValue.Create(x))]);
            data.Add(new JsonObject { ["object"] = "embedding", ["index"] = i, ["embedding"] = embedding });
        }
        await WriteAsync(context, 200, new JsonObject
        {
            ["object"] = "list", ["data"] = data, ["model"] = body["model"]!.GetValue<string>(),
            ["usage"] = new JsonObject { ["prompt_tokens"] = 1, ["total_tokens"] = 1 },
        }).ConfigureAwait(false);
    }

    /// <summary>The server's deterministic embedding: counts of lower-cased words hashed into 16 buckets.</summary>
    public static float[] BagOfWords(string text)
    {
        var v = new float[16];
        foreach (var w in text.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            uint h = 2166136261;
            foreach (char c in w) h = (h ^ c) * 16777619;
            v[h % 16] += 1;
        }
        return v;
    }

    private static async Task WriteAsync(HttpListenerContext context, int status, JsonNode body)
    {
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
        context.Response.Close();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(2)); } catch (AggregateException) { }
        _stop.Dispose();
    }
}
