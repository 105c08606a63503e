using System.Buffers.Binary;
using System.Text;

namespace HeatmapTools.ElfPatch;

/// <summary>
/// Reads and edits the version-need table (<c>.gnu.version_r</c>) of a 64-bit little-endian ELF shared object.
/// Prebuilt native libraries are sometimes linked against a newer libstdc++ than the host has, while using
/// nothing from that version that needs a relocation; marking the need weak lets the dynamic loader accept them.
/// </summary>
public sealed class ElfVersionNeeds
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const uint ShtGnuVerdef = 0x6ffffffd;
    public const ushort VerFlagWeak = 0x2;

    private readonly byte[] _image;
    private readonly List<Entry> _entries = new();

    /// <summary>One version a library asks of one of its dependencies.</summary>
    public sealed record Entry(string File, string Version, ushort Flags, int FlagsOffset)
    {
        public bool IsWeak => (Flags & VerFlagWeak) != 0;
    }

    private ElfVersionNeeds(byte[] image) => _image = image;

    public IReadOnlyList<Entry> Entries => _entries;

    public static ElfVersionNeeds Read(string path)
    {
        var needs = new ElfVersionNeeds(File.ReadAllBytes(path));
        needs.Parse(path);
        return needs;
    }

    /// <summary>True when the library defines the given symbol version (e.g. libstdc++ defining GLIBCXX_3.4.32).</summary>
    public static bool DefinesVersion(string path, string version)
    {
        var image = File.ReadAllBytes(path);
        var reader = new SectionReader(image, path);
        foreach (var section in reader.Sections.Where(s => s.Type == ShtGnuVerdef))
        {
            var strtab = reader.Sections[(int)section.Link];
            long offset = (long)section.Offset;
            for (int i = 0; i < (int)section.Info; i++)
            {
                ushort auxCount = U16(image, offset + 6);
                uint auxOffset = U32(image, offset + 12);
                uint next = U32(image, offset + 16);
                long aux = offset + auxOffset;
                for (int a = 0; a < auxCount; a++)
                {
                    if (reader.String(strtab, U32(image, aux)) == version) return true;
                    aux += U32(image, aux + 4);
                }
                if (next == 0) break;
                offset += next;
            }
        }
        return false;
    }

    /// <summary>Marks every need of <paramref name="version"/> weak; returns how many entries changed.</summary>
    public int MarkWeak(string version)
    {
        int changed = 0;
        foreach (var entry in _entries.Where(e => e.Version == version && !e.IsWeak).ToList())
        {
            ushort flags = (ushort)(entry.Flags | VerFlagWeak);
            BinaryPrimitives.WriteUInt16LittleEndian(_image.AsSpan(entry.FlagsOffset), flags);
            _entries[_entries.IndexOf(entry)] = entry with { Flags = flags };
            changed++;
        }
        return changed;
    }

    /// <summary>Writes the image next to the target and renames it over, so a failure never leaves half a library.</summary>
    public void Save(string path)
    {
        string temp = path + ".tmp-" + Environment.ProcessId;
        File.WriteAllBytes(temp, _image);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(temp, File.GetUnixFileMode(path));
        File.Move(temp, path, overwrite: true);
    }

    private void Parse(string path)
    {
        var reader = new SectionReader(_image, path);
        foreach (var section in reader.Sections.Where(s => s.Type == ShtGnuVerneed))
        {
            var strtab = reader.Sections[(int)section.Link];
            long offset = (long)section.Offset;
            for (int i = 0; i < (int)section.Info; i++)
            {
                ushort count = U16(_image, offset + 2);
                string file = reader.String(strtab, U32(_image, offset + 4));
                long aux = offset + U32(_image, offset + 8);
                uint next = U32(_image, offset + 12);
                for (int a = 0; a < count; a++)
                {
                    ushort flags = U16(_image, aux + 4);
                    string name = reader.String(strtab, U32(_image, aux + 8));
                    _entries.Add(new Entry(file, name, flags, checked((int)(aux + 4))));
                    uint auxNext = U32(_image, aux + 12);
                    if (auxNext == 0) break;
                    aux += auxNext;
                }
                if (next == 0) break;
                offset += next;
            }
        }
    }

    private static ushort U16(byte[] b, long at) => BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan((int)at));
    private static uint U32(byte[] b, long at) => BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)at));
    private static ulong U64(byte[] b, long at) => BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan((int)at));

    private sealed record Section(uint Type, ulong Offset, ulong Size, uint Link, uint Info);

    private sealed class SectionReader
    {
        private readonly byte[] _b;
        public List<Section> Sections { get; } = new();

        public SectionReader(byte[] b, string path)
        {
            _b = b;
            if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F')
                throw new InvalidDataException($"'{path}' is not an ELF file.");
            if (b[4] != 2 || b[5] != 1)
                throw new InvalidDataException($"'{path}' is not a 64-bit little-endian ELF file.");
            ulong shoff = U64(b, 0x28);
            ushort shentsize = U16(b, 0x3a);
            ushort shnum = U16(b, 0x3c);
            for (int i = 0; i < shnum; i++)
            {
                long at = (long)shoff + (long)i * shentsize;
                Sections.Add(new Section(U32(b, at + 4), U64(b, at + 0x18), U64(b, at + 0x20), U32(b, at + 0x28), U32(b, at + 0x2c)));
            }
        }

        public string String(Section strtab, uint index)
        {
            int start = checked((int)(strtab.Offset + index));
            int end = start;
            while (_b[end] != 0) end++;
            return Encoding.ASCII.GetString(_b, start, end - start);
        }
    }
}
