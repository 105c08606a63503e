namespace HeatmapTools;

/// <summary>
/// A result's map kept in the held budget (CamHeatmap.MapTensor), which makes it again from its source image once the
/// budget has let it go; the trust cmdlets use it instead of computing the map when its key is the one they ask for.
/// </summary>
public interface IHeldMap
{
    /// <summary>Which map this is (model, preprocessing, method, layer, class, options).</summary>
    string Key { get; }
    /// <summary>The class's raw score the map was made for.</summary>
    float Score { get; }
    int Width { get; }
    int Height { get; }
    bool IsHeld { get; }
    /// <summary>The map, row-major, in [0, 1]: held, or made again from the unchanged source.</summary>
    float[] Read();
    /// <summary>The held values, or null once let go (nothing is made again).</summary>
    float[]? TryRead();
}
