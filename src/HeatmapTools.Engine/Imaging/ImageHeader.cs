using System.Buffers.Binary;

namespace HeatmapTools.Engine.Imaging;

/// <summary>
/// Reads the pixel size a PNG or JPEG declares, without decoding it: a few kilobytes of PNG can declare 30,000 x 30,000
/// pixels (a decompression bomb, 2.7 GB decoded), so the size is checked against a budget before OpenCV decodes.
/// </summary>
public static class ImageHeader
{
    /// <summary>
    /// True for a PNG whose chunks end before IEND (a copy cut short): libpng would say so on the process's stderr,
    /// past every preference, so the reader refuses it first, naming the file. Walks chunk headers only.
    /// </summary>
    public static bool IsTruncatedPng(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 8 || !bytes[..8].SequenceEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A })) return false;
        long offset = 8;
        while (offset + 8 <= bytes.Length)
        {
            long length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes.Slice((int)offset, 4));
            bool end = bytes.Slice((int)offset + 4, 4).SequenceEqual("IEND"u8);
            offset += 12 + length;
            if (offset > bytes.Length) return true;
            if (end) return false;
        }
        return true;
    }

    /// <summary>The declared width and height, or null when the format is not PNG or JPEG or the header is cut short.</summary>
    public static (int Width, int Height)? Size(ReadOnlySpan<byte> bytes)
    {
        // PNG: signature, then the IHDR chunk with big-endian width and height at bytes 16..23.
        if (bytes.Length >= 24 && bytes[..8].SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }))
            return ((int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32BigEndian(bytes[16..])), (int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32BigEndian(bytes[20..])));
        if (bytes.Length >= 4 && bytes[0] == 0xFF && bytes[1] == 0xD8)
        {
            // JPEG: walk the markers to the first start-of-frame (SOF0..SOF15 but DHT, JPG and DAC), which holds height then width.
            int at = 2;
            while (at + 9 < bytes.Length)
            {
                if (bytes[at] != 0xFF) { at++; continue; }
                byte marker = bytes[at + 1];
                if (marker is 0xD8 or 0x01 || marker is >= 0xD0 and <= 0xD7 || marker == 0xFF) { at += marker == 0xFF ? 1 : 2; continue; }
                int length = BinaryPrimitives.ReadUInt16BigEndian(bytes[(at + 2)..]);
                if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
                    return (BinaryPrimitives.ReadUInt16BigEndian(bytes[(at + 7)..]), BinaryPrimitives.ReadUInt16BigEndian(bytes[(at + 5)..]));
                if (length < 2) return null;
                at += 2 + length;
            }
        }
        return null;
    }
}
