using HeatmapTools.Engine.IO;
using HeatmapTools.Engine.Rendering;
using OpenCvSharp;

namespace HeatmapTools.Engine.Slides;

/// <summary>A tile's prediction on a slide: its square in level-0 pixels and the positive class's probability.</summary>
public sealed record TileProbability(long X, long Y, long Extent, double Probability)
{
    /// <summary>A CAM map of the tile (row-major, values 0..1): painted over its square instead of one colour (the mosaic).</summary>
    public float[]? Map { get; init; }
    public int MapWidth { get; init; }
    public int MapHeight { get; init; }
    /// <summary>The tile's true class (1 tumour, 0 not), when the rows give it: painted with -Labels.</summary>
    public int? Label { get; init; }
}

public sealed record SlideHeatmapOptions
{
    /// <summary>The longer side of the thumbnail the heatmap is drawn over.</summary>
    public int MaxSize { get; init; } = 2048;
    /// <summary>OpenCV's colormap name (jet, viridis, ...).</summary>
    public string Colormap { get; init; } = Rendering.OverlayDefaults.Colormap;
    public double Alpha { get; init; } = Rendering.OverlayDefaults.RegionAlpha;
    /// <summary>Tiles at or above it are outlined (contours) and exported to GeoJSON; null: neither.</summary>
    public double? Threshold { get; init; }
    public string? GeoJsonPath { get; init; }
    public bool Force { get; init; }
    /// <summary>Paint each tile's true class (tumour red, other tissue pink, as the patient grids do) instead of its probability.</summary>
    public bool Labels { get; init; }
    /// <summary>Also write the values as a pyramidal OME-TIFF at the slide's geometry (QuPath's overlay); null: not.</summary>
    public string? OmeTiffPath { get; init; }
    public OmeTiffOptions OmeTiff { get; init; } = new();
}

public sealed record SlideHeatmapResult(string Path, string Slide, int Width, int Height, double Scale, int Tiles, int TilesAbove, string? GeoJsonPath)
{
    public OmeTiffResult? OmeTiff { get; init; }
}

/// <summary>
/// Paints tile probabilities over a slide's thumbnail: each tile's square filled with the colormap's colour for its
/// probability, or with its CAM map resized to the square (the mosaic); tiles that overlap share their mean; blended at alpha, outlined where the probability reaches the
/// threshold, beside a colour bar. Squares are placed by the same scale as the thumbnail, so they cover exactly the
/// tissue they were read from.
/// </summary>
public static class SlideHeatmap
{
    private const int BarWidth = 60;

