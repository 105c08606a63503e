using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Prediction;

namespace HeatmapTools.Engine.Cam.Targets;

/// <summary>Which targets each image of a batch is explained for: those asked for, or its top classes.</summary>
internal static class TargetSelection
{
    /// <summary>(image, target) pairs in input order; a null target is the image's top class, decided by the forward pass itself.</summary>
    public static List<(int Image, CamTarget? Target)> For(LayeredModel model, IReadOnlyList<CamJobItem> items, IReadOnlyList<PreparedImage> prepared)
    {
        var needRanking = Enumerable.Range(0, items.Count).Where(i => prepared[i].Error is null && items[i].Classes is null && items[i].Top > 1).ToList();
        var ranked = new Dictionary<int, int[]>();
        foreach (int i in needRanking)
        {
            var logits = Predictor.Logits(model, new[] { prepared[i].Chw! }, prepared[i].Shape)[0];
            ranked[i] = logits.Select((v, c) => (v, c)).OrderByDescending(p => p.v).Take(items[i].Top).Select(p => p.c).ToArray();
        }
        var pairs = new List<(int, CamTarget?)>();
        for (int i = 0; i < items.Count; i++)
        {
            if (prepared[i].Error is not null) continue;
            if (items[i].Classes is { } classes) pairs.AddRange(classes.Select(c => (i, (CamTarget?)new ClassTarget(c))));
            else if (ranked.TryGetValue(i, out var top)) pairs.AddRange(top.Select(c => (i, (CamTarget?)new ClassTarget(c))));
            else pairs.Add((i, null));
        }
        return pairs;
    }
}
