using System.Runtime.InteropServices;
using System.Runtime.Loader;
using System.Security.Cryptography;
using System.Text;
using Sightline.Torch.Native;
using TorchSharp;

namespace Sightline.Torch;

/// <summary>
/// Makes TorchSharp's native backend load on every supported Linux, with no manual step. Call
/// <see cref="EnsureInitialized"/> before the first TorchSharp call; every Sightline.Torch entry point does.
/// </summary>
/// <remarks>
/// <para>
/// Why: TorchSharp 0.107's <c>libLibTorchSharp.so</c> was built with GCC 13 and so requires the symbol version
/// <c>GLIBCXX_3.4.32</c> from <c>libstdc++.so.6</c>. Debian 12 and Ubuntu 22.04 ship GCC 12's libstdc++ (up to
/// <c>GLIBCXX_3.4.30</c>), and the loader refuses the library. The version is needed by exactly one symbol,
/// <c>std::ios_base_library_init()</c>, which GCC 13's <c>&lt;iostream&gt;</c> references only to record the
/// dependency: no relocation uses it, and the streams are initialised anyway by libtorch's own static
/// <c>ios_base::Init</c> objects (libc10 and libtorch_cpu are loaded first, as dependencies).
/// </para>
/// <para>
/// How: at run time, not build time, so that it works whatever project hosts the code (library, CLI, tests,
/// notebooks) and whatever machine the build ran on. When the libstdc++ the process uses lacks a version that
/// libLibTorchSharp.so requires, <see cref="EnsureInitialized"/> writes a copy of libLibTorchSharp.so with that one
/// requirement made weak (<see cref="ElfVersionPatcher"/>: three small in-place edits) to
/// <c>$XDG_CACHE_HOME/sightline/torch/&lt;sha256 of the original&gt;/</c> (default <c>~/.cache</c>), loads libtorch
/// from TorchSharp's usual place and then the patched copy. TorchSharp's own probing then finds it: its first
/// candidates (the original file by full path) fail as before, and its last candidate, the bare name
/// <c>libLibTorchSharp.so</c>, matches the SONAME of the already loaded copy; an
/// <see cref="AssemblyLoadContext.ResolvingUnmanagedDll"/> handler backs that up. No shim library and no compiler
/// are needed, because nothing ever calls the relaxed symbol.
/// </para>
/// <para>
/// The copy is written to a unique temporary file and renamed into place (atomic on POSIX), so two processes
/// starting at once both succeed; a cached copy is reused only if its SHA-256 equals that of a fresh patch. On a
/// system whose libstdc++ already provides <c>GLIBCXX_3.4.32</c> (Debian 13, Ubuntu 24.04), and on Windows and
/// macOS, nothing is patched or loaded by this class: TorchSharp loads its files as shipped.
/// </para>
/// </remarks>
public static class TorchRuntime
{
    /// <summary>Bump when the patch changes, so that caches written by an older patcher are not reused.</summary>
    const int PatchFormat = 1;

    internal const string LibTorchSharpFile = "libLibTorchSharp.so";

    static readonly Lock Gate = new();
    static bool initialized;
    static string diagnostics = "TorchRuntime.EnsureInitialized has not run yet.";
    static nint patchedHandle;

    /// <summary>
    /// Prepares and loads TorchSharp's native backend (CPU). Idempotent and thread-safe: the first successful call
    /// does the work, later calls return at once. On a system that needs the Debian 12 fix, the first process of a user
    /// writes the patched copy (2.4 MB); later processes only hash it and reuse it.
    /// </summary>
    /// <exception cref="TorchRuntimeException">The backend cannot be loaded; the message includes <see cref="Diagnostics"/>.</exception>
    /// <exception cref="ElfLayoutException">libLibTorchSharp.so or libstdc++ is not laid out as expected; the message names the file.</exception>
    public static void EnsureInitialized()
    {
        lock (Gate)
        {
            if (initialized) return;
            var log = new StringBuilder();
            try
            {
                PrepareNativeBackend(log);
                try
                {
                    torch.InitializeDeviceType(DeviceType.CPU);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    log.AppendLine($"TorchSharp failed to initialise: {e.Message}");
                    throw new TorchRuntimeException($"TorchSharp's native backend did not load.{Environment.NewLine}{log}", e);
                }
                foreach (var mapped in NativeProcess.MappedFiles(LibTorchSharpFile))
                    log.AppendLine($"loaded: {mapped}");
                initialized = true;
            }
            finally
            {
                diagnostics = log.ToString().TrimEnd();
            }
        }
    }

