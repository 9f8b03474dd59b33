using System.CommandLine;
using System.CommandLine.Parsing;
using Sightline.Cli.Commands;

namespace Sightline.Cli;

/// <summary>What a command may touch: the console streams and whether stderr is an interactive terminal.</summary>
/// <param name="Out">Standard output (tables, results).</param>
/// <param name="Error">Standard error (errors, progress).</param>
/// <param name="Interactive">True when progress may be drawn (a terminal, not redirected).</param>
public sealed record CliContext(TextWriter Out, TextWriter Error, bool Interactive);

/// <summary>Exit codes of the <c>sightline</c> command.</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;
    /// <summary>The run finished but some samples failed, or a check failed.</summary>
    public const int Failed = 1;
    /// <summary>Usage, input or I/O error.</summary>
    public const int Usage = 2;
    /// <summary>Internal defect: one line on stderr, the details in a crash file.</summary>
    public const int Internal = 3;
}

/// <summary>Entry point shared by <c>Main</c> and the CLI tests (console passed in).</summary>
public static class CliApp
{
    // Every subcommand by name, in the order `sightline --help` lists them; a group (neurons, text) also takes the name of
    // the child the command line gives next, to build only that child (see AddChildren).
    private static readonly Subcommand[] Subcommands =
    [
        new("align", (c, _) => AlignCommand.Build(c)), new("explain", (c, _) => ExplainCommand.Build(c)), new("evaluate", (c, _) => EvaluateCommand.Build(c)),
        new("qge-check", (c, _) => QgeCheckCommand.Build(c)), new("evaluate-sanity", (c, _) => EvaluateSanityCommand.Build(c)), new("demo", (c, _) => DemoCommand.Build(c)),
        new("neurons", NeuronsCommand.Build), new("report", (c, _) => ReportCommand.Build(c)), new("study", (c, _) => StudyCommand.Build(c)), new("text", TextCommand.Build),
    ];

    // Classes rather than value tuples for these tables: a generic instantiation over a value tuple (a list, a LINQ
    // operator, Array.Exists) has no precompiled code and is jitted at start-up, a fraction of a millisecond per method.
    private sealed record Subcommand(string Name, Func<CliContext, string?, Command> Build);

    /// <summary>A child command of a group: its name and how to build it.</summary>
    internal sealed record Child(string Name, Func<Command> Build);

    /// <summary>Builds the command tree.</summary>
    public static Command BuildRoot(CliContext context) => BuildRoot(context, null);

    /// <summary>
    /// Builds the command tree, with only the subcommand <paramref name="only"/> when it is given: a command line that
    /// names its subcommand first parses and runs the same with the others left out, and building them all costs about
    /// 25 ms of start-up (their options, descriptions and catalogues), a tenth of a short run.
    /// </summary>
    internal static Command BuildRoot(CliContext context, string? only) => BuildRoot(context, only, null);

    /// <summary>
    /// <see cref="BuildRoot(CliContext, string?)"/>, and within the group <paramref name="only"/> (neurons, text) only its
    /// child <paramref name="onlyChild"/> when that names one: <c>neurons score</c> builds neither sanity, extract nor concepts.
    /// </summary>
    internal static Command BuildRoot(CliContext context, string? only, string? onlyChild)
    {
        // A named root (not RootCommand, which takes the host's executable name) so help reads 'sightline' everywhere.
        var root = new Command("sightline", "Sightline: measure whether machine-learning models are right for the right reasons.")
        {
            new System.CommandLine.Help.HelpOption(),
            new VersionOption(),
        };
        // A name that is no subcommand (the lone --version's) builds none.
        var children = new Child[Subcommands.Length];
        for (int i = 0; i < children.Length; i++)
        {
            var s = Subcommands[i];
            children[i] = new Child(s.Name, () => s.Build(context, only is null ? null : onlyChild));
        }
        AddChildren(root, only, children, allForOtherNames: false);
        return root;
    }

    /// <summary>
    /// Adds <paramref name="children"/> to <paramref name="parent"/> in order, or only the one named <paramref name="only"/>
    /// when it is one of them. Any other word (help, a typo) gets them all when <paramref name="allForOtherNames"/> (so help
    /// lists every child and a typo gets the parser's usual error), none otherwise. Each child must build a command of its
    /// table name.
    /// </summary>
    internal static void AddChildren(Command parent, string? only, Child[] children, bool allForOtherNames = true)
    {
        bool named = false;
        foreach (var c in children) named |= c.Name == only;
        bool all = only is null || (allForOtherNames && !named);
        foreach (var c in children)
            if (all || only == c.Name)
            {
                var command = c.Build();
                if (command.Name != c.Name) throw new InvalidOperationException($"Subcommand '{c.Name}' builds a command named '{command.Name}'.");
                parent.Add(command);
            }
    }

