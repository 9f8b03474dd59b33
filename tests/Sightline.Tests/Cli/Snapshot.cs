namespace Sightline.Tests.Cli;

/// <summary>
/// Snapshot files under tests/Sightline.Tests/Cli/Snapshots. A mismatch fails; set SIGHTLINE_UPDATE_SNAPSHOTS=1 to
/// rewrite the file deliberately (the diff then shows in review).
/// </summary>
internal static class Snapshot
{
    public static void Match(string name, string actual)
    {
        var path = Path.Combine(AlignCommandTests.RepoRoot(), "tests", "Sightline.Tests", "Cli", "Snapshots", name);
        actual = actual.Replace("\r\n", "\n");
        if (Environment.GetEnvironmentVariable("SIGHTLINE_UPDATE_SNAPSHOTS") == "1")
        {
            File.WriteAllText(path, actual);
            return;
        }
        Assert.True(File.Exists(path), $"Snapshot {path} is missing; run the tests once with SIGHTLINE_UPDATE_SNAPSHOTS=1 and review it.");
        Assert.Equal(File.ReadAllText(path).Replace("\r\n", "\n"), actual);
    }
}
