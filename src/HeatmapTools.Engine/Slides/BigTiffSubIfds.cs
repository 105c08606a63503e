using System.Buffers.Binary;

namespace HeatmapTools.Engine.Slides;

/// <summary>
/// Turns a little-endian BigTIFF's chain of directories (full resolution, then each reduced one) into the OME-TIFF
/// pyramid layout: the first directory with a SubIFDs tag listing the others, which leave the main chain. LibTiff.NET
/// 2.4.660 writes a SubIFDs array of more than one entry over the file header (it takes the array's offset before the
/// array is placed), so the pyramid is written as a chain and linked here: a copy of the first directory with the tag
/// added is appended and the header pointed at it.
/// </summary>
public static class BigTiffSubIfds
{
    private const ushort SubIfdsTag = 330;
    private const ushort Ifd8Type = 18;
    private const int EntrySize = 20;

    public static void MoveChainIntoSubIfds(Stream stream)
    {
        Span<byte> header = stackalloc byte[16];
        Read(stream, 0, header);
        if (header[0] != (byte)'I' || header[1] != (byte)'I' || BinaryPrimitives.ReadUInt16LittleEndian(header[2..]) != 43)
            throw new InvalidDataException("Not a little-endian BigTIFF.");
        long first = (long)BinaryPrimitives.ReadUInt64LittleEndian(header[8..]);
        var (entries, next) = Directory(stream, first);
        var reduced = new List<long>();
        for (long at = next; at != 0;)
        {
            reduced.Add(at);
            var (_, following) = Directory(stream, at);
            // Each reduced directory now ends the chain it is on: readers reach it through the first one's SubIFDs only.
            WriteUInt64(stream, NextPointer(stream, at), 0);
            at = following;
        }
        if (reduced.Count == 0) return;
        long end = stream.Seek(0, SeekOrigin.End);
        long array = end + (end & 1);
        long copy = array + 8L * reduced.Count;
        var buffer = new byte[8L * reduced.Count + 8 + (entries.Count + 1) * EntrySize + 8];
        var span = buffer.AsSpan();
        for (int i = 0; i < reduced.Count; i++) BinaryPrimitives.WriteUInt64LittleEndian(span[(8 * i)..], (ulong)reduced[i]);
        var directory = span[(8 * reduced.Count)..];
        var withTag = entries.Where(e => BinaryPrimitives.ReadUInt16LittleEndian(e) != SubIfdsTag).ToList();
        var tag = new byte[EntrySize];
        BinaryPrimitives.WriteUInt16LittleEndian(tag, SubIfdsTag);
        BinaryPrimitives.WriteUInt16LittleEndian(tag.AsSpan(2), Ifd8Type);
        BinaryPrimitives.WriteUInt64LittleEndian(tag.AsSpan(4), (ulong)reduced.Count);
        // One offset fits in the entry itself; more go in the array.
        BinaryPrimitives.WriteUInt64LittleEndian(tag.AsSpan(12), (ulong)(reduced.Count == 1 ? reduced[0] : array));
        withTag.Add(tag);
        withTag.Sort((a, b) => BinaryPrimitives.ReadUInt16LittleEndian(a).CompareTo(BinaryPrimitives.ReadUInt16LittleEndian(b)));
        BinaryPrimitives.WriteUInt64LittleEndian(directory, (ulong)withTag.Count);
        for (int i = 0; i < withTag.Count; i++) withTag[i].CopyTo(directory[(8 + i * EntrySize)..]);
        BinaryPrimitives.WriteUInt64LittleEndian(directory[(8 + withTag.Count * EntrySize)..], 0);
        stream.Seek(array, SeekOrigin.Begin);
        stream.Write(buffer, 0, 8 * reduced.Count + 8 + withTag.Count * EntrySize + 8);
        WriteUInt64(stream, 8, copy);
        stream.Flush();
    }

    private static (List<byte[]> Entries, long Next) Directory(Stream stream, long at)
    {
        Span<byte> eight = stackalloc byte[8];
        Read(stream, at, eight);
        long count = (long)BinaryPrimitives.ReadUInt64LittleEndian(eight);
        if (count is <= 0 or > 4096) throw new InvalidDataException($"A TIFF directory at {at} claims {count} entries.");
        var entries = new List<byte[]>((int)count);
        for (int i = 0; i < count; i++)
        {
            var entry = new byte[EntrySize];
            Read(stream, at + 8 + i * EntrySize, entry);
            entries.Add(entry);
        }
        Read(stream, at + 8 + count * EntrySize, eight);
        return (entries, (long)BinaryPrimitives.ReadUInt64LittleEndian(eight));
    }

    private static long NextPointer(Stream stream, long at)
    {
        Span<byte> eight = stackalloc byte[8];
        Read(stream, at, eight);
        return at + 8 + (long)BinaryPrimitives.ReadUInt64LittleEndian(eight) * EntrySize;
    }

    private static void Read(Stream stream, long at, Span<byte> into)
    {
        stream.Seek(at, SeekOrigin.Begin);
        stream.ReadExactly(into);
    }

    private static void WriteUInt64(Stream stream, long at, long value)
    {
        Span<byte> eight = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(eight, (ulong)value);
        stream.Seek(at, SeekOrigin.Begin);
        stream.Write(eight);
    }
}
