using OpenCvSharp;

namespace HeatmapTools.Engine.Slides;

/// <summary>
/// A slide read through OpenSlide (Aperio .svs, Hamamatsu .ndpi, MIRAX, Leica, generic tiled TIFF, ...). Its handle is
/// closed when the open-slide cache lets go of it and opened again by the next read, so a reader on another thread
/// never meets a closed slide.
/// </summary>
internal sealed class OpenSlideSource : ISlideSource
{
    private IntPtr _handle;
    private readonly object _gate = new();
    private readonly string _path;
    private bool _disposed;

    private OpenSlideSource(string path, IntPtr handle)
    {
        _path = path;
        _handle = handle;
        int count = OpenSlideNative.LevelCount(handle);
        Levels = Enumerable.Range(0, count).Select(l =>
        {
            OpenSlideNative.LevelDimensions(handle, l, out long w, out long h);
            return new SlideLevel(l, w, h, OpenSlideNative.LevelDownsample(handle, l));
        }).ToList();
        Properties = ReadProperties(handle);
    }

    public IReadOnlyList<SlideLevel> Levels { get; }
    public IReadOnlyDictionary<string, string> Properties { get; }
    public string? Vendor => Properties.GetValueOrDefault("openslide.vendor");

    /// <summary>Whether OpenSlide reads this file as a slide (a tiled, pyramidal image; a plain TIFF is not one). False when OpenSlide is not installed.</summary>
    public static bool Recognises(string path) =>
        File.Exists(path) && OpenSlideNative.Available && OpenSlideNative.Text(OpenSlideNative.DetectVendor(Path.GetFullPath(path))) is not null;

    /// <summary>SlideReaderMissing when libopenslide0 is not installed, SlideUnreadable when OpenSlide cannot read the file.</summary>
    public static OpenSlideSource Open(string path)
    {
        if (!OpenSlideNative.Available)
            throw new HeatmapToolsException(ErrorIds.SlideReaderMissing, ErrorKind.NotInstalled,
                "Reading slides needs OpenSlide: install Debian's libopenslide0 (apt-get install libopenslide0) and import the module again.", path);
        var handle = OpenSlideNative.Open(path);
        if (handle == IntPtr.Zero)
            throw new HeatmapToolsException(ErrorIds.SlideUnreadable, ErrorKind.InvalidData,
                $"'{path}' is not a slide OpenSlide reads (Aperio, Hamamatsu, Leica, MIRAX, Philips, Sakura, Ventana, generic tiled TIFF).", path);
        if (OpenSlideNative.Text(OpenSlideNative.GetError(handle)) is { } error)
        {
            OpenSlideNative.Close(handle);
            throw new HeatmapToolsException(ErrorIds.SlideUnreadable, ErrorKind.InvalidData, $"OpenSlide could not read '{path}': {error}", path);
        }
        return new OpenSlideSource(path, handle);
    }

    public Mat ReadRegion(long x, long y, int level, int width, int height)
    {
        using var bgra = new Mat(height, width, MatType.CV_8UC4);
        lock (_gate)
        {
            var handle = Handle();
            unsafe
            {
                OpenSlideNative.ReadRegion(handle, (uint*)bgra.DataPointer, x, y, level, width, height);
            }
            if (OpenSlideNative.Text(OpenSlideNative.GetError(handle)) is { } error)
                throw new HeatmapToolsException(ErrorIds.SlideUnreadable, ErrorKind.ReadError, $"OpenSlide failed reading '{_path}': {error}", _path);
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

    /// <summary>Closes the handle for now; the next read opens it again. A slide file gone or changed since is then SlideUnreadable.</summary>
    public void Release()
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
        var handle = File.Exists(_path) ? OpenSlideNative.Open(_path) : IntPtr.Zero;
        if (handle == IntPtr.Zero)
            throw new HeatmapToolsException(ErrorIds.SlideUnreadable, ErrorKind.ReadError,
                $"Slide '{_path}' could not be opened again to read from it: {(File.Exists(_path) ? "OpenSlide no longer reads it" : "it was deleted or moved")}.", _path);
        if (OpenSlideNative.Text(OpenSlideNative.GetError(handle)) is { } error)
        {
            OpenSlideNative.Close(handle);
            throw new HeatmapToolsException(ErrorIds.SlideUnreadable, ErrorKind.ReadError, $"OpenSlide could not read '{_path}' again: {error}", _path);
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
    ~OpenSlideSource()
    {
        if (_handle != IntPtr.Zero) OpenSlideNative.Close(_handle);
    }
}
