using HeatmapTools.Engine.Detection;
using HeatmapTools.Engine.IO;
using HeatmapTools.Engine.Imaging;
using OpenCvSharp;

namespace HeatmapTools.Engine.Rendering;

/// <summary>A detector's boxes drawn on an image, a colour per class (the segmentation palette), each with its caption above it.</summary>
public static class BoxDrawing
{
    private const int CaptionHeight = 18;

    /// <summary>Draws each box (in <paramref name="bgr"/>'s pixels) and its caption in place.</summary>
    public static void Draw(Mat bgr, IEnumerable<(BoxCorners Box, int ClassIndex, string Caption)> boxes)
    {
        int thickness = Math.Max(1, (int)Math.Round(Math.Max(bgr.Width, bgr.Height) / 400.0));
        foreach (var (box, classIndex, caption) in boxes)
        {
            // Class 0 would be the palette's black (its background): classes start at its first colour.
            var (r, g, b) = SegmentationOverlay.Color(classIndex + 1);
            int x1 = Math.Clamp((int)Math.Floor(box.X1), 0, bgr.Width - 1), y1 = Math.Clamp((int)Math.Floor(box.Y1), 0, bgr.Height - 1);
            int x2 = Math.Clamp((int)Math.Ceiling(box.X2), x1 + 1, bgr.Width), y2 = Math.Clamp((int)Math.Ceiling(box.Y2), y1 + 1, bgr.Height);
            Cv2.Rectangle(bgr, new Rect(x1, y1, x2 - x1, y2 - y1), new Scalar(b, g, r), thickness);
            if (bgr.Height < CaptionHeight || bgr.Width < 16) continue;
            int width = Math.Min(bgr.Width, TextRenderer.Width(caption));
            int x = Math.Clamp(x1, 0, bgr.Width - width), y = y1 >= CaptionHeight ? y1 - CaptionHeight : Math.Min(y1, bgr.Height - CaptionHeight);
            using var strip = TextRenderer.Caption(caption, width, CaptionHeight);
            strip.CopyTo(bgr[new Rect(x, y, width, CaptionHeight)]);
            Cv2.Rectangle(bgr, new Rect(x, y, width, CaptionHeight), new Scalar(b, g, r), 1);
        }
    }

    /// <summary>The photo at <paramref name="source"/> with its detections drawn, written into <paramref name="folder"/> as &lt;name&gt;_boxes.png.</summary>
    public static string WriteInto(string folder, string source, IReadOnlyList<PhotoDetection> detections, bool force, IReadOnlySet<string> inputs, ISet<string> written) =>
        PredictionFiles.WriteInto(folder, source, "_boxes.png", "-BoxesPath", written, file =>
        {
            using var photo = ImageReader.ReadBgr(source);
            Draw(photo, detections.Select(d => (d.Box, d.ClassIndex, FormattableString.Invariant($"{d.Label} {d.Score:0.00}"))));
            AtomicFile.Write(file, force, stream => ImageEncoder.Encode(photo, "png", stream, note: "Get-ClassPrediction; detections"), inputs);
        });
}
