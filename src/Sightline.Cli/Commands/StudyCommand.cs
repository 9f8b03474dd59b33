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
        command.Add(BuildSlurm(context));
        command.Add(BuildReport(context));
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

    /// <summary>The inputs of a study for the path plan (study file, models, configs, data, masks, baseline files).</summary>
    internal static PathPlan PlanInputs(StudyDefinition def, PathPlan plan)
    {
        plan.Input("study file", def.SourcePath).Input("data.images", def.Data.Images).Input("data.inputs", def.Data.Inputs).Input("data.labels", def.Data.Labels);
        foreach (var m in def.Models) plan.Input($"models.{m.Name}.path", m.Path).Input($"models.{m.Name}.config", m.Config ?? Sightline.Onnx.Runtime.ModelConfig.FindFor(m.Path));
        foreach (var m in def.Masks) plan.Input($"masks.{m.Name}.path", m.Path);
        foreach (var m in def.Methods) plan.Input($"methods.{m.Name}.baseline", StudyMethods.BaselineFile(m));
        return plan;
    }

    /// <summary>
    /// The command that runs this Sightline on a compute node: the self-contained executable itself, or
    /// <c>dotnet Sightline.Cli.dll</c> for a framework-dependent build (<c>./sightline</c>, tests).
    /// </summary>
    internal static string DefaultSightline()
    {
        var process = Environment.ProcessPath ?? "dotnet";
        var dll = typeof(StudyCommand).Assembly.Location;
        if (string.IsNullOrEmpty(dll)) return ShellQuote(process);
        var host = Path.GetFileNameWithoutExtension(process) == "dotnet" ? process : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        return $"{ShellQuote(host)} {ShellQuote(dll)}";
    }

    /// <summary>Quotes a word for bash (single quotes).</summary>
    internal static string ShellQuote(string s) => "'" + s.Replace("'", "'\\''") + "'";

    /// <summary>The sbatch scripts of a study: the job array of shards and the merge job (run after the array succeeds).</summary>
    internal static (string Array, string Merge) SlurmScripts(StudyDefinition def, string outDir, int shards, string? partition, string? time, int cpus, string sightline)
    {
        var dir = Path.GetFullPath(outDir);
        var logs = Path.Combine(dir, "slurm", "logs");
        string Header(string name, string log)
        {
            var sb = new System.Text.StringBuilder();
            sb.Append("#!/bin/bash\n");
            sb.Append($"#SBATCH --job-name={name}\n");
            sb.Append($"#SBATCH --output={log}\n");
            if (partition is not null) sb.Append($"#SBATCH --partition={partition}\n");
            if (time is not null) sb.Append($"#SBATCH --time={time}\n");
            return sb.ToString();
        }
        string job = "sightline-" + def.Name;
        var array = Header(job, Path.Combine(logs, "shard-%a.out")) +
            $"#SBATCH --array=0-{shards - 1}\n" +
            $"#SBATCH --cpus-per-task={cpus}\n" +
            "# One task per shard: shard I of N computes the work units whose id is I mod N. A failed task can be\n" +
            $"# resubmitted alone (sbatch --array=I {Path.Combine(dir, "slurm", "study.sbatch")}) and fills in only its own units;\n" +
            $"# the merge job it held back then waits forever: scancel it and submit sbatch --dependency=afterok:JOB {Path.Combine(dir, "slurm", "merge.sbatch")}.\n" +
            "set -euo pipefail\n" +
            $"exec {sightline} study run {ShellQuote(def.SourcePath)} --out {ShellQuote(dir)} --shard \"$SLURM_ARRAY_TASK_ID/{shards}\" --threads {cpus}\n";
        var merge = Header(job + "-merge", Path.Combine(logs, "merge.out")) +
            "#SBATCH --cpus-per-task=1\n" +
            "set -euo pipefail\n" +
            $"exec {sightline} study merge {ShellQuote(dir)}\n";
        return (array, merge);
    }

    private static Command BuildSlurm(CliContext context)
    {
        var file = new Argument<string>("study") { Description = "The study file (YAML, or JSON).", HelpName = "study.yaml" };
        var output = new Option<string>("--out") { Description = "The run store folder on a file system every node sees; the scripts go to DIR/slurm/, the task logs to DIR/slurm/logs/.", Required = true, HelpName = "DIR" };
        var shards = new Option<int>("--shards") { Description = "Number of shards: the job array --array=0-(N-1), each task running 'study run --shard $SLURM_ARRAY_TASK_ID/N'.", Required = true, HelpName = "N" };
        var partition = new Option<string?>("--partition") { Description = "Slurm partition of the jobs (#SBATCH --partition).", HelpName = "P" };
        var time = new Option<string?>("--time") { Description = "Time limit per task (#SBATCH --time), e.g. 02:00:00.", HelpName = "HH:MM:SS" };
        var cpus = new Option<int>("--cpus") { Description = "CPUs per array task (#SBATCH --cpus-per-task; passed to study run --threads).", DefaultValueFactory = _ => 1, HelpName = "C" };
        var sightline = new Option<string?>("--sightline") { Description = "The command that runs sightline on the nodes (default: this build, e.g. 'dotnet /shared/sightline/Sightline.Cli.dll').", HelpName = "CMD" };
        var submit = new Option<bool>("--submit") { Description = "Submit with sbatch (on PATH): the array, then the merge job with --dependency=afterok on it; prints both job ids." };
        var command = new Command("slurm", "Write sbatch scripts for a study on a Slurm cluster: a job array of N shards and a dependent merge job; --submit submits them.") { file, output, shards, partition, time, cpus, sightline, submit };
        command.SetAction(parse =>
        {
            int n = parse.GetValue(shards);
            if (n < 1) throw new InputDataException($"--shards {n}: give a positive number of shards.");
            int c = parse.GetValue(cpus);
            if (c < 1) throw new InputDataException($"--cpus {c}: give a positive number of CPUs per task.");
            var timeText = parse.GetValue(time);
            if (timeText is not null && !System.Text.RegularExpressions.Regex.IsMatch(timeText, @"^(\d+-)?\d+(:\d\d){0,2}$"))
                throw new InputDataException($"--time {timeText}: give a Slurm time such as 02:00:00, 90 or 1-00:00:00.");
            var partitionText = parse.GetValue(partition);
            if (partitionText is not null && !System.Text.RegularExpressions.Regex.IsMatch(partitionText, @"^[A-Za-z0-9_.,-]+$"))
                throw new InputDataException($"--partition {partitionText}: a partition name is letters, digits, '_', '-', '.' (or a comma-separated list).");
            var outDir = parse.GetValue(output)!;
            var def = StudyFile.Load(parse.GetValue(file)!);
            var plan = StudyPlan.Create(def);
            PlanInputs(def, new PathPlan()).OutputFolder("--out", outDir).Check();
            if (n > plan.Units) throw new InputDataException($"--shards {n}: the study has only {plan.Units} work units; give at most {plan.Units} shards.");
            var (array, merge) = SlurmScripts(def, outDir, n, partitionText, timeText, c, parse.GetValue(sightline) ?? DefaultSightline());
            var slurmDir = Path.Combine(Path.GetFullPath(outDir), "slurm");
            Directory.CreateDirectory(Path.Combine(slurmDir, "logs"));
            var arrayPath = Path.Combine(slurmDir, "study.sbatch");
            var mergePath = Path.Combine(slurmDir, "merge.sbatch");
            AtomicFile.WriteAllText(arrayPath, array);
            AtomicFile.WriteAllText(mergePath, merge);
            var submitPath = Path.Combine(slurmDir, "submit.sh");
            AtomicFile.WriteAllText(submitPath, "#!/bin/bash\n# Submits the shard array, then the merge job to run once every shard has succeeded.\nset -euo pipefail\n" +
                $"array=$(sbatch --parsable {ShellQuote(arrayPath)})\narray=${{array%%;*}}\n" +
                $"merge=$(sbatch --parsable --dependency=afterok:$array {ShellQuote(mergePath)})\necho \"array job $array, merge job ${{merge%%;*}}\"\n");
            if (!OperatingSystem.IsWindows())
                foreach (var p in new[] { arrayPath, mergePath, submitPath })
                    File.SetUnixFileMode(p, File.GetUnixFileMode(p) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute);
            context.Out.WriteLine($"Wrote {arrayPath} ({n} array tasks over {plan.Units} units), {mergePath} and {submitPath}.");
            if (!parse.GetValue(submit))
            {
                context.Out.WriteLine($"Submit with: {submitPath}   (or sightline study slurm ... --submit)");
                return ExitCodes.Ok;
            }
            var arrayJob = Sbatch(["--parsable", arrayPath]);
            var mergeJob = Sbatch(["--parsable", $"--dependency=afterok:{arrayJob}", mergePath]);
            context.Out.WriteLine($"Submitted array job {arrayJob} ({n} tasks) and merge job {mergeJob} (after the array succeeds); logs in {Path.Combine(slurmDir, "logs")}.");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Runs sbatch and returns the job id it prints (--parsable: ID or ID;CLUSTER).</summary>
    private static string Sbatch(IReadOnlyList<string> args)
    {
        var start = new ProcessStartInfo("sbatch") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        Process p;
        try { p = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception) { throw new InputDataException("--submit: sbatch is not on PATH; run this on a Slurm login node, or submit DIR/slurm/submit.sh there."); }
        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InputDataException($"--submit: sbatch {string.Join(' ', args)} failed (exit {p.ExitCode}): {stderr.Result.Trim().ReplaceLineEndings(" ")}");
            return stdout.Result.Trim().Split(';')[0];
        }
    }

    private static Command BuildReport(CliContext context)
    {
        var dir = new Argument<string>("dir") { Description = "A merged study folder ('study merge DIR' done).", HelpName = "DIR" };
        var output = new Option<string>("--out") { Description = "The HTML file to write: self-contained (inline styles, SVG charts, embedded PNGs, one inline script that sorts the tables).", Required = true, HelpName = "report.html" };
        var title = new Option<string?>("--title") { Description = "Report title. Default: 'Sightline study: <study name>'.", HelpName = "T" };
        var examples = new Option<int>("--examples") { Description = "Samples shown with their saved explanation overlays (run.examples in the study file saves them).", DefaultValueFactory = _ => 8, HelpName = "N" };
        var command = new Command("report", "Build one self-contained HTML report of a merged study: sortable model × metric table, accuracy vs alignment, feature ranking, SemScore levels, model comparisons, examples.") { dir, output, title, examples };
        command.SetAction(parse =>
        {
            var outPath = parse.GetValue(output)!;
            if (!outPath.EndsWith(".html", StringComparison.OrdinalIgnoreCase) && !outPath.EndsWith(".htm", StringComparison.OrdinalIgnoreCase))
                throw new InputDataException($"--out {outPath}: the report is one HTML file; give a .html file name.");
            int n = parse.GetValue(examples);
            if (n < 0) throw new InputDataException("--examples must be ≥ 0.");
            var d = parse.GetValue(dir)!;
            new PathPlan().Input("DIR", d).Output("--out", outPath).Check();
            var clock = Stopwatch.StartNew();
            Sightline.Reports.StudyReport.Write(d, outPath, parse.GetValue(title), n);
            context.Out.WriteLine($"Study report in {clock.Elapsed.TotalSeconds:0.00} s → {outPath}");
            return ExitCodes.Ok;
        });
        return command;
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
            {
                context.Out.WriteLine($"Study '{def.Name}'{shardText} computed {result.Computed} of {result.ShardUnits} units ({result.Rows} rows) in {clock.Elapsed.TotalSeconds:0.0} s{resumed} → {outDir}");
                context.Out.WriteLine("Stages (wall s): " + string.Join(", ", new[] { "open", "predict", "explain", "score", "write" }
                    .Where(result.Stages.ContainsKey).Select(k => $"{k} {result.Stages[k].ToString("0.00", CultureInfo.InvariantCulture)}")));
            }
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
