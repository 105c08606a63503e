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
    /// <summary>With -Annotation: 1 when the tile's centre lies in the annotated tumour, else 0.</summary>
    public int? Target { get; init; }
    /// <summary>
    /// -StainNormalization as given to Get-SlideTile: written tiles were normalised, and a model cmdlet the tile is piped
    /// into binds these and normalises the tile it reads from the slide alike.
    /// </summary>
    [System.Management.Automation.Hidden] public StainMethod? StainNormalization { get; init; }
    [System.Management.Automation.Hidden] public string? StainTarget { get; init; }
    [System.Management.Automation.Hidden] public double[]? StainMatrix { get; init; }
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
    /// <summary>The pyramidal OME-TIFF, with -OmeTiffPath.</summary>
    public string? OmeTiffPath { get; init; }
    /// <summary>Its resolutions: the full one and each halving.</summary>
    public int OmeTiffLevels { get; init; }
    /// <summary>Microns per pixel at its full resolution, when the slide states its own.</summary>
    public double? OmeTiffPixelSize { get; init; }
    /// <summary>
    /// What Export-HeatmapReport's slide viewer paints the heatmap layer from (the tiles and how they were painted);
    /// internal, so PowerShell's formatting, Export-Csv and ConvertTo-Json never see it.
    /// </summary>
    internal Engine.Reporting.SlideViewerInput? ViewerSource { get; init; }
}

/// <summary>Measure-SlideAgreement's result for one slide.</summary>
public sealed class SlideAgreement
{
    public string Slide { get; init; } = "";
    public string Annotation { get; init; } = "";
    /// <summary>-AnnotationClass as given: the report's slide viewer outlines the same features.</summary>
    [System.Management.Automation.Hidden] public string? AnnotationClass { get; init; }
    public int Tiles { get; init; }
    /// <summary>Tiles whose centre lies in the annotation.</summary>
    public int TilesInAnnotation { get; init; }
    public double MaxProbability { get; init; }
    public double Threshold { get; init; }
    /// <summary>Some tile reaches the threshold: the slide is called positive.</summary>
    public bool PredictedPositive { get; init; }
    public bool AnnotatedPositive { get; init; }
    /// <summary>The share of the heatmap's probability mass inside the annotation.</summary>
    public double? MassInside { get; init; }
    /// <summary>The most probable tile's centre lies in the annotation.</summary>
    public bool? PointingGame { get; init; }
    /// <summary>Overlap of the area at or above the threshold with the annotation: 2|P and A| / (|P| + |A|).</summary>
    public double? Dice { get; init; }
    /// <summary>Tile probabilities against tiles whose centre is annotated; null when all tiles are one or the other.</summary>
    public double? Auroc { get; init; }
    /// <summary>Called positive and annotated, but the most probable tile misses the annotation or no area called positive lies inside it.</summary>
    public bool RightForWrongRegion { get; init; }
}

/// <summary>Get-SlideInfo's result.</summary>
public sealed class SlideInfo
{
    public string Path { get; init; } = "";
    public string? Vendor { get; init; }
    public long Width { get; init; }
    public long Height { get; init; }
    /// <summary>Microns per level-0 pixel, when the slide says (openslide.mpp-x, or a generic TIFF's resolution tags).</summary>
    public double? MppX { get; init; }
    public double? MppY { get; init; }
    public SlideInfoLevel[] Levels { get; init; } = Array.Empty<SlideInfoLevel>();
    /// <summary>Every property OpenSlide reports (openslide.*, tiff.*, the vendor's own), by name.</summary>
    public System.Collections.Hashtable Properties { get; init; } = new();
}

public sealed class SlideInfoLevel
{
    public int Level { get; init; }
    public long Width { get; init; }
    public long Height { get; init; }
    public double Downsample { get; init; }

    public override string ToString() => $"{Level}: {Width} x {Height} (/{Downsample:0.##})";
}
