using System.Buffers.Binary;
using HeatmapTools.Engine.Patches;
using HeatmapTools.Engine.Rendering;
using OpenCvSharp;
using Xunit;

namespace HeatmapTools.Engine.Tests;

/// <summary>
/// The PNG writer is checked by libpng (through OpenCV's decoder), which verifies every chunk's CRC and the zlib
/// checksum: a decoded image equal to the original, bit for bit, is the test.
/// </summary>
public class PngEncoderTests
{
    private static Mat Random(int width, int height, MatType type, int seed)
    {
        var image = new Mat(height, width, type);
        var bytes = new byte[width * height * image.Channels()];
        new System.Random(seed).NextBytes(bytes);
        // Copied in through a single-channel view, since SetArray wants one byte per element.
        using var flat = image.Reshape(1);
        flat.SetArray(bytes);
        return image;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 3)]      // narrower than one vector of the Sub filter
    [InlineData(333, 65)]   // odd width, more rows than one conversion band
    [InlineData(1800, 140)] // a wide canvas
    public void ColourImagesRoundTripThroughLibpng(int width, int height)
    {
        using var image = Random(width, height, MatType.CV_8UC3, width + height);
        // Flat areas as well as noise, so both run-length and literal paths of deflate are used.
        if (height > 1) image[new Rect(0, 0, width, height / 2)].SetTo(new Scalar(10, 200, 30));
        using var decoded = Cv2.ImDecode(PngEncoder.Encode(image), ImreadModes.Unchanged);
        Assert.Equal(MatType.CV_8UC3, decoded.Type());
        Assert.Equal(image.Size(), decoded.Size());
        using var difference = new Mat();
        Cv2.Absdiff(image, decoded, difference);
        Assert.Equal(0, Cv2.CountNonZero(difference.Reshape(1)));
    }

    [Fact]
    public void GreyImagesStayGrey()
    {
        using var image = Random(129, 77, MatType.CV_8UC1, 3);
        using var decoded = Cv2.ImDecode(PngEncoder.Encode(image), ImreadModes.Unchanged);
        Assert.Equal(MatType.CV_8UC1, decoded.Type());
        using var difference = new Mat();
        Cv2.Absdiff(image, decoded, difference);
        Assert.Equal(0, Cv2.CountNonZero(difference));
    }

    [Fact]
    public void LargeOutputIsSplitIntoSeveralIdatChunks()
    {
        // Noise does not compress, so 600 x 600 x 3 bytes need more than one 256 KiB chunk.
        using var image = Random(600, 600, MatType.CV_8UC3, 9);
        var png = PngEncoder.Encode(image);
        int idat = 0, offset = 8;
        while (offset < png.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
            if (png.AsSpan(offset + 4, 4).SequenceEqual("IDAT"u8)) idat++;
            offset += 12 + length;
        }
        Assert.Equal(png.Length, offset);
        Assert.True(idat > 1, $"expected several IDAT chunks, found {idat}");
        using var decoded = Cv2.ImDecode(png, ImreadModes.Unchanged);
        using var difference = new Mat();
        Cv2.Absdiff(image, decoded, difference);
        Assert.Equal(0, Cv2.CountNonZero(difference.Reshape(1)));
    }

    [Fact]
    public void OtherDepthsAreRefused()
    {
        using var image = new Mat(4, 4, MatType.CV_16UC1);
        Assert.Throws<ArgumentException>(() => PngEncoder.Encode(image));
    }

    [Fact]
    public void ChunkCrcIsTheStandardCrc32()
    {
        // The catalogued check value of CRC-32 (ISO 3309 / ITU-T V.42, as PNG and zlib use it) for "123456789".
        Assert.Equal(0xCBF43926u, PngEncoder.Crc32.Append(PngEncoder.Crc32.Start, "123456789"u8) ^ PngEncoder.Crc32.Start);
        // Every length and alignment the eight-byte steps can meet, against the bit-by-bit definition.
        var random = new Random(11);
        var data = new byte[300];
        random.NextBytes(data);
        for (int offset = 0; offset < 9; offset++)
            for (int length = 0; length < 40; length++)
            {
                var part = data.AsSpan(offset, length + 200 * (length % 2));
                Assert.Equal(BitByBit(part), PngEncoder.Crc32.Append(PngEncoder.Crc32.Start, part) ^ PngEncoder.Crc32.Start);
            }
    }

    private static uint BitByBit(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }

    [Fact]
    public void RowByRowPaintingLeavesTheSamePictureAsCellByCell()
    {
        // Overlapping cells, some starting on the same row, in an order that is not sorted: the later cell stays on top.
        var random = new Random(7);
        var cells = Enumerable.Range(0, 60).Select(_ => new Rect(random.Next(0, 80), random.Next(0, 60) / 10 * 10, random.Next(1, 40), random.Next(1, 30)))
            .Select(r => new Rect(r.X, r.Y, Math.Min(r.Width, 120 - r.X), Math.Min(r.Height, 90 - r.Y))).ToList();
        var colors = cells.Select((_, i) => new Scalar(i * 4, 255 - i * 4, (i * 37) % 256)).ToList();
        using var byCell = new Mat(90, 120, MatType.CV_8UC3, Scalar.All(0));
        using var byRow = byCell.Clone();
        for (int i = 0; i < cells.Count; i++) CellPainter.Fill(Pixels.Of(byCell), cells[i], colors[i]);
        var indexed = Enumerable.Range(0, cells.Count).ToList();
        var target = Pixels.Of(byRow);
        CellPainter.ForEachRow(indexed, i => cells[i], (i, cell, y) => CellPainter.FillRow(target, cell, y, colors[i]));
        using var difference = new Mat();
        Cv2.Absdiff(byCell, byRow, difference);
        Assert.Equal(0, Cv2.CountNonZero(difference.Reshape(1)));
    }

    [Theory]
    [InlineData(true, 0.4)]
    [InlineData(false, 0.4)]
    [InlineData(true, 0.0)]
    [InlineData(true, 1.0)]
    [InlineData(true, 0.73)]
    [InlineData(false, 0.73)]
    public void CellBlendMatchesOpenCvAddWeightedWithinOneLevel(bool avx2, double alpha)
    {
        if (avx2 && !System.Runtime.Intrinsics.X86.Avx2.IsSupported) return;
        using var tissue = Random(160, 60, MatType.CV_8UC3, 4);
        // The extremes too: the fixed-point sums must not overflow at white under the brightest colour.
        tissue.Set(3, 5, new Vec3b(255, 255, 255));
        tissue.Set(4, 5, new Vec3b(0, 0, 0));
        using var target = tissue.Clone();
        var color = new Scalar(203, 192, 255);
        var cell = new Rect(5, 3, 150, 50);
        var table = new BlendTable(color, alpha);
        Pixels from = Pixels.Of(tissue), to = Pixels.Of(target);
        unsafe void Row(int y, int x, int pixels)
        {
            if (avx2) CellPainter.BlendAvx2(from.At(y, x), to.At(y, x), pixels * 3, table);
            else CellPainter.BlendPortable(from.At(y, x), to.At(y, x), pixels * 3, table);
        }
        // Rows of 450 bytes end in a partial vector; the first row is done as two pieces, the second under one vector.
        Row(cell.Y, cell.X, cell.Width - 7);
        Row(cell.Y, cell.Right - 7, 7);
        for (int y = cell.Y + 1; y < cell.Bottom; y++) Row(y, cell.X, cell.Width);

        using var layer = new Mat(tissue.Size(), MatType.CV_8UC3, color);
        using var expected = new Mat();
        Cv2.AddWeighted(tissue, 1 - alpha, layer, alpha, 0, expected);
        using var difference = new Mat();
        Cv2.Absdiff(expected[cell], target[cell], difference);
        difference.MinMaxLoc(out double _, out double worst);
        Assert.True(worst <= 1, $"blend differs from addWeighted by {worst}");
        // Off by one only where the exact value is within a hair of a half (addWeighted rounds in float): rare.
        int differing = Cv2.CountNonZero(difference.Reshape(1));
        Assert.True(differing <= cell.Width * cell.Height * 3 / 100, $"{differing} channel values differ from addWeighted");
        // Outside the cell nothing changed.
        Assert.Equal(tissue.At<Vec3b>(0, 0), target.At<Vec3b>(0, 0));
        Assert.Equal(tissue.At<Vec3b>(59, 159), target.At<Vec3b>(59, 159));
    }
}
