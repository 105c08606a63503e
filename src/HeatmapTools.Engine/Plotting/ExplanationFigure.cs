using HeatmapTools.Engine.Explanation;
using OpenCvSharp;

namespace HeatmapTools.Engine.Plotting;

/// <summary>One explanation's curve metrics (Pixel Flipping, Region Perturbation), a plot each with its area.</summary>
public static class ExplanationFigure
{
    public static void Write(string path, bool overwrite, string title, IReadOnlyDictionary<string, MetricValue> values)
    {
        var panels = new List<Mat>();
        foreach (var (name, value) in values)
        {
            if (value.Curve is not { Count: > 0 } curve) continue;
            var plot = new ScottPlot.Plot();
            plot.Add.ScatterLine(Enumerable.Range(1, curve.Count).Select(i => (double)i).ToArray(), curve.ToArray()).LegendText = $"area {value.Value:F3}";
            plot.Title($"{title}: {name}");
            plot.XLabel("perturbation step");
            plot.YLabel(name == "RegionPerturbation" ? "drop of the class's score" : "class's score");
            plot.ShowLegend();
            panels.Add(Panels.Render(plot, 640, 480));
        }
        if (panels.Count == 0) return;
        Panels.Write(path, overwrite, new[] { panels });
    }
}
