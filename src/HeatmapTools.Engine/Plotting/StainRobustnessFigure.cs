using HeatmapTools.Engine.Stain;
using HeatmapTools.Engine.Trust;
using OpenCvSharp;

namespace HeatmapTools.Engine.Plotting;

/// <summary>
/// One image under stain augmentation: the original and its first copies as the model saw them before preprocessing,
/// each titled with its probability, and below, every copy's probability of the class and its map's rank correlation
/// with the original map, so the spread shows at a glance.
/// </summary>
public static class StainRobustnessFigure
{
    public const int CopiesShown = 5;

    public static void Write(string path, bool overwrite, string title, StainRobustnessResult result, StainImage original, IReadOnlyList<StainImage> copies,
        string? className = null)
    {
        var images = new List<Mat> { ImagePanel("original", result.Probability, original) };
        images.AddRange(copies.Take(CopiesShown).Select((c, i) => ImagePanel($"copy {i + 1}", result.Probabilities[i], c)));

        var plot = new ScottPlot.Plot();
        double[] x = Enumerable.Range(1, result.Probabilities.Length).Select(i => (double)i).ToArray();
        var probability = plot.Add.ScatterPoints(x, result.Probabilities);
        probability.LegendText = "probability of the class";
        probability.MarkerSize = 9;
        var spearman = plot.Add.ScatterPoints(x, result.MapSpearman.Select(v => double.IsNaN(v) ? 0 : v).ToArray());
        spearman.LegendText = "map's Spearman correlation with the original map";
        spearman.MarkerSize = 9;
        spearman.MarkerShape = ScottPlot.MarkerShape.OpenSquare;
        var baseline = plot.Add.HorizontalLine(result.Probability);
        baseline.LegendText = $"original probability {result.Probability:0.###}";
        baseline.LinePattern = ScottPlot.LinePattern.Dashed;
        plot.Axes.SetLimitsY(Math.Min(-0.05, result.MapSpearman.Where(v => !double.IsNaN(v)).DefaultIfEmpty(0).Min() - 0.05), 1.05);
        string target = className is null ? $"class {result.ClassIndex}" : $"class {result.ClassIndex} ({className})";
        plot.Title($"{title}, {target}: prediction kept in {result.PredictionKept:P0} of copies, probability {result.ProbabilityMin:0.###} to {result.ProbabilityMax:0.###}");
        plot.XLabel("stain-augmented copy");
        // One tick per copy, and the legend below the axes, where no point can hide under it.
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        foreach (double copy in x) ticks.AddMajor(copy, copy.ToString(System.Globalization.CultureInfo.InvariantCulture));
        plot.Axes.Bottom.TickGenerator = ticks;
        plot.ShowLegend(ScottPlot.Edge.Bottom);
        using var chart = Panels.Render(plot, Math.Max(720, images.Count * 170), 460);
        Panels.Write(path, overwrite, new[] { images, (IReadOnlyList<Mat>)new[] { chart.Clone() } });
    }

    private static Mat ImagePanel(string title, double probability, StainImage image)
    {
        using var bgr = image.ToBgr();
        var panel = new Mat(190, 170, MatType.CV_8UC3, Scalar.White);
        double scale = Math.Min(166.0 / bgr.Width, 166.0 / bgr.Height);
        using var small = new Mat();
        Cv2.Resize(bgr, small, new Size(Math.Max(1, (int)(bgr.Width * scale)), Math.Max(1, (int)(bgr.Height * scale))), 0, 0, InterpolationFlags.Area);
        using (var target = panel[new Rect((170 - small.Width) / 2, 22, small.Width, small.Height)]) small.CopyTo(target);
        Cv2.PutText(panel, $"{title}: p {probability:0.###}", new Point(4, 15), HersheyFonts.HersheySimplex, 0.42, Scalar.Black, 1, LineTypes.AntiAlias);
        return panel;
    }
}
