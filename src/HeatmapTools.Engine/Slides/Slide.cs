using System.Globalization;
using OpenCvSharp;

namespace HeatmapTools.Engine.Slides;

/// <summary>One level of a slide's pyramid: its size and how many level-0 pixels one of its pixels spans.</summary>
public sealed record SlideLevel(int Index, long Width, long Height, double Downsample);

/// <summary>
/// A whole-slide image read through OpenSlide (Aperio .svs, Hamamatsu .ndpi, MIRAX, Leica, generic pyramidal TIFF, ...):
/// its levels, resolution and vendor properties, regions at any level, and thumbnails. Nothing reads a whole level:
/// regions are bounded by <see cref="MaxRegionPixels"/> and thumbnails are assembled chunk by chunk.
/// </summary>
public sealed class Slide : IDisposable
{
    /// <summary>The largest region one read may return (64 megapixels, 256 MB of BGRA).</summary>
    public const long MaxRegionPixels = 64L << 20;
    private const int Chunk = 2048;

    private IntPtr _handle;
    private readonly object _gate = new();

    private Slide(string path, IntPtr handle)
    {
        Path = path;
        _handle = handle;
        int count = OpenSlideNative.LevelCount(handle);
        Levels = Enumerable.Range(0, count).Select(l =>
        {
            OpenSlideNative.LevelDimensions(handle, l, out long w, out long h);
            return new SlideLevel(l, w, h, OpenSlideNative.LevelDownsample(handle, l));
        }).ToList();
        Properties = ReadProperties(handle);
        Vendor = Properties.GetValueOrDefault("openslide.vendor");
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
    /// OpenSlide is not installed.
    /// </summary>
    public static bool Recognises(string path) =>
        File.Exists(path) && OpenSlideNative.Available && OpenSlideNative.Text(OpenSlideNative.DetectVendor(System.IO.Path.GetFullPath(path))) is not null;

    /// <summary>Opens a slide; SlideReaderMissing when libopenslide0 is not installed, SlideUnreadable when OpenSlide cannot read the file.</summary>
    public static Slide Open(string path)
    {
        path = System.IO.Path.GetFullPath(path);
        if (!OpenSlideNative.Available)
            throw new HeatmapToolsException(ErrorIds.SlideReaderMissing, ErrorKind.NotInstalled,
                "Reading slides needs OpenSlide: install Debian's libopenslide0 (apt-get install libopenslide0) and import the module again.", path);
        if (!File.Exists(path))
            throw new HeatmapToolsException(ErrorIds.FileNotFound, ErrorKind.ObjectNotFound, $"Slide '{path}' does not exist.", path);
        var handle = OpenSlideNative.Open(path);
        if (handle == IntPtr.Zero)
            throw new HeatmapToolsException(ErrorIds.SlideUnreadable, ErrorKind.InvalidData,
                $"'{path}' is not a slide OpenSlide reads (Aperio, Hamamatsu, Leica, MIRAX, Philips, Sakura, Ventana, generic tiled TIFF).", path);
        if (OpenSlideNative.Text(OpenSlideNative.GetError(handle)) is { } error)
        {
            OpenSlideNative.Close(handle);
            throw new HeatmapToolsException(ErrorIds.SlideUnreadable, ErrorKind.InvalidData, $"OpenSlide could not read '{path}': {error}", path);
        }
        return new Slide(path, handle);
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
        using var bgra = new Mat(height, width, MatType.CV_8UC4);
        lock (_gate)
        {
            var handle = Handle();
            unsafe
            {
                OpenSlideNative.ReadRegion(handle, (uint*)bgra.DataPointer, x, y, level, width, height);
            }
            if (OpenSlideNative.Text(OpenSlideNative.GetError(handle)) is { } error)
                throw new HeatmapToolsException(ErrorIds.SlideUnreadable, ErrorKind.ReadError, $"OpenSlide failed reading '{Path}': {error}", Path);
        }
        return OverWhite(bgra);
    }

    /// <summary>Premultiplied BGRA over white: each channel plus what alpha leaves uncovered.</summary>
    private static Mat OverWhite(Mat bgra)
    {
        var channels = Cv2.Split(bgra);
        try
        {
            using var uncovered = new Mat();
            Cv2.Subtract(new Scalar(255), channels[3], uncovered);
            for (int c = 0; c < 3; c++) Cv2.Add(channels[c], uncovered, channels[c]);
            var bgr = new Mat();
            Cv2.Merge(channels[..3], bgr);
            return bgr;
        }
        finally
        {
            foreach (var c in channels) c.Dispose();
        }
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
        for (long cy = 0; cy < level.Height; cy += Chunk)
        {
            for (long cx = 0; cx < level.Width; cx += Chunk)
            {
                cancellation.ThrowIfCancellationRequested();
                int cw = (int)Math.Min(Chunk, level.Width - cx), ch = (int)Math.Min(Chunk, level.Height - cy);
                int x0 = (int)Math.Floor(cx * fx), y0 = (int)Math.Floor(cy * fy);
                int x1 = Math.Min(width, (int)Math.Floor((cx + cw) * fx)), y1 = Math.Min(height, (int)Math.Floor((cy + ch) * fy));
                if (x1 <= x0 || y1 <= y0) continue;
                using var region = ReadRegion((long)Math.Round(cx * level.Downsample), (long)Math.Round(cy * level.Downsample), level.Index, cw, ch);
                using var part = thumbnail[new Rect(x0, y0, x1 - x0, y1 - y0)];
                Cv2.Resize(region, part, new Size(x1 - x0, y1 - y0), 0, 0, InterpolationFlags.Area);
            }
        }
        return thumbnail;
    }

    /// <summary>The scale that makes the slide's longer side <paramref name="maxSize"/> pixels.</summary>
    public double ScaleFor(int maxSize) => (double)maxSize / Math.Max(Width, Height);

    private static Dictionary<string, string> ReadProperties(IntPtr handle)
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = OpenSlideNative.PropertyNames(handle);
        if (names == IntPtr.Zero) return properties;
        for (int i = 0; ; i++)
        {
            var entry = System.Runtime.InteropServices.Marshal.ReadIntPtr(names, i * IntPtr.Size);
            if (entry == IntPtr.Zero) break;
            var name = OpenSlideNative.Text(entry)!;
            properties[name] = OpenSlideNative.Text(OpenSlideNative.PropertyValue(handle, name)) ?? "";
        }
        return properties;
    }

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

