using HeatmapTools.Engine.Trust;
using OpenCvSharp;

namespace HeatmapTools.Engine.Plotting;

/// <summary>
/// The sanity check as Adebayo et al. draw it: a row of maps, the original and one per randomisation step (layers
/// re-drawn from the output down), and below it the similarity to the original at each step.
/// </summary>
public static class SanityFigure
{
    public static void Write(string path, bool overwrite, string title, SanityResult result)
    {
        var maps = new List<Mat> { MapPanel("original", result.OriginalMap, result.Width, result.Height) };
        maps.AddRange(result.Steps.Select(s => MapPanel($"{s.Step}: {s.Layer}", s.Map, result.Width, result.Height)));

        var plot = new ScottPlot.Plot();
        double[] steps = result.Steps.Select(s => (double)s.Step).ToArray();
        plot.Add.Scatter(steps, result.Steps.Select(s => s.Spearman).ToArray()).LegendText = "Spearman rank correlation";
        plot.Add.Scatter(steps, result.Steps.Select(s => s.SpearmanAbsolute).ToArray()).LegendText = "Spearman, absolute values";
        plot.Add.Scatter(steps, result.Steps.Select(s => s.Ssim).ToArray()).LegendText = "SSIM";
        var threshold = plot.Add.HorizontalLine(result.Threshold);
        threshold.LegendText = $"threshold {result.Threshold:0.##}";
        threshold.LinePattern = ScottPlot.LinePattern.Dashed;
        plot.Axes.SetLimitsY(-1, 1.05);
        plot.Title($"{title}: {(result.Passed ? "passes" : "FAILS")} the cascading randomisation check");
        plot.XLabel("layers randomised, from the output down (step)");
        plot.YLabel("similarity to the original map");
        plot.ShowLegend();
        using var curve = Panels.Render(plot, Math.Max(720, Math.Min(maps.Count * 170, 1400)), 420);
        Panels.Write(path, overwrite, new[] { maps, (IReadOnlyList<Mat>)new[] { curve.Clone() } });
    }

    private static Mat MapPanel(string title, float[] map, int width, int height)
    {
        var grid = new double[height, width];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++) grid[y, x] = map[y * width + x];
        var plot = new ScottPlot.Plot();
        var heatmap = plot.Add.Heatmap(grid);
        heatmap.Colormap = new ScottPlot.Colormaps.Turbo();
        plot.Axes.Frameless();
        plot.HideGrid();
        plot.Title(title.Length > 26 ? "..." + title[^23..] : title, 11);
        return Panels.Render(plot, 170, 190);
    }
}
