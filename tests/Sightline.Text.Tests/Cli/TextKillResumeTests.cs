using System.Diagnostics;
using Sightline.Text.Calls;
using Sightline.Text.Tests.Loopback;

namespace Sightline.Text.Tests.Cli;

/// <summary>A real <c>sightline text explain</c> process killed with SIGKILL mid-run, then resumed from its cache.</summary>
public sealed class TextKillResumeTests
{
    /// <summary>6 prompts of six words through TokenSHAP on the echo model, one call at a time: 6 × (1 + 6) = 42 calls.</summary>
    private static string[] Args(TempFolder dir, LoopbackOpenAiServer server)
    {
        File.WriteAllLines(dir.File("p.txt"), Enumerable.Range(0, 6).Select(i => $"prompt {i} has exactly six words"));
        return ["text", "explain", "--prompts", dir.File("p.txt"), "--explainer", "tokenshap", "--llm", server.Endpoint.ToString(), "--llm-model", "echo",
                "--concurrency", "1", "--cache", dir.File("cache"), "--out", dir.File("a.csv")];
    }

    /// <summary>Starts the CLI as a real process (no inherited DOTNET_/COR settings) and returns once the server has had <paramref name="calls"/> chat requests.</summary>
    private static Process StartAndWaitForCalls(string[] args, LoopbackOpenAiServer server, int calls)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("DOTNET_", StringComparison.Ordinal) || k.StartsWith("COR", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(key);
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Sightline.Cli.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        var p = Process.Start(start)!;
        var clock = Stopwatch.StartNew();
        while (server.ChatRequests.Count < calls && clock.Elapsed < TimeSpan.FromMinutes(1))
        {
            if (p.HasExited) Assert.Fail($"the run ended (exit {p.ExitCode}) before {calls} calls: {p.StandardError.ReadToEnd()}");
            Thread.Sleep(5);
        }
        return p;
    }

    [Fact]
    public void A_killed_run_resumes_from_the_cache_without_losing_or_repeating_answered_calls()
    {
        using var server = new LoopbackOpenAiServer { Latency = TimeSpan.FromMilliseconds(30) };
        using var dir = new TempFolder();
        var args = Args(dir, server);
        using (var p = StartAndWaitForCalls(args, server, 15))
        {
            p.Kill();
            p.WaitForExit();
        }
        Assert.False(File.Exists(dir.File("a.csv")));
        int sentBeforeKill = server.ChatRequests.Count;
        long saved;
        using (var cache = new SqliteCallCache(dir.File("cache"))) saved = cache.Count;
        // Every answered call was committed; at most the one in flight at the kill is lost.
        Assert.InRange(saved, sentBeforeKill - 1, sentBeforeKill);
        var (code, stdout, err) = TextCli.Run(args);
        Assert.True(code == 0, err);
        Assert.Contains($"{42 - saved} model calls, {saved} cache hits", stdout);
        Assert.Equal(42 + (sentBeforeKill - saved), server.ChatRequests.Count);
        // The same attributions as an uninterrupted run (6 prompts × 6 players + header).
        var resumed = File.ReadAllLines(dir.File("a.csv"));
        Assert.Equal(37, resumed.Length);
        string[] clean = [.. args[..^4], "--cache", dir.File("clean-cache"), "--out", dir.File("b.csv")];
        Assert.Equal(0, TextCli.Run(clean).Code);
        Assert.Equal(File.ReadAllLines(dir.File("b.csv")), resumed);
    }

    [Fact]
    public void Ctrl_c_stops_a_run_with_exit_130_writes_nothing_and_the_rerun_resumes_from_the_cache()
    {
        using var server = new LoopbackOpenAiServer { Latency = TimeSpan.FromMilliseconds(30) };
        using var dir = new TempFolder();
        var args = Args(dir, server);
        string err;
        using (var p = StartAndWaitForCalls(args, server, 10))
        {
            using (var kill = Process.Start("kill", ["-INT", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!) kill.WaitForExit();
            err = p.StandardError.ReadToEnd();
            Assert.True(p.WaitForExit(TimeSpan.FromSeconds(30)), "the run did not stop on SIGINT");
            Assert.Equal(130, p.ExitCode);
        }
        Assert.Contains("sightline: cancelled, no output written", err);
        Assert.Contains("rerun the same command to resume", err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.False(File.Exists(dir.File("a.csv")));
        long saved;
        using (var cache = new SqliteCallCache(dir.File("cache"))) saved = cache.Count;
        Assert.InRange(saved, 9, 41); // the request in flight at the signal is abandoned
        var (code, stdout, err2) = TextCli.Run(args);
        Assert.True(code == 0, err2);
        Assert.Contains($"{42 - saved} model calls, {saved} cache hits", stdout);
    }
}
