using HeatmapTools.Engine.IO;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Prediction;
using OpenCvSharp;

namespace HeatmapTools.Engine.Rendering;

/// <summary>
/// A segmentation model's predicted categories painted over the photo, a colour per category (the Pascal VOC palette),
/// beside a legend of the categories present with their share of the pixels.
/// </summary>
public static class SegmentationOverlay
{
    private const int LegendWidth = 220, RowHeight = 20;

    /// <summary>Pascal VOC's palette: category c's colour spreads the bits of c over red, green and blue, high bits first.</summary>
    public static (byte R, byte G, byte B) Color(int category)
    {
        int r = 0, g = 0, b = 0, c = category;
        for (int shift = 7; shift >= 0; shift--)
        {
            r |= (c & 1) << shift;
            g |= ((c >> 1) & 1) << shift;
            b |= ((c >> 2) & 1) << shift;
            c >>= 3;
        }
        return ((byte)r, (byte)g, (byte)b);
    }

    /// <summary>
    /// Writes &lt;name&gt;_segments.png for <paramref name="source"/> into <paramref name="folder"/> and returns its path.
    /// <paramref name="written"/> holds this run's names: two photos of one name (from two folders) would write one
    /// file, so the second is refused (OutputNameRepeated), with -Force too; a file system refusal is OutputWriteFailed.
    /// </summary>
    public static string WriteInto(string folder, string source, PixelShares segments, ClassLabels labels, double alpha, bool force,
        IReadOnlySet<string> inputs, ISet<string> written)
        => PredictionFiles.WriteInto(folder, source, "_segments.png", "-SegmentsPath", written, file => Write(source, segments, labels, file, alpha, force, inputs));

    /// <summary>
    /// Writes the overlay of <paramref name="segments"/> (at the network input's size, the photo stretched to it) over the
    /// photo at <paramref name="source"/>, atomically; the categories are resized to the photo with nearest neighbours.
    /// </summary>
    public static void Write(string source, PixelShares segments, ClassLabels labels, string output, double alpha, bool force, IReadOnlySet<string>? inputs = null)
    {
        using var photo = ImageReader.ReadBgr(source);
        using var small = Mat.FromPixelData(segments.Height, segments.Width, MatType.CV_8UC1, segments.Categories);
        using var categories = new Mat();
        Cv2.Resize(small, categories, photo.Size(), 0, 0, InterpolationFlags.Nearest);
        using var colours = new Mat(photo.Size(), MatType.CV_8UC3);
        using var lut = new Mat(1, 256, MatType.CV_8UC3);
        for (int c = 0; c < 256; c++)
        {
            var (r, g, b) = Color(c);
            lut.Set(0, c, new Vec3b(b, g, r));
        }
        using var categories3 = new Mat();
        Cv2.CvtColor(categories, categories3, ColorConversionCodes.GRAY2BGR);
        Cv2.LUT(categories3, lut, colours);
        using var blended = new Mat();
        Cv2.AddWeighted(photo, 1 - alpha, colours, alpha, 0, blended);

        var present = Enumerable.Range(0, segments.Shares.Length).Where(c => segments.Shares[c] > 0).OrderByDescending(c => segments.Shares[c]).ToList();
        int height = Math.Max(blended.Height, 8 + present.Count * RowHeight);
        using var canvas = new Mat(height, blended.Width + LegendWidth, MatType.CV_8UC3, Scalar.All(255));
        blended.CopyTo(canvas[new Rect(0, 0, blended.Width, blended.Height)]);
        for (int i = 0; i < present.Count; i++)
        {
            int c = present[i], y = 4 + i * RowHeight, x = blended.Width + 6;
            var (r, g, b) = Color(c);
            Cv2.Rectangle(canvas, new Rect(x, y + 3, 14, 14), new Scalar(b, g, r), -1);
            Cv2.Rectangle(canvas, new Rect(x, y + 3, 14, 14), Scalar.All(0), 1);
            using var caption = TextRenderer.Caption($"{labels[c].Name} {segments.Shares[c] * 100:0.0} %", LegendWidth - 26, RowHeight);
            caption.CopyTo(canvas[new Rect(x + 18, y, caption.Width, caption.Height)]);
        }
        AtomicFile.Write(output, force, stream => ImageEncoder.Encode(canvas, Path.GetExtension(output).TrimStart('.'), stream, note: "Get-ClassPrediction; segmentation"), inputs);
    }
}
