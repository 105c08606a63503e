using HeatmapTools.Engine.Patches;
using HeatmapTools.Engine.Rendering;
using OpenCvSharp;
using Xunit;

namespace HeatmapTools.Engine.Tests;

/// <summary>Cell painting (row by row, and the blend) and the one image encoder.</summary>
[Collection("Process-wide switches")]
public class CellPainterTests
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
    [InlineData(".png")]
    [InlineData("jpg")]
    public void The_encoder_writes_what_OpenCV_reads_back(string extension)
    {
        using var image = Random(97, 31, MatType.CV_8UC3, 2);
        using var stream = new MemoryStream();
        Rendering.ImageEncoder.Encode(image, extension, stream);
        using var decoded = Cv2.ImDecode(stream.ToArray(), ImreadModes.Unchanged);
        Assert.Equal(image.Size(), decoded.Size());
        using var diff = new Mat();
        Cv2.Absdiff(image, decoded, diff);
        Cv2.MinMaxLoc(diff.Reshape(1), out _, out double max);
        // PNG is lossless; JPEG at quality 95 on noise stays close only on average, so only PNG is compared exactly.
        if (extension.EndsWith("png")) Assert.Equal(0, max);
    }

    [Fact]
    public void Sixteen_bit_maps_stay_sixteen_bit()
    {
        using var image = new Mat(20, 40, MatType.CV_16UC1);
        Cv2.Randu(image, Scalar.All(0), Scalar.All(65535));
        using var stream = new MemoryStream();
        Rendering.ImageEncoder.Encode(image, "png", stream);
        using var decoded = Cv2.ImDecode(stream.ToArray(), ImreadModes.Unchanged);
        Assert.Equal(MatType.CV_16UC1, decoded.Type());
        using var diff = new Mat();
        Cv2.Absdiff(image, decoded, diff);
        Cv2.MinMaxLoc(diff, out _, out double max);
        Assert.Equal(0, max);
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
