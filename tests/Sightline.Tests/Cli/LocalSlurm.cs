using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Sightline.Tests.Cli;

/// <summary>
/// A one-node Slurm cluster on this machine for tests (Debian packages slurm-wlm and munge): a munge key and munged on
/// a private socket, a generated slurm.conf (this host as the only node, free ports, state and spool in a temporary
/// folder, the current user as SlurmUser), slurmctld and slurmd in the foreground as child processes. Dispose cancels
/// every job and stops the daemons (by their process ids) and removes the folder.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal sealed class LocalSlurm : IDisposable
{
    private readonly List<Process> _daemons = [];

    public string Root { get; }
    public string Conf { get; }

    private LocalSlurm(string root)
    {
        Root = root;
        Conf = Path.Combine(root, "slurm.conf");
    }

    /// <summary>Why the cluster cannot start here (missing packages), or null.</summary>
    public static string? Missing()
    {
        var missing = new[] { "sbatch", "slurmctld", "slurmd", "munged", "mungekey", "sinfo", "squeue", "scancel" }.Where(c => Which(c) is null).ToList();
        return missing.Count == 0 ? null : $"{string.Join(", ", missing)} not found: install the Debian packages slurm-wlm and munge (apt-get install -y slurm-wlm munge; .ci/run does it).";
    }

    private static string? Which(string command)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(["/usr/sbin", "/sbin"]))
        {
            var p = Path.Combine(dir, command);
            if (File.Exists(p)) return p;
        }
        return null;
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>Starts the cluster and waits (at most <paramref name="timeout"/>) until its node is idle.</summary>
    public static LocalSlurm Start(TimeSpan timeout)
    {
        // A short path: munge and Slurm put sockets under it (Unix socket paths are limited to 108 bytes).
        var root = Path.Combine("/tmp", "sl-" + Guid.NewGuid().ToString("N")[..8]);
        var cluster = new LocalSlurm(root);
        try
        {
            cluster.Launch(timeout);
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    private void Launch(TimeSpan timeout)
    {
        foreach (var d in new[] { "munge", "state", "spool", "log" }) Directory.CreateDirectory(Path.Combine(Root, d));
        var munge = Path.Combine(Root, "munge");
        File.SetUnixFileMode(munge, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        var key = Path.Combine(munge, "munge.key");
        Exec(Which("mungekey")!, ["-c", "-k", key, "-b", "1024"], TimeSpan.FromSeconds(10));
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var socket = Path.Combine(munge, "sock");
        Daemon(Which("munged")!, ["-F", "-f", $"--key-file={key}", $"--socket={socket}", $"--pid-file={munge}/pid", $"--seed-file={munge}/seed", $"--log-file={munge}/log"]);
        WaitFor(() => File.Exists(socket), TimeSpan.FromSeconds(10), "munged did not create its socket", Path.Combine(munge, "log"));

        var host = Environment.MachineName.Split('.')[0];
        var user = Environment.UserName;
        File.WriteAllText(Conf, $"""
            ClusterName=sightline-test
            SlurmctldHost={host}(127.0.0.1)
            SlurmctldPort={FreePort()}
            SlurmdPort={FreePort()}
            AuthType=auth/munge
            AuthInfo=socket={socket}
            CredType=cred/munge
            SlurmUser={user}
            SlurmdUser={user}
            StateSaveLocation={Root}/state
            SlurmdSpoolDir={Root}/spool
            SlurmctldPidFile={Root}/slurmctld.pid
            SlurmdPidFile={Root}/slurmd.pid
            SlurmctldLogFile={Root}/log/slurmctld.log
            SlurmdLogFile={Root}/log/slurmd.log
            ProctrackType=proctrack/pgid
            TaskPlugin=task/none
            SelectType=select/cons_tres
            SelectTypeParameters=CR_CPU
            SchedulerType=sched/builtin
            JobCompType=jobcomp/none
            AccountingStorageType=accounting_storage/none
            MpiDefault=none
            ReturnToService=2
            InactiveLimit=0
            MinJobAge=600
            KillWait=5
            NodeName={host} NodeAddr=127.0.0.1 CPUs={Environment.ProcessorCount} State=UNKNOWN
            PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP

            """);
        Daemon(Which("slurmctld")!, ["-D", "-i", "-f", Conf]);
        Daemon(Which("slurmd")!, ["-D", "-f", Conf, "-N", host]);
        WaitFor(() => Output("sinfo", ["-h", "-o", "%T"]).Trim() == "idle", timeout, "the node did not become idle",
            Path.Combine(Root, "log", "slurmctld.log"), Path.Combine(Root, "log", "slurmd.log"));
    }

    /// <summary>Runs a Slurm client command against this cluster and returns its stdout (empty on failure).</summary>
    public string Output(string command, IReadOnlyList<string> args)
    {
        try { return Exec(Which(command)!, args, TimeSpan.FromSeconds(10)); }
        catch (InvalidOperationException) { return ""; }
    }

    /// <summary>The tail of every log of the cluster (for failure messages).</summary>
    public string Logs() => string.Join("\n", Directory.EnumerateFiles(Path.Combine(Root, "log")).Append(Path.Combine(Root, "munge", "log")).Where(File.Exists)
        .Select(f => $"--- {Path.GetFileName(f)}\n{string.Join("\n", File.ReadLines(f).TakeLast(15))}"));

    private ProcessStartInfo Info(string file, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["SLURM_CONF"] = Conf;
        return start;
    }

    private void Daemon(string file, IEnumerable<string> args)
    {
        var p = Process.Start(Info(file, args))!;
        // Drain the pipes so a chatty daemon never blocks on a full buffer.
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _daemons.Add(p);
    }

    private string Exec(string file, IEnumerable<string> args, TimeSpan timeout)
    {
        using var p = Process.Start(Info(file, args))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} did not finish in {timeout.TotalSeconds} s.");
        }
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed (exit {p.ExitCode}): {stderr.Result}");
        return stdout.Result;
    }

    private void WaitFor(Func<bool> ready, TimeSpan timeout, string what, params string[] logs)
    {
        var clock = Stopwatch.StartNew();
        while (!ready())
        {
            var dead = _daemons.FirstOrDefault(d => d.HasExited);
            if (dead is not null || clock.Elapsed > timeout)
                throw new InvalidOperationException($"local Slurm cluster: {what} ({(dead is not null ? $"{dead.StartInfo.FileName} exited with {dead.ExitCode}" : $"after {timeout.TotalSeconds:0} s")}).\n{Logs()}");
            Thread.Sleep(100);
        }
    }

    public void Dispose()
    {
        if (_daemons.Count >= 3 && !_daemons[1].HasExited)
        {
            try { Exec(Which("scancel")!, ["--full", "--user", Environment.UserName], TimeSpan.FromSeconds(10)); }
            catch (InvalidOperationException) { }
        }
        foreach (var d in Enumerable.Reverse(_daemons))
        {
            try
            {
                if (!d.HasExited)
                {
                    d.Kill(entireProcessTree: true);
                    d.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException) { }
            d.Dispose();
        }
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
