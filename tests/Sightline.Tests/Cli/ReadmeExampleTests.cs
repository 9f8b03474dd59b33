using System.Text.RegularExpressions;

namespace Sightline.Tests.Cli;

/// <summary>The README as a new user reads it: its example commands, outputs and build steps.</summary>
public sealed class ReadmeExampleTests
{
    private static string Readme => File.ReadAllText(Path.Combine(AlignCommandTests.RepoRoot(), "README.md"));

    /// <summary>The `./sightline` commands of the README's sh blocks, continuation lines joined, comments dropped.</summary>
    private static List<string> Commands() =>
        [.. Regex.Matches(Readme, "```sh\n(.*?)```", RegexOptions.Singleline)
            .SelectMany(m => Regex.Replace(m.Groups[1].Value, @"\\\n\s*", " ").Split('\n'))
            .Select(l => Regex.Replace(l, @"\s+#.*$", "").Trim())
            .Where(l => l.StartsWith("./sightline ", StringComparison.Ordinal))];

    [Fact]
    public void Example_commands_write_under_out_which_gitignore_covers_never_into_the_repository_root()
    {
        var commands = Commands();
        Assert.True(commands.Count >= 15, $"only {commands.Count} commands found");
        var ignore = File.ReadAllLines(Path.Combine(AlignCommandTests.RepoRoot(), ".gitignore"));
        Assert.Contains("/out/", ignore);
        foreach (var cmd in commands)
            foreach (Match m in Regex.Matches(cmd, @"--(out|summary|overlays) (\S+)"))
            {
                var path = m.Groups[2].Value;
                Assert.True(path.StartsWith("out/", StringComparison.Ordinal) || path.StartsWith("/tmp/", StringComparison.Ordinal),
                    $"{cmd}\nwrites {path} outside out/");
            }
    }

    [Fact]
    public void The_align_example_output_shows_the_out_path_as_the_command_prints_it()
    {
        var examples = Path.Combine(AlignCommandTests.RepoRoot(), "examples", "align");
        var block = Regex.Match(Readme, @"```sh\n(\./sightline align --saliency examples/align/saliency\.npy .*?)```\s*```text\n(.*?)```", RegexOptions.Singleline);
        Assert.True(block.Success, "The align example and its output block were not found.");
        var cmd = Regex.Replace(block.Groups[1].Value, @"\\\n\s*", " ").Trim();
        var readmeOut = Regex.Match(cmd, @"--out (\S+)").Groups[1].Value;
        var lastLine = block.Groups[2].Value.TrimEnd().Split('\n')[^1];
        Assert.EndsWith("→ " + readmeOut, lastLine);

        // The command prints --out as given: run it with the README's arguments and a path of the same form.
        using var dir = new TempDir();
        var args = cmd["./sightline ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(a => a.StartsWith("examples/", StringComparison.Ordinal) ? Path.Combine(AlignCommandTests.RepoRoot(), a)
                : a.StartsWith("out/", StringComparison.Ordinal) ? dir.File(a) : a).ToArray();
        var (code, stdout, err) = CliRunner.Run(args);
        Assert.True(code == 0, err);
        var printed = stdout.TrimEnd().Split('\n')[^1];
        Assert.EndsWith("→ " + dir.File(readmeOut), printed);
        // Every other line of the README's output is what the command prints (the timing aside).
        Assert.Equal(Regex.Replace(block.Groups[2].Value.TrimEnd(), @"in [\d.]+ s → \S+$", ""),
            Regex.Replace(stdout.TrimEnd(), @"in [\d.]+ s → \S+$", ""));
    }

    [Fact]
    public void Benchmark_commands_come_after_the_build_that_makes_them()
    {
        var readme = Readme;
        const string build = "dotnet build bench/Sightline.Benchmarks/Sightline.Benchmarks.csproj -c Release";
        foreach (Match run in Regex.Matches(readme, @"dotnet bench/Sightline\.Benchmarks/bin/Release/net10\.0/Sightline\.Benchmarks\.dll"))
        {
            int paragraph = readme.LastIndexOf("\n\n", run.Index, StringComparison.Ordinal);
            var before = readme[Math.Max(0, paragraph)..run.Index];
            Assert.True(before.Contains(build, StringComparison.Ordinal) || readme[Math.Max(0, paragraph - 400)..run.Index].Contains(build, StringComparison.Ordinal),
                $"The benchmark run at character {run.Index} is not preceded by '{build}'.");
        }
    }

    [Fact]
    public void The_metric_assembly_section_shows_the_project_file_and_the_usings()
    {
        var readme = Readme;
        var section = readme[readme.IndexOf("### Add your own metric", StringComparison.Ordinal)..readme.IndexOf("### Activations and concepts", StringComparison.Ordinal)];
        Assert.Contains("<Project Sdk=\"Microsoft.NET.Sdk\">", section);
        Assert.Contains("<TargetFramework>net10.0</TargetFramework>", section);
        Assert.Matches(@"<ProjectReference Include=""[^""]*src/Sightline/Sightline\.csproj""", section);
        Assert.Contains("using Sightline.Metrics;", section);
        Assert.Contains("using Sightline.Neurons;", section);
        Assert.Contains("dotnet build MyMetrics -c Release", section);
        Assert.Contains("--metric-assembly MyMetrics/bin/Release/net10.0/MyMetrics.dll", section);
        // The class compiles against the real API: the names it uses exist where the usings say.
        Assert.Equal("Sightline.Metrics", typeof(Sightline.Metrics.MetricAttribute).Namespace);
        foreach (var t in new[] { typeof(Sightline.Neurons.INeuronMetric), typeof(Sightline.Neurons.NeuronMetric), typeof(Sightline.Neurons.NeuronMetricOptions), typeof(Sightline.Neurons.NeuronProbe), typeof(Sightline.Neurons.ScoreMatrix) })
            Assert.Equal("Sightline.Neurons", t.Namespace);
    }

    [Fact]
    public void The_masks_snippet_orders_masks_by_predictions_csv()
    {
        var readme = Readme;
        var snippet = Regex.Match(readme, "```python\n(# masks.npy in the row order of predictions.csv.*?)```", RegexOptions.Singleline);
        Assert.True(snippet.Success, "The make_masks.py snippet is missing.");
        Assert.Contains("csv.DictReader(open(RUN / \"predictions.csv\"))", snippet.Groups[1].Value);
        Assert.Contains("np.save(RUN / \"masks.npy\", masks)", snippet.Groups[1].Value);
        Assert.Contains("--masks out/run/masks.npy", readme);
    }
}
