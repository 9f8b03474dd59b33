using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Sightline.IO;

namespace Sightline.Text.IO;

/// <summary>
/// The run record of a <c>sightline text</c> output, <c>OUT.sightline.json</c> (the name the other Sightline commands
/// use): the command, the content signature of its inputs and settings, whether the run finished, its exit code and its
/// summary line. A text command writes its outputs once, at the end (each atomically), so a file never holds a mixture
/// of runs; the record makes a re-run safe: the same signature on a finished run is reported as complete without any
/// model call, an unfinished one is recomputed (its model calls replayed from <c>--cache</c>), and an output that
/// holds another run, or that no text command wrote, is refused unless forced. Open one with <see cref="Begin"/>; it
/// holds the output's <see cref="OutputLock"/> until disposed.
/// </summary>
public sealed class TextRunRecord : IDisposable
{
    private readonly OutputLock _lock;
    private readonly string _recordPath;
    private readonly string _command;
    private readonly string _signature;
    private readonly IReadOnlyList<string> _outputs;
    private readonly IReadOnlyList<(string Name, string? Value)> _settings;

    private TextRunRecord(OutputLock held, string recordPath, string command, string signature, IReadOnlyList<string> outputs, Stored? complete,
        IReadOnlyList<(string Name, string? Value)> settings)
    {
        _settings = settings;
        _lock = held;
        _recordPath = recordPath;
        _command = command;
        _signature = signature;
        _outputs = outputs;
        Complete = complete;
    }

    /// <summary>What a finished run left in its record.</summary>
    /// <param name="Command">The command ("text explain", …).</param>
    /// <param name="Signature">The content signature of its inputs and settings.</param>
    /// <param name="Finished">Whether the outputs were all written.</param>
    /// <param name="Exit">Its exit code (0, or 1 when some prompts have no result).</param>
    /// <param name="Summary">Its summary line.</param>
    /// <param name="Settings">The run's settings as given or defaulted (option name → value, null when unset), in
    /// command order, for readers such as <c>sightline report</c>; empty in records written before they were kept.</param>
    public sealed record Stored(string Command, string Signature, bool Finished, int Exit, string? Summary, IReadOnlyList<KeyValuePair<string, string?>>? Settings = null);

    /// <summary>The finished run of the same signature, when the outputs already hold it (nothing to compute); else null.</summary>
    public Stored? Complete { get; }

    /// <summary>The record path of <paramref name="output"/>.</summary>
    public static string PathFor(string output) => output + ".sightline.json";

    /// <summary>
    /// The signature of a run: SHA-256 of the command, every setting (name = value, in the given order) and the content
    /// hash (<see cref="ContentHash"/>) of every input file (a missing or absent one counts as "-").
    /// </summary>
    public static string Signature(string command, IEnumerable<(string Name, string? Value)> settings, IEnumerable<(string Role, string? Path)> files)
    {
        var parts = new List<string> { "sightline-text-run/1", command };
        parts.AddRange(settings.Select(s => $"{s.Name}={s.Value ?? "(default)"}"));
        parts.AddRange(files.Select(f => $"file {f.Role}={(f.Path is { } p && File.Exists(p) ? ContentHash.OfFile(p) : "-")}"));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(parts))));
    }

    /// <summary>
    /// Takes the lock of <paramref name="outputs"/>[0] and checks what is there: the same finished run (then
    /// <see cref="Complete"/> is set: nothing to do), nothing, or an unfinished run of the same signature (then the caller
    /// computes and calls <see cref="Commit"/>). Nothing is written here. Another run's outputs, or outputs without a record, are refused
    /// with an <see cref="InputDataException"/> naming <paramref name="option"/>, unless <paramref name="force"/>.
    /// </summary>
    /// <param name="option">The option naming the output, for messages (e.g. <c>--out</c>).</param>
    /// <param name="command">The command ("text explain").</param>
    /// <param name="signature">The run's <see cref="Signature"/>.</param>
    /// <param name="outputs">Every file the run writes, the main one first (its path names the record and the lock).</param>
    /// <param name="force">Recompute and replace whatever the outputs hold.</param>
    /// <param name="settings">The settings to keep in the finished record (shown by <c>sightline report</c>; not part of the check).</param>
    public static TextRunRecord Begin(string option, string command, string signature, IReadOnlyList<string> outputs, bool force,
        IReadOnlyList<(string Name, string? Value)>? settings = null)
    {
        settings ??= [];
        var main = outputs[0];
        AtomicFile.EnsureFolder(main);
        var held = OutputLock.Acquire(main);
        try
        {
            var recordPath = PathFor(main);
            var stored = Read(recordPath);
            var existing = outputs.Where(File.Exists).ToList();
            if (!force && stored is { Finished: true } s && s.Signature == signature && s.Command == command && existing.Count == outputs.Count)
                return new TextRunRecord(held, recordPath, command, signature, outputs, s, settings);
            if (!force && existing.Count > 0 && (stored is null || stored.Signature != signature || stored.Command != command))
            {
                var what = stored is null
                    ? $"{(existing.Count == 1 ? "was" : "were")} not written by '{command}' (no run record {recordPath})"
                    : stored.Command != command
                        ? $"{(existing.Count == 1 ? "holds" : "hold")} the output of '{stored.Command}'"
                        : $"{(existing.Count == 1 ? "holds" : "hold")} a run with other inputs or settings";
                throw new InputDataException($"{option} {main}: {(existing.Count == 1 && existing[0] == main ? "the file" : string.Join(" and ", existing))} {what}; give --force to replace {(existing.Count == 1 ? "it" : "them")}, or choose another {option}.");
            }
            return new TextRunRecord(held, recordPath, command, signature, outputs, null, settings);
        }
        catch
        {
            held.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes the outputs and records the run: first a pending record of this signature (so outputs left by a kill
    /// during <paramref name="writeOutputs"/> are recognised as this run's, and recomputed), then the outputs (each
    /// atomically), then the finished record with <paramref name="exit"/> and <paramref name="summary"/>.
    /// </summary>
    public void Commit(Action writeOutputs, int exit, string summary)
    {
        Save(_recordPath, new Stored(_command, _signature, Finished: false, Exit: 0, Summary: null));
        writeOutputs();
        foreach (var o in _outputs)
            if (!File.Exists(o)) throw new InvalidOperationException($"{o} was not written; the run cannot be recorded as finished.");
        Save(_recordPath, new Stored(_command, _signature, Finished: true, exit, summary, [.. _settings.Select(x => KeyValuePair.Create(x.Name, x.Value))]));
    }

    private static void Save(string path, Stored s) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(new
        {
            command = s.Command,
            signature = s.Signature,
            finished = s.Finished,
            exit = s.Exit,
            summary = s.Summary,
            settings = (s.Settings ?? []).ToDictionary(x => x.Key, x => x.Value),
        }, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");

    /// <summary>The record at <paramref name="path"/>, or null when there is none or it cannot be read (treated as none).</summary>
    public static Stored? Read(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var r = doc.RootElement;
            return new Stored(r.GetProperty("command").GetString()!, r.GetProperty("signature").GetString()!, r.GetProperty("finished").GetBoolean(),
                r.GetProperty("exit").GetInt32(), r.TryGetProperty("summary", out var sm) && sm.ValueKind == JsonValueKind.String ? sm.GetString() : null,
                r.TryGetProperty("settings", out var st) && st.ValueKind == JsonValueKind.Object
                    ? [.. st.EnumerateObject().Select(p => KeyValuePair.Create(p.Name, p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.ValueKind == JsonValueKind.Null ? null : p.Value.GetRawText()))]
                    : null);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _lock.Dispose();
}
