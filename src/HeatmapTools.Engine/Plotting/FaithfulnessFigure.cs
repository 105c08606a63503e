using HeatmapTools.Engine.Trust;
using OpenCvSharp;

namespace HeatmapTools.Engine.Plotting;

/// <summary>One map's faithfulness as two plots: deletion and insertion curves with their areas, and ROAD by percentile.</summary>
public static class FaithfulnessFigure
{
    public static void Write(string path, bool overwrite, string title, FaithfulnessResult result)
    {
        var panels = new List<Mat>();
        string score = result.Score == ScoreKind.Softmax ? "probability" : "logit";
        if (result.Deletion is { } deletion && result.Insertion is { } insertion)
        {
            var plot = new ScottPlot.Plot();
            plot.Add.ScatterLine(deletion.Fractions, deletion.Scores.Select(v => (double)v).ToArray()).LegendText = $"Deletion (area {deletion.Area:F3})";
            plot.Add.ScatterLine(insertion.Fractions, insertion.Scores.Select(v => (double)v).ToArray()).LegendText = $"Insertion (area {insertion.Area:F3})";
            plot.Title($"{title}: deletion and insertion");
            plot.XLabel("share of pixels changed, most salient first");
            plot.YLabel($"class {result.ClassIndex} {score}");
            plot.ShowLegend();
            panels.Add(Panels.Render(plot, 640, 480));
        }
        if (result.RoadMostRelevantFirst.Count > 0)
        {
            var plot = new ScottPlot.Plot();
            plot.Add.Scatter(result.RoadMostRelevantFirst.Select(p => p.Percentile).ToArray(), result.RoadMostRelevantFirst.Select(p => (double)p.Change).ToArray())
                .LegendText = $"most relevant first (mean {result.RoadMostRelevantFirstAverage:F3})";
            plot.Add.Scatter(result.RoadLeastRelevantFirst.Select(p => p.Percentile).ToArray(), result.RoadLeastRelevantFirst.Select(p => (double)p.Change).ToArray())
                .LegendText = $"least relevant first (mean {result.RoadLeastRelevantFirstAverage:F3})";
            plot.Title($"ROAD, combined {result.RoadCombined:F3}");
            plot.XLabel("percentile of the map kept below the threshold");
            plot.YLabel($"change of the class {score}");
            plot.ShowLegend();
            panels.Add(Panels.Render(plot, 640, 480));
        }
        if (panels.Count == 0) return;
        Panels.Write(path, overwrite, new[] { panels });
    }
}
