using System.CommandLine;
using Sightline.Cli;

namespace Sightline.Tests.Cli;

public sealed class ErrorContractTests
{
    private static (int Code, string Err) RunThrowing(Exception ex)
    {
        var command = new Command("boom");
        command.SetAction((Func<ParseResult, int>)(_ => throw ex));
        var root = new Command("sightline") { command };
        var stderr = new StringWriter();
        int code = CliApp.Run(root, ["boom"], new CliContext(new StringWriter(), stderr, Interactive: false));
        return (code, stderr.ToString());
    }

    [Fact]
    public void A_defect_is_exit_3_with_one_line_and_a_crash_file_holding_the_stack_trace()
    {
        using var dir = new TempDir();
        Environment.SetEnvironmentVariable("SIGHTLINE_CRASH_DIR", dir.Path);
        try
        {
            var (code, err) = RunThrowing(new KeyNotFoundException("layer7"));
            Assert.Equal(3, code);
            var line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("sightline: internal error (KeyNotFoundException: layer7)", line);
            var crash = Assert.Single(Directory.GetFiles(dir.Path, "sightline-crash-*.txt"));
            Assert.EndsWith(crash, line);
            var text = File.ReadAllText(crash);
            Assert.Contains("command: sightline boom", text);
            Assert.Contains("at ", text);
        }
        finally
        {
            Environment.SetEnvironmentVariable("SIGHTLINE_CRASH_DIR", null);
        }
    }

    [Theory]
    [InlineData("input")]
    [InlineData("io")]
    [InlineData("memory")]
    public void Input_io_and_memory_problems_are_exit_2_with_one_line(string kind)
    {
        Exception ex = kind switch
        {
            "input" => new InputDataException("x.npy: bad header."),
            "io" => new IOException("Read-only file system : '/ro/out.csv'"),
            _ => new OutOfMemoryException(),
        };
        var (code, err) = RunThrowing(ex);
        Assert.Equal(2, code);
        var line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("sightline: error: ", line);
    }

    [Fact]
    public void Unknown_metric_names_are_input_errors_from_the_registries()
    {
        Assert.Throws<InputDataException>(() => Sightline.Metrics.MetricRegistry.Get("nope"));
        Assert.Throws<InputDataException>(() => Sightline.Neurons.NeuronMetricRegistry.Get("nope"));
    }

    [Fact]
    public void Version_alone_builds_no_subcommand_and_prints_the_version_as_with_the_whole_tree()
    {
        Assert.Equal("--version", CliApp.NamedSubcommand(["--version"]));
        var context = new CliContext(new StringWriter(), new StringWriter(), Interactive: false);
        Assert.Empty(CliApp.BuildRoot(context, CliApp.NamedSubcommand(["--version"])).Subcommands);
        var (code, stdout, stderr) = CliRunner.Run("--version");
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        var full = new StringWriter();
        Assert.Equal(0, CliApp.Run(CliApp.BuildRoot(new CliContext(full, new StringWriter(), false), null), ["--version"], new CliContext(full, new StringWriter(), false)));
        Assert.Equal(full.ToString(), stdout);
        Assert.Matches(@"^\d+\.\d+\.\d+", stdout);
        // Anything beside --version still builds the whole tree (help lists every subcommand).
        Assert.Null(CliApp.NamedSubcommand(["--version", "--help"]));
    }
    [Theory]
    [InlineData("neurons", "score", "neurons score --help")]
    [InlineData("neurons", "concepts", "neurons concepts --out")]
    [InlineData("text", "explain", "text explain --help")]
    [InlineData("text", "demo", "text demo --nope")]
    [InlineData(null, null, "neurons scor")]
    [InlineData(null, null, "neurons --help")]
    [InlineData(null, null, "text")]
    public void A_group_s_named_child_is_built_alone_and_runs_as_with_the_whole_tree(string? group, string? child, string line)
    {
        var args = line.Split(' ');
        Assert.Equal(child, group is null ? null : CliApp.NamedChild(args));
        var quiet = new CliContext(new StringWriter(), new StringWriter(), false);
        var built = CliApp.BuildRoot(quiet, CliApp.NamedSubcommand(args), CliApp.NamedChild(args));
        var named = built.Subcommands.Single(c => c.Name == args[0]);
        if (child is not null) Assert.Equal([child], named.Subcommands.Select(c => c.Name));
        else Assert.True(named.Subcommands.Count >= 4, $"{args[0]} has {named.Subcommands.Count} children");
        // The same output, error and exit code as with every command built.
        (int, string, string) RunWith(Func<CliContext, Command> root)
        {
            var (o, e) = (new StringWriter(), new StringWriter());
            var context = new CliContext(o, e, false);
            return (CliApp.Run(root(context), args, context), o.ToString(), e.ToString());
        }
        var partial = RunWith(c => CliApp.BuildRoot(c, CliApp.NamedSubcommand(args), CliApp.NamedChild(args)));
        var whole = RunWith(c => CliApp.BuildRoot(c, null));
        Assert.Equal(whole, partial);
        Assert.NotEqual("", partial.Item2 + partial.Item3);
    }
}
