namespace HeatmapTools.Engine.Slides;

/// <summary>One tile of a slide: where it is (level-0 pixels), which level it is read at, its size there, and how much tissue it covers.</summary>
public sealed record SlideTileInfo(string Slide, int Level, long X, long Y, int Size, double Downsample, double TissueFraction)
{
    /// <summary>The tile's side in level-0 pixels.</summary>
    public long Extent => (long)Math.Round(Size * Downsample);
}

/// <summary>What a tile grid is asked for: tile side at the level read, the level (or microns per pixel), overlap, tissue.</summary>
public sealed record TileGridOptions
{
    public int TileSize { get; init; } = 256;
    /// <summary>The level tiles are read at; null picks it from <see cref="Mpp"/>, or level 0.</summary>
    public int? Level { get; init; }
    /// <summary>Microns per pixel wanted: the level whose resolution is nearest without being coarser.</summary>
    public double? Mpp { get; init; }

    /// <summary>Level-0 microns per pixel given by the user (-SlideMpp), over what the slide says.</summary>
    public double? SlideMpp { get; init; }
    /// <summary>Pixels (at the level read) neighbouring tiles share.</summary>
    public int Overlap { get; init; }
    /// <summary>Saturation threshold (0-255) of the tissue mask; null: Otsu's.</summary>
    public double? TissueThreshold { get; init; }
    /// <summary>The smallest share of a tile that must be tissue for it to be kept.</summary>
    public double MinTissue { get; init; } = 0.25;
    /// <summary>Longest side of the thumbnail the mask is computed on.</summary>
    public int MaskSize { get; init; } = 2048;
}

/// <summary>Lays a grid of tiles over a slide and keeps those on tissue, row by row.</summary>
public static class TileGrid
{
    public static int LevelFor(Slide slide, TileGridOptions options)
    {
        if (options.Level is int level)
        {
            if (level < 0 || level >= slide.Levels.Count)
                throw new HeatmapToolsException(ErrorIds.SlideRegionInvalid, ErrorKind.InvalidArgument,
                    $"'{slide.Path}' has levels 0..{slide.Levels.Count - 1}; -Level {level} does not exist.", level);
            return level;
        }
        if (options.Mpp is double mpp)
        {
            if ((options.SlideMpp ?? slide.MppX) is not double base0)
                throw new HeatmapToolsException(ErrorIds.SlideRegionInvalid, ErrorKind.InvalidArgument,
                    slide.ImplausibleMpp is double stated
                        ? $"'{slide.Path}' says {stated:0.###} microns per pixel, which no slide scanner gives (a TIFF written without its resolution); " +
                          "give the scanner's with -SlideMpp, or -Level instead of -Mpp."
                        : $"'{slide.Path}' does not say its microns per pixel (no openslide.mpp-x property): give it with -SlideMpp, or -Level instead of -Mpp.", slide.Path);
            return slide.LevelFor(mpp / base0).Index;
        }
        return 0;
    }

    public static IEnumerable<SlideTileInfo> Tiles(Slide slide, TissueMask mask, TileGridOptions options, CancellationToken cancellation = default)
    {
        if (options.TileSize < 8 || options.Overlap < 0 || options.Overlap >= options.TileSize)
            throw new HeatmapToolsException(ErrorIds.SlideRegionInvalid, ErrorKind.InvalidArgument,
                $"-TileSize {options.TileSize} with -Overlap {options.Overlap}: tiles need at least 8 pixels and an overlap below their size.", options.TileSize);
        var level = slide.Levels[LevelFor(slide, options)];
        int stride = options.TileSize - options.Overlap;
        for (long ty = 0; ty + options.TileSize <= level.Height; ty += stride)
        {
            cancellation.ThrowIfCancellationRequested();
            for (long tx = 0; tx + options.TileSize <= level.Width; tx += stride)
            {
                long x = (long)Math.Round(tx * level.Downsample), y = (long)Math.Round(ty * level.Downsample);
                long extent = (long)Math.Round(options.TileSize * level.Downsample);
                double tissue = mask.Fraction(x, y, extent, extent);
                if (tissue >= options.MinTissue) yield return new SlideTileInfo(slide.Path, level.Index, x, y, options.TileSize, level.Downsample, tissue);
            }
        }
    }
}