    public static SlideHeatmapResult Write(Slide slide, IReadOnlyList<TileProbability> tiles, string output, SlideHeatmapOptions options, CancellationToken cancellation)
    {
        var bad = tiles.FirstOrDefault(t => !double.IsFinite(t.Probability) || t.Probability < 0 || t.Probability > 1);
        if (bad is not null)
            throw new HeatmapToolsException(ErrorIds.SlideRegionInvalid, ErrorKind.InvalidData,
                $"The tile at x={bad.X}, y={bad.Y} has probability {bad.Probability}: a heatmap needs values in 0..1.", bad);
        var outside = tiles.FirstOrDefault(t => t.X < 0 || t.Y < 0 || t.Extent <= 0 || t.X + t.Extent > slide.Width || t.Y + t.Extent > slide.Height);
        if (outside is not null)
            throw new HeatmapToolsException(ErrorIds.SlideRegionInvalid, ErrorKind.InvalidData,
                $"The tile at x={outside.X}, y={outside.Y} (side {outside.Extent}) lies outside '{slide.Path}' ({slide.Width} x {slide.Height}): " +
                "its coordinates are not level-0 pixels of this slide.", outside);
        var unlabelled = options.Labels ? tiles.FirstOrDefault(t => t.Label is null) : null;
        if (unlabelled is not null)
            throw new HeatmapToolsException(ErrorIds.SlideRegionInvalid, ErrorKind.InvalidData,
                $"-Labels paints each tile's true class; the tile at x={unlabelled.X}, y={unlabelled.Y} has none (a Target of 0 or 1: Get-SlideTile -Annotation gives it).", unlabelled);
        // A CAM map is scaled to its own peak: every mosaic tile's peak is 1, so every tile would be "above" any threshold.
        var mapped = options.Threshold is null || options.Labels ? null : tiles.FirstOrDefault(t => t.Map is not null);
        if (mapped is not null)
            throw new HeatmapToolsException(ErrorIds.ThresholdNotApplicable, ErrorKind.InvalidArgument,
                $"-Threshold outlines tiles whose probability reaches it; the tile at x={mapped.X}, y={mapped.Y} is a CAM map, and each map is " +
                "scaled to its own peak (1), so every tile would count as above. Threshold the tiles' probabilities instead: pipe the " +
                "Get-ClassPrediction results of the tiles, or paint the mosaic without -Threshold.", options.Threshold);
        // Never above level 0: a slide smaller than -MaxSize is painted at its own size, not blown up into blocks.
        double scale = Math.Min(1, slide.ScaleFor(options.MaxSize));
        using var thumbnail = slide.Thumbnail(scale, cancellation);
        int width = thumbnail.Width, height = thumbnail.Height;
        // With -Labels the raster holds each tile's class (0 or 1) where it would hold its probability.
        var (mean, coveredMask) = Raster(options.Labels ? tiles.Select(t => t with { Probability = t.Label!.Value, Map = null }).ToList() : tiles, scale, width, height);
        using var _mean = mean;
        using var _covered = coveredMask;
        using var levels = new Mat();
        mean.ConvertTo(levels, MatType.CV_8UC1, 255);
        using var colours = new Mat();
        var colormap = Colormaps.Parse(options.Colormap);
        if (options.Labels) LabelColours(levels, colours);
        else Cv2.ApplyColorMap(levels, colours, colormap);
        using var blended = thumbnail.Clone();
        using (var mixed = new Mat())
        {
            Cv2.AddWeighted(thumbnail, 1 - options.Alpha, colours, options.Alpha, 0, mixed);
            mixed.CopyTo(blended, coveredMask);
        }
        int above = 0;
        byte[]? geoJson = null;
        if (options.Threshold is double threshold)
        {
            using var hot = new Mat();
            Cv2.Threshold(mean, hot, threshold - 1e-9, 255, ThresholdTypes.Binary);
            using var hotMask = new Mat();
            hot.ConvertTo(hotMask, MatType.CV_8UC1);
            Cv2.BitwiseAnd(hotMask, coveredMask, hotMask);
            Cv2.FindContours(hotMask, out var contours, out _, RetrievalModes.External, ContourApproximationModes.ApproxSimple);
            Cv2.DrawContours(blended, contours, -1, Scalar.All(0), 2);
            above = tiles.Count(t => t.Probability >= threshold);
            if (options.GeoJsonPath is not null)
            {
                using var buffer = new MemoryStream();
                QuPathGeoJson.Write(buffer, tiles.Where(t => t.Probability >= threshold).ToList(), contours, scale, threshold);
                geoJson = buffer.ToArray();
            }
        }
        using var canvas = new Mat(height, width + BarWidth, MatType.CV_8UC3, Scalar.All(255));
        blended.CopyTo(canvas[new Rect(0, 0, width, height)]);
        if (options.Labels)
        {
            foreach (var (label, colour, y) in new[] { ("tumour", Tumour, 8), ("other", Other, 30) })
            {
                Cv2.Rectangle(canvas, new Rect(width + 6, y, 12, 12), colour, -1);
                Cv2.PutText(canvas, label, new Point(width + 6, y + 24), HersheyFonts.HersheySimplex, 0.35, Scalar.All(0), 1, LineTypes.AntiAlias);
            }
        }
        else
        {
            var lut = Colormaps.Colors(colormap).Select(v => new Scalar(v.Item0, v.Item1, v.Item2)).ToArray();
            Patches.PatientAnnotations.DrawColorBar(canvas, width, lut, (0, 1));
        }
        // The image, its GeoJSON and its OME-TIFF are one result: all are written or none (a refused image leaves no new
        // GeoJSON beside an old image, and an output that cannot be written takes the others away again).
        var inputs = new HashSet<string> { slide.Path };
        var all = new[] { output, geoJson is null ? null : options.GeoJsonPath, options.OmeTiffPath }.OfType<string>().Select(System.IO.Path.GetFullPath).ToList();
        if (all.Distinct().Count() < all.Count)
            throw new HeatmapToolsException(ErrorIds.OutputNameRepeated, ErrorKind.InvalidArgument,
                $"The heatmap, its GeoJSON and its OME-TIFF need three names; two of them are '{all.GroupBy(p => p).First(g => g.Count() > 1).Key}'.", output);
        foreach (var other in all)
            if (!options.Force && File.Exists(other))
                throw new HeatmapToolsException(ErrorIds.OutputExists, ErrorKind.ResourceExists, AtomicFile.ExistsMessage(other), other);
        var written = new List<string>();
        OmeTiffResult? pyramid = null;
        try
        {
            // The OME-TIFF first: it takes longest, and a cancelled run then leaves nothing.
            if (options.OmeTiffPath is { } ome)
            {
                var channel = options.Labels ? "label" : tiles.Any(t => t.Map is not null) ? "CAM" : "probability";
                var paint = options.Labels ? tiles.Select(t => t with { Probability = t.Label!.Value, Map = null }).ToList() : tiles;
                pyramid = OmeTiffHeatmap.Write(SlideGeometry.Of(slide), paint, ome, options.OmeTiff with { Channel = channel }, options.Force, inputs, cancellation);
                written.Add(pyramid.Path);
            }
            var outputs = new HashSet<string>(inputs.Concat(written));
            AtomicFile.Write(output, options.Force, stream => ImageEncoder.Encode(canvas, System.IO.Path.GetExtension(output).TrimStart('.'), stream, note: "New-SlideHeatmap"),
                outputs);
            written.Add(System.IO.Path.GetFullPath(output));
            if (geoJson is not null && options.GeoJsonPath is { } geo)
                AtomicFile.Write(geo, options.Force, stream => stream.Write(geoJson), new HashSet<string>(inputs.Concat(written)));
        }
        catch (Exception ex) when (ex is HeatmapToolsException or OperationCanceledException)
        {
            foreach (var path in written)
                try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
        return new SlideHeatmapResult(System.IO.Path.GetFullPath(output), slide.Path, width, height, scale, tiles.Count, above,
            options.Threshold is null ? null : options.GeoJsonPath is null ? null : System.IO.Path.GetFullPath(options.GeoJsonPath)) { OmeTiff = pyramid };
    }

    // The patient grids' label colours (BGR): tumour red, other tissue pink.
    private static readonly Scalar Tumour = new(0, 0, 255), Other = new(203, 192, 255);

    /// <summary>Class 1 (255 in <paramref name="levels"/>) tumour red, anything less the other tissue's pink; overlapping tiles of both classes count as tumour when most are.</summary>
    internal static void LabelColours(Mat levels, Mat colours)
    {
        colours.Create(levels.Size(), MatType.CV_8UC3);
        colours.SetTo(Other);
        using var tumour = new Mat();
        Cv2.Threshold(levels, tumour, 127, 255, ThresholdTypes.Binary);
        colours.SetTo(Tumour, tumour);
    }

    /// <summary>
    /// The tiles as a raster at <paramref name="scale"/>: each pixel's mean probability over the tiles covering it (0 where
    /// none does, float), and which pixels any tile covers (255). The caller disposes both.
    /// </summary>
    public static (Mat Mean, Mat Covered) Raster(IReadOnlyList<TileProbability> tiles, double scale, int width, int height) =>
        RasterWindow(tiles, scale, width, height, new Rect(0, 0, width, height));

    /// <summary>
    /// <see cref="Raster"/> for one window of a raster of <paramref name="width"/> x <paramref name="height"/> (long: a
    /// slide's level 0 exceeds int), from <paramref name="tiles"/> that may cover it: the OME-TIFF writes a level window by
    /// window. A CAM map is sampled over the part of its square inside the window as if resized to the whole square.
    /// </summary>
    public static (Mat Mean, Mat Covered) RasterWindow(IEnumerable<TileProbability> tiles, double scale, long width, long height, Rect window)
    {
        using var sum = new Mat(window.Height, window.Width, MatType.CV_32FC1, Scalar.All(0));
        using var count = new Mat(window.Height, window.Width, MatType.CV_32FC1, Scalar.All(0));
        foreach (var t in tiles)
        {
            var (fx, fy, fw, fh) = Footprint(t, scale, width, height);
            long ix0 = Math.Max(fx, window.X), iy0 = Math.Max(fy, window.Y);
            long ix1 = Math.Min(fx + fw, window.X + window.Width), iy1 = Math.Min(fy + fh, window.Y + window.Height);
            if (ix1 <= ix0 || iy1 <= iy0) continue;
            var r = new Rect((int)(ix0 - window.X), (int)(iy0 - window.Y), (int)(ix1 - ix0), (int)(iy1 - iy0));
            using (var s = sum[r])
            {
                if (t.Map is { } map)
                {
                    using var source = Mat.FromPixelData(t.MapHeight, t.MapWidth, MatType.CV_32FC1, map);
                    // The whole square resized, then its part in the window: the same values whichever window holds them.
                    using var sized = new Mat();
                    Cv2.Resize(source, sized, new Size((int)fw, (int)fh), 0, 0, InterpolationFlags.Linear);
                    using var part = sized[new Rect((int)(ix0 - fx), (int)(iy0 - fy), r.Width, r.Height)];
                    Cv2.Add(s, part, s);
                }
                else
                    Cv2.Add(s, new Scalar(t.Probability), s);
            }
            using (var c = count[r]) Cv2.Add(c, new Scalar(1), c);
        }
        using var covered = new Mat();
        Cv2.Threshold(count, covered, 0, 255, ThresholdTypes.Binary);
        var coveredMask = new Mat();
        covered.ConvertTo(coveredMask, MatType.CV_8UC1);
        var mean = new Mat();
        Cv2.Divide(sum, count, mean);
        using (var uncovered = new Mat())
        {
            Cv2.BitwiseNot(coveredMask, uncovered);
            mean.SetTo(Scalar.All(0), uncovered);
        }
        return (mean, coveredMask);
    }

    /// <summary>A tile's square on a raster at <paramref name="scale"/>: its level-0 corners times the scale, rounded to the pixel grid.</summary>
    public static (long X, long Y, long Width, long Height) Footprint(TileProbability t, double scale, long width, long height)
    {
        long x0 = (long)Math.Round(t.X * scale), y0 = (long)Math.Round(t.Y * scale);
        long x1 = Math.Min(width, (long)Math.Round((t.X + t.Extent) * scale)), y1 = Math.Min(height, (long)Math.Round((t.Y + t.Extent) * scale));
        return (x0, y0, Math.Max(0, x1 - x0), Math.Max(0, y1 - y0));
    }
}
