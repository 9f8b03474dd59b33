using Sightline.IO;

namespace Sightline.Tests.IO;

public sealed class AtomicFileTests
{
    [Fact]
    public void A_failed_write_keeps_the_previous_file_and_leaves_no_temporary_file()
    {
        using var dir = new TempDir();
        var path = dir.File("result.npy");
        File.WriteAllText(path, "good old result");
        var disk = new IOException("No space left on device", 28);
        var e = Assert.Throws<InputDataException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[1000]);
            throw disk;
        }));
        Assert.Equal("good old result", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(dir.Root));
        Assert.Contains(path, e.Message);
        Assert.Contains("no space left", e.Message);
        Assert.Same(disk, e.InnerException);
    }

    [Fact]
    public void A_complete_write_replaces_the_file_and_leaves_only_it()
    {
        using var dir = new TempDir();
        var path = dir.File("a.txt");
        File.WriteAllText(path, "old");
        AtomicFile.WriteAllText(path, "new");
        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(dir.Root));
    }

    [Fact]
    public void A_parent_that_is_a_file_is_one_clear_input_error()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("plain"), "x");
        var e = Assert.Throws<InputDataException>(() => AtomicFile.WriteAllText(Path.Combine(dir.File("plain"), "sub", "out.csv"), "x"));
        Assert.Contains("is a file, not a folder", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}

public sealed class PathPlanTests
{
    [Fact]
    public void An_output_that_is_an_input_through_a_symlink_or_dots_is_refused_naming_both_options()
    {
        using var dir = new TempDir();
        var input = dir.File("x.npy");
        File.WriteAllText(input, "data");
        Directory.CreateDirectory(dir.File("sub"));
        File.CreateSymbolicLink(dir.File("link.npy"), input);
        Directory.CreateSymbolicLink(dir.File("alias"), dir.Root);
        foreach (var output in new[] { input, dir.File("link.npy"), Path.Combine(dir.Root, "sub", "..", "x.npy"), Path.Combine(dir.File("alias"), "x.npy") })
        {
            var e = Assert.Throws<InputDataException>(() => new PathPlan().Input("--inputs", input).Output("--out", output).Check());
            Assert.Contains("--out", e.Message);
            Assert.Contains("--inputs", e.Message);
        }
        new PathPlan().Input("--inputs", input).Output("--out", dir.File("y.npy")).Check();
    }

    [Fact]
    public void Two_outputs_on_one_file_and_an_output_folder_holding_an_input_are_refused()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<InputDataException>(() => new PathPlan().Output("--out", dir.File("s.json")).Output("--summary", Path.Combine(dir.Root, ".", "s.json")).Check());
        Assert.Contains("--out", e.Message);
        Assert.Contains("--summary", e.Message);
        File.WriteAllText(dir.File("img.png"), "x");
        Assert.Throws<InputDataException>(() => new PathPlan().Input("--images", dir.File("img.png")).OutputFolder("--overlays", dir.Root).Check());
        Assert.Throws<InputDataException>(() => new PathPlan().Output("--out", dir.Root).Check());
        Assert.Throws<InputDataException>(() => new PathPlan().Output("--out", "/dev/null").Check());
    }

    [Fact]
    public void Canonical_resolves_links_above_a_file_that_does_not_exist_yet()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("real"));
        Directory.CreateSymbolicLink(dir.File("ln"), dir.File("real"));
        Assert.Equal(Path.Combine(PathPlan.Canonical(dir.File("real")), "new", "f.csv"), PathPlan.Canonical(Path.Combine(dir.File("ln"), "new", "f.csv")));
    }
}

public sealed class OutputLockTests
{
    [Fact]
    public void A_second_lock_on_the_same_output_fails_at_once_naming_the_holder()
    {
        using var dir = new TempDir();
        var output = dir.File("maps.npy");
        using (OutputLock.Acquire(output))
        {
            var e = Assert.Throws<InputDataException>(() => OutputLock.Acquire(output));
            Assert.Equal($"another sightline run is writing {output} (pid {Environment.ProcessId}); wait for it to finish, or stop it.", e.Message);
        }
        Assert.False(File.Exists(OutputLock.LockPathFor(output)));
        using (OutputLock.Acquire(output)) { }
    }

    [Fact]
    public void A_stale_lock_left_by_a_killed_run_is_taken_over()
    {
        using var dir = new TempDir();
        var output = dir.File("maps.npy");
        // A process that has exited: its pid no longer runs (or runs with another start time).
        using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("true") { UseShellExecute = false })!;
        p.WaitForExit();
        File.WriteAllText(OutputLock.LockPathFor(output), $"{p.Id} 12345\n");
        using (OutputLock.Acquire(output))
            Assert.StartsWith($"{Environment.ProcessId} ", File.ReadAllText(OutputLock.LockPathFor(output)));
        // The pid of a live process with another start time is stale too (pid reuse).
        File.WriteAllText(OutputLock.LockPathFor(output), $"{Environment.ProcessId} 1\n");
        using (OutputLock.Acquire(output)) { }
    }
}

public sealed class ContentHashTests
{
    [Fact]
    public void The_signature_follows_content_not_names_or_dates()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("a"), [1, 2, 3]);
        File.WriteAllBytes(dir.File("b"), [1, 2, 3]);
        File.WriteAllBytes(dir.File("c"), [1, 2, 4]);
        Assert.Equal(ContentHash.OfFile(dir.File("a")), ContentHash.OfFile(dir.File("b")));
        Assert.NotEqual(ContentHash.OfFile(dir.File("a")), ContentHash.OfFile(dir.File("c")));
        Assert.NotEqual(ContentHash.OfFiles([dir.File("a"), dir.File("c")]), ContentHash.OfFiles([dir.File("c"), dir.File("a")]));
        // Boundaries between files count: [1,2,3]+[] differs from [1,2]+[3].
        File.WriteAllBytes(dir.File("e"), []);
        File.WriteAllBytes(dir.File("f"), [1, 2]);
        File.WriteAllBytes(dir.File("g"), [3]);
        Assert.NotEqual(ContentHash.OfFiles([dir.File("a"), dir.File("e")]), ContentHash.OfFiles([dir.File("f"), dir.File("g")]));
        Assert.Throws<InputDataException>(() => ContentHash.OfFile(dir.File("missing")));
    }
}
