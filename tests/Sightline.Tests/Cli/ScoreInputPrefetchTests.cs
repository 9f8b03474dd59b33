using Sightline.Cli.Commands;
using Sightline.IO;

namespace Sightline.Tests.Cli;

/// <summary>
/// <see cref="ScoreInputPrefetch"/>: <c>neurons score</c> starts reading its inputs from the raw command line, and the
/// command uses that read only for exactly the paths it parsed, with the same results and the same error order.
/// </summary>
public sealed class ScoreInputPrefetchTests
{
    private static (string A, string C) Inputs(TempDir dir)
    {
        var rng = new Random(5);
        const int n = 300, k = 7, m = 9;
        var a = new float[n * k];
        for (int i = 0; i < a.Length; i++) a[i] = MathF.Max(0, MathF.Round((float)(rng.NextDouble() * 4 - 2), 2));
        var c = new float[n * m];
        for (int i = 0; i < c.Length; i++) c[i] = rng.Next(5) == 0 ? 1 : 0;
        Npy.Write<float>(dir.File("a.npy"), a, n, k);
        Npy.Write<float>(dir.File("c.npy"), c, n, m);
        return (dir.File("a.npy"), dir.File("c.npy"));
    }

    [Fact]
    public async Task Only_a_plain_score_command_line_on_regular_files_is_prefetched_and_only_its_own_paths_take_it()
    {
        using var dir = new TempDir();
        var (a, c) = Inputs(dir);
        Directory.CreateDirectory(dir.File("folder"));
        Assert.Null(ScoreInputPrefetch.Start(["neurons", "sanity", "--activations", a, "--concepts", c]));
        Assert.Null(ScoreInputPrefetch.Start(["neurons", "score", "--activations", a, "--concepts", c, "@more.rsp"]));
        Assert.Null(ScoreInputPrefetch.Start(["neurons", "score", "--activations", a, "--activations", a, "--concepts", c]));
        Assert.Null(ScoreInputPrefetch.Start(["neurons", "score", "--activations", dir.File("folder"), "--concepts", c, "--out", "x.npy"]));
        Assert.Null(ScoreInputPrefetch.Start(["neurons", "score", "--activations", dir.File("missing.npy"), "--concepts", c, "--out", "x.npy"]));
        File.CreateSymbolicLink(dir.File("linked.npy"), a); // a link to a regular file is followed
        using (var linked = ScoreInputPrefetch.Start(["neurons", "score", "--activations", dir.File("linked.npy"), "--concepts", c, "--out", "x.npy"]))
            Assert.NotNull(linked);
        File.CreateSymbolicLink(dir.File("to-folder.npy"), dir.File("folder"));
        Assert.Null(ScoreInputPrefetch.Start(["neurons", "score", "--activations", dir.File("to-folder.npy"), "--concepts", c, "--out", "x.npy"]));
        using var p = ScoreInputPrefetch.Start(["neurons", "score", "--activations", a, "--concepts", c, "--out", "x.npy"]);
        Assert.NotNull(p);
        Assert.Null(ScoreInputPrefetch.Take(c, a));
        var taken = ScoreInputPrefetch.Take(a, c);
        Assert.NotNull(taken);
        Assert.Null(ScoreInputPrefetch.Take(a, c)); // once
        using var mappings = taken.Mappings;
        var (probe, header) = await taken.Loading;
        Assert.Null(header);
        Assert.Equal((300, 7, 9), (probe.Samples, probe.Neurons, probe.Concepts));
    }

    [Fact]
    public void A_prefetched_run_writes_the_same_scores_as_one_the_prefetch_does_not_recognise()
    {
        using var dir = new TempDir();
        var (a, c) = Inputs(dir);
        var plain = CliRunner.Run("neurons", "score", "--activations", a, "--concepts", c, "--metrics", "inverse_auc,iou,correlation", "--out", dir.File("p.npy"));
        Assert.True(plain.Code == 0, plain.Err);
        // '--activations=PATH' is the same option to the parser but not to the prefetch, which then stays out of the way.
        var other = CliRunner.Run("neurons", "score", "--activations=" + a, "--concepts=" + c, "--metrics", "inverse_auc,iou,correlation", "--out", dir.File("q.npy"));
        Assert.True(other.Code == 0, other.Err);
        Assert.Equal(File.ReadAllBytes(dir.File("p.npy")), File.ReadAllBytes(dir.File("q.npy")));
    }

    [Fact]
    public void An_option_error_still_comes_before_the_error_of_a_prefetched_bad_input()
    {
        using var dir = new TempDir();
        var (_, c) = Inputs(dir);
        File.WriteAllText(dir.File("bad.npy"), "this is not an NPY file at all");
        var (code, _, err) = CliRunner.Run("neurons", "score", "--activations", dir.File("bad.npy"), "--concepts", c, "--alpha", "2", "--out", dir.File("s.npy"));
        Assert.Equal(2, code);
        Assert.Contains("--alpha", err);
        (code, _, err) = CliRunner.Run("neurons", "score", "--activations", dir.File("bad.npy"), "--concepts", c, "--out", dir.File("s.npy"));
        Assert.Equal(2, code);
        Assert.Contains("bad.npy", err);
        Assert.False(File.Exists(dir.File("s.npy")));
    }
}
