using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sightline.Tests.Reports;

/// <summary>
/// Headless Chromium driven over the Chrome DevTools Protocol with <see cref="ClientWebSocket"/> and System.Text.Json
/// (no packages): a fresh profile, <c>--remote-debugging-port=0</c> with the port read from <c>DevToolsActivePort</c>,
/// one page attached in flat session mode. Console errors, exceptions and error log entries are collected.
/// </summary>
internal sealed class HeadlessChromium : IAsyncDisposable
{
    public const string DefaultPath = "/usr/bin/chromium";

    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _receiver;
    private int _nextId;
    private string? _session;

    /// <summary>Console errors, uncaught exceptions and error-level log entries, as text.</summary>
    public ConcurrentQueue<string> Errors { get; } = new();

    private HeadlessChromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    /// <summary>The browser's path: <c>SIGHTLINE_CHROMIUM</c> or /usr/bin/chromium; fails the test (not skips) when absent.</summary>
    public static string Find()
    {
        var path = Environment.GetEnvironmentVariable("SIGHTLINE_CHROMIUM") is { Length: > 0 } p ? p : DefaultPath;
        Assert.True(File.Exists(path), $"Chromium not found at {path}: install the 'chromium' package (apt-get install -y chromium) to run the report's browser test.");
        return path;
    }

    public static async Task<HeadlessChromium> StartAsync(TimeSpan timeout)
    {
        var path = Find();
        var profile = Path.Combine(Path.GetTempPath(), "sightline-chromium-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(profile);
        var info = new ProcessStartInfo(path) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", $"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank" })
            info.ArgumentList.Add(a);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{path} did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var browser = new HeadlessChromium(process, profile);
        try
        {
            var portFile = Path.Combine(profile, "DevToolsActivePort");
            var clock = Stopwatch.StartNew();
            string[] lines = [];
            while (clock.Elapsed < timeout)
            {
                if (process.HasExited) throw new InvalidOperationException($"{path} exited with code {process.ExitCode} before opening the DevTools port.");
                if (File.Exists(portFile))
                {
                    try { lines = File.ReadAllLines(portFile); } catch (IOException) { }
                    if (lines.Length >= 2 && int.TryParse(lines[0], out _)) break;
                }
                await Task.Delay(50);
            }
            if (lines.Length < 2) throw new TimeoutException($"{portFile} did not appear within {timeout.TotalSeconds} s.");
            using var cts = new CancellationTokenSource(timeout);
            await browser._socket.ConnectAsync(new Uri($"ws://127.0.0.1:{lines[0].Trim()}{lines[1].Trim()}"), cts.Token);
            browser._receiver = Task.Run(browser.ReceiveLoop);
            var target = await browser.SendAsync("Target.createTarget", new JsonObject { ["url"] = "about:blank" }, browserLevel: true);
            var attached = await browser.SendAsync("Target.attachToTarget", new JsonObject { ["targetId"] = target.GetProperty("targetId").GetString(), ["flatten"] = true }, browserLevel: true);
            browser._session = attached.GetProperty("sessionId").GetString();
            await browser.SendAsync("Runtime.enable");
            await browser.SendAsync("Log.enable");
            await browser.SendAsync("Page.enable");
            return browser;
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    public async Task<JsonElement> SendAsync(string method, JsonObject? parameters = null, bool browserLevel = false)
    {
        int id = Interlocked.Increment(ref _nextId);
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        if (!browserLevel && _session is not null) message["sessionId"] = _session;
        var tcs = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = tcs;
        await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, _stop.Token);
        var done = await Task.WhenAny(tcs.Task, Task.Delay(TimeSpan.FromSeconds(15)));
        if (done != tcs.Task) throw new TimeoutException($"CDP {method} did not answer within 15 s.");
        return await tcs.Task;
    }

    /// <summary>Navigates and waits for the load event.</summary>
    public async Task NavigateAsync(string url, TimeSpan timeout)
    {
        await SendAsync("Page.navigate", new JsonObject { ["url"] = url });
        if (await Task.WhenAny(_loaded.Task, Task.Delay(timeout)) != _loaded.Task) throw new TimeoutException($"{url} did not finish loading within {timeout.TotalSeconds} s.");
    }

    /// <summary>Evaluates a JavaScript expression and returns its JSON value.</summary>
    public async Task<JsonElement> EvaluateAsync(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true, ["awaitPromise"] = true });
        if (result.TryGetProperty("exceptionDetails", out var ex)) throw new InvalidOperationException($"JavaScript failed: {ex}");
        return result.GetProperty("result").GetProperty("value");
    }

