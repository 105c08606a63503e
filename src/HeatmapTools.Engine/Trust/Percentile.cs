namespace HeatmapTools.Engine.Trust;

/// <summary>NumPy's default percentile (linear interpolation between the closest ranks), as ROAD's thresholds use it.</summary>
internal static class Percentile
{
    public static float Of(float[] sorted, double percent)
    {
        double rank = percent / 100 * (sorted.Length - 1);
        int below = (int)Math.Floor(rank), above = Math.Min(sorted.Length - 1, below + 1);
        float t = (float)(rank - below);
        return sorted[below] + (sorted[above] - sorted[below]) * t;
    }
}