    /// <summary>The word after a named subcommand: the child of a group (neurons, text) a command line names, if it names one.</summary>
    internal static string? NamedChild(string[] args) => args.Length > 1 && NamedSubcommand(args) is not null ? args[1] : null;

    /// <summary>The subcommand a command line names first, when it is one; null for anything else (root options, help, typos).</summary>
    /// <remarks>A lone <c>--version</c> needs no subcommand at all: it gets a name no subcommand has, so none is built.</remarks>
    internal static string? NamedSubcommand(string[] args) =>
        args is ["--version"] ? "--version"
        : args.Length > 0 && IsSubcommand(args[0]) ? args[0] : null;

    private static bool IsSubcommand(string name)
    {
        foreach (var s in Subcommands) if (s.Name == name) return true;
        return false;
    }

    /// <summary>Runs the command line and returns the exit code.</summary>
    public static int Run(string[] args, CliContext context)
    {
        using var prefetch = ScoreInputPrefetch.Start(args);
        return BuildAndRun(args, context);
    }

    private static int BuildAndRun(string[] args, CliContext context) => Run(BuildRoot(context, NamedSubcommand(args), NamedChild(args)), args, context);

    /// <summary>Runs <paramref name="root"/> on the command line with the error contract: 0/1 from the command, 2 for usage, input and I/O errors, 3 for defects.</summary>
    internal static int Run(Command root, string[] args, CliContext context)
    {
        ParseResult parse;
        try
        {
            // Parsing reads response files (@FILE): a folder or an unreadable file given there is an I/O error too.
            parse = root.Parse(args);
        }
        catch (Exception ex) when (InputErrorMessage(ex) is { } message)
        {
            context.Error.WriteLine($"sightline: error: {OneLine(message)}");
            return ExitCodes.Usage;
        }
        if (parse.Errors.Count > 0)
        {
            // One line, as for every other usage error: all the parser's complaints, then where the usage is.
            var command = parse.CommandResult.Command;
            var help = command == root ? "sightline --help" : $"sightline {string.Join(' ', CommandPath(command, root))} --help";
            context.Error.WriteLine($"sightline: error: {string.Join("; ", parse.Errors.Select(e => OneLine(e.Message).TrimEnd('.')))}; run '{help}' for usage.");
            return ExitCodes.Usage;
        }
        if (EmptyValue(parse.CommandResult) is { } empty)
        {
            context.Error.WriteLine($"sightline: error: {empty} is empty (an unset shell variable?); give it a value (a file, a folder, a name or a number){(empty.StartsWith('-') ? " or leave the option out" : "")}.");
            return ExitCodes.Usage;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { Output = context.Out, Error = context.Error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception ex) when (IsCancellation(ex))
        {
            context.Error.WriteLine("sightline: cancelled.");
            return 130;
        }
        catch (Exception ex) when (InputErrorMessage(ex) is { } message)
        {
            context.Error.WriteLine($"sightline: error: {OneLine(message)}{Resume(ex)}");
            return ExitCodes.Usage;
        }
        catch (Exception ex)
        {
            var crash = CrashReport.Write(ex, args);
            context.Error.WriteLine($"sightline: internal error ({ex.GetType().Name}: {OneLine(ex.Message)}); this is a defect in Sightline, please report it with {crash}{Resume(ex)}");
            return ExitCodes.Internal;
        }
    }

    /// <summary>
    /// The first option or argument given an empty (or blank) value, e.g. <c>--out ''</c> from an unset shell variable, or
    /// null. No option of any command means anything by an empty value: a path option would otherwise fail deep inside
    /// the run (the framework's paths refuse empty strings), a name or list option would silently mean its default.
    /// </summary>
    private static string? EmptyValue(CommandResult command)
    {
        foreach (var child in command.Children)
        {
            if (!child.Tokens.Any(t => string.IsNullOrWhiteSpace(t.Value))) continue;
            return child switch
            {
                OptionResult o => o.Option.Name,
                ArgumentResult a => a.Argument.Name,
                _ => "an option",
            };
        }
        return null;
    }

    private static IEnumerable<string> CommandPath(Command command, Command root)
    {
        var names = new List<string>();
        for (Symbol? s = command; s is Command c && c != root; s = c.Parents.FirstOrDefault()) names.Add(c.Name);
        names.Reverse();
        return names;
    }

    private static bool IsCancellation(Exception ex) =>
        ex is OperationCanceledException || (ex is AggregateException a && a.Flatten().InnerExceptions.All(e => e is OperationCanceledException));

    private static string Resume(Exception ex) =>
        ex.Data[Sightline.Results.ResumableStack.ResumeHintKey] is string hint ? $" ({hint})" : "";

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();

    /// <summary>Runs with the process console.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) =>
        Run(args, new CliContext(stdout, stderr, !Console.IsErrorRedirected));

    /// <summary>
    /// The process's entry: <see cref="Run(string[], TextWriter, TextWriter)"/> on the standard streams
    /// (<see cref="StandardStreams"/>), with the input prefetch (<see cref="ScoreInputPrefetch"/>) started first, so that
    /// the reading begins on the other core before anything else is set up.
    /// </summary>
    internal static int RunOnConsole(string[] args)
    {
        using var prefetch = ScoreInputPrefetch.Start(args);
        var (stdout, stderr) = StandardStreams.Open();
        return BuildAndRun(args, new CliContext(stdout, stderr, !Console.IsErrorRedirected));
    }

    /// <summary>
    /// The one-line message for an input, usage or I/O error (exit code 2), or null when <paramref name="ex"/> is a
    /// defect (exit code 3). Input errors are the project's <see cref="InputDataException"/> and the I/O failures of the
    /// file system (missing, unreadable or unwritable files, a full disk) and of memory (an input too large to hold).
    /// <see cref="KeyNotFoundException"/>, <see cref="FormatException"/> and the like are defects: code that rejects a
    /// name or a value the user gave throws <see cref="InputDataException"/> with a message naming the option. An
    /// <see cref="AggregateException"/> (from parallel loading) counts when every exception in it, flattened, is an input
    /// error: the first is reported, with the number of others.
    /// </summary>
    internal static string? InputErrorMessage(Exception ex)
    {
        if (ex is AggregateException a)
        {
            var inner = a.Flatten().InnerExceptions;
            if (inner.Count == 0 || !inner.All(IsInputError)) return null;
            return inner.Count == 1 ? Message(inner[0]) : $"{Message(inner[0])} (and {inner.Count - 1} more input error{(inner.Count == 2 ? "" : "s")})";
        }
        return IsInputError(ex) ? Message(ex) : null;
    }

    private static bool IsInputError(Exception ex) =>
        ex is InputDataException or IOException or UnauthorizedAccessException or OutOfMemoryException;

    private static string Message(Exception ex) => ex switch
    {
        OutOfMemoryException => "not enough memory for this run; use smaller inputs or smaller counts and sizes in the options (see the command's --help), or a machine with more memory.",
        InputDataException => ex.Message,
        _ => ex.Message.TrimEnd('.') + "; check the path, its permissions and free space.",
    };
}

/// <summary>Writes the details of an internal defect to a crash file and returns its path.</summary>
internal static class CrashReport
{
    /// <summary>
    /// Writes the exception (type, message, stack trace, inner exceptions), the command line, the version and the time
    /// to <c>sightline-crash-TIME-PID.txt</c> in <c>$SIGHTLINE_CRASH_DIR</c> (default: the system's temporary folder).
    /// </summary>
    public static string Write(Exception ex, string[] args)
    {
        var dir = Environment.GetEnvironmentVariable("SIGHTLINE_CRASH_DIR") is { Length: > 0 } d ? d : Path.GetTempPath();
        var path = Path.Combine(dir, $"sightline-crash-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}.txt");
        try
        {
            Directory.CreateDirectory(dir);
            var text = $"sightline {typeof(CrashReport).Assembly.GetName().Version}\n" +
                       $"time: {DateTime.UtcNow:O}\n" +
                       $"command: sightline {string.Join(' ', args.Select(a => a.Contains(' ') ? $"'{a}'" : a))}\n" +
                       $"runtime: {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription} on {System.Runtime.InteropServices.RuntimeInformation.OSDescription}\n\n" +
                       ex + "\n";
            File.WriteAllText(path, text);
            return path;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"(no crash file: {dir} is not writable)";
        }
    }
}
