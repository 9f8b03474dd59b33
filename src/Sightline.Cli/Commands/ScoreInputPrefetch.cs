namespace Sightline.Cli.Commands;

/// <summary>
/// Starts reading the inputs of <c>neurons score</c> while the command tree is still being built and parsed. A whole
/// <c>neurons score</c> on 20,000 × 400 float32 inputs takes about 0.1 s, of which building and parsing the command
/// (about 12 ms, one core) and mapping and checking the inputs (about 20 ms) came one after the other: started from the
/// raw command line, the reading overlaps the first on the idle core. Nothing is written and nothing is decided here:
/// the command takes the prefetched result only for exactly the paths it parsed itself (<see cref="Take"/>), and the
/// result is the same <see cref="NeuronsCommand.LoadProbe"/> call, so its errors surface at the same point of the run as
/// without the prefetch (after the options' errors). Anything unusual (a response file, <c>--opt=value</c>, a path that is
/// not a regular file, such as a pipe that would block) simply gets no prefetch.
/// </summary>
internal sealed class ScoreInputPrefetch : IDisposable
{
    private static readonly AsyncLocal<ScoreInputPrefetch?> _current = new();
    private readonly string _activations, _concepts;
    private readonly NeuronsCommand.ProbeMappings _mappings = new();
    private readonly Task<NeuronsCommand.LoadedProbe> _loading;
    private int _taken;

    private ScoreInputPrefetch(string activations, string concepts)
    {
        _activations = activations;
        _concepts = concepts;
        _loading = Task.Run(() => new NeuronsCommand.LoadedProbe(NeuronsCommand.LoadProbe(activations, concepts, _mappings, out var header), header));
    }

    /// <summary>Starts the prefetch when <paramref name="args"/> is a plain <c>neurons score</c> command line with both inputs
    /// given as regular files; null otherwise. Dispose it when the command line has run.</summary>
    public static ScoreInputPrefetch? Start(string[] args)
    {
        if (args.Length < 6 || args[0] != "neurons" || args[1] != "score") return null;
        string? a = null, c = null;
        for (int i = 2; i < args.Length; i++)
        {
            if (args[i].StartsWith('@') || args[i] == "--") return null; // response files and the end of options: let the parser decide
            if (i + 1 >= args.Length) continue;
            if (args[i] == "--activations") { if (a is not null) return null; a = args[++i]; }
            else if (args[i] == "--concepts") { if (c is not null) return null; c = args[++i]; }
        }
        if (a is null || c is null || !IsRegularFile(a) || !IsRegularFile(c)) return null;
        var prefetch = new ScoreInputPrefetch(a, c);
        _current.Value = prefetch;
        return prefetch;
    }

    // A regular file (a symbolic link is followed to its final target) with room for an NPY header or a CSV row: never a
    // folder, a pipe or a device (whose reads may block; they have no length).
    private static bool IsRegularFile(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (info.LinkTarget is not null)
            {
                if (File.ResolveLinkTarget(path, returnFinalTarget: true) is not FileInfo target) return false;
                info = target;
            }
            return info.Exists && info.Length >= 16
                && (info.Attributes & (FileAttributes.Directory | FileAttributes.Device | FileAttributes.ReparsePoint)) == 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return false;
        }
    }

    /// <summary>The prefetched load of exactly these two paths, with the mappings it holds (the caller disposes them), or null.</summary>
    public static Prefetched? Take(string activations, string concepts)
    {
        var p = _current.Value;
        if (p is null || p._activations != activations || p._concepts != concepts || Interlocked.Exchange(ref p._taken, 1) != 0) return null;
        return new Prefetched(p._mappings, p._loading);
    }

    /// <summary>A taken prefetch: the mappings its read holds and the read itself.</summary>
    /// <remarks>Classes rather than tuples here and in <see cref="NeuronsCommand.LoadedProbe"/>: a generic instantiation over a
    /// value tuple has no precompiled code and is jitted at start-up, a fraction of a millisecond per method.</remarks>
    internal sealed record Prefetched(NeuronsCommand.ProbeMappings Mappings, Task<NeuronsCommand.LoadedProbe> Loading);

    /// <summary>Releases an untaken prefetch: its mappings once its read has ended (a read that never ends is left to the process's end).</summary>
    public void Dispose()
    {
        if (_current.Value == this) _current.Value = null;
        if (Interlocked.Exchange(ref _taken, 1) != 0) return;
        _loading.ContinueWith(_ => _mappings.Dispose(), TaskScheduler.Default);
    }
}
