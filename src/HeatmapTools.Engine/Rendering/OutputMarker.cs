using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace HeatmapTools.Engine.Rendering;

/// <summary>
/// A note inside every image the module writes (a PNG tEXt chunk with keyword "HeatmapTools", or a JPEG comment
/// starting with "HeatmapTools"): which command made it, from which source, with which method. New-CamHeatmap reads it
/// to leave its own outputs out of a rerun over the same folder, whatever they are named.
/// </summary>
public static class OutputMarker
{
    private const string Keyword = "HeatmapTools";

    /// <summary>
    /// Whether a note is of an image written to be a model's input (a slide's tile, a stain-normalised image), not an
    /// overlay or figure: those are explained like any photo.
    /// </summary>
    public static bool IsModelInput(string note) =>
        note.StartsWith("Get-SlideTile", StringComparison.Ordinal) || note.StartsWith("ConvertTo-StainNormalized", StringComparison.Ordinal);
    private static readonly byte[] PngSignature = { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A };

    /// <summary>The encoded image with the note added (PNG after its header chunk, JPEG after its start marker); other formats unchanged.</summary>
    public static byte[] Add(byte[] encoded, string note)
    {
        var text = Encoding.Latin1.GetBytes(Keyword + "\0" + Sanitise(note));
        if (IsPng(encoded))
        {
            // Signature (8) + IHDR (4 length + 4 type + 13 data + 4 CRC) = 33 bytes, then our chunk.
            const int afterHeader = 33;
            var chunk = new byte[12 + text.Length];
            BinaryPrimitives.WriteInt32BigEndian(chunk, text.Length);
            Encoding.ASCII.GetBytes("tEXt").CopyTo(chunk, 4);
            text.CopyTo(chunk, 8);
            BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + text.Length), Crc32.HashToUInt32(chunk.AsSpan(4, 4 + text.Length)));
            return [.. encoded.AsSpan(0, afterHeader), .. chunk, .. encoded.AsSpan(afterHeader)];
        }
        if (IsJpeg(encoded))
        {
            var comment = Encoding.Latin1.GetBytes(Keyword + ": " + Sanitise(note));
            if (comment.Length > 65000) comment = comment[..65000];
            var segment = new byte[4 + comment.Length];
            segment[0] = 0xFF;
            segment[1] = 0xFE;
            BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), (ushort)(comment.Length + 2));
            comment.CopyTo(segment, 4);
            return [.. encoded.AsSpan(0, 2), .. segment, .. encoded.AsSpan(2)];
        }
        return encoded;
    }

    /// <summary>The note of a file this module wrote, or null: only the start of the file is read.</summary>
    public static string? Read(string path)
    {
        // A FIFO or device named like an image would block this read for ever: only regular files are opened.
        if (IO.RegularFile.Kind(path) is not null) return null;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
            var head = new byte[(int)Math.Min(file.Length, 64 * 1024)];
            file.ReadExactly(head);
            return Read(head);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static string? Read(ReadOnlySpan<byte> bytes)
    {
        if (IsPng(bytes))
        {
            // Walk the chunks up to the image data: the note sits right after the header.
            int at = 8;
            while (at + 8 <= bytes.Length)
            {
                int length = BinaryPrimitives.ReadInt32BigEndian(bytes[at..]);
                var type = Encoding.ASCII.GetString(bytes.Slice(at + 4, 4));
                if (length < 0 || type == "IDAT" || at + 12 + length > bytes.Length) return null;
                if (type == "tEXt")
                {
                    var text = Encoding.Latin1.GetString(bytes.Slice(at + 8, length));
                    if (text.StartsWith(Keyword + "\0", StringComparison.Ordinal)) return text[(Keyword.Length + 1)..];
                }
                at += 12 + length;
            }
            return null;
        }
        if (IsJpeg(bytes) && bytes.Length > 6 && bytes[2] == 0xFF && bytes[3] == 0xFE)
        {
            int length = BinaryPrimitives.ReadUInt16BigEndian(bytes[4..]) - 2;
            if (length > 0 && 6 + length <= bytes.Length)
            {
                var text = Encoding.Latin1.GetString(bytes.Slice(6, length));
                if (text.StartsWith(Keyword + ": ", StringComparison.Ordinal)) return text[(Keyword.Length + 2)..];
            }
        }
        return null;
    }

    private static string Sanitise(string note) => new(note.Select(c => c is >= ' ' and <= '~' ? c : '?').ToArray());

    private static bool IsPng(ReadOnlySpan<byte> bytes) => bytes.Length > 33 && bytes[..8].SequenceEqual(PngSignature);

    private static bool IsJpeg(ReadOnlySpan<byte> bytes) => bytes.Length > 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF;
}