    public async Task<byte[]> ScreenshotAsync(int width, int height)
    {
        await SendAsync("Emulation.setDeviceMetricsOverride", new JsonObject { ["width"] = width, ["height"] = height, ["deviceScaleFactor"] = 1, ["mobile"] = false });
        var shot = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png" });
        return Convert.FromBase64String(shot.GetProperty("data").GetString()!);
    }

    /// <summary>A screenshot of the page region starting at <paramref name="top"/> (CSS pixels), beyond the viewport.</summary>
    public async Task<byte[]> ScreenshotRegionAsync(int width, int top, int height)
    {
        var clip = new JsonObject { ["x"] = 0, ["y"] = top, ["width"] = width, ["height"] = height, ["scale"] = 1 };
        var shot = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png", ["clip"] = clip, ["captureBeyondViewport"] = true });
        return Convert.FromBase64String(shot.GetProperty("data").GetString()!);
    }

    private async Task ReceiveLoop()
    {
        var buffer = new byte[1 << 16];
        var message = new MemoryStream();
        try
        {
            while (_socket.State == WebSocketState.Open && !_stop.IsCancellationRequested)
            {
                var r = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (r.MessageType == WebSocketMessageType.Close) break;
                message.Write(buffer, 0, r.Count);
                if (!r.EndOfMessage) continue;
                Dispatch(JsonDocument.Parse(message.ToArray()).RootElement.Clone());
                message.SetLength(0);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException) { }
        foreach (var p in _pending.Values) p.TrySetException(new InvalidOperationException("The DevTools connection closed."));
    }

    private void Dispatch(JsonElement m)
    {
        if (m.TryGetProperty("id", out var id))
        {
            if (_pending.TryRemove(id.GetInt32(), out var tcs))
            {
                if (m.TryGetProperty("error", out var error)) tcs.TrySetException(new InvalidOperationException($"CDP error: {error}"));
                else tcs.TrySetResult(m.GetProperty("result"));
            }
            return;
        }
        var method = m.TryGetProperty("method", out var mm) ? mm.GetString() : null;
        var p = m.TryGetProperty("params", out var pp) ? pp : default;
        switch (method)
        {
            case "Page.loadEventFired":
                _loaded.TrySetResult();
                break;
            case "Runtime.exceptionThrown":
                Errors.Enqueue("exception: " + p.GetProperty("exceptionDetails"));
                break;
            case "Runtime.consoleAPICalled" when p.GetProperty("type").GetString() == "error":
                Errors.Enqueue("console.error: " + p.GetProperty("args"));
                break;
            case "Log.entryAdded" when p.GetProperty("entry").GetProperty("level").GetString() == "error":
                Errors.Enqueue("log: " + p.GetProperty("entry").GetProperty("text").GetString());
                break;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                var close = new JsonObject { ["id"] = Interlocked.Increment(ref _nextId), ["method"] = "Browser.close" };
                try { await _socket.SendAsync(Encoding.UTF8.GetBytes(close.ToJsonString()), WebSocketMessageType.Text, true, cts.Token); } catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
            }
        }
        finally
        {
            _stop.Cancel();
            if (!_process.WaitForExit(3000)) _process.Kill(entireProcessTree: true);
            _process.Dispose();
            _socket.Dispose();
            if (_receiver is not null) await Task.WhenAny(_receiver, Task.Delay(1000));
            try { Directory.Delete(_profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
