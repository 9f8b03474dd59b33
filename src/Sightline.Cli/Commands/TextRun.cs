using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Sightline.Text.Calls;
using Sightline.Text.IO;

namespace Sightline.Cli.Commands;

/// <summary>
/// What every <c>sightline text</c> command shares about its run: the content signature of its inputs and settings and
/// the run record beside its output (<see cref="TextRunRecord"/>: the same finished run is not recomputed, another run's
/// output is not replaced without <c>--force</c>), and Ctrl-C (SIGINT/SIGTERM) handling: the run stops at once, writes
/// nothing, keeps every model reply already stored in <c>--cache</c> and says how to resume.
/// </summary>
internal static class TextRun
{
    /// <summary>Options that change how a run proceeds but not what it computes: left out of the signature.</summary>
    private static readonly HashSet<string> NoEffect = new(StringComparer.Ordinal)
    {
        "--concurrency", "--rate-limit", "--max-retries", "--cache", "--force", "--out", "--llm-key-env",
    };

    /// <summary>The exit code of a run stopped by Ctrl-C (128 + SIGINT), as the rest of the CLI.</summary>
    public const int CancelledExit = 130;

    /// <summary><c>--force</c> of a text command.</summary>
    public static Option<bool> Force() => new("--force")
    {
        Description = "Recompute and replace --out even when it already holds this run, another run (other inputs or settings) or a file no text command wrote (the last two are refused without it).",
    };

    /// <summary>
    /// The run's signature: the command, the value of every option of the command that affects the result (given or
    /// default) and the content hash of every input file in <paramref name="files"/>.
    /// </summary>
    public static string Signature(ParseResult parse, string command, IEnumerable<(string Role, string? Path)> files)
    {
        var settings = new List<(string, string?)>();
        foreach (var o in parse.CommandResult.Command.Options)
        {
            if (NoEffect.Contains(o.Name) || o.Name.StartsWith("-h", StringComparison.Ordinal) || o.Name == "--help") continue;
            settings.Add((o.Name, Format(parse.GetValue<object?>(o.Name))));
        }
        return TextRunRecord.Signature(command, settings, files);
    }

    /// <summary>
    /// Every option of the command as given or defaulted (name → value as text, null when unset; --help and --force left
    /// out), kept in the run record for <c>sightline report</c>.
    /// </summary>
    public static List<(string Name, string? Value)> Settings(ParseResult parse)
    {
        var settings = new List<(string, string?)>();
        foreach (var o in parse.CommandResult.Command.Options)
        {
            if (o.Name is "--force" or "--help" || o.Name.StartsWith("-h", StringComparison.Ordinal) || o.Name.StartsWith("-?", StringComparison.Ordinal)) continue;
            var v = parse.GetValue<object?>(o.Name);
            settings.Add((o.Name, v is string s ? s : Format(v)));
        }
        return settings;
    }

    private static string? Format(object? v) => v switch
    {
        null => null,
        string s => "\"" + s + "\"",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        System.Collections.IEnumerable e => "[" + string.Join(",", e.Cast<object?>().Select(Format)) + "]",
        _ => v.ToString(),
    };

    /// <summary>
    /// Checks <paramref name="outputs"/> against the run record and takes the output lock (see
    /// <see cref="TextRunRecord.Begin"/>); <c>--force</c> and the settings kept in the record come from <paramref name="parse"/>.
    /// </summary>
    public static TextRunRecord Begin(ParseResult parse, string option, string command, string signature, IReadOnlyList<string> outputs) =>
        TextRunRecord.Begin(option, command, signature, outputs, parse.GetValue<bool>("--force"), Settings(parse));

    /// <summary>"Already complete: …" for a finished run of the same signature; returns its recorded exit code.</summary>
    public static int AlreadyComplete(CliContext context, string output, TextRunRecord.Stored stored)
    {
        context.Out.WriteLine($"Already complete: {output} holds this run (same inputs and settings){(stored.Summary is { } s ? ": " + s : "")} (--force recomputes).");
        return stored.Exit;
    }

    /// <summary>The one line printed when Ctrl-C stopped a run; returns <see cref="CancelledExit"/>.</summary>
    public static int Cancelled(CliContext context, CachedCaller? caller)
    {
        var kept = caller is null ? "" : caller.Cache is SqliteCallCache sq
            ? $"; the {caller.Calls} model replies of this run are kept in {sq.Location}: rerun the same command to resume"
            : "; nothing was kept (give --cache DIR to make a run resumable)";
        context.Error.WriteLine($"sightline: cancelled, no output written{kept}.");
        return CancelledExit;
    }

    /// <summary>
    /// Ctrl-C (SIGINT) and SIGTERM while a text command runs: the first signal cancels <see cref="Token"/> (in-flight
    /// requests are abandoned, the run stops at its next step) instead of killing the process; a second one is left to
    /// the default handler. Dispose at the end of the command.
    /// </summary>
    public sealed class Interrupt : IDisposable
    {
        private readonly CancellationTokenSource _cts = new();
        private readonly List<PosixSignalRegistration> _registrations = [];

        /// <summary>Registers the handlers.</summary>
        public Interrupt()
        {
            foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
            {
                try { _registrations.Add(PosixSignalRegistration.Create(signal, Handle)); }
                catch (PlatformNotSupportedException) { }
            }
        }

        /// <summary>Cancelled by the first signal.</summary>
        public CancellationToken Token => _cts.Token;

        /// <summary>Whether a signal arrived.</summary>
        public bool Requested => _cts.IsCancellationRequested;

        private void Handle(PosixSignalContext context)
        {
            if (_cts.IsCancellationRequested) return; // a second Ctrl-C ends the process the default way
            context.Cancel = true;
            _cts.Cancel();
        }

        /// <inheritdoc/>
        public void Dispose()
        {
            foreach (var r in _registrations) r.Dispose();
            _cts.Dispose();
        }
    }
}
