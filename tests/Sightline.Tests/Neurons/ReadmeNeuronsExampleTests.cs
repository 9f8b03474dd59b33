using System.Text.RegularExpressions;
using Sightline.IO;
using Sightline.Tests.Cli;

namespace Sightline.Tests.Neurons;

public sealed class ReadmeNeuronsExampleTests
{
    // The `./sightline neurons ...` commands of the README block that uses examples/neurons, with continuation lines joined.
    private static List<string[]> ReadmeCommands()
    {
        var readme = File.ReadAllText(Path.Combine(AlignCommandTests.RepoRoot(), "README.md"));
        var block = Regex.Matches(readme, "```sh\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value)
            .First(b => b.Contains("examples/neurons/activations.npy", StringComparison.Ordinal));
        var joined = Regex.Replace(block, @"\\\n\s*", " ");
        return [.. joined.Split('\n').Select(l => Regex.Replace(l, @"\s+#.*$", "").Trim())
            .Where(l => l.StartsWith("./sightline neurons ", StringComparison.Ordinal))
            .Select(l => l["./sightline ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))];
    }

    [Fact]
    public void The_readme_neurons_commands_run_on_the_example_files_and_find_the_class_neurons()
    {
        using var dir = new TempDir();
        var root = AlignCommandTests.RepoRoot();
        var commands = ReadmeCommands();
        Assert.Equal(4, commands.Count);
        foreach (var cmd in commands)
        {
            var args = cmd.Select(a => a.StartsWith("examples/", StringComparison.Ordinal) ? Path.Combine(root, a) : a).ToList();
            int o = args.IndexOf("--out");
            // The README writes under out/ (covered by .gitignore), never into the repository root.
            Assert.StartsWith("out/", args[o + 1]);
            args[o + 1] = dir.File(args[o + 1]);
            if (args[1] == "sanity" && !args.Contains("--activations")) args.AddRange(["--inputs", "20000", "--draws", "2"]); // keep the theoretical run short
            var (code, stdout, err) = CliRunner.Run([.. args]);
            Assert.True(code == 0, string.Join(' ', cmd) + "\n" + stdout + err);
        }
        // top.csv: for iou/correlation/auprc, the best concept of class neurons 0–2 is their class.
        var names = File.ReadAllLines(Path.Combine(root, "examples", "neurons", "names.txt"));
        var top = File.ReadAllLines(dir.File("out/top.csv"));
        Assert.Equal("neuron,rank,concept,metric,value,reason", top[0]);
        Assert.Equal(1 + 3 * 4, top.Length);
        foreach (var row in top.Skip(1).Select(l => l.Split(',')))
            if (int.Parse(row[0]) < 3) Assert.Equal(names[int.Parse(row[0])], row[2]);
        // 26 core metrics (the README's "26 × 4 × 4"), plus any metric another test registered in this process.
        var metricNames = File.ReadAllLines(dir.File("out/scores.npy.metrics.txt"));
        Assert.Equal(Sightline.Neurons.NeuronMetricRegistry.CatalogueOrder, metricNames.Take(26));
        using (var s = NpyReader.Open(dir.File("out/scores.npy"))) Assert.Equal([metricNames.Length, 4, 4], s.Shape);
        Assert.True(File.ReadAllLines(dir.File("out/table.csv")).Length >= 1 + 26);
        var exp = File.ReadAllLines(dir.File("out/experimental.csv"));
        Assert.EndsWith("meta_auprc", exp[0]);
        Assert.Equal(1 + 4, exp.Length);
    }
}
