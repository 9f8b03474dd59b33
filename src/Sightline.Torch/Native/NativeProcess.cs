using System.Runtime.InteropServices;

namespace Sightline.Torch.Native;

/// <summary>What the current Linux process has mapped, read from <c>/proc/self/maps</c>.</summary>
internal static class NativeProcess
{
    /// <summary>Paths of mapped files whose name starts with <paramref name="fileNamePrefix"/>, distinct, in map order.</summary>
    internal static IReadOnlyList<string> MappedFiles(string fileNamePrefix)
    {
        if (!File.Exists("/proc/self/maps")) return [];
        return File.ReadLines("/proc/self/maps")
            .Select(line => line.IndexOf('/') is var at and >= 0 ? line[at..].Trim() : null)
            .OfType<string>()
            .Where(path => !path.EndsWith(" (deleted)", StringComparison.Ordinal)
                           && Path.GetFileName(path).StartsWith(fileNamePrefix, StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// The <c>libstdc++.so.6</c> this process uses or would use: the one already mapped (the .NET host itself is
    /// C++, so usually there is one), else the one the dynamic loader picks for the bare name, which is then loaded.
    /// Null when there is none at all.
    /// </summary>
    internal static string? LibStdCxx()
    {
        var mapped = MappedFiles("libstdc++.so");
        if (mapped.Count == 0 && NativeLibrary.TryLoad("libstdc++.so.6", out _)) mapped = MappedFiles("libstdc++.so");
        return mapped.Count > 0 ? mapped[0] : null;
    }
}
