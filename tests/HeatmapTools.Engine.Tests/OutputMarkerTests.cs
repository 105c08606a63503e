using System.Buffers.Binary;
using System.Text;
using HeatmapTools.Engine.Rendering;
using OpenCvSharp;
using Xunit;

namespace HeatmapTools.Engine.Tests;

/// <summary>The note inside every image the module writes: a valid PNG chunk or JPEG comment, read back, the pixels unchanged.</summary>
public class OutputMarkerTests
{
    private static Mat Picture()
    {
        var image = new Mat(40, 60, MatType.CV_8UC3, new Scalar(10, 200, 30));
        Cv2.Circle(image, new Point(30, 20), 9, new Scalar(250, 0, 0), -1);
        return image;
    }

    // CRC-32 (ISO-HDLC, as PNG uses it) bit by bit: an independent check of the chunk's checksum.
    private static uint Crc(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }

    [Theory]
    [InlineData(".png")]
    [InlineData(".jpg")]
    public void The_note_is_read_back_and_the_image_decodes_to_the_same_pixels(string format)
    {
        using var image = Picture();
        using var plain = new MemoryStream();
        ImageEncoder.Encode(image, format, plain);
        using var marked = new MemoryStream();
        ImageEncoder.Encode(image, format, marked, note: "New-CamHeatmap; source=cat.png; method=GradCAM");
        var bytes = marked.ToArray();
        Assert.Equal("New-CamHeatmap; source=cat.png; method=GradCAM", OutputMarker.Read(bytes));
        Assert.Null(OutputMarker.Read(plain.ToArray()));
        using var a = Cv2.ImDecode(plain.ToArray(), ImreadModes.Color);
        using var b = Cv2.ImDecode(bytes, ImreadModes.Color);
        Assert.Equal(0, Cv2.Norm(a, b, NormTypes.INF));
    }

    [Fact]
    public void The_PNG_chunk_follows_the_header_with_a_correct_checksum()
    {
        using var image = Picture();
        using var marked = new MemoryStream();
        ImageEncoder.Encode(image, ".png", marked, note: "x");
        var bytes = marked.ToArray();
        int length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(33));
        Assert.Equal("tEXt", Encoding.ASCII.GetString(bytes, 37, 4));
        Assert.Equal("HeatmapTools\0x", Encoding.Latin1.GetString(bytes, 41, length));
        Assert.Equal(Crc(bytes.AsSpan(37, 4 + length)), BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(41 + length)));
    }

    [Fact]
    public void A_FIFO_named_like_an_image_is_not_opened()
    {
        if (!OperatingSystem.IsLinux()) return;
        string fifo = Path.Combine(Path.GetTempPath(), $"hmt-fifo-{Guid.NewGuid():N}.png");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", fifo)) mkfifo.WaitForExit();
        try
        {
            // Opening it would wait for a writer for ever.
            var read = OwnThread.Run(() => OutputMarker.Read(fifo));
            Assert.True(read.Wait(TimeSpan.FromSeconds(30)), "reading the note of a FIFO blocked");
            Assert.Null(read.Result);
        }
        finally
        {
            File.Delete(fifo);
        }
    }

    [Fact]
    public void Photos_and_other_text_chunks_are_not_taken_for_the_modules_output()
    {
        string path = Path.Combine(SharedData.Images, "chelsea.png");
        Assert.Null(OutputMarker.Read(path));
        Assert.Null(OutputMarker.Read(Encoding.ASCII.GetBytes("not an image at all")));
    }
}
