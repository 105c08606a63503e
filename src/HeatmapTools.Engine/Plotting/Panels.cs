using HeatmapTools.Engine.IO;
using HeatmapTools.Engine.Rendering;
using OpenCvSharp;

namespace HeatmapTools.Engine.Plotting;

/// <summary>ScottPlot panels laid out in rows with OpenCV and written as one PNG, atomically like every other output.</summary>
internal static class Panels
{
    public static Mat Render(ScottPlot.Plot plot, int width, int height) =>
        Cv2.ImDecode(plot.GetImageBytes(width, height, ScottPlot.ImageFormat.Png), ImreadModes.Color);

    /// <summary>Rows of panels, each row left-aligned on white, rows stacked top to bottom.</summary>
    public static void Write(string path, bool overwrite, IReadOnlyList<IReadOnlyList<Mat>> rows)
    {
        var joined = new List<Mat>();
        try
        {
            foreach (var row in rows)
            {
                var line = new Mat();
                Cv2.HConcat(row.ToArray(), line);
                joined.Add(line);
            }
            int width = joined.Max(m => m.Width);
            for (int i = 0; i < joined.Count; i++)
            {
                if (joined[i].Width == width) continue;
                var padded = new Mat();
                Cv2.CopyMakeBorder(joined[i], padded, 0, 0, 0, width - joined[i].Width, BorderTypes.Constant, Scalar.White);
                joined[i].Dispose();
                joined[i] = padded;
            }
            using var figure = new Mat();
            Cv2.VConcat(joined.ToArray(), figure);
            AtomicFile.Write(path, overwrite, stream => ImageEncoder.Encode(figure, ".png", stream));
        }
        finally
        {
            foreach (var m in joined) m.Dispose();
            foreach (var row in rows) foreach (var m in row) m.Dispose();
        }
    }
}
