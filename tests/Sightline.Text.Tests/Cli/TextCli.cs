using Sightline.Cli;

namespace Sightline.Text.Tests.Cli;

/// <summary>Runs the real <c>sightline</c> command tree in process with captured console streams.</summary>
internal static class TextCli
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run(args, new CliContext(stdout, stderr, Interactive: false));
        return (code, stdout.ToString(), stderr.ToString());
    }

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Sightline.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    /// <summary>Help snapshots under tests/Sightline.Text.Tests/Cli/Snapshots (SIGHTLINE_UPDATE_SNAPSHOTS=1 rewrites them).</summary>
    public static void MatchSnapshot(string name, string actual)
    {
        var path = Path.Combine(RepoRoot(), "tests", "Sightline.Text.Tests", "Cli", "Snapshots", name);
        actual = actual.Replace("\r\n", "\n");
        if (Environment.GetEnvironmentVariable("SIGHTLINE_UPDATE_SNAPSHOTS") == "1") { File.WriteAllText(path, actual); return; }
        Assert.True(File.Exists(path), $"Snapshot {path} is missing; run the tests once with SIGHTLINE_UPDATE_SNAPSHOTS=1 and review it.");
        Assert.Equal(File.ReadAllText(path).Replace("\r\n", "\n"), actual);
    }
}

/// <summary>A temporary folder deleted at the end of the test.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("sightline-text-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
