using HeatmapTools.Engine.IO;
using HeatmapTools.Engine.Rendering;

namespace HeatmapTools.Engine.Slides;

/// <summary>A tile as Get-SlideTile hands it on: its grid facts, the path the image cmdlets read it by, and the file it was written to (if asked).</summary>
public sealed record SlideTileOutput(SlideTileInfo Info, string Path, double? Mpp, string? File);

/// <summary>Get-SlideTile's run: opens the slide, masks its tissue on a thumbnail, and streams the tiles on it, writing them if asked.</summary>
public static class SlideTiling
{
    public static IEnumerable<SlideTileOutput> Tiles(string slidePath, TileGridOptions options, string? outputFolder, bool force, IRunListener listener,
        CancellationToken cancellation)
    {
        var slide = SlideCache.Get(slidePath);
        double scale = slide.ScaleFor(options.MaskSize);
        TissueMask mask;
        using (var thumbnail = slide.Thumbnail(scale, cancellation)) mask = TissueMask.Of(thumbnail, scale, options.TissueThreshold);
        using (mask)
        {
            listener.Verbose($"{slide.Path}: {slide.Width} x {slide.Height}, {slide.Levels.Count} level(s); tissue above saturation {mask.Threshold:0.#}.");
            if (outputFolder is not null) AtomicFile.CreateFolder(outputFolder);
            string name = System.IO.Path.GetFileNameWithoutExtension(slide.Path);
            foreach (var tile in TileGrid.Tiles(slide, mask, options, cancellation))
            {
                double? mpp = slide.MppX * tile.Downsample;
                string? file = null;
                if (outputFolder is not null)
                {
                    file = System.IO.Path.Combine(outputFolder, System.IO.Path.GetFileName(SlideTilePath.Format(slide.Path, tile.Level, tile.X, tile.Y, tile.Size)));
                    using var region = slide.ReadRegion(tile.X, tile.Y, tile.Level, tile.Size, tile.Size);
                    AtomicFile.Write(file, force, stream => ImageEncoder.Encode(region, "png", stream, note: $"Get-SlideTile; {name}"), new HashSet<string> { slide.Path });
                }
                yield return new SlideTileOutput(tile, SlideTilePath.Format(slide.Path, tile.Level, tile.X, tile.Y, tile.Size), mpp, file);
            }
        }
    }
}
