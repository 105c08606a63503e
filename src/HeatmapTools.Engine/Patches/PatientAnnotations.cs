using HeatmapTools.Engine.Rendering;
using OpenCvSharp;

namespace HeatmapTools.Engine.Patches;

/// <summary>
/// What is drawn around and about a patient's maps: the probability colour scale and its bar, the confusion classes
/// with their key, and the titled montage panel.
/// </summary>
internal static class PatientAnnotations
{
    private static readonly Scalar White = new(255, 255, 255);
    internal static readonly Scalar[] ConfusionColors = { new(0, 0, 220), new(0, 165, 255), new(220, 80, 0), new(0, 160, 0) };
    private static readonly string[] ConfusionNames = { "TP", "FP", "FN", "TN" };

    /// <summary>0 TP, 1 FP, 2 FN, 3 TN (the index into the confusion colours); null without both a label and a probability.</summary>
    internal static int? ConfusionKind(PatchRecord r, double threshold)
    {
        if (r.Target is not int t || r.Probability is not double p) return null;
        return (t == 1, p >= threshold) switch { (true, true) => 0, (false, true) => 1, (true, false) => 2, _ => 3 };
    }

    internal static ConfusionCounts CountConfusion(IEnumerable<PatchRecord> patches, double threshold)
    {
        var counts = new int[4];
        foreach (var p in patches)
            if (ConfusionKind(p, threshold) is int kind) counts[kind]++;
        return new ConfusionCounts(counts[0], counts[1], counts[2], counts[3]);
    }

    internal static (double Min, double Max)? ColorScale((double Min, double Max)? data, ProbabilityScale scale, (double Min, double Max)? cohort) =>
        data is null ? null : scale switch
        {
            ProbabilityScale.Patient => data,
            ProbabilityScale.Cohort when cohort is not null => cohort,
            _ => (0.0, 1.0),
        };

    internal static byte ToByte(double value, (double Min, double Max) range)
    {
        double span = range.Max - range.Min;
        double unit = span <= 0 ? 0.5 : (value - range.Min) / span;
        return (byte)Math.Clamp((int)Math.Round(unit * 255), 0, 255);
    }

    internal static Scalar[] ColormapLut(ColormapTypes colormap) =>
        Colormaps.Colors(colormap).Select(v => new Scalar(v.Item0, v.Item1, v.Item2)).ToArray();

    internal const int ColorBarWidth = 70, LegendHeight = 22;

    /// <summary>A vertical colour bar in the strip right of the map, with its range written at both ends.</summary>
    internal static void DrawColorBar(Mat canvas, int mapWidth, Scalar[] lut, (double Min, double Max) range)
    {
        int top = 18, bottom = canvas.Height - 18, x0 = mapWidth + 8;
        for (int y = top; y < bottom; y++)
        {
            int level = (int)Math.Round(255.0 * (bottom - 1 - y) / Math.Max(1, bottom - top - 1));
            Cv2.Rectangle(canvas, new Rect(x0, y, 17, 1), lut[level], -1);
        }
        Cv2.PutText(canvas, range.Max.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture), new Point(x0, top - 4), HersheyFonts.HersheySimplex, 0.4, Scalar.All(0), 1, LineTypes.AntiAlias);
        Cv2.PutText(canvas, range.Min.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture), new Point(x0, bottom + 13), HersheyFonts.HersheySimplex, 0.4, Scalar.All(0), 1, LineTypes.AntiAlias);
    }

    /// <summary>The TP/FP/FN/TN key with counts, in the strip above the map.</summary>
    internal static void DrawLegend(Mat canvas, ConfusionCounts counts)
    {
        int[] values = { counts.TruePositive, counts.FalsePositive, counts.FalseNegative, counts.TrueNegative };
        for (int k = 0; k < 4; k++)
        {
            int x = 4 + k * 80;
            Cv2.Rectangle(canvas, new Rect(x, 5, 12, 12), ConfusionColors[k], -1);
            Cv2.PutText(canvas, $"{ConfusionNames[k]} {values[k]}", new Point(x + 15, 16), HersheyFonts.HersheySimplex, 0.4, Scalar.All(0), 1, LineTypes.AntiAlias);
        }
    }

    /// <summary>A fixed-size montage panel: the label map fitted and centred, titled with id, count and positive fraction.</summary>
    internal static Mat Panel(Mat image, PatientPatches patient, PatchGridOptions options)
    {
        int size = options.PanelSize, title = 24;
        var panel = new Mat(size + title, size, MatType.CV_8UC3, White);
        double fit = Math.Min((double)size / image.Width, (double)size / image.Height);
        var inner = new Size(Math.Max(1, (int)(image.Width * fit)), Math.Max(1, (int)(image.Height * fit)));
        using var small = new Mat();
        Cv2.Resize(image, small, inner, 0, 0, fit < 1 ? InterpolationFlags.Area : InterpolationFlags.Nearest);
        small.CopyTo(panel[new Rect((size - inner.Width) / 2, title + (size - inner.Height) / 2, inner.Width, inner.Height)]);
        string text = $"patient {patient.PatientId}  n={patient.Patches.Count}  pos={patient.PositiveFraction.ToString("P1", System.Globalization.CultureInfo.InvariantCulture)}";
        // Shrunk until it fits the panel, so narrow panels keep the whole caption; any script, in a font that has it.
        using var caption = Rendering.TextRenderer.Caption(text, size, title);
        caption.CopyTo(panel[new Rect(0, 0, size, title)]);
        return panel;
    }
}
