using OpenCvSharp;

namespace HeatmapTools.Engine.Patches.ImageKinds;

/// <summary>Colours grid cells over a patient's tissue: what the label, probability and confusion images share.</summary>
internal static class CellPainter
{
    // Where there is no data at all, the probability and confusion maps show this grey, unlike any score.
    private static readonly Scalar NoData = new(200, 200, 200);
    private static readonly Scalar White = new(255, 255, 255);

    /// <summary>
    /// Blends a colour per cell over the tissue; cells with no colour keep the tissue, and with noDataOutside
    /// everything outside the patches turns grey. Where cells overlap, a coloured cell wins and the later one is on top.
    /// With a frame, the result is that larger white canvas (relative to the tissue's origin) with the map inside it.
    /// </summary>
    public static Mat Paint(Mat tissue, IReadOnlyList<(PatchRecord Record, Rect Cell)> placed, double alpha, bool hasImages,
        Func<PatchRecord, Scalar?> color, bool noDataOutside = false, Rect? frame = null)
    {
        Mat result;
        var origin = new Point(0, 0);
        if (frame is not { } f)
            result = noDataOutside ? new Mat(tissue.Rows, tissue.Cols, MatType.CV_8UC3, NoData) : tissue.Clone();
        else
        {
            origin = new Point(-f.X, -f.Y);
            var inner = new Rect(origin.X, origin.Y, tissue.Width, tissue.Height);
            // Each pixel is set once: the map area grey (or the tissue), only the strips around it white. Filling the
            // whole multi-megabyte frame white first and then the map area again cost a full extra pass.
            result = noDataOutside ? new Mat(f.Height, f.Width, MatType.CV_8UC3, NoData) : new Mat(f.Height, f.Width, MatType.CV_8UC3);
            if (!noDataOutside)
            {
                using var view = result[inner];
                tissue.CopyTo(view);
            }
            foreach (var strip in Around(inner, f.Width, f.Height))
            {
                using var area = result[strip];
                area.SetTo(White);
            }
        }
        var colored = new List<(Rect Cell, Scalar Color)>(placed.Count);
        foreach (var (record, cell) in placed)
        {
            if (color(record) is Scalar c) colored.Add((cell, c));
            else if (noDataOutside)
            {
                using var from = new Mat(tissue, cell);
                using var to = new Mat(result, new Rect(cell.X + origin.X, cell.Y + origin.Y, cell.Width, cell.Height));
                from.CopyTo(to);
            }
        }
        if (!hasImages)
        {
            // No tissue to see through: the colour is the picture.
            foreach (var (cell, c) in colored) Cv2.Rectangle(result, new Rect(cell.X + origin.X, cell.Y + origin.Y, cell.Width, cell.Height), c, -1);
            return result;
        }
        if (colored.Count == 0) return result;
        // Every cell's colour on a copy of the tissue (later cells on top), one AddWeighted of the whole canvas, kept
        // inside the cells: OpenCV's, since a hand-written blend does not make the whole run 1.5x faster (docs/benchmarks.md).
        using var layer = tissue.Clone();
        using var mask = new Mat(tissue.Rows, tissue.Cols, MatType.CV_8UC1, Scalar.All(0));
        foreach (var (cell, c) in colored)
        {
            Cv2.Rectangle(layer, cell, c, -1);
            Cv2.Rectangle(mask, cell, Scalar.All(255), -1);
        }
        using var blended = new Mat();
        Cv2.AddWeighted(tissue, 1 - alpha, layer, alpha, 0, blended);
        using var mapArea = result[new Rect(origin.X, origin.Y, tissue.Width, tissue.Height)];
        blended.CopyTo(mapArea, mask);
        return result;
    }

    /// <summary>The parts of a width x height canvas outside <paramref name="inner"/>: bands above and below, sides between.</summary>
    private static IEnumerable<Rect> Around(Rect inner, int width, int height)
    {
        var parts = new[]
        {
            new Rect(0, 0, width, inner.Y),
            new Rect(0, inner.Bottom, width, height - inner.Bottom),
            new Rect(0, inner.Y, inner.X, inner.Height),
            new Rect(inner.Right, inner.Y, width - inner.Right, inner.Height),
        };
        return parts.Where(r => r.Width > 0 && r.Height > 0);
    }
}
