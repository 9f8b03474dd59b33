using System.Globalization;

namespace Sightline.IO;

/// <summary>
/// An exclusive claim on an output: a lock file <c>OUT.lock</c> beside it, created atomically (O_EXCL) and holding the
/// owner's process id and start time. A second run on the same output fails at once with
/// "another sightline run is writing OUT (pid N)". The file is removed on <see cref="Dispose"/>; after a kill -9 it
/// stays, but it is detectably stale (its process is gone, or the pid now belongs to a process that started at another
/// time) and the next run takes it over.
/// </summary>
public sealed class OutputLock : IDisposable
{
    private readonly string _lockPath;
    private readonly string _token;
    private bool _released;

    private OutputLock(string lockPath, string token)
    {
        _lockPath = lockPath;
        _token = token;
    }

    /// <summary>The lock file of <paramref name="output"/>.</summary>
    public static string LockPathFor(string output) => Path.GetFullPath(output) + ".lock";

    /// <summary>Takes the lock of <paramref name="output"/> or throws an <see cref="InputDataException"/> naming the process that holds it.</summary>
    public static OutputLock Acquire(string output)
    {
        var lockPath = LockPathFor(output);
        AtomicFile.EnsureFolder(lockPath);
        int pid = Environment.ProcessId;
        var token = string.Create(CultureInfo.InvariantCulture, $"{pid} {StartTime(pid)}\n");
        for (int attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                using (var fs = new FileStream(lockPath, FileMode.CreateNew, FileAccess.Write, FileShare.Read))
                {
                    fs.Write(System.Text.Encoding.ASCII.GetBytes(token));
                    fs.Flush(flushToDisk: true);
                }
                return new OutputLock(lockPath, token);
            }
            catch (IOException) when (File.Exists(lockPath))
            {
                var (holder, started) = ReadHolder(lockPath);
                if (holder > 0 && IsAlive(holder, started))
                    throw new InputDataException($"another sightline run is writing {output} (pid {holder}); wait for it to finish, or stop it.");
                // Stale (its process is gone): move it aside atomically so that only one contender removes it.
                var aside = $"{lockPath}.{pid}.stale";
                try
                {
                    File.Move(lockPath, aside);
                    File.Delete(aside);
                }
                catch (IOException)
                {
                    // Another run removed or replaced it first; try again.
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw AtomicFile.CannotWrite(lockPath, e);
            }
        }
        var (h, _) = ReadHolder(lockPath);
        throw new InputDataException($"another sightline run is writing {output} (pid {h}); wait for it to finish, or stop it.");
    }

    private static (int Pid, string Started) ReadHolder(string lockPath)
    {
        try
        {
            var parts = File.ReadAllText(lockPath).Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            int pid = parts.Length > 0 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : 0;
            return (pid, parts.Length > 1 ? parts[1] : "");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (0, "");
        }
    }

    private static bool IsAlive(int pid, string started)
    {
        if (pid == Environment.ProcessId) return started == StartTime(pid);
        if (OperatingSystem.IsLinux())
        {
            var now = StartTime(pid);
            return now != "" && (started == "" || started == now) && !IsZombie(pid);
        }
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), "" when unknown or gone.</summary>
    private static string StartTime(int pid)
    {
        if (!OperatingSystem.IsLinux()) return "";
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var afterName = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return afterName.Length > 19 ? afterName[19] : "";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true;
        }
    }

    /// <summary>Removes the lock file if it is still this run's.</summary>
    public void Dispose()
    {
        if (_released) return;
        _released = true;
        try
        {
            if (File.Exists(_lockPath) && File.ReadAllText(_lockPath) == _token) File.Delete(_lockPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A lock that cannot be removed is detectably stale once this process has exited.
        }
    }
}
