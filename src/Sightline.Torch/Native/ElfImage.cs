using System.Buffers.Binary;
using System.Text;

namespace Sightline.Torch.Native;

/// <summary>
/// A minimal reader over the bytes of a 64-bit little-endian ELF shared object: section headers and the
/// GNU symbol-versioning tables (<c>.gnu.version_d</c>, <c>.gnu.version_r</c>, <c>.gnu.version</c>) plus
/// <c>.dynsym</c>/<c>.dynstr</c>. Only what the Debian 12 loader fix needs; no external tool is involved.
/// </summary>
/// <remarks>Layouts follow the System V gABI and the LSB "Symbol Versioning" chapter.</remarks>
internal sealed class ElfImage
{
    internal const uint ShtRela = 4;
    internal const uint ShtDynsym = 11;
    internal const uint ShtGnuVerdef = 0x6ffffffd;
    internal const uint ShtGnuVerneed = 0x6ffffffe;
    internal const uint ShtGnuVersym = 0x6fffffff;

    internal const int SymbolSize = 24;
    internal const int RelaSize = 24;
    const int SectionHeaderSize = 64;

    internal ElfImage(byte[] bytes, string fileName)
    {
        Bytes = bytes;
        FileName = fileName;
        var b = bytes.AsSpan();
        if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F')
            throw Error("is not an ELF file (no \\x7fELF magic)");
        if (b[4] != 2) throw Error("is not a 64-bit ELF file (EI_CLASS is not ELFCLASS64)");
        if (b[5] != 1) throw Error("is not a little-endian ELF file (EI_DATA is not ELFDATA2LSB)");

        ulong shoff = BinaryPrimitives.ReadUInt64LittleEndian(b[0x28..]);
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(b[0x3a..]);
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(b[0x3c..]);
        int shstrndx = BinaryPrimitives.ReadUInt16LittleEndian(b[0x3e..]);
        if (shentsize != SectionHeaderSize) throw Error($"has section headers of {shentsize} bytes, expected {SectionHeaderSize}");
        if (shnum == 0 || shoff == 0) throw Error("has no section header table (stripped of section headers?)");
        if (shoff + (ulong)(shnum * shentsize) > (ulong)b.Length) throw Error("is truncated: its section header table lies past the end of the file");
        if (shstrndx >= shnum) throw Error($"names section {shstrndx} as the section-name table but has only {shnum} sections");

        var raw = new ElfSection[shnum];
        for (int i = 0; i < shnum; i++)
        {
            var h = b.Slice(checked((int)shoff + i * shentsize), shentsize);
            raw[i] = new ElfSection(
                Index: i,
                Name: "",
                NameOffset: BinaryPrimitives.ReadUInt32LittleEndian(h),
                Type: BinaryPrimitives.ReadUInt32LittleEndian(h[4..]),
                Offset: checked((int)BinaryPrimitives.ReadUInt64LittleEndian(h[0x18..])),
                Size: checked((int)BinaryPrimitives.ReadUInt64LittleEndian(h[0x20..])),
                Link: BinaryPrimitives.ReadUInt32LittleEndian(h[0x28..]),
                Info: BinaryPrimitives.ReadUInt32LittleEndian(h[0x2c..]),
                EntrySize: checked((int)BinaryPrimitives.ReadUInt64LittleEndian(h[0x38..])));
            // NOBITS sections (.bss, .tbss) occupy no file bytes, so only check the others.
            if (raw[i].Type != 8 && (long)raw[i].Offset + raw[i].Size > b.Length)
                throw Error($"is truncated: section {i} extends past the end of the file");
        }
        var names = raw[shstrndx];
        Sections = raw.Select(s => s with { Name = ReadString(names, s.NameOffset) }).ToArray();
    }

    /// <summary>The file's bytes; edits made through <see cref="ElfVersionPatcher"/> change them in place.</summary>
    internal byte[] Bytes { get; }

    /// <summary>The file the bytes came from, for error messages.</summary>
    internal string FileName { get; }

    internal IReadOnlyList<ElfSection> Sections { get; }

    internal static ElfImage Load(string path) => new(File.ReadAllBytes(path), path);

    internal ElfSection? Find(string name) => Sections.FirstOrDefault(s => s.Name == name);

    internal ElfSection Require(string name, uint type)
    {
        var s = Find(name) ?? throw Error($"has no {name} section");
        if (s.Type != type) throw Error($"has a {name} section of type 0x{s.Type:x}, expected 0x{type:x}");
        return s;
    }

