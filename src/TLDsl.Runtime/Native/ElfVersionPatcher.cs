using System;
using System.Collections.Generic;
using System.Text;

namespace TLDsl.Runtime.Native;

/// <summary>
/// Marks one required symbol version of an ELF64 shared library as weak (VER_FLG_WEAK in its
/// <c>.gnu.version_r</c> entry), so that glibc loads the library on a system whose libstdc++ lacks that version.
/// </summary>
/// <remarks>
/// Only safe when nothing actually binds to a symbol of that version. The patcher proves this before changing
/// anything: every dynamic symbol tagged with the version must be in <c>allowedSymbols</c>, and no relocation may
/// refer to any of them. The result differs from the input in exactly one byte (the low byte of <c>vna_flags</c>).
/// </remarks>
public static class ElfVersionPatcher
{
    private const uint ShtRela = 4;
    private const uint ShtRel = 9;
    private const uint ShtDynsym = 11;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const uint ShtGnuVersym = 0x6fffffff;
    /// <summary>The ELF flag that turns a missing version into a warning instead of a load failure.</summary>
    public const ushort VerFlagWeak = 0x2;

    /// <summary>
    /// Returns a copy of <paramref name="image"/> in which <paramref name="versionName"/> required from
    /// <paramref name="libraryName"/> is weak, and the file offset of the single byte that changed.
    /// </summary>
    /// <param name="image">The whole library file.</param>
    /// <param name="fileName">Used in error messages only.</param>
    /// <param name="libraryName">The needed library, e.g. <c>libstdc++.so.6</c>.</param>
    /// <param name="versionName">The version to weaken, e.g. <c>GLIBCXX_3.4.32</c>.</param>
    /// <param name="allowedSymbols">The only symbols that may carry that version (marker symbols nobody calls).</param>
    /// <exception cref="ElfPatchException">The file is not a patchable ELF64 little-endian library, is truncated,
    /// does not need the version, is already patched, or uses the version for a symbol that is really bound.</exception>
    public static (byte[] Patched, long ChangedOffset) MakeVersionWeak(
        byte[] image, string fileName, string libraryName, string versionName, IReadOnlyCollection<string> allowedSymbols)
    {
        ArgumentNullException.ThrowIfNull(image);
        var elf = new ElfReader(image, fileName);
        var sections = elf.ReadSections();

        var verneed = FindSingle(sections, ShtGnuVerneed, fileName, ".gnu.version_r");
        var entry = FindVernaux(elf, sections, verneed, libraryName, versionName)
            ?? throw new ElfPatchException(
                $"{fileName}: it does not require {versionName} from {libraryName}; there is nothing to patch.");

        if ((entry.Flags & VerFlagWeak) != 0)
        {
            throw new ElfPatchException(
                $"{fileName}: {versionName} is already marked weak; this file was patched before. Patch the original library.");
        }

        var users = SymbolsWithVersion(elf, sections, entry.VersionIndex, out var symbolIndices);
        foreach (var name in users)
        {
            if (!Contains(allowedSymbols, name))
            {
                throw new ElfPatchException(
                    $"{fileName}: symbol '{name}' needs {versionName}; weakening the version would leave a real " +
                    $"function unresolved. Only [{string.Join(", ", allowedSymbols)}] may use it.");
            }
        }

        EnsureNoRelocationUses(elf, sections, symbolIndices, fileName, versionName);

        var patched = (byte[])image.Clone();
        var flags = (ushort)(entry.Flags | VerFlagWeak);
        patched[entry.FlagsOffset] = (byte)(flags & 0xff);
        patched[entry.FlagsOffset + 1] = (byte)(flags >> 8);
        return (patched, entry.FlagsOffset);
    }

    /// <summary>True when the file needs <paramref name="versionName"/> and it is already weak.</summary>
    public static bool IsVersionWeak(byte[] image, string fileName, string libraryName, string versionName)
    {
        var elf = new ElfReader(image, fileName);
        var sections = elf.ReadSections();
        var verneed = FindSingle(sections, ShtGnuVerneed, fileName, ".gnu.version_r");
        var entry = FindVernaux(elf, sections, verneed, libraryName, versionName);
        return entry is { } e && (e.Flags & VerFlagWeak) != 0;
    }

