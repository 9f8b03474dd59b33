using System.Buffers.Binary;

namespace Sightline.Torch.Native;

/// <summary>
/// Turns one symbol-version requirement of a shared object into a weak one, so that the dynamic loader accepts a
/// library (libstdc++) that lacks the version. Made for <c>libLibTorchSharp.so</c> of TorchSharp 0.107, built with
/// GCC 13, which needs <c>GLIBCXX_3.4.32</c> for a single symbol, <c>std::ios_base_library_init()</c>, that it never
/// calls: GCC 13's <c>&lt;iostream&gt;</c> only emits <c>.globl _ZSt21ios_base_library_initv</c> so that the link
/// records the dependency, and no relocation refers to it.
/// </summary>
/// <remarks>
/// Three kinds of edit, a few bytes each, all in place (the file keeps its size and layout):
/// <list type="number">
/// <item>set <c>VER_FLG_WEAK</c> (0x2) in <c>vna_flags</c> of each <c>.gnu.version_r</c> entry naming the version —
/// glibc then only warns (with <c>LD_DEBUG</c>) instead of refusing to load;</item>
/// <item>give the symbol's <c>.gnu.version</c> entry the value 1 (<c>VER_NDX_GLOBAL</c>, unversioned);</item>
/// <item>give the symbol <c>STB_WEAK</c> binding in <c>.dynsym</c>, so that even a lookup would resolve to 0
/// rather than fail.</item>
/// </list>
/// The patcher refuses (with <see cref="ElfLayoutException"/>) when any other symbol needs the version or any
/// relocation refers to the symbol: then the library really uses the newer libstdc++, and relaxing would only move
/// the failure to run time. Patching an already patched image plans no edits (idempotent).
/// </remarks>
internal static class ElfVersionPatcher
{
    /// <summary>The version libLibTorchSharp.so 0.107 needs and Debian 12's libstdc++ (GCC 12) lacks.</summary>
    internal const string LibStdCxxVersion = "GLIBCXX_3.4.32";

    /// <summary><c>std::ios_base_library_init()</c>, the only symbol that needs <see cref="LibStdCxxVersion"/>.</summary>
    internal const string IosBaseLibraryInit = "_ZSt21ios_base_library_initv";

    const ushort VerFlagWeak = 0x2;
    const ushort VerIndexGlobal = 1;
    const byte BindWeak = 2;

    /// <summary>The edits that would relax <paramref name="version"/> for <paramref name="symbol"/>; empty when already done.</summary>
    internal static IReadOnlyList<ElfEdit> PlanEdits(ElfImage image, string version, string symbol)
    {
        var bytes = image.Bytes;
        var needs = image.VersionNeeds().Where(n => n.Version == version).ToList();
        if (needs.Count == 0) throw image.Error($"does not require symbol version {version} (nothing in .gnu.version_r names it)");
        var indices = needs.Select(n => (ushort)(n.Index & 0x7fff)).ToHashSet();

        var dynsym = image.Require(".dynsym", ElfImage.ShtDynsym);
        var versym = image.Require(".gnu.version", ElfImage.ShtGnuVersym);
        var dynstr = image.LinkedSection(dynsym);
        int count = dynsym.Size / ElfImage.SymbolSize;
        if (versym.Link != dynsym.Index || versym.Size != count * 2)
            throw image.Error($"has a .gnu.version of {versym.Size} bytes for {count} .dynsym entries");

        var edits = new List<ElfEdit>();
        var symbolIndices = new List<int>();
        for (int i = 1; i < count; i++)
        {
            int symAt = dynsym.Offset + i * ElfImage.SymbolSize;
            int verAt = versym.Offset + i * 2;
            ushort ver = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(verAt));
            string name = image.ReadString(dynstr, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(symAt)));
            bool needsVersion = indices.Contains((ushort)(ver & 0x7fff));
            if (name != symbol)
            {
                if (needsVersion)
                    throw image.Error($"has symbol {name} that also needs {version}; relaxing that version is only known to be safe " +
                                      $"when {symbol} alone needs it. Use a libstdc++ that provides {version} (GCC 13 or newer)");
                continue;
            }
            if (!needsVersion && ver != VerIndexGlobal)
                throw image.Error($"has {symbol} with version index {ver}, neither {version} nor global");
            if (BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(symAt + 6)) != 0)
                throw image.Error($"defines {symbol} itself (expected an undefined reference to libstdc++)");
            symbolIndices.Add(i);
            if (ver != VerIndexGlobal)
                edits.Add(ElfEdit.UInt16(bytes, verAt, VerIndexGlobal, $".gnu.version[{i}] ({symbol}) {ver} -> {VerIndexGlobal} (global)"));
            byte info = bytes[symAt + 4];
            if (info >> 4 != BindWeak)
                edits.Add(new ElfEdit(symAt + 4, [info], [(byte)((BindWeak << 4) | (info & 0xf))], $".dynsym[{i}] ({symbol}) binding {info >> 4} -> STB_WEAK"));
        }
        if (symbolIndices.Count == 0) throw image.Error($"has no .dynsym entry for {symbol}");

        foreach (var rela in image.Sections.Where(s => s.Type == ElfImage.ShtRela && s.Link == dynsym.Index))
            for (int at = rela.Offset; at + ElfImage.RelaSize <= rela.Offset + rela.Size; at += ElfImage.RelaSize)
            {
                int sym = (int)(BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at + 8)) >> 32);
                if (symbolIndices.Contains(sym))
                    throw image.Error($"has a relocation in {rela.Name} against {symbol}, so it really calls it; " +
                                      $"use a libstdc++ that provides {version} (GCC 13 or newer)");
            }

        foreach (var need in needs.Where(n => (n.Flags & VerFlagWeak) == 0))
            edits.Add(ElfEdit.UInt16(bytes, need.FlagsOffset, (ushort)(need.Flags | VerFlagWeak),
                $".gnu.version_r {need.File} {need.Version} vna_flags 0x{need.Flags:x} -> VER_FLG_WEAK"));
        return edits;
    }

    /// <summary>Applies <see cref="PlanEdits"/> to the image's bytes and returns what changed.</summary>
    internal static IReadOnlyList<ElfEdit> Relax(ElfImage image, string version, string symbol)
    {
        var edits = PlanEdits(image, version, symbol);
        foreach (var e in edits) e.After.CopyTo(image.Bytes, e.Offset);
        return edits;
    }
}

/// <summary>One in-place byte edit: where, the bytes before and after, and a line for diagnostics.</summary>
internal sealed record ElfEdit(int Offset, byte[] Before, byte[] After, string Description)
{
    internal static ElfEdit UInt16(byte[] bytes, int offset, ushort value, string description)
    {
        var after = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(after, value);
        return new ElfEdit(offset, bytes.AsSpan(offset, 2).ToArray(), after, description);
    }
}
