using System.Globalization;
using OpenCvSharp;

namespace HeatmapTools.Engine.Slides;

/// <summary>One level of a slide's pyramid: its size and how many level-0 pixels one of its pixels spans.</summary>
public sealed record SlideLevel(int Index, long Width, long Height, double Downsample);

/// <summary>
/// A whole-slide image (read through OpenSlide, or a plain image made into a pyramid: see <see cref="ISlideSource"/>):
/// its levels, resolution and vendor properties, regions at any level, and thumbnails. Nothing reads a whole level:
/// regions are bounded by <see cref="MaxRegionPixels"/> and thumbnails are assembled chunk by chunk.
/// </summary>
public sealed class Slide : IDisposable
{
    /// <summary>The largest region one read may return (64 megapixels, 256 MB of BGRA).</summary>
    public const long MaxRegionPixels = 64L << 20;
    private const int Chunk = 2048;

    private readonly ISlideSource _source;

    private Slide(string path, ISlideSource source)
    {
        Path = path;
        _source = source;
        Levels = source.Levels;
        Properties = source.Properties;
        Vendor = source.Vendor;
        double? x = Number(Properties.GetValueOrDefault("openslide.mpp-x")) ?? FromTiffResolution("X");
        double? y = Number(Properties.GetValueOrDefault("openslide.mpp-y")) ?? FromTiffResolution("Y");
        // A resolution no scanner has (vips writes 72 dpi, about 353 um per pixel, when it is given none) is not trusted.
        if (x is double ux && !Plausible(ux) || y is double uy && !Plausible(uy)) ImplausibleMpp = x ?? y;
        else (MppX, MppY) = (x, y);
    }

    /// <summary>Microns per pixel a slide scanner can have at level 0: from about 0.05 (100x) to 50 (below 0.5x).</summary>
    public static bool Plausible(double mpp) => mpp is >= 0.02 and <= 100;

    /// <summary>The resolution the file states when it is not one a slide can have (then MppX and MppY are null).</summary>
    public double? ImplausibleMpp { get; }

    public string Path { get; }
    public IReadOnlyList<SlideLevel> Levels { get; }
    public long Width => Levels[0].Width;
    public long Height => Levels[0].Height;
    public string? Vendor { get; }
    /// <summary>Microns per level-0 pixel, when the slide says (vendor formats do; a plain TIFF may not).</summary>
    public double? MppX { get; }
    public double? MppY { get; }
    public IReadOnlyDictionary<string, string> Properties { get; }

    /// <summary>
    /// Whether OpenSlide reads this file as a slide (a tiled, pyramidal image; a plain TIFF is not one). False when
    /// OpenSlide is not installed. A plain image opens as a slide too, but is not one of these.
    /// </summary>
    public static bool Recognises(string path) => OpenSlideSource.Recognises(path);

    /// <summary>
    /// Opens a slide: through OpenSlide when it reads the file, else a plain image OpenCV decodes (a scan saved as PNG,
    /// JPEG or a strip TIFF) made into a pyramid once (<see cref="ImageSlideSource"/>). SlideReaderMissing when
    /// libopenslide0 is not installed, SlideUnreadable when neither reads the file.
    /// </summary>
    public static Slide Open(string path)
    {
        path = System.IO.Path.GetFullPath(path);
        if (!File.Exists(path))
            throw new HeatmapToolsException(ErrorIds.FileNotFound, ErrorKind.ObjectNotFound, $"Slide '{path}' does not exist.", path);
        ISlideSource source = OpenSlideSource.Recognises(path) || !ImageSlideSource.Readable(path) ? OpenSlideSource.Open(path) : ImageSlideSource.Open(path);
        return new Slide(path, source);
    }

    /// <summary>The level whose downsample is the largest not above <paramref name="downsample"/> (level 0 when none is).</summary>
    public SlideLevel LevelFor(double downsample) =>
        Levels.Where(l => l.Downsample <= downsample * 1.0001).OrderByDescending(l => l.Downsample).FirstOrDefault() ?? Levels[0];

