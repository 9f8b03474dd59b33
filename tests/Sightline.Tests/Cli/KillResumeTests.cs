using System.Diagnostics;
using System.Text.Json;
using Sightline.IO;

namespace Sightline.Tests.Cli;

/// <summary>A real <c>sightline explain</c> process killed with SIGKILL mid-run, then resumed (issue 9 §2).</summary>
public sealed class KillResumeTests
{
    private static string F(string name) => Path.Combine(AlignCommandTests.RepoRoot(), "tests", "fixtures", "models", name);

    private static int[] Tile(string source, string target, int copies)
    {
        using var r = NpyReader.Open(source);
        var x = r.ReadAll<float>();
        var shape = r.Shape.ToArray();
        var tiled = new float[x.Length * copies];
        for (int i = 0; i < copies; i++) x.CopyTo(tiled, i * x.Length);
        int[] outShape = [shape[0] * copies, .. shape[1..]];
        Npy.Write<float>(target, tiled, outShape);
        return outShape;
    }

    private static string[] Args(string inputs, string output) =>
        ["explain", "--model", F("vgg_tiny.onnx"), "--inputs", inputs, "--method", "occlusion", "--window", "2", "--stride", "1",
         "--backend", "onnxruntime", "--chunk", "1", "--out", output];

    /// <summary>Starts the CLI as its own process and kills it (SIGKILL) once at least <paramref name="atLeast"/> samples are committed.</summary>
    private static void RunAndKill(string[] args, string output, int atLeast)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "Sightline.Cli.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // The test host's own settings (e.g. a collector's profiler or a runtime config) must not leak into the CLI.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("DOTNET_", StringComparison.Ordinal) || k.StartsWith("COR", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(key);
        start.ArgumentList.Add(cli);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var progress = output + ".progress.json";
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(2))
        {
            if (p.HasExited) Assert.Fail($"the run ended (exit {p.ExitCode}) before it could be killed: {p.StandardOutput.ReadToEnd()}{p.StandardError.ReadToEnd()}");
            try
            {
                if (File.Exists(progress) && JsonDocument.Parse(File.ReadAllText(progress)).RootElement.GetProperty("Done").GetInt32() >= atLeast) break;
            }
            catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException) { }
            Thread.Sleep(20);
        }
        p.Kill();
        p.WaitForExit();
    }

    [Fact]
    public void A_killed_explain_resumes_with_nothing_lost_or_duplicated_and_changed_inputs_start_afresh()
    {
        using var dir = new TempDir();
        var inputs = dir.File("x.npy");
        var shape = Tile(F("inputs.npy"), inputs, 10);
        int n = shape[0];
        var (code, _, err) = CliRunner.Run(Args(inputs, dir.File("ref/maps.npy")));
        Assert.True(code == 0, err);
        var reference = NpyReader.Open(dir.File("ref/maps.npy")).ReadAll<float>();

        var output = dir.File("run/maps.npy");
        RunAndKill(Args(inputs, output), output, atLeast: 2);
        Assert.True(File.Exists(output + ".lock"), "a killed run leaves its (stale) lock behind");
        Assert.False(File.Exists(output));
        string stdout;
        (code, stdout, err) = CliRunner.Run(Args(inputs, output));
        Assert.True(code == 0, err);
        Assert.Matches($@"resumed: \d+ of {n} already done", stdout);
        Assert.Equal(reference, NpyReader.Open(output).ReadAll<float>());
        Assert.Equal(n + 1, File.ReadAllLines(dir.File("run/predictions.csv")).Length);
        Assert.False(File.Exists(output + ".lock"));

        // Killed again, then the inputs are replaced by other data of the same shape: nothing of the old run is kept.
        var other = dir.File("other/maps.npy");
        RunAndKill(Args(inputs, other), other, atLeast: 2);
        var date = File.GetLastWriteTimeUtc(inputs);
        using (var r = NpyReader.Open(inputs))
        {
            var x = r.ReadAll<float>();
            for (int i = 0; i < x.Length; i++) x[i] = 0.5f - x[i];
            r.Dispose();
            Npy.Write<float>(inputs, x, shape);
        }
        File.SetLastWriteTimeUtc(inputs, date); // same name, size and date: only the content tells
        (code, stdout, err) = CliRunner.Run(Args(inputs, other));
        Assert.True(code == 0, err);
        Assert.DoesNotContain("resumed", stdout);
        (code, _, err) = CliRunner.Run(Args(inputs, dir.File("fresh/maps.npy")));
        Assert.True(code == 0, err);
        Assert.Equal(NpyReader.Open(dir.File("fresh/maps.npy")).ReadAll<float>(), NpyReader.Open(other).ReadAll<float>());
    }
}