    /// <summary>
    /// What <see cref="EnsureInitialized"/> found and did, one fact per line: the libstdc++ in use, the versions it
    /// lacks, the original and patched libLibTorchSharp.so, the file actually loaded. For bug reports and <c>--verbose</c>.
    /// </summary>
    public static string Diagnostics
    {
        get { lock (Gate) return diagnostics; }
    }

    static void PrepareNativeBackend(StringBuilder log)
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            log.AppendLine($"{RuntimeInformation.OSDescription} {RuntimeInformation.ProcessArchitecture}: TorchSharp's files are used as shipped.");
            return;
        }
        var original = FindNativeFile(LibTorchSharpFile);
        if (original is null)
        {
            log.AppendLine($"{LibTorchSharpFile} not found in {string.Join(", ", NativeSearchDirectories())}; leaving the search to TorchSharp.");
            return;
        }
        log.AppendLine($"original: {original}");
        var libStdCxx = NativeProcess.LibStdCxx();
        if (libStdCxx is null)
        {
            log.AppendLine("libstdc++.so.6: not found; leaving the load to TorchSharp.");
            return;
        }
        log.AppendLine($"libstdc++: {libStdCxx}");

        var missing = MissingVersions(ElfImage.Load(original), ElfImage.Load(libStdCxx));
        if (missing.Count == 0)
        {
            log.AppendLine("libstdc++ provides every version libLibTorchSharp.so needs: no patch.");
            return;
        }
        log.AppendLine($"libstdc++ lacks: {string.Join(", ", missing)}");
        if (missing.Any(v => v != ElfVersionPatcher.LibStdCxxVersion))
            throw new TorchRuntimeException(
                $"{libStdCxx} lacks {string.Join(", ", missing)}, required by {original}. Only {ElfVersionPatcher.LibStdCxxVersion} " +
                "can be worked around; install a newer libstdc++6 (Debian 12, Ubuntu 22.04 or later).");

        var patched = EnsurePatchedCopy(original, CacheRoot(), log);
        PreloadLibTorch(original, log);
        patchedHandle = Load(patched);
        log.AppendLine($"patched: {patched}");

        var torchSharp = typeof(torch).Assembly;
        (AssemblyLoadContext.GetLoadContext(torchSharp) ?? AssemblyLoadContext.Default).ResolvingUnmanagedDll +=
            (assembly, name) => assembly == torchSharp && name is "LibTorchSharp" or LibTorchSharpFile ? patchedHandle : 0;
    }

    /// <summary>
    /// Versions that <paramref name="consumer"/> requires, not weakly, from libstdc++.so.6 and that
    /// <paramref name="libStdCxx"/> does not define (read from its <c>.gnu.version_d</c>).
    /// </summary>
    internal static IReadOnlyList<string> MissingVersions(ElfImage consumer, ElfImage libStdCxx)
    {
        var defined = libStdCxx.DefinedVersions();
        if (defined.Count == 0) throw libStdCxx.Error("defines no symbol versions (.gnu.version_d is missing); is it really libstdc++?");
        return consumer.VersionNeeds()
            .Where(n => n.File.StartsWith("libstdc++.so", StringComparison.Ordinal) && (n.Flags & 0x2) == 0 && !defined.Contains(n.Version))
            .Select(n => n.Version)
            .Distinct()
            .ToList();
    }

    /// <summary>True when this process's libstdc++ lacks a version the shipped libLibTorchSharp.so needs.</summary>
    internal static bool IsPatchNeeded()
    {
        var original = FindNativeFile(LibTorchSharpFile) ?? throw new TorchRuntimeException($"{LibTorchSharpFile} not found in {string.Join(", ", NativeSearchDirectories())}.");
        var libStdCxx = NativeProcess.LibStdCxx() ?? throw new TorchRuntimeException("No libstdc++.so.6 is loaded or loadable.");
        return MissingVersions(ElfImage.Load(original), ElfImage.Load(libStdCxx)).Count > 0;
    }

    /// <summary>
    /// Returns the path of the patched copy of <paramref name="original"/> under <paramref name="cacheRoot"/>, writing it
    /// first when it is missing or differs from a fresh patch (temporary file, then atomic rename).
    /// </summary>
    internal static string EnsurePatchedCopy(string original, string cacheRoot, StringBuilder? log = null)
    {
        var bytes = File.ReadAllBytes(original);
        var key = Convert.ToHexStringLower(SHA256.HashData(bytes))[..16] + $"-p{PatchFormat}";
        var image = new ElfImage(bytes, original);
        var edits = ElfVersionPatcher.Relax(image, ElfVersionPatcher.LibStdCxxVersion, ElfVersionPatcher.IosBaseLibraryInit);
        var expected = SHA256.HashData(bytes);

        var directory = Path.Combine(cacheRoot, key);
        var target = Path.Combine(directory, LibTorchSharpFile);
        if (File.Exists(target) && SHA256.HashData(File.ReadAllBytes(target)).AsSpan().SequenceEqual(expected))
        {
            log?.AppendLine($"reusing the patched copy in {directory}");
            return target;
        }
        foreach (var e in edits) log?.AppendLine($"edit at 0x{e.Offset:x}: {e.Description}");
        try
        {
            Directory.CreateDirectory(directory);
            var temp = Path.Combine(directory, $".{LibTorchSharpFile}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
            try
            {
                using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
                {
                    stream.Write(bytes);
                    stream.Flush(flushToDisk: true);
                }
                File.Move(temp, target, overwrite: true);
            }
            finally
            {
                File.Delete(temp);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TorchRuntimeException($"Cannot write the patched {LibTorchSharpFile} to {directory}: {e.Message}. " +
                                            "Set XDG_CACHE_HOME to a writable directory.", e);
        }
        return target;
    }

    /// <summary><c>$XDG_CACHE_HOME/sightline/torch</c>, or <c>~/.cache/sightline/torch</c>, or a per-user temp directory without a home.</summary>
    internal static string CacheRoot()
    {
        var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (string.IsNullOrEmpty(cache) || !Path.IsPathRooted(cache))
        {
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            cache = string.IsNullOrEmpty(home) ? Path.Combine(Path.GetTempPath(), $"sightline-{Environment.UserName}") : Path.Combine(home, ".cache");
        }
        return Path.Combine(cache, "sightline", "torch");
    }

    /// <summary>
    /// Loads libtorch (and through its <c>$ORIGIN</c> run path libtorch_cpu, libc10, libgomp) from where the package put
    /// it, so that the patched copy, which lives elsewhere, finds its dependencies by SONAME.
    /// </summary>
    static void PreloadLibTorch(string original, StringBuilder log)
    {
        var nextToOriginal = Path.Combine(Path.GetDirectoryName(original)!, "libtorch.so");
        var libTorch = File.Exists(nextToOriginal) ? nextToOriginal : FindNativeFile("libtorch.so")
            ?? throw new TorchRuntimeException($"libtorch.so not found next to {original} nor in {string.Join(", ", NativeSearchDirectories())}; " +
                                               "reference the libtorch-cpu-linux-x64 package.");
        Load(libTorch);
        log.AppendLine($"libtorch: {libTorch}");
    }

    static nint Load(string path)
    {
        try
        {
            return NativeLibrary.Load(path);
        }
        catch (DllNotFoundException e)
        {
            throw new TorchRuntimeException($"Loading {path} failed: {e.Message}", e);
        }
    }

    static string? FindNativeFile(string fileName) =>
        NativeSearchDirectories().Select(d => Path.Combine(d, fileName)).FirstOrDefault(File.Exists);

    /// <summary>The directories .NET probes for native libraries (from the app's deps.json), then the app and TorchSharp folders.</summary>
    static IEnumerable<string> NativeSearchDirectories()
    {
        var fromHost = (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") as string ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var bases = new[] { AppContext.BaseDirectory, Path.GetDirectoryName(typeof(torch).Assembly.Location) }
            .Where(d => !string.IsNullOrEmpty(d))
            .SelectMany(d => new[] { d!, Path.Combine(d!, "runtimes", "linux-x64", "native") });
        return fromHost.Concat(bases).Select(d => Path.TrimEndingDirectorySeparator(Path.GetFullPath(d))).Distinct(StringComparer.Ordinal);
    }
}
