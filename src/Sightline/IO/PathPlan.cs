using System.Runtime.InteropServices;

namespace Sightline.IO;

/// <summary>
/// The files a command reads and writes, checked before any work starts: every path is resolved to its canonical
/// form (absolute, <c>.</c>/<c>..</c> removed, every symbolic link followed, also in a folder above a file that does not
/// exist yet), and <see cref="Check"/> refuses, with one line naming both options, an output that would replace an
/// input (or, for an output folder, contain an input file) or two outputs that are the same file, and an output that
/// is a folder (or a folder output that is a file) or a device (<c>/dev</c>, <c>/proc</c>, <c>/sys</c>).
/// Hard links to one file under two names are not detected (.NET exposes no inode numbers).
/// </summary>
public sealed partial class PathPlan
{
    // A class, not a value tuple: a list of value tuples has no precompiled code and is jitted in every run (about 1 ms).
    private sealed record Entry(string Option, string Given, string Canonical, bool IsFolder);

    private readonly List<Entry> _inputs = [];
    private readonly List<Entry> _outputs = [];

    /// <summary>Adds an input file or folder read by the command (ignored when null).</summary>
    public PathPlan Input(string option, string? path)
    {
        if (!string.IsNullOrEmpty(path)) _inputs.Add(new Entry(option, path, Canonical(path), Directory.Exists(path)));
        return this;
    }

    /// <summary>Adds every file of a set the command reads (e.g. the files scanned from a folder) under one option name.</summary>
    public PathPlan Inputs(string option, IEnumerable<string> paths)
    {
        foreach (var p in paths) Input(option, p);
        return this;
    }

    /// <summary>Adds an output file (ignored when null).</summary>
    public PathPlan Output(string option, string? path)
    {
        if (!string.IsNullOrEmpty(path)) _outputs.Add(new Entry(option, path, Canonical(path), false));
        return this;
    }

    /// <summary>Adds an output folder: files are written into it, so it must not be an input folder or hold an input file.</summary>
    public PathPlan OutputFolder(string option, string? path)
    {
        if (!string.IsNullOrEmpty(path)) _outputs.Add(new Entry(option, path, Canonical(path), true));
        return this;
    }

    /// <summary>
    /// Throws an <see cref="InputDataException"/> naming both options when an output is an input (or an output folder
    /// is an input folder or contains an input file) or two outputs coincide.
    /// </summary>
    public void Check()
    {
        foreach (var o in _outputs)
        {
            if (!o.IsFolder && Directory.Exists(o.Canonical))
                throw new InputDataException($"{o.Option} {o.Given} is a folder; give a file name for the output.");
            if (o.IsFolder && File.Exists(o.Canonical))
                throw new InputDataException($"{o.Option} {o.Given} is a file; give a folder for this output.");
            for (var dir = Path.GetDirectoryName(o.Canonical); !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
            {
                if (File.Exists(dir))
                    throw new InputDataException($"{o.Option} {o.Given}: {dir} is a file, not a folder; choose another output path.");
                if (Directory.Exists(dir)) break;
            }
            if (IsSpecial(o.Canonical))
                throw new InputDataException($"{o.Option} {o.Given} is not a regular file ({o.Canonical}); outputs are written to a temporary file and renamed, so give a path in an ordinary folder.");
            foreach (var i in _inputs)
            {
                if (o.Canonical == i.Canonical)
                    throw new InputDataException(
                        $"{o.Option} {o.Given} would overwrite the input {i.Option} {i.Given}{Same(o, i)}: choose another output path.");
                if (o.IsFolder && File.Exists(i.Canonical) && IsInside(i.Canonical, o.Canonical))
                    throw new InputDataException(
                        $"{o.Option} {o.Given} is a folder that holds the input {i.Option} {i.Given}; its files could be overwritten: choose another output folder.");
                if (!o.IsFolder && i.IsFolder && IsInside(o.Canonical, i.Canonical) && File.Exists(o.Canonical))
                    throw new InputDataException(
                        $"{o.Option} {o.Given} would overwrite a file of the input folder {i.Option} {i.Given}: choose another output path.");
            }
        }
        for (int a = 0; a < _outputs.Count; a++)
        {
            for (int b = a + 1; b < _outputs.Count; b++)
            {
                var (x, y) = (_outputs[a], _outputs[b]);
                if (x.Canonical == y.Canonical || (x.IsFolder && IsInside(y.Canonical, x.Canonical)) || (y.IsFolder && IsInside(x.Canonical, y.Canonical)))
                    throw new InputDataException($"{x.Option} {x.Given} and {y.Option} {y.Given} name the same output{Same(x, y)}: give each output its own path.");
            }
        }
    }

    private static string Same(Entry a, Entry b) =>
        a.Given == b.Given ? "" : $" (both are {a.Canonical})";

    private static bool IsSpecial(string canonical) =>
        (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        && (canonical.StartsWith("/dev/", StringComparison.Ordinal) || canonical.StartsWith("/proc/", StringComparison.Ordinal) || canonical.StartsWith("/sys/", StringComparison.Ordinal));

    private static bool IsInside(string path, string folder) =>
        path.StartsWith(folder.EndsWith('/') ? folder : folder + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>
    /// The canonical form of <paramref name="path"/>: absolute, with every symbolic link followed. For a path that does
    /// not exist yet, its longest existing ancestor is resolved and the rest appended. An NPZ entry
    /// (<c>FILE.npz:NAME</c>) is resolved as its file.
    /// </summary>
    public static string Canonical(string path)
    {
        var full = Path.GetFullPath(StripNpzEntry(path));
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return full;
        var rest = new Stack<string>();
        var current = full;
        for (int guard = 0; guard < 4096; guard++)
        {
            if (RealPath(current) is { } resolved)
            {
                foreach (var part in rest) resolved = Path.Combine(resolved, part);
                return resolved;
            }
            var parent = Path.GetDirectoryName(current);
            if (string.IsNullOrEmpty(parent)) break;
            rest.Push(Path.GetFileName(current));
            current = parent;
        }
        return full;
    }

    private static string StripNpzEntry(string path)
    {
        int colon = path.LastIndexOf(':');
        if (colon > 0 && path.AsSpan(0, colon).EndsWith(".npz", StringComparison.OrdinalIgnoreCase) && !File.Exists(path)) return path[..colon];
        return path;
    }

    // Source-generated marshalling (LibraryImport): a DllImport with a string parameter had its marshalling stub jitted
    // in every run.
    [LibraryImport("libc", EntryPoint = "realpath", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr NativeRealPath(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void NativeFree(IntPtr p);

    private static string? RealPath(string path)
    {
        IntPtr p = NativeRealPath(path, IntPtr.Zero);
        if (p == IntPtr.Zero) return null;
        try
        {
            return Marshal.PtrToStringUTF8(p);
        }
        finally
        {
            NativeFree(p);
        }
    }
}