    /// <summary>
    /// The region whose top-left corner is (<paramref name="x"/>, <paramref name="y"/>) in level-0 pixels, <paramref name="width"/> x
    /// <paramref name="height"/> pixels of <paramref name="level"/>, as 8-bit BGR composited over white (OpenSlide's
    /// transparent pixels, outside the scanned area, are white). The caller disposes it.
    /// </summary>
    public Mat ReadRegion(long x, long y, int level, int width, int height)
    {
        if (level < 0 || level >= Levels.Count)
            throw new HeatmapToolsException(ErrorIds.SlideRegionInvalid, ErrorKind.InvalidArgument,
                $"'{Path}' has levels 0..{Levels.Count - 1}; level {level} does not exist.", level);
        if (width <= 0 || height <= 0 || (long)width * height > MaxRegionPixels)
            throw new HeatmapToolsException(ErrorIds.SlideRegionInvalid, ErrorKind.LimitsExceeded,
                $"A region of {width} x {height} pixels cannot be read from '{Path}' at once (1 to {MaxRegionPixels / (1 << 20)} megapixels).", Path);
        return _source.ReadRegion(x, y, level, width, height);
    }

    /// <summary>
    /// The whole slide at <paramref name="scale"/> thumbnail pixels per level-0 pixel, read from the smallest level at
    /// least as detailed, chunk by chunk, each shrunk into its place: memory stays a chunk and the thumbnail.
    /// </summary>
    public Mat Thumbnail(double scale, CancellationToken cancellation = default)
    {
        int width = Math.Max(1, (int)Math.Round(Width * scale)), height = Math.Max(1, (int)Math.Round(Height * scale));
        var level = LevelFor(1 / scale);
        var thumbnail = new Mat(height, width, MatType.CV_8UC3, Scalar.All(255));
        double fx = (double)width / level.Width, fy = (double)height / level.Height;
        // Reading a large slide's level takes a while: how far it is goes to the run's listener, a few times a second.
        var listener = Running.RunScope.Current;
        long chunks = (level.Width + Chunk - 1) / Chunk * ((level.Height + Chunk - 1) / Chunk), done = 0;
        var shown = DateTime.MinValue;
        for (long cy = 0; cy < level.Height; cy += Chunk)
        {
            for (long cx = 0; cx < level.Width; cx += Chunk, done++)
            {
                cancellation.ThrowIfCancellationRequested();
                if ((DateTime.UtcNow - shown).TotalMilliseconds >= 250)
                {
                    shown = DateTime.UtcNow;
                    listener.Progress($"Reading {System.IO.Path.GetFileName(Path)} (level {level.Index})", (double)done / chunks);
                }
                int cw = (int)Math.Min(Chunk, level.Width - cx), ch = (int)Math.Min(Chunk, level.Height - cy);
                int x0 = (int)Math.Floor(cx * fx), y0 = (int)Math.Floor(cy * fy);
                int x1 = Math.Min(width, (int)Math.Floor((cx + cw) * fx)), y1 = Math.Min(height, (int)Math.Floor((cy + ch) * fy));
                if (x1 <= x0 || y1 <= y0) continue;
                using var region = ReadRegion((long)Math.Round(cx * level.Downsample), (long)Math.Round(cy * level.Downsample), level.Index, cw, ch);
                using var part = thumbnail[new Rect(x0, y0, x1 - x0, y1 - y0)];
                Cv2.Resize(region, part, new Size(x1 - x0, y1 - y0), 0, 0, InterpolationFlags.Area);
            }
        }
        listener.Progress($"Reading {System.IO.Path.GetFileName(Path)} (level {level.Index})", 1.0);
        return thumbnail;
    }

    /// <summary>The scale that makes the slide's longer side <paramref name="maxSize"/> pixels.</summary>
    public double ScaleFor(int maxSize) => (double)maxSize / Math.Max(Width, Height);

    /// <summary>
    /// A generic TIFF's resolution tags (pixels per centimetre or inch) as microns per pixel, as OpenSlide 4 reads them;
    /// Debian's OpenSlide 3.4 gives only the tags.
    /// </summary>
    private double? FromTiffResolution(string axis)
    {
        if (Number(Properties.GetValueOrDefault($"tiff.{axis}Resolution")) is not double perUnit) return null;
        return Properties.GetValueOrDefault("tiff.ResolutionUnit") switch
        {
            "centimeter" => 10000 / perUnit,
            "inch" => 25400 / perUnit,
            _ => null,
        };
    }

    private static double? Number(string? text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : null;

    /// <summary>Lets go of what the source holds open (the open-slide cache calls it); the next read opens it again.</summary>
    internal void Release() => _source.Release();

    public void Dispose() => _source.Dispose();
}
