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
    public void CellBlendMatchesOpenCvAddWeightedWithinOneLevel()
    {
        using var tissue = Random(160, 60, MatType.CV_8UC3, 4);
        using var target = tissue.Clone();
        var color = new Scalar(203, 192, 255);
        var cell = new Rect(5, 3, 150, 50);
        CellPainter.Blend(Pixels.Of(tissue), Pixels.Of(target), cell, new BlendTable(color, 0.4));

        using var layer = new Mat(tissue.Size(), MatType.CV_8UC3, color);
        using var expected = new Mat();
        Cv2.AddWeighted(tissue, 0.6, layer, 0.4, 0, expected);
        using var difference = new Mat();
        Cv2.Absdiff(expected[cell], target[cell], difference);
        difference.MinMaxLoc(out double _, out double worst);
        Assert.True(worst <= 1, $"blend differs from addWeighted by {worst}");
        // Outside the cell nothing changed.
        Assert.Equal(tissue.At<Vec3b>(0, 0), target.At<Vec3b>(0, 0));
        Assert.Equal(tissue.At<Vec3b>(59, 159), target.At<Vec3b>(59, 159));
    }
}
