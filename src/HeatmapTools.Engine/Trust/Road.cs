using static TorchSharp.torch;

namespace HeatmapTools.Engine.Trust;

/// <summary>One ROAD measurement: the score change when the pixels at or above the percentile's threshold are imputed.</summary>
public sealed record RoadPoint(double Percentile, float Change);

/// <summary>
/// ROAD's masks (Rong et al. 2022), as pytorch-grad-cam's <c>RemoveMostRelevantFirst</c> and <c>RemoveLeastRelevantFirst</c>
/// define them: most relevant first keeps the pixels whose map value is below the map's <c>p</c>-th percentile and
/// imputes the rest; least relevant first does the same on <c>1 - map</c>.
/// </summary>
internal static class Road
{
    /// <summary>H x W of 1 (kept) and 0 (imputed) for one percentile and direction.</summary>
    public static float[] Kept(float[] map, double percentile, bool mostRelevantFirst)
    {
        var values = mostRelevantFirst ? map : map.Select(v => 1f - v).ToArray();
        var sorted = (float[])values.Clone();
        Array.Sort(sorted);
        float threshold = Percentile.Of(sorted, percentile);
        return values.Select(v => v < threshold ? 1f : 0f).ToArray();
    }
}