    /// <summary>The NUL-terminated string at <paramref name="offset"/> of string table <paramref name="table"/>.</summary>
    internal string ReadString(ElfSection table, uint offset)
    {
        if (offset >= table.Size) throw Error($"has a string offset {offset} outside {Describe(table)} ({table.Size} bytes)");
        var span = Bytes.AsSpan(table.Offset + (int)offset, table.Size - (int)offset);
        int end = span.IndexOf((byte)0);
        if (end < 0) throw Error($"has an unterminated string in {Describe(table)}");
        return Encoding.UTF8.GetString(span[..end]);
    }

    internal ElfSection LinkedSection(ElfSection s)
    {
        if (s.Link == 0 || s.Link >= Sections.Count) throw Error($"has {s.Name} linked to missing section {s.Link}");
        return Sections[(int)s.Link];
    }

    /// <summary>Version names this object defines (<c>.gnu.version_d</c>); empty when it defines none.</summary>
    internal IReadOnlySet<string> DefinedVersions()
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        var verdef = Sections.FirstOrDefault(s => s.Type == ShtGnuVerdef);
        if (verdef is null) return result;
        var strings = LinkedSection(verdef);
        int at = verdef.Offset;
        // sh_info counts the entries, which bounds the walk even if a vd_next chain is corrupt.
        for (int n = 0; n < (int)verdef.Info; n++)
        {
            var d = Slice(at, 20, verdef);
            uint aux = BinaryPrimitives.ReadUInt32LittleEndian(d[12..]);
            uint next = BinaryPrimitives.ReadUInt32LittleEndian(d[16..]);
            // The first Verdaux of each Verdef holds the version's own name (the others name its parents).
            var a = Slice(at + (int)aux, 8, verdef);
            result.Add(ReadString(strings, BinaryPrimitives.ReadUInt32LittleEndian(a)));
            if (next == 0) break;
            at += (int)next;
        }
        return result;
    }

    /// <summary>
    /// Every version requirement in <c>.gnu.version_r</c>: the needed file, the version name, the flags and
    /// where the <c>vna_flags</c> field lies in the file.
    /// </summary>
    internal IReadOnlyList<VersionNeed> VersionNeeds()
    {
        var result = new List<VersionNeed>();
        var verneed = Sections.FirstOrDefault(s => s.Type == ShtGnuVerneed);
        if (verneed is null) return result;
        var strings = LinkedSection(verneed);
        int at = verneed.Offset;
        for (int n = 0; n < (int)verneed.Info; n++)
        {
            var v = Slice(at, 16, verneed);
            int count = BinaryPrimitives.ReadUInt16LittleEndian(v[2..]);
            string file = ReadString(strings, BinaryPrimitives.ReadUInt32LittleEndian(v[4..]));
            uint aux = BinaryPrimitives.ReadUInt32LittleEndian(v[8..]);
            uint next = BinaryPrimitives.ReadUInt32LittleEndian(v[12..]);
            int a = at + (int)aux;
            for (int k = 0; k < count; k++)
            {
                var x = Slice(a, 16, verneed);
                result.Add(new VersionNeed(
                    File: file,
                    Version: ReadString(strings, BinaryPrimitives.ReadUInt32LittleEndian(x[8..])),
                    Flags: BinaryPrimitives.ReadUInt16LittleEndian(x[4..]),
                    Index: BinaryPrimitives.ReadUInt16LittleEndian(x[6..]),
                    FlagsOffset: a + 4));
                uint anext = BinaryPrimitives.ReadUInt32LittleEndian(x[12..]);
                if (anext == 0) break;
                a += (int)anext;
            }
            if (next == 0) break;
            at += (int)next;
        }
        return result;
    }

    Span<byte> Slice(int offset, int length, ElfSection within)
    {
        if (offset < within.Offset || offset + length > within.Offset + within.Size)
            throw Error($"has an entry at file offset 0x{offset:x} outside {Describe(within)}");
        return Bytes.AsSpan(offset, length);
    }

    static string Describe(ElfSection s) => s.Name.Length > 0 ? s.Name : $"section {s.Index}";

    internal ElfLayoutException Error(string what) => new($"{FileName} {what}.");
}

/// <summary>One section header, with its name resolved.</summary>
internal sealed record ElfSection(int Index, string Name, uint NameOffset, uint Type, int Offset, int Size, uint Link, uint Info, int EntrySize);

/// <summary>One <c>Elf64_Vernaux</c> entry of <c>.gnu.version_r</c>, with its owning file name.</summary>
internal sealed record VersionNeed(string File, string Version, ushort Flags, ushort Index, int FlagsOffset);
