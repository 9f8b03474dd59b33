using Sightline.IO;
using Sightline.Results;
using Sightline.Tests.Cli;

namespace Sightline.Tests.Results;

public sealed class ResumableStackTests
{
    private static float[] Chunk(int start, int n) => [.. Enumerable.Range(start * 4, n * 4).Select(i => (float)i)];

    [Fact]
    public void Interrupted_run_resumes_without_losing_or_duplicating_samples()
    {
        using var dir = new TempDir();
        var npy = dir.File("maps.npy");
        var csv = dir.File("rows.csv");
        using (var s = ResumableStack.Open(npy, [5, 2, 2], "sig-A", csv, "index"))
        {
            Assert.Equal(0, s.Done);
            s.Append(Chunk(0, 2), ["0", "1"]);
            // Killed here: no Complete().
        }
        Assert.False(File.Exists(csv));
        // An unfinished stack never has the final name, so nothing downstream can mistake it for complete maps.
        Assert.False(File.Exists(npy));
        Assert.True(File.Exists(npy + ".partial"));
        using (var s = ResumableStack.Open(npy, [5, 2, 2], "sig-A", csv, "index"))
        {
            Assert.Equal(2, s.Done);
            s.Append(Chunk(2, 3), ["2", "3", "4"]);
            s.Complete();
        }
        Assert.Equal(new[] { "index", "0", "1", "2", "3", "4" }, File.ReadAllLines(csv));
        using var reader = NpyReader.Open(npy);
        Assert.Equal(new[] { 5, 2, 2 }, reader.Shape);
        Assert.Equal(Chunk(0, 5), reader.ReadAll<float>());
        Assert.False(File.Exists(npy + ".progress.json"));
        Assert.False(File.Exists(npy + ".partial"));
        Assert.False(File.Exists(csv + ".partial"));
    }

    [Fact]
    public void A_complete_stack_with_the_same_signature_is_not_redone_unless_forced()
    {
        using var dir = new TempDir();
        var npy = dir.File("maps.npy");
        var csv = dir.File("rows.csv");
        using (var s = ResumableStack.Open(npy, [2, 2, 2], "sig-A", csv, "index"))
        {
            s.Append(Chunk(0, 2), ["0", "1"]);
            s.Complete();
        }
        Assert.True(File.Exists(npy + ".sightline.json"));
        using (var again = ResumableStack.Open(npy, [2, 2, 2], "sig-A", csv, "index"))
        {
            Assert.True(again.IsComplete);
            Assert.Equal(2, again.Done);
            again.Complete();
        }
        Assert.Equal(Chunk(0, 2), NpyReader.Open(npy).ReadAll<float>());
        using (var other = ResumableStack.Open(npy, [2, 2, 2], "sig-B", csv, "index"))
        {
            Assert.False(other.IsComplete);
            Assert.Equal(0, other.Done);
        }
        using var forced = ResumableStack.Open(npy, [2, 2, 2], "sig-A", csv, "index", force: true);
        Assert.False(forced.IsComplete);
        Assert.Equal(0, forced.Done);
    }

    [Fact]
    public void A_different_signature_starts_afresh()
    {
        using var dir = new TempDir();
        var npy = dir.File("maps.npy");
        using (var s = ResumableStack.Open(npy, [3, 2, 2], "sig-A", dir.File("r.csv"), "index"))
            s.Append(Chunk(0, 1), ["0"]);
        using var again = ResumableStack.Open(npy, [3, 2, 2], "sig-B", dir.File("r.csv"), "index");
        Assert.Equal(0, again.Done);
    }

    [Fact]
    public void Header_is_a_valid_npy_header_aligned_to_64_bytes()
    {
        var h = ResumableStack.Header([7, 3]);
        Assert.Equal(0, h.Length % 64);
        Assert.Equal((byte)'\n', h[^1]);
    }

    [Fact]
    public void A_second_writer_on_the_same_output_is_refused_while_the_first_holds_it()
    {
        using var dir = new TempDir();
        var npy = dir.File("maps.npy");
        using (var first = ResumableStack.Open(npy, [2, 2, 2], "sig-A", dir.File("rows.csv"), "index"))
        {
            var e = Assert.Throws<InputDataException>(() => ResumableStack.Open(npy, [2, 2, 2], "sig-A", dir.File("rows.csv"), "index"));
            Assert.StartsWith($"another sightline run is writing {npy} (pid {Environment.ProcessId})", e.Message);
            first.Append(Chunk(0, 2), ["0", "1"]);
            first.Complete();
        }
        Assert.False(File.Exists(npy + ".lock"));
        Assert.True(File.Exists(npy + ".sightline.json"));
    }

    [Fact]
    public void A_run_that_commits_nothing_leaves_nothing_and_one_that_committed_chunks_says_how_to_resume()
    {
        using var dir = new TempDir();
        var npy = dir.File("maps.npy");
        using (var s = ResumableStack.Open(npy, [3, 2, 2], "sig-A", dir.File("rows.csv"), "index"))
            Assert.Null(s.ResumeHint);
        Assert.Empty(Directory.GetFiles(dir.Path));
        using (var s = ResumableStack.Open(npy, [3, 2, 2], "sig-A", dir.File("rows.csv"), "index"))
        {
            s.Append(Chunk(0, 1), ["0"]);
            Assert.Equal($"1 of 3 samples are saved in {npy}.partial; run the same command again to resume", s.ResumeHint);
        }
        Assert.True(File.Exists(npy + ".partial"));
    }
}
