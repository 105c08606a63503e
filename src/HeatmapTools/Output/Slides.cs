namespace HeatmapTools;

/// <summary>
/// Get-SlideTile's result: one tile of a slide. Its Path names the region (&lt;slide&gt;.tiles/..._L0_x..._y..._s256.png),
/// which Get-ClassPrediction and New-CamHeatmap read from the slide; their results carry it on to New-SlideHeatmap.
/// </summary>
public sealed class SlideTile
{
    public string Path { get; init; } = "";
    /// <summary>Binds Get-ClassPrediction's and New-CamHeatmap's -LiteralPath.</summary>
    public string PSPath => Path;
    public string Slide { get; init; } = "";
    public int Level { get; init; }
    /// <summary>The tile's top-left corner in level-0 pixels.</summary>
    public long X { get; init; }
    public long Y { get; init; }
    /// <summary>The tile's side at its level.</summary>
    public int Size { get; init; }
    /// <summary>The tile's side in level-0 pixels.</summary>
    public long Extent { get; init; }
    public double Downsample { get; init; }
    /// <summary>Microns per pixel at the tile's level, when the slide says.</summary>
    public double? Mpp { get; init; }
    public double TissueFraction { get; init; }
    /// <summary>The tile written as a PNG (-OutputPath); null otherwise.</summary>
    public string? File { get; init; }
}

/// <summary>New-SlideHeatmap's result.</summary>
public sealed class SlideHeatmap
{
    public string Path { get; init; } = "";
    public string Slide { get; init; } = "";
    public int Width { get; init; }
    public int Height { get; init; }
    /// <summary>Thumbnail pixels per level-0 pixel.</summary>
    public double Scale { get; init; }
    public int Tiles { get; init; }
    /// <summary>Tiles at or above -Threshold.</summary>
    public int TilesAbove { get; init; }
    public string? GeoJsonPath { get; init; }
}
