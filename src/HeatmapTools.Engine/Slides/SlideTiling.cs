using HeatmapTools.Engine.IO;
using HeatmapTools.Engine.Rendering;

namespace HeatmapTools.Engine.Slides;

/// <summary>A tile as Get-SlideTile hands it on: its grid facts, the path the image cmdlets read it by, and the file it was written to (if asked).</summary>
public sealed record SlideTileOutput(SlideTileInfo Info, string Path, double? Mpp, string? File)
{
    /// <summary>1 when the tile's centre lies in the annotation, 0 when not; null without an annotation.</summary>
    public int? Target { get; init; }
}

/// <summary>Get-SlideTile's run: opens the slide, masks its tissue on a thumbnail, and streams the tiles on it, writing them if asked.</summary>
public static class SlideTiling
{
    /// <summary>
    /// The slide's tiles on tissue. With <paramref name="annotation"/> (QuPath GeoJSON or a mask) each tile is labelled by
    /// whether its centre lies in it, and written tiles are named as the Kaggle IDC patches are
    /// (&lt;slide&gt;_idx5_x&lt;X&gt;_y&lt;Y&gt;_class&lt;0|1&gt;.png, X and Y in pixels of the level read and 1-based as IDC's are, so
    /// tiles are TileSize apart on IDC's grid):
    /// New-PatientPatchGrid rebuilds the slide from them.
    /// </summary>
    /// <param name="stain">Written tiles are brought to this stain first; a tile it cannot normalise (no tissue) is that tile's error and is not handed on.</param>
    /// <param name="name">What the written tiles are named by (the patient id of IDC-named tiles): the slide's base name
    /// unless the caller keeps two slides of one name apart.</param>
    public static IEnumerable<SlideTileOutput> Tiles(string slidePath, TileGridOptions options, string? outputFolder, bool force, IRunListener listener,
        CancellationToken cancellation, string? annotation = null, string? annotationClass = null, string? name = null, Stain.StainNormalizer? stain = null)
    {
        var slide = SlideCache.Get(slidePath);
        double scale = slide.ScaleFor(options.MaskSize);
        TissueMask mask;
        using (var thumbnail = slide.Thumbnail(scale, cancellation)) mask = TissueMask.Of(thumbnail, scale, options.TissueThreshold);
        using var annotated = annotation is null ? null : SlideAnnotation.Rasterize(annotation, slide.Width, slide.Height, scale, mask.Mask.Width, mask.Mask.Height, annotationClass);
        int? LabelOf(SlideTileInfo t)
        {
            if (annotated is null) return null;
            int x = Math.Clamp((int)Math.Floor((t.X + t.Extent / 2.0) * scale), 0, annotated.Width - 1);
            int y = Math.Clamp((int)Math.Floor((t.Y + t.Extent / 2.0) * scale), 0, annotated.Height - 1);
            return annotated.At<byte>(y, x) != 0 ? 1 : 0;
        }
        using (mask)
        {
            listener.Verbose($"{slide.Path}: {slide.Width} x {slide.Height}, {slide.Levels.Count} level(s); tissue above saturation {mask.Threshold:0.#}.");
            if (slide.ImplausibleMpp is double stated && options.SlideMpp is null)
                listener.Warning($"'{slide.Path}' says {stated:0.###} microns per pixel, which no slide scanner gives (a TIFF written without its " +
                                 "resolution, such as vips' default 72 dpi); the tiles carry no Mpp. Give the scanner's with -SlideMpp.");
            if (outputFolder is not null) AtomicFile.CreateFolder(outputFolder);
            name ??= System.IO.Path.GetFileNameWithoutExtension(slide.Path);
            int count = 0;
            foreach (var tile in TileGrid.Tiles(slide, mask, options, cancellation))
            {
                count++;
                double? mpp = (options.SlideMpp ?? slide.MppX) * tile.Downsample;
                int? target = LabelOf(tile);
                string? file = null;
                if (outputFolder is not null)
                {
                    string fileName = target is int c
                        ? string.Create(System.Globalization.CultureInfo.InvariantCulture,
                            $"{name}_idx5_x{(long)Math.Round(tile.X / tile.Downsample) + 1}_y{(long)Math.Round(tile.Y / tile.Downsample) + 1}_class{c}.png")
                        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{name}_L{tile.Level}_x{tile.X}_y{tile.Y}_s{tile.Size}.png");
                    file = System.IO.Path.Combine(outputFolder, fileName);
                    using var region = slide.ReadRegion(tile.X, tile.Y, tile.Level, tile.Size, tile.Size);
                    OpenCvSharp.Mat? normalised = null;
                    try
                    {
                        try
                        {
                            normalised = stain?.Transform(region, SlideTilePath.Format(slide.Path, tile.Level, tile.X, tile.Y, tile.Size));
                        }
                        catch (HeatmapToolsException error)
                        {
                            listener.ItemFailed(error);
                            continue;
                        }
                        var written = normalised ?? region;
                        AtomicFile.Write(file, force, stream => ImageEncoder.Encode(written, "png", stream,
                            note: $"Get-SlideTile; {name}" + (stain is null ? "" : $"; {stain.Method} stain of '{stain.TargetName}'")), new HashSet<string> { slide.Path, stain?.TargetName ?? "" });
                    }
                    finally
                    {
                        normalised?.Dispose();
                    }
                }
                yield return new SlideTileOutput(tile, SlideTilePath.Format(slide.Path, tile.Level, tile.X, tile.Y, tile.Size), mpp, file) { Target = target };
            }
            // No tiles is an answer the user must hear, with its reason: a slide smaller than a tile, or no tissue found.
            if (count == 0)
            {
                var level = slide.Levels[TileGrid.LevelFor(slide, options)];
                listener.Warning(level.Width < options.TileSize || level.Height < options.TileSize
                    ? $"'{slide.Path}' gave no tiles: it is {level.Width} x {level.Height} pixels at level {level.Index}, smaller than one {options.TileSize}-pixel tile."
                    : $"'{slide.Path}' gave no tiles: no {options.TileSize}-pixel tile at level {level.Index} has {options.MinTissue:P0} tissue (saturation above {mask.Threshold:0.#}); lower -MinTissue or -TissueThreshold.");
            }
        }
    }
}
