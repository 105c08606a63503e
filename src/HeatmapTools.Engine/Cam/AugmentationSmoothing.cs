using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Models;

namespace HeatmapTools.Engine.Cam;

/// <summary>
/// Test-time augmentation smoothing (pytorch-grad-cam's aug_smooth with its default ttach transforms: horizontal flip
/// times multiplying the normalised input by 0.9, 1 and 1.1): the six maps, each mirrored back, averaged.
/// </summary>
internal static class AugmentationSmoothing
{
    private static readonly (bool Mirror, float Factor)[] Transforms =
        { (false, 1f), (false, 0.9f), (false, 1.1f), (true, 1f), (true, 0.9f), (true, 1.1f) };

    public static IReadOnlyList<CamResult> Compute(LayeredModel model, IReadOnlyList<CamItem> items, CamMethod method,
        MapLayers layers, InputShape shape, CamOptions options, CancellationToken cancellation, IRunListener listener)
    {
        var plain = options with { AugSmooth = false };
        var first = CamEngine.Compute(model, items, method, layers, shape, plain, cancellation, listener);
        // As pytorch-grad-cam: a class asked for is explained in every copy; without one, each copy explains its own top
        // class (the same as the image's unless an augmentation changes the prediction). The result names the image's.
        var sums = first.Select(r => r.Map.ToArray()).ToArray();
        foreach (var (mirror, factor) in Transforms.Skip(1))
        {
            // A target read off the prediction is the image's, made in the first pass: every copy explains that one.
            var augmented = items.Select((item, i) => item with
            {
                Chw = Transform(item.Chw, shape, mirror, factor),
                Target = item.Target is Targets.PredictedSegmentTarget ? first[i].Target : item.Target,
            }).ToList();
            var maps = CamEngine.Compute(model, augmented, method, layers, shape, plain, cancellation, listener);
            for (int i = 0; i < maps.Count; i++)
            {
                var map = mirror ? Mirror(maps[i].Map, maps[i].Width, maps[i].Height) : maps[i].Map;
                for (int p = 0; p < map.Length; p++) sums[i][p] += map[p];
            }
        }
        return first.Select((r, i) => r with { Map = sums[i].Select(v => v / Transforms.Length).ToArray() }).ToList();
    }

    private static float[] Transform(float[] chw, InputShape shape, bool mirror, float factor)
    {
        var result = mirror ? Mirror(chw, shape.Width, chw.Length / shape.Width) : (float[])chw.Clone();
        if (factor != 1f) for (int i = 0; i < result.Length; i++) result[i] *= factor;
        return result;
    }

    /// <summary>Each row of <paramref name="rows"/> rows of <paramref name="width"/> values reversed (every channel of a CHW image).</summary>
    private static float[] Mirror(float[] values, int width, int rows)
    {
        var result = new float[values.Length];
        for (int r = 0; r < rows; r++)
            for (int x = 0; x < width; x++) result[r * width + x] = values[r * width + width - 1 - x];
        return result;
    }
}
