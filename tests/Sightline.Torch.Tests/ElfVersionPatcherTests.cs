using System.Buffers.Binary;
using Sightline.Torch.Native;

namespace Sightline.Torch.Tests;

public sealed class ElfVersionPatcherTests
{
    const string Version = ElfVersionPatcher.LibStdCxxVersion;
    const string Symbol = ElfVersionPatcher.IosBaseLibraryInit;

    static string Shipped() => Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", TorchRuntime.LibTorchSharpFile);

    [Fact]
    public void Patching_a_copy_changes_only_the_version_flag_the_versym_entry_and_the_binding()
    {
        var original = File.ReadAllBytes(Shipped());
        var dir = Directory.CreateTempSubdirectory("sightline-elf-");
        try
        {
            var copy = Path.Combine(dir.FullName, TorchRuntime.LibTorchSharpFile);
            File.WriteAllBytes(copy, original);
            var image = ElfImage.Load(copy);
            var edits = ElfVersionPatcher.Relax(image, Version, Symbol);
            File.WriteAllBytes(copy, image.Bytes);

            var patched = File.ReadAllBytes(copy);
            Assert.Equal(original.Length, patched.Length);
            var reread = ElfImage.Load(copy);

            var need = Assert.Single(reread.VersionNeeds(), n => n.Version == Version);
            Assert.Equal(0x2, need.Flags & 0x2);
            var (symbolIndex, versymOffset, infoOffset) = FindSymbol(reread, Symbol);
            Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(patched.AsSpan(versymOffset)));
            Assert.Equal(2, patched[infoOffset] >> 4);                          // STB_WEAK
            Assert.Equal(original[infoOffset] & 0xf, patched[infoOffset] & 0xf); // type unchanged (FUNC)
            Assert.True(symbolIndex > 0);

            var allowed = new HashSet<int> { need.FlagsOffset, need.FlagsOffset + 1, versymOffset, versymOffset + 1, infoOffset };
            var changed = Enumerable.Range(0, original.Length).Where(i => original[i] != patched[i]).ToList();
            Assert.NotEmpty(changed);
            Assert.All(changed, i => Assert.Contains(i, allowed));
            Assert.Equal(3, edits.Count);

            Assert.Empty(ElfVersionPatcher.PlanEdits(reread, Version, Symbol)); // idempotent
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_shipped_library_requires_the_version_strictly_before_patching()
    {
        var image = ElfImage.Load(Shipped());
        var need = Assert.Single(image.VersionNeeds(), n => n.Version == Version);
        Assert.Equal("libstdc++.so.6", need.File);
        Assert.Equal(0, need.Flags & 0x2);
        Assert.Equal(3, ElfVersionPatcher.PlanEdits(image, Version, Symbol).Count);
    }

    [Fact]
    public void A_version_needed_by_other_symbols_is_refused_with_the_file_name()
    {
        var image = ElfImage.Load(Shipped());
        var e = Assert.Throws<ElfLayoutException>(() => ElfVersionPatcher.PlanEdits(image, "GLIBCXX_3.4.21", Symbol));
        Assert.Contains(Shipped(), e.Message);
        Assert.Contains("also needs GLIBCXX_3.4.21", e.Message);
    }

    [Fact]
    public void A_file_that_is_not_elf_is_refused_with_its_name()
    {
        var e = Assert.Throws<ElfLayoutException>(() => new ElfImage(new byte[128], "/some/where/libX.so"));
        Assert.Equal("/some/where/libX.so is not an ELF file (no \\x7fELF magic).", e.Message);
    }

    [Fact]
    public void A_truncated_file_is_refused_with_its_name()
    {
        var bytes = File.ReadAllBytes(Shipped()).AsSpan(0, 4096).ToArray();
        var e = Assert.Throws<ElfLayoutException>(() => new ElfImage(bytes, "cut.so"));
        Assert.StartsWith("cut.so is truncated", e.Message);
    }

    static (int Index, int VersymOffset, int InfoOffset) FindSymbol(ElfImage image, string name)
    {
        var dynsym = image.Require(".dynsym", ElfImage.ShtDynsym);
        var versym = image.Require(".gnu.version", ElfImage.ShtGnuVersym);
        var dynstr = image.LinkedSection(dynsym);
        for (int i = 1; i < dynsym.Size / ElfImage.SymbolSize; i++)
        {
            int at = dynsym.Offset + i * ElfImage.SymbolSize;
            if (image.ReadString(dynstr, BinaryPrimitives.ReadUInt32LittleEndian(image.Bytes.AsSpan(at))) == name)
                return (i, versym.Offset + 2 * i, at + 4);
        }
        throw new InvalidOperationException($"{name} not in .dynsym");
    }
}
