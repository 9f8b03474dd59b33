using System.Text;

namespace Sightline.IO;

/// <summary>
/// The one way Sightline writes a finished file: the content goes to a temporary file in the destination folder
/// (<c>.NAME.PID.TID.tmp</c>), is flushed to disk, and only then renamed over the destination. A reader therefore sees the
/// complete old file or the complete new one, never a truncated mix, and a failed write (disk full, read-only folder,
/// a parent that is a file) leaves the previous result untouched and no temporary file behind.
/// </summary>
public static class AtomicFile
{
    /// <summary>
    /// Writes <paramref name="path"/> through <paramref name="write"/>, which receives the temporary file's stream.
    /// I/O failures become an <see cref="InputDataException"/> that names the destination and what to check.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        using var pending = Create(path);
        try
        {
            write(pending.Stream);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CannotWrite(pending.Destination, e);
        }
        pending.Commit();
    }

    /// <summary>
    /// Opens the temporary file for <paramref name="path"/>: write to <see cref="PendingFile.Stream"/>, then
    /// <see cref="PendingFile.Commit"/>; disposing without committing deletes the temporary file and leaves the
    /// destination untouched (for writers that stream spans, which a lambda cannot capture).
    /// </summary>
    public static PendingFile Create(string path)
    {
        var full = Path.GetFullPath(path);
        var temp = TempPathFor(full);
        EnsureFolder(full);
        try
        {
            return new PendingFile(full, temp, new FileStream(temp, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw CannotWrite(full, e);
        }
    }

    /// <summary>A file being written under a temporary name; see <see cref="Create"/>.</summary>
    public sealed class PendingFile : IDisposable
    {
        private readonly string _temp;
        private bool _done;

        internal PendingFile(string destination, string temp, FileStream stream)
        {
            Destination = destination;
            _temp = temp;
            Stream = stream;
        }

        /// <summary>The full path the file gets on <see cref="Commit"/>.</summary>
        public string Destination { get; }

        /// <summary>The temporary file's stream.</summary>
        public FileStream Stream { get; }

        /// <summary>Flushes to disk and renames the temporary file over <see cref="Destination"/>.</summary>
        public void Commit()
        {
            if (_done) throw new InvalidOperationException($"{Destination}: already committed or abandoned.");
            _done = true;
            try
            {
                Stream.Flush(flushToDisk: true);
                Stream.Dispose();
                File.Move(_temp, Destination, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Stream.Dispose();
                TryDelete(_temp);
                throw CannotWrite(Destination, e);
            }
        }

        /// <summary>Abandons an uncommitted file: the temporary file is deleted, the destination untouched.</summary>
        public void Dispose()
        {
            if (_done) return;
            _done = true;
            Stream.Dispose();
            TryDelete(_temp);
        }
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 (no BOM), atomically.</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, s => s.Write(new UTF8Encoding(false).GetBytes(text)));

    /// <summary>Writes <paramref name="lines"/>, each ended by '\n', as UTF-8 (no BOM), atomically.</summary>
    public static void WriteAllLines(string path, IEnumerable<string> lines) =>
        Write(path, s =>
        {
            using var w = new StreamWriter(s, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
            foreach (var line in lines) w.WriteLine(line);
        });

    /// <summary>Renames a finished temporary or partial file over <paramref name="destination"/>, mapping I/O failures as <see cref="Write"/> does.</summary>
    public static void Commit(string source, string destination)
    {
        try
        {
            File.Move(source, destination, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CannotWrite(Path.GetFullPath(destination), e);
        }
    }

    /// <summary>Creates the folder that will hold <paramref name="path"/>, mapping failures (a parent that is a file, no permission) to one clear line.</summary>
    public static void EnsureFolder(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (string.IsNullOrEmpty(dir)) return;
        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CannotWrite(Path.GetFullPath(path), e);
        }
    }

    /// <summary>
    /// The temporary name used for <paramref name="fullPath"/> by the calling thread: hidden, in the same folder (so the
    /// rename is atomic), unique per process and thread (<c>.NAME.PID.TID.tmp</c>), so concurrent writers of the same file,
    /// in one process or several, never share a temporary file; the last rename wins, each complete.
    /// </summary>
    public static string TempPathFor(string fullPath) =>
        Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.{Environment.ProcessId}.{Environment.CurrentManagedThreadId}.tmp");

    /// <summary>The one-line error for a failed write of <paramref name="path"/>.</summary>
    public static InputDataException CannotWrite(string path, Exception cause) =>
        new($"cannot write {path}: {Reason(path, cause)}", cause);

    private static string Reason(string path, Exception e)
    {
        for (var dir = Path.GetDirectoryName(path); !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(dir)) return $"{dir} is a file, not a folder; choose another output path.";
            if (Directory.Exists(dir)) break;
        }
        if (e is UnauthorizedAccessException) return "permission denied; choose a folder you can write to.";
        const int ENOSPC = 28, EROFS = 30, EDQUOT = 122;
        int code = e.HResult & 0xFFFF;
        string message = e.Message;
        if (code == ENOSPC || message.Contains("No space left", StringComparison.OrdinalIgnoreCase) || code == EDQUOT)
            return "no space left on the device; free space or write elsewhere (the previous file, if any, is unchanged).";
        if (code == EROFS || message.Contains("Read-only file system", StringComparison.OrdinalIgnoreCase))
            return "the file system is read-only; choose a writable folder.";
        return message.Replace(Environment.NewLine, " ").TrimEnd('.') + "; check the path, its permissions and free space.";
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing more can be done; the destination is untouched either way.
        }
    }
}
