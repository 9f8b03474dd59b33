using System.Diagnostics;
using Sightline.Cli;

namespace Sightline.Tests.Cli;

/// <summary>The CLI's standard output and error over the raw descriptors, as a real process writes them.</summary>
public sealed class StandardStreamsTests
{
    [Theory]
    [InlineData(null, null, null, true)]
    [InlineData(null, null, "C.UTF-8", true)]
    [InlineData(null, null, "en_GB.utf8", true)]
    [InlineData(null, null, "C", true)]
    [InlineData(null, null, "de_DE.UTF-8@euro", true)]
    [InlineData(null, null, "en_US.ISO-8859-1", false)]
    [InlineData("POSIX", null, "en_US.ISO-8859-1", true)] // LC_ALL wins
    [InlineData("", "ja_JP.eucJP", "C.UTF-8", false)] // an empty LC_ALL counts as unset; LC_MESSAGES comes next
    public void The_raw_writers_are_used_only_where_the_console_would_write_utf8(string? all, string? messages, string? lang, bool utf8)
    {
        var env = new Dictionary<string, string?> { ["LC_ALL"] = all, ["LC_MESSAGES"] = messages, ["LANG"] = lang };
        Assert.Equal(utf8, StandardStreams.LocaleIsUtf8(name => env.GetValueOrDefault(name)));
    }

    // Runs the CLI as its own process under bash (LANG=C.UTF-8, so the raw writers are used), returning bash's exit code
    // and what it printed.
    private static (int Code, string Out, string Err) Shell(string script)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("DOTNET_", StringComparison.Ordinal) || k.StartsWith("COR", StringComparison.Ordinal) || k.StartsWith("LC_", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(key);
        start.Environment["LANG"] = "C.UTF-8";
        start.Environment["CLI"] = Path.Combine(AppContext.BaseDirectory, "Sightline.Cli.dll");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        using var p = Process.Start(start)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout, stderr.Result);
    }

    [Fact]
    public void Output_shared_with_other_writers_lands_in_order_and_in_utf8()
    {
        using var dir = new TempDir();
        var file = dir.File("out.txt");
        var missing = dir.File("missing.npy");
        // The descriptor's own offset moves: what the shell writes before and after, through the same open file, follows
        // the CLI's output instead of overwriting it; stderr and stdout share the file (2>&1).
        var (code, _, err) = Shell($"(printf 'a\\n'; dotnet \"$CLI\" --version; printf 'b\\n'; dotnet \"$CLI\" neurons score --activations '{missing}' --concepts '{missing}' --out '{dir.File("s.npy")}'; printf 'c\\n') > '{file}' 2>&1");
        Assert.True(code == 0, err);
        var lines = File.ReadAllLines(file);
        Assert.Equal(5, lines.Length);
        Assert.Equal("a", lines[0]);
        Assert.Matches(@"^\d+\.\d+\.\d+", lines[1]);
        Assert.Equal("b", lines[2]);
        Assert.Equal($"sightline: error: {missing}: file not found; check the path.", lines[3]);
        Assert.Equal("c", lines[4]);
        // Non-ASCII text (× and →) is written as UTF-8, as System.Console writes it under a UTF-8 locale.
        (code, var help, err) = Shell("dotnet \"$CLI\" neurons score --help");
        Assert.True(code == 0, err);
        Assert.Contains("N×n_neurons", help);
    }

    [Fact]
    public void A_closed_reader_or_descriptor_drops_the_output_and_a_full_disk_is_an_error_line()
    {
        // The reader of a pipe goes away (head reads one byte): the CLI still ends normally.
        var (code, stdout, err) = Shell("set -o pipefail; dotnet \"$CLI\" neurons --help | head -c 1; echo \" ${PIPESTATUS[0]}\"");
        Assert.True(code == 0, err);
        Assert.Equal("D 0", stdout.Trim());
        // No standard output at all.
        (code, _, err) = Shell("dotnet \"$CLI\" --version >&-");
        Assert.True(code == 0, err);
        // A full disk (/dev/full): one line on stderr and exit 2, as for any other output that cannot be written.
        (code, _, err) = Shell("dotnet \"$CLI\" --version > /dev/full");
        Assert.Equal(2, code);
        var line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("sightline: error: Cannot write to standard output: ", line);
    }
}
