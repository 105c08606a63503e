namespace HeatmapTools.Engine.Slides;

/// <summary>
/// A row that names a tile of a slide with its value: by the tile's path as Get-SlideTile names it (slide, level, x, y,
/// side at that level), or by its level-0 X, Y and side (Extent). Its map, when it carries one, paints the tile.
/// </summary>
public sealed record SlideRow(string Item, string? TilePath, long? X, long? Y, long? Extent, double Probability, float[,]? Map = null, int? Label = null);

/// <summary>Where rows lie on a slide: each as a tile in the slide's level-0 pixels, whatever level it was cut at.</summary>
public static class TilePlacement
{
    /// <summary>
    /// The rows as tiles in level-0 pixels, in their order. A row that cannot be placed (a tile of another slide, a row
    /// with no side) is that row's error (SlideRegionInvalid), naming it; the others are placed.
    /// </summary>
    public static IReadOnlyList<ItemResult<TileProbability>> Place(Slide slide, IEnumerable<SlideRow> rows) =>
        rows.Select(row => One(slide, row)).ToList();

    /// <summary>
    /// A side of <paramref name="size"/> pixels at pyramid level <paramref name="level"/> in level-0 pixels; a level the slide
    /// lacks counts as its last (a tile path from a slide's copy with fewer levels still lands where it was cut).
    /// </summary>
    public static long Level0Extent(Slide slide, int level, long size) =>
        (long)Math.Round(size * slide.Levels[Math.Clamp(level, 0, slide.Levels.Count - 1)].Downsample);

    private static ItemResult<TileProbability> One(Slide slide, SlideRow row)
    {
        if (row.TilePath is not null && SlideTilePath.TryParse(row.TilePath, out var t))
        {
            if (!string.Equals(Path.GetFullPath(t.Slide), slide.Path, StringComparison.Ordinal))
                return Failed(row, $"'{row.Item}' is a tile of '{t.Slide}', not of '{slide.Path}'; it is left out.");
            return Placed(row, t.X, t.Y, Level0Extent(slide, t.Level, t.Size));
        }
        return row.Extent is long extent ? Placed(row, row.X!.Value, row.Y!.Value, extent)
            : Failed(row, $"'{row.Item}' gives no tile side: add an Extent column (level-0 pixels) or -TileExtent.");
    }

    private static ItemResult<TileProbability> Placed(SlideRow row, long x, long y, long extent)
    {
        var tile = new TileProbability(x, y, extent, row.Probability) { Label = row.Label };
        if (row.Map is { } map) tile = tile with { Map = map.Cast<float>().ToArray(), MapHeight = map.GetLength(0), MapWidth = map.GetLength(1) };
        return new ItemResult<TileProbability>(row.Item, tile, null);
    }

    private static ItemResult<TileProbability> Failed(SlideRow row, string message) =>
        new(row.Item, null, new HeatmapToolsException(ErrorIds.SlideRegionInvalid, ErrorKind.InvalidData, message, row.Item));
}