    private bool _disposed;

    /// <summary>
    /// Closes the OpenSlide handle for now (the open-slide cache lets go of it); the next read opens it again, so a
    /// reader on another thread never meets a closed slide. A slide file gone or changed since is then SlideUnreadable.
    /// </summary>
    internal void Release()
    {
        lock (_gate)
        {
            if (_handle != IntPtr.Zero) OpenSlideNative.Close(_handle);
            _handle = IntPtr.Zero;
        }
    }

    /// <summary>The open handle, opened again after <see cref="Release"/>. Called under the gate.</summary>
    private IntPtr Handle()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_handle != IntPtr.Zero) return _handle;
        var handle = File.Exists(Path) ? OpenSlideNative.Open(Path) : IntPtr.Zero;
        if (handle == IntPtr.Zero)
            throw new HeatmapToolsException(ErrorIds.SlideUnreadable, ErrorKind.ReadError,
                $"Slide '{Path}' could not be opened again to read from it: {(File.Exists(Path) ? "OpenSlide no longer reads it" : "it was deleted or moved")}.", Path);
        if (OpenSlideNative.Text(OpenSlideNative.GetError(handle)) is { } error)
        {
            OpenSlideNative.Close(handle);
            throw new HeatmapToolsException(ErrorIds.SlideUnreadable, ErrorKind.ReadError, $"OpenSlide could not read '{Path}' again: {error}", Path);
        }
        return _handle = handle;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_handle != IntPtr.Zero) OpenSlideNative.Close(_handle);
            _handle = IntPtr.Zero;
            _disposed = true;
        }
        GC.SuppressFinalize(this);
    }

    /// <summary>A slide let go of by the cache and dropped by its last reader still closes its handle.</summary>
    ~Slide()
    {
        if (_handle != IntPtr.Zero) OpenSlideNative.Close(_handle);
    }
}
