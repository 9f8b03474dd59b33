using System.CommandLine;
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
    /// <summary>Usage or input error.</summary>
    public const int Usage = 2;
}

/// <summary>Entry point shared by <c>Main</c> and the CLI tests (console passed in).</summary>
public static class CliApp
{
    /// <summary>Builds the command tree.</summary>
    public static Command BuildRoot(CliContext context)
    {
        // A named root (not RootCommand, which takes the host's executable name) so help reads 'sightline' everywhere.
        var root = new Command("sightline", "Sightline: measure whether machine-learning models are right for the right reasons.")
        {
            new System.CommandLine.Help.HelpOption(),
            new VersionOption(),
        };
        root.Add(AlignCommand.Build(context));
        root.Add(ExplainCommand.Build(context));
        root.Add(DemoCommand.Build(context));
        root.Add(NeuronsCommand.Build(context));
        root.Add(ReportCommand.Build(context));
        return root;
    }

    /// <summary>Runs the command line and returns the exit code.</summary>
    public static int Run(string[] args, CliContext context)
    {
        var root = BuildRoot(context);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) context.Error.WriteLine($"sightline: {e.Message}");
            context.Error.WriteLine("Run 'sightline --help' (or 'sightline <command> --help') for usage.");
            return ExitCodes.Usage;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { Output = context.Out, Error = context.Error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception ex) when (InputErrorMessage(ex) is { } message)
        {
            context.Error.WriteLine($"sightline: error: {message}");
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException)
        {
            context.Error.WriteLine("sightline: cancelled.");
            return 130;
        }
    }

    /// <summary>Runs with the process console.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) =>
        Run(args, new CliContext(stdout, stderr, !Console.IsErrorRedirected));

    /// <summary>
    /// The one-line message for an input error, or null when <paramref name="ex"/> is not one. An
    /// <see cref="AggregateException"/> (from parallel loading) counts when every exception in it, flattened, is an input
    /// error: the first is reported, with the number of others.
    /// </summary>
    internal static string? InputErrorMessage(Exception ex)
    {
        if (ex is AggregateException a)
        {
            var inner = a.Flatten().InnerExceptions;
            if (inner.Count == 0 || !inner.All(IsInputError)) return null;
            return inner.Count == 1 ? inner[0].Message : $"{inner[0].Message} (and {inner.Count - 1} more input error{(inner.Count == 2 ? "" : "s")})";
        }
        return IsInputError(ex) ? ex.Message : null;
    }

    private static bool IsInputError(Exception ex) =>
        ex is InputDataException or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or FormatException or KeyNotFoundException;
}
