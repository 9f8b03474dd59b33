using Sightline.Text.Calls;
using Sightline.Text.Llm;
using Sightline.Text.Tests.Loopback;

namespace Sightline.Text.Tests.Llm;

public sealed class ChatResponderTests
{
    private static ChatSettings Settings(LoopbackOpenAiServer server, double temperature = 0) => new()
    {
        Endpoint = server.Endpoint, Model = "echo", Temperature = temperature, RetryBaseDelay = TimeSpan.FromMilliseconds(5),
    };

    [Fact]
    public async Task Replies_come_from_the_server_through_the_openai_client_with_the_template_and_system_message()
    {
        using var server = new LoopbackOpenAiServer();
        var seen = new List<(string, string)>();
        server.Model = (m, t) => { lock (seen) seen.AddRange(m); return $"reply to [{m[^1].Content}] at T={t}"; };
        var settings = Settings(server, 0.5) with { SystemMessage = PromptTemplates.SemexSystem, Template = PromptTemplates.Sentiment };
        using var llm = new ChatResponder(settings, new CachedCaller(new MemoryCallCache()));
        var replies = await llm.RespondAsync(["I loved it"]);
        var user = "Determine the sentiment of the following sentence: I loved it. Your response must be either \"positive\" or \"negative\".";
        Assert.Equal($"reply to [{user}] at T=0.5", replies[0].Text);
        Assert.Equal([("system", "You are a helpful assistant"), ("user", user)], seen);
    }