    private static bool Contains(IReadOnlyCollection<string> set, string name)
    {
        foreach (var s in set)
        {
            if (string.Equals(s, name, StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    private static ElfSection FindSingle(List<ElfSection> sections, uint type, string fileName, string what)
    {
        foreach (var s in sections)
        {
            if (s.Type == type)
            {
                return s;
            }
        }
        throw new ElfPatchException($"{fileName}: no {what} section; it is not a dynamically linked library with version requirements.");
    }

    private static VernauxEntry? FindVernaux(ElfReader elf, List<ElfSection> sections, ElfSection verneed, string libraryName, string versionName)
    {
        var strtab = elf.Section(sections, verneed.Link);
        long offset = verneed.Offset;
        for (uint i = 0; i < verneed.Info; i++)
        {
            // Elf64_Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32.
            ushort count = elf.U16(offset + 2);
            string file = elf.String(strtab, elf.U32(offset + 4));
            long aux = offset + elf.U32(offset + 8);
            for (int j = 0; j < count; j++)
            {
                // Elf64_Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32.
                ushort flags = elf.U16(aux + 4);
                ushort other = elf.U16(aux + 6);
                string name = elf.String(strtab, elf.U32(aux + 8));
                if (file == libraryName && name == versionName)
                {
                    return new VernauxEntry(aux + 4, flags, other);
                }
                uint nextAux = elf.U32(aux + 12);
                if (nextAux == 0)
                {
                    break;
                }
                aux += nextAux;
            }
            uint next = elf.U32(offset + 12);
            if (next == 0)
            {
                break;
            }
            offset += next;
        }
        return null;
    }

    private static List<string> SymbolsWithVersion(ElfReader elf, List<ElfSection> sections, ushort versionIndex, out HashSet<uint> indices)
    {
        var dynsym = FindSingle(sections, ShtDynsym, elf.FileName, ".dynsym");
        var versym = FindSingle(sections, ShtGnuVersym, elf.FileName, ".gnu.version");
        var strtab = elf.Section(sections, dynsym.Link);
        if (dynsym.EntrySize != 24)
        {
            throw new ElfPatchException($"{elf.FileName}: unexpected .dynsym entry size {dynsym.EntrySize}.");
        }
        var names = new List<string>();
        indices = new HashSet<uint>();
        ulong count = dynsym.Size / 24;
        for (uint i = 0; i < count; i++)
        {
            ushort v = elf.U16(versym.Offset + (2 * i));
            if ((v & 0x7fff) == versionIndex)
            {
                indices.Add(i);
                names.Add(elf.String(strtab, elf.U32(dynsym.Offset + (24 * i))));
            }
        }
        return names;
    }

    private static void EnsureNoRelocationUses(ElfReader elf, List<ElfSection> sections, HashSet<uint> symbols, string fileName, string versionName)
    {
        foreach (var s in sections)
        {
            if (s.Type is not (ShtRela or ShtRel))
            {
                continue;
            }
            long entrySize = s.Type == ShtRela ? 24 : 16;
            ulong n = s.Size / (ulong)entrySize;
            for (ulong i = 0; i < n; i++)
            {
                ulong info = elf.U64(s.Offset + ((long)i * entrySize) + 8);
                if (symbols.Contains((uint)(info >> 32)))
                {
                    throw new ElfPatchException(
                        $"{fileName}: a relocation binds a symbol of {versionName}; weakening it would break a real call.");
                }
            }
        }
    }

    private readonly record struct VernauxEntry(long FlagsOffset, ushort Flags, ushort VersionIndex);
}

/// <summary>A library file that <see cref="ElfVersionPatcher"/> cannot or must not patch.</summary>
public sealed class ElfPatchException : Exception
{
    /// <summary>Creates the exception with a message that names the file and the reason.</summary>
    public ElfPatchException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public ElfPatchException() { }

    /// <summary>Creates the exception with an inner cause.</summary>
    public ElfPatchException(string message, Exception inner) : base(message, inner) { }
}

internal readonly record struct ElfSection(uint Type, long Offset, ulong Size, uint Link, uint Info, ulong EntrySize);

/// <summary>Bounds-checked little-endian reads over an ELF64 image.</summary>
internal sealed class ElfReader
{
    private readonly byte[] _image;

    public ElfReader(byte[] image, string fileName)
    {
        _image = image;
        FileName = fileName;
        if (image.Length < 64 || image[0] != 0x7f || image[1] != (byte)'E' || image[2] != (byte)'L' || image[3] != (byte)'F')
        {
            throw new ElfPatchException($"{fileName}: not an ELF file (the first bytes are not 0x7F 'E' 'L' 'F').");
        }
        if (image[4] != 2 || image[5] != 1)
        {
            throw new ElfPatchException($"{fileName}: only 64-bit little-endian ELF libraries are supported (class {image[4]}, data {image[5]}).");
        }
    }

    public string FileName { get; }

    public List<ElfSection> ReadSections()
    {
        ulong shoff = U64(0x28);
        ushort shentsize = U16(0x3A);
        ushort shnum = U16(0x3C);
        if (shentsize != 64 || shnum == 0)
        {
            throw new ElfPatchException($"{FileName}: no usable section header table (entry size {shentsize}, count {shnum}).");
        }
        var list = new List<ElfSection>(shnum);
        for (int i = 0; i < shnum; i++)
        {
            long h = Checked(shoff + (ulong)(i * 64), 64);
            var section = new ElfSection(U32(h + 4), (long)U64(h + 24), U64(h + 32), U32(h + 40), U32(h + 44), U64(h + 56));
            // SHT_NOBITS (8) has no file bytes; every other section must lie inside the file.
            if (section.Type != 8 && section.Type != 0)
            {
                Checked((ulong)section.Offset, (long)section.Size);
            }
            list.Add(section);
        }
        return list;
    }

    public ElfSection Section(List<ElfSection> sections, uint index) =>
        index < sections.Count ? sections[(int)index]
            : throw new ElfPatchException($"{FileName}: section link {index} is out of range.");

    public string String(ElfSection strtab, uint offset)
    {
        long start = Checked((ulong)strtab.Offset + offset, 1);
        long end = start;
        while (end < _image.Length && _image[end] != 0)
        {
            end++;
        }
        if (end >= _image.Length)
        {
            throw Truncated();
        }
        return Encoding.ASCII.GetString(_image, (int)start, (int)(end - start));
    }

    public ushort U16(long offset)
    {
        long o = Checked((ulong)offset, 2);
        return (ushort)(_image[o] | (_image[o + 1] << 8));
    }

    public uint U32(long offset)
    {
        long o = Checked((ulong)offset, 4);
        return BitConverter.ToUInt32(_image, (int)o);
    }

    public ulong U64(long offset)
    {
        long o = Checked((ulong)offset, 8);
        return BitConverter.ToUInt64(_image, (int)o);
    }

    private long Checked(ulong offset, long length)
    {
        if (length < 0 || offset > (ulong)_image.Length || (ulong)_image.Length - offset < (ulong)length)
        {
            throw Truncated();
        }
        return (long)offset;
    }

    private ElfPatchException Truncated() =>
        new($"{FileName}: the file is truncated or corrupt (a header points past its end at {_image.Length} bytes).");
}
