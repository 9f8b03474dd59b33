using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Sightline.IO;
using Sightline.Studies;

namespace Sightline.Cli.Commands;

/// <summary>
/// <c>sightline study</c>: a declarative study (models × methods × samples × mask sets × metrics) run as resumable,
/// shardable work units (<c>run</c>), on a Slurm cluster (<c>slurm</c>), merged with DuckDB into scores and aggregates
/// (<c>merge</c>) and reported (<c>report</c>).
/// </summary>
public static class StudyCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Build(CliContext context)
    {
        var command = new Command("study", "Run a declarative study at dataset scale: models × methods × samples × mask sets × metrics, resumable and sharded (Slurm), merged with DuckDB, reported.");
        command.Add(BuildRun(context));
        command.Add(BuildMerge(context));
        return command;
    }

    /// <summary>Parses <c>--shard I/N</c>.</summary>
    internal static (int Shard, int Shards) ParseShard(string? text)
    {
        if (text is null) return (0, 1);
        var parts = text.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var i)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && i < n)
            return (i, n);
        throw new InputDataException($"--shard {text}: give I/N with 0 ≤ I < N (e.g. 0/4; a Slurm array task passes $SLURM_ARRAY_TASK_ID/N).");
    }

    /// <summary>The inputs of a study for the path plan (study file, models, configs, data, masks).</summary>
    internal static PathPlan PlanInputs(StudyDefinition def, PathPlan plan)
    {
        plan.Input("study file", def.SourcePath).Input("data.images", def.Data.Images).Input("data.inputs", def.Data.Inputs).Input("data.labels", def.Data.Labels);
        foreach (var m in def.Models) plan.Input($"models.{m.Name}.path", m.Path).Input($"models.{m.Name}.config", m.Config ?? Sightline.Onnx.Runtime.ModelConfig.FindFor(m.Path));
        foreach (var m in def.Masks) plan.Input($"masks.{m.Name}.path", m.Path);
        return plan;
    }

    private static Command BuildMerge(CliContext context)
    {
        var dir = new Argument<string>("dir") { Description = "The run store folder (--out of 'study run'); every shard's units must be stored.", HelpName = "DIR" };
        var command = new Command("merge", "Combine every shard's chunks with DuckDB into DIR/scores.parquet and compute the aggregates (summary, SemScore levels, classes, model comparisons, feature ranking, accuracy) as Parquet, CSV and JSON under DIR/aggregates.") { dir };
        command.SetAction(parse =>
        {
            var d = parse.GetValue(dir)!;
            var clock = Stopwatch.StartNew();
            StudyMergeResult result;
            using (OutputLock.Acquire(Path.Combine(d, "locks", "merge")))
                result = StudyMerge.Run(d);
            context.Out.WriteLine($"Merged {result.Units} units ({result.Rows} rows) in {clock.Elapsed.TotalSeconds:0.0} s → {Path.Combine(d, "scores.parquet")}; aggregates ({string.Join(", ", StudyMerge.Tables)}) in {Path.Combine(d, "aggregates")} (.parquet, .csv, .json)");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command BuildRun(CliContext context)
    {
        var file = new Argument<string>("study") { Description = "The study file (YAML, or JSON): data, masks, targets, models, methods, metrics, params, statistics, run.", HelpName = "study.yaml" };
        var output = new Option<string>("--out") { Description = "The run store folder: manifest.json and one Parquet chunk per work unit (model × method × chunk of samples); shards share it.", Required = true, HelpName = "DIR" };
        var shard = new Option<string?>("--shard") { Description = "Run only shard I of N: the work units whose id is I mod N (deterministic; a Slurm array task passes $SLURM_ARRAY_TASK_ID/N).", HelpName = "I/N" };
        var threads = new Option<int>("--threads") { Description = "Worker threads (0 = all cores).", DefaultValueFactory = _ => 0, HelpName = "T" };
        var force = new Option<bool>("--force") { Description = "Discard a run store of another study file or other inputs (refused otherwise), and recompute this shard's units." };
        var command = new Command("run", "Compute a study's work units (or one shard of them) into a resumable run store: a killed run continues where it stopped.") { file, output, shard, threads, force };
        command.SetAction(parse =>
        {
            var (i, n) = ParseShard(parse.GetValue(shard));
            int t = parse.GetValue(threads);
            if (t < 0) throw new InputDataException($"--threads {t}: give a positive number of threads, or 0 for all cores.");
            var outDir = parse.GetValue(output)!;
            var def = StudyFile.Load(parse.GetValue(file)!);
            var plan = StudyPlan.Create(def);
            PlanInputs(def, new PathPlan()).OutputFolder("--out", outDir).Check();
            var clock = Stopwatch.StartNew();
            StudyRunResult result;
            using (var held = OutputLock.Acquire(Path.Combine(outDir, "locks", $"shard-{i}-of-{n}")))
            using (var progress = new ConsoleProgress(context, $"study {def.Name} shard {i}/{n} (units)", plan.Shard(i, n).Count()))
                result = StudyRunner.Run(plan, new StudyModelLoader(), new StudyRunOptions(outDir, i, n, t, parse.GetValue(force)), progress);
            var shardText = n > 1 ? $" shard {i}/{n}:" : "";
            var resumed = result.AlreadyDone > 0 ? $" (resumed: {result.AlreadyDone} of {result.ShardUnits} units already done)" : "";
            if (result.Computed == 0)
                context.Out.WriteLine($"Already complete: study '{def.Name}'{shardText} all {result.ShardUnits} units are stored in {outDir} (--force recomputes).");
            else
                context.Out.WriteLine($"Study '{def.Name}'{shardText} computed {result.Computed} of {result.ShardUnits} units ({result.Rows} rows) in {clock.Elapsed.TotalSeconds:0.0} s{resumed} → {outDir}");
            context.Out.WriteLine(result.StudyComplete
                ? $"All {result.Units} units of the study are stored; next: sightline study merge {outDir}"
                : $"{result.Units} units in the study; the other shards' units are still missing (merge refuses until all are stored).");
            if (result.FailedSamples > 0)
            {
                context.Error.WriteLine($"sightline: {result.FailedSamples} sample rows failed (NaN for every metric, reason in the reason column).");
                return ExitCodes.Failed;
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
