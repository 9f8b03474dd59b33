using System.Text;
using Sightline.Torch.Native;

namespace Sightline.Torch.Tests;

public sealed class TorchRuntimeTests
{
    [Fact]
    public void Patch_detection_matches_whether_the_process_libstdcxx_has_GLIBCXX_3_4_32()
    {
        var libStdCxx = NativeProcess.LibStdCxx();
        Assert.NotNull(libStdCxx);
        // An independent check: the version name appears in the library's string table exactly when it defines it.
        bool hasVersion = File.ReadAllBytes(libStdCxx).AsSpan().IndexOf("GLIBCXX_3.4.32\0"u8) >= 0;
        Assert.Equal(!hasVersion, TorchRuntime.IsPatchNeeded());
        if (IsDebian12()) Assert.True(TorchRuntime.IsPatchNeeded(), "Debian 12's libstdc++ (GCC 12) lacks GLIBCXX_3.4.32");
    }

    [Fact]
    public void Initialising_loads_the_patched_copy_exactly_when_a_patch_is_needed()
    {
        TorchRuntime.EnsureInitialized();
        TorchRuntime.EnsureInitialized(); // idempotent
        var loaded = Assert.Single(NativeProcess.MappedFiles(TorchRuntime.LibTorchSharpFile));
        if (TorchRuntime.IsPatchNeeded())
        {
            Assert.StartsWith(TorchRuntime.CacheRoot(), loaded);
            Assert.Contains($"patched: {loaded}", TorchRuntime.Diagnostics);
        }
        else
        {
            Assert.DoesNotContain("patched:", TorchRuntime.Diagnostics);
        }
        Assert.Contains($"loaded: {loaded}", TorchRuntime.Diagnostics);
    }

    [Fact]
    public void Concurrent_writers_of_the_patched_copy_all_get_the_same_complete_file()
    {
        var original = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", TorchRuntime.LibTorchSharpFile);
        var root = Directory.CreateTempSubdirectory("sightline-cache-");
        try
        {
            var paths = new string[8];
            Parallel.For(0, paths.Length, i => paths[i] = TorchRuntime.EnsurePatchedCopy(original, root.FullName));
            Assert.Single(paths.Distinct());
            var log = new StringBuilder();
            Assert.Equal(paths[0], TorchRuntime.EnsurePatchedCopy(original, root.FullName, log));
            Assert.Contains("reusing", log.ToString());
            Assert.Empty(ElfVersionPatcher.PlanEdits(ElfImage.Load(paths[0]), ElfVersionPatcher.LibStdCxxVersion, ElfVersionPatcher.IosBaseLibraryInit));
            Assert.Single(Directory.GetFiles(Path.GetDirectoryName(paths[0])!)); // no temporary file left behind

            File.WriteAllBytes(paths[0], [1, 2, 3]); // a damaged cache entry is rewritten
            Assert.Equal(paths[0], TorchRuntime.EnsurePatchedCopy(original, root.FullName));
            Assert.Equal(new FileInfo(original).Length, new FileInfo(paths[0]).Length);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    static bool IsDebian12()
    {
        if (!File.Exists("/etc/os-release")) return false;
        var lines = File.ReadAllLines("/etc/os-release");
        return lines.Contains("ID=debian") && lines.Contains("VERSION_ID=\"12\"");
    }
}