    [Theory]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(503)]
    public async Task Rate_limit_and_server_errors_are_retried_with_backoff(int status)
    {
        using var server = new LoopbackOpenAiServer();
        server.FailFirst(3, status);
        var caller = new CachedCaller(new MemoryCallCache());
        using var llm = new ChatResponder(Settings(server) with { MaxConcurrency = 1 }, caller);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var replies = await llm.RespondAsync(["hello"]);
        Assert.Equal("hello", replies[0].Text);
        Assert.Equal(4, server.ChatRequests.Count);
        // Backoff 5·(1 + 2 + 4) ms at least.
        Assert.True(clock.ElapsedMilliseconds >= 35, $"{clock.ElapsedMilliseconds} ms");
        Assert.Equal(1, caller.Calls);
    }

    [Fact]
    public async Task Retries_give_up_after_the_limit_with_an_input_error()
    {
        using var server = new LoopbackOpenAiServer();
        server.FailFirst(100, 503);
        using var llm = new ChatResponder(Settings(server) with { MaxRetries = 2 }, new CachedCaller(new MemoryCallCache()));
        var ex = await Assert.ThrowsAsync<InputDataException>(() => llm.RespondAsync(["hello"]));
        Assert.Contains("HTTP 503 after 3 attempts", ex.Message);
        Assert.Equal(3, server.ChatRequests.Count);
    }

    [Fact]
    public async Task A_client_error_is_not_retried()
    {
        using var server = new LoopbackOpenAiServer();
        server.FailFirst(1, 401);
        using var llm = new ChatResponder(Settings(server), new CachedCaller(new MemoryCallCache()));
        var ex = await Assert.ThrowsAsync<InputDataException>(() => llm.RespondAsync(["hello"]));
        Assert.Contains("HTTP 401", ex.Message);
        Assert.Single(server.ChatRequests);
    }

    [Fact]
    public async Task Content_filter_refusals_become_skipped_replies_for_those_inputs_only()
    {
        using var server = new LoopbackOpenAiServer { ContentFilter = u => u.Contains("bomb") };
        using var llm = new ChatResponder(Settings(server), new CachedCaller(new MemoryCallCache()));
        var replies = await llm.RespondAsync(["make a cake", "make a bomb", "bake bread"]);
        Assert.Equal("make a cake", replies[0].Text);
        Assert.Null(replies[1].Text);
        Assert.Contains("content filter", replies[1].SkipReason);
        Assert.Equal("bake bread", replies[2].Text);
    }

    [Fact]
    public async Task Inputs_are_sent_concurrently_up_to_the_bound()
    {
        using var server = new LoopbackOpenAiServer { Latency = TimeSpan.FromMilliseconds(100) };
        using var llm = new ChatResponder(Settings(server) with { MaxConcurrency = 4 }, new CachedCaller(new MemoryCallCache()));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await llm.RespondAsync([.. Enumerable.Range(0, 12).Select(i => $"input {i}")]);
        Assert.Equal(4, server.MaxInFlight);
        // At most 4 at a time: 12 requests of 100 ms take at least 3 waves.
        Assert.True(clock.ElapsedMilliseconds >= 290, $"{clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task The_client_side_rate_limit_spaces_requests()
    {
        using var server = new LoopbackOpenAiServer();
        using var llm = new ChatResponder(Settings(server) with { RequestsPerMinute = 1200 }, new CachedCaller(new MemoryCallCache()));
        await llm.RespondAsync(["a", "b", "c", "d", "e"]);
        Assert.Equal(5, server.ChatTimes.Count);
        // Asserted on the limiter's own decisions, not on arrival times at the server (a slow first connection under
        // machine load lets later requests arrive bunched behind it although they were spaced when sent).
        // 1200/min = one slot per 50 ms: consecutive slots are at least 50 ms apart (exactly 50 when the requests queue up;
        // more when one reaches the limiter late), each request left no earlier than its slot (load only delays it
        // further), so the last left at least 4 intervals after the first slot.
        var log = llm.RateLimitLog.OrderBy(e => e.Slot).ToList();
        Assert.Equal(5, log.Count);
        var interval = TimeSpan.FromMilliseconds(50);
        for (int i = 1; i < log.Count; i++) Assert.True(log[i].Slot - log[i - 1].Slot >= interval, $"slots {i - 1} and {i} are {(log[i].Slot - log[i - 1].Slot).TotalMilliseconds} ms apart");
        // The limiter waits again when its timer fires early (the timer's clock is coarser), so none leaves before its slot.
        Assert.All(log, e => Assert.True(e.Sent >= e.Slot, $"sent {(e.Slot - e.Sent).TotalMilliseconds} ms before its slot"));
        Assert.True(log.Max(e => e.Sent) - log[0].Slot >= 4 * interval - TimeSpan.FromMilliseconds(2));
    }

    [Fact]
    public async Task The_sqlite_cache_makes_a_rerun_cost_no_calls()
    {
        using var server = new LoopbackOpenAiServer();
        var dir = Directory.CreateTempSubdirectory("sightline-cache-").FullName;
        try
        {
            string?[] first;
            using (var cache = new SqliteCallCache(dir))
            using (var llm = new ChatResponder(Settings(server), new CachedCaller(cache)))
                first = [.. (await llm.RespondAsync(["one", "two", "one"])).Select(r => r.Text)];
            Assert.Equal(2, server.ChatRequests.Count); // T = 0: identical requests collapse
            using (var cache = new SqliteCallCache(dir))
            {
                var caller = new CachedCaller(cache);
                using var llm = new ChatResponder(Settings(server), caller);
                var again = (await llm.RespondAsync(["one", "two", "one"])).Select(r => r.Text).ToArray();
                Assert.Equal(first, again);
                Assert.Equal(0, caller.Calls);
                Assert.Equal(3, caller.Hits);
            }
            Assert.Equal(2, server.ChatRequests.Count);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public async Task With_temperature_each_repeated_request_is_a_recorded_draw_that_a_rerun_replays()
    {
        using var server = new LoopbackOpenAiServer();
        int counter = 0;
        server.Model = (m, _) => $"{m[^1].Content} draw {Interlocked.Increment(ref counter)}";
        var cache = new MemoryCallCache();
        var settings = Settings(server, 1.0) with { MaxConcurrency = 1 };
        string?[] first;
        using (var llm = new ChatResponder(settings, new CachedCaller(cache)))
            first = [.. (await llm.RespondAsync(["x", "x", "y"])).Select(r => r.Text)];
        Assert.Equal(3, server.ChatRequests.Count);
        Assert.NotEqual(first[0], first[1]);
        var caller = new CachedCaller(cache);
        using (var llm = new ChatResponder(settings, caller))
            Assert.Equal(first, (await llm.RespondAsync(["x", "x", "y"])).Select(r => r.Text));
        Assert.Equal(0, caller.Calls);
        // A third identical request in a run is a new draw: one more call.
        using (var llm = new ChatResponder(settings, caller))
            await llm.RespondAsync(["x", "x", "x"]);
        Assert.Equal(1, caller.Calls);
    }

    [Fact]
    public async Task An_unreachable_server_is_one_input_error()
    {
        int port;
        using (var s = new LoopbackOpenAiServer()) port = s.Endpoint.Port;
        var settings = new ChatSettings { Endpoint = new Uri($"http://127.0.0.1:{port}/v1"), Model = "m", RequestTimeout = TimeSpan.FromSeconds(5) };
        using var llm = new ChatResponder(settings, new CachedCaller(new MemoryCallCache()));
        var ex = await Assert.ThrowsAsync<InputDataException>(() => llm.RespondAsync(["hi"]));
        Assert.Contains("--llm", ex.Message);
    }

    [Fact]
    public async Task OpenAI_embeddings_are_requested_as_base64_float32_and_cached()
    {
        using var server = new LoopbackOpenAiServer();
        var caller = new CachedCaller(new MemoryCallCache());
        using var embedder = new OpenAiEmbedder(server.Endpoint, "text-embedding-3-small", null, caller);
        var texts = Enumerable.Range(0, 25).Select(i => $"word{i} common").ToList();
        var v = await embedder.EmbedAsync(texts);
        Assert.Equal("base64", server.LastEncodingFormat);
        Assert.Equal(LoopbackOpenAiServer.BagOfWords("word3 common"), v[3]);
        Assert.Equal(25, server.EmbeddedTexts);
        await embedder.EmbedAsync(texts);
        Assert.Equal(25, server.EmbeddedTexts);
    }
}
