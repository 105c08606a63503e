using HeatmapTools.Engine.Trust;
using OpenCvSharp;

namespace HeatmapTools.Engine.Plotting;

/// <summary>
/// The sanity check as Adebayo et al. draw it: a row of maps, the original and one per randomisation step (layers
/// re-drawn from the output down), and below it the similarity to the original at each step.
/// </summary>
public static class SanityFigure
{
    public static void Write(string path, bool overwrite, string title, SanityResult result, string? className = null)
    {
        var maps = new List<Mat> { MapPanel("original", result.OriginalMap, result.Width, result.Height) };
        maps.AddRange(result.Steps.Select(s => MapPanel($"{s.Step}: {s.Layer}", s.Map, result.Width, result.Height)));

        var plot = new ScottPlot.Plot();
        double[] steps = result.Steps.Select(s => (double)s.Step).ToArray();
        // Spearman last and widest: for maps without negative values it equals the absolute-value line, which would hide it.
        var absolute = plot.Add.Scatter(steps, result.Steps.Select(s => s.SpearmanAbsolute).ToArray());
        absolute.LegendText = "Spearman, absolute values";
        absolute.LinePattern = ScottPlot.LinePattern.Dotted;
        plot.Add.Scatter(steps, result.Steps.Select(s => s.Ssim).ToArray()).LegendText = "SSIM";
        var spearman = plot.Add.Scatter(steps, result.Steps.Select(s => s.Spearman).ToArray());
        spearman.LegendText = "Spearman rank correlation";
        spearman.LineWidth = 3;
        spearman.MarkerSize = 9;
        var threshold = plot.Add.HorizontalLine(result.Threshold);
        threshold.LegendText = $"threshold {result.Threshold:0.##}";
        threshold.LinePattern = ScottPlot.LinePattern.Dashed;
        plot.Axes.SetLimitsY(-1, 1.05);
        // One tick per step: a step is a whole number of layers.
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        foreach (var s in result.Steps) ticks.AddMajor(s.Step, s.Step.ToString(System.Globalization.CultureInfo.InvariantCulture));
        plot.Axes.Bottom.TickGenerator = ticks;
        string verdict = result.Passed switch { true => "passes", false => "FAILS", null => "is UNDEFINED for (a constant map)" };
        string target = className is null ? $"class {result.ClassIndex}" : $"class {result.ClassIndex} ({className})";
        plot.Title($"{title}: {verdict} the cascading randomisation check");
        plot.XLabel("layers randomised, from the output down (step)");
        plot.YLabel($"similarity to the original map of {target}");
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
