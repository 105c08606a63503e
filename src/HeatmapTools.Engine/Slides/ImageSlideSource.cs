using System.Security.Cryptography;
using System.Text;
using BitMiracle.LibTiff.Classic;
using HeatmapTools.Engine.IO;
using HeatmapTools.Engine.Native;
using OpenCvSharp;

namespace HeatmapTools.Engine.Slides;

/// <summary>
/// A plain image as a slide (a scan saved as PNG or JPEG, a strip TIFF OpenSlide does not take): decoded once, within
/// the memory budget, into a tiled pyramid (256-pixel deflate tiles, each level half the last, down to one tile) in the
/// cache, then read through OpenSlide like any generic tiled TIFF. Every later read, in this session or the next, is
/// a tile's; the pyramid is keyed by the image's path, size and time, so a changed image is made again.
/// </summary>
internal sealed class ImageSlideSource : ISlideSource
{
    private const int TileSize = 256;
    private static readonly string[] Extensions = { ".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".jp2", ".pbm", ".pgm", ".ppm" };

    private readonly OpenSlideSource _pyramid;

    private ImageSlideSource(OpenSlideSource pyramid, string file)
    {
        _pyramid = pyramid;
        // The pyramid's own TIFF tags say nothing of the image: only where it is kept.
        Properties = new Dictionary<string, string>(StringComparer.Ordinal) { ["heatmaptools.pyramid"] = file };
    }

    public IReadOnlyList<SlideLevel> Levels => _pyramid.Levels;
    public IReadOnlyDictionary<string, string> Properties { get; }
    public string? Vendor => "image";

    /// <summary>Whether the file is an image OpenCV may decode (by its extension; the decoder decides).</summary>
    public static bool Readable(string path) => Extensions.Contains(System.IO.Path.GetExtension(path).ToLowerInvariant());

    public static ImageSlideSource Open(string path)
    {
        if (!OpenSlideNative.Available)
            throw new HeatmapToolsException(ErrorIds.SlideReaderMissing, ErrorKind.NotInstalled,
                "Reading slides needs OpenSlide (an image is read as a slide through a pyramid OpenSlide reads): install Debian's libopenslide0 and import the module again.", path);
        string stamp = $"{path}|{FileStamp.Of(path)}";
        string key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(stamp)))[..24].ToLowerInvariant();
        string file = System.IO.Path.Combine(Models.WeightsLocator.CacheDirectory, "slides", key + ".tiff");
        if (!File.Exists(file)) Write(path, file);
        return new ImageSlideSource(OpenSlideSource.Open(file), file);
    }

    /// <summary>The image decoded (its bytes held against the budget while it is), its pyramid written whole or not at all.</summary>
    private static void Write(string path, string file)
    {
        Mat image;
        MemoryBudget.Lease lease;
        try
        {
            image = Imaging.ImageReader.ReadBgr(path, MemoryBudget.Shared, 0, CancellationToken.None, out lease, out _);
        }
        catch (HeatmapToolsException e)
        {
            throw new HeatmapToolsException(ErrorIds.SlideUnreadable, ErrorKind.InvalidData,
                $"'{path}' is neither a slide OpenSlide reads nor an image that can be decoded: {e.Message}", path, e);
        }
        using (lease)
        using (image)
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
            AtomicFile.Write(file, overwrite: true, stream =>
            {
                using var tiff = OmeTiffHeatmap.OpenWriter(file, stream);
                var level = image;
                try
                {
                    for (int index = 0; ; index++)
                    {
                        WriteLevel(tiff, level, index > 0, file);
                        if (Math.Max(level.Width, level.Height) <= TileSize) break;
                        var next = level.Resize(new Size((level.Width + 1) / 2, (level.Height + 1) / 2), 0, 0, InterpolationFlags.Area);
                        if (!ReferenceEquals(level, image)) level.Dispose();
                        level = next;
                    }
                }
                finally
                {
                    if (!ReferenceEquals(level, image)) level.Dispose();
                }
            });
        }
    }

    /// <summary>One level as a directory of RGB tiles; tiles past the edge are filled with white.</summary>
    /// <param name="reduced">Marked as a reduced image of the first: OpenSlide takes only such directories as levels.</param>
    private static void WriteLevel(Tiff tiff, Mat bgr, bool reduced, string file)
    {
        tiff.SetField(TiffTag.IMAGEWIDTH, bgr.Width);
        tiff.SetField(TiffTag.IMAGELENGTH, bgr.Height);
        tiff.SetField(TiffTag.TILEWIDTH, TileSize);
        tiff.SetField(TiffTag.TILELENGTH, TileSize);
        tiff.SetField(TiffTag.BITSPERSAMPLE, 8);
        tiff.SetField(TiffTag.SAMPLESPERPIXEL, 3);
        tiff.SetField(TiffTag.PHOTOMETRIC, Photometric.RGB);
        tiff.SetField(TiffTag.PLANARCONFIG, PlanarConfig.CONTIG);
        tiff.SetField(TiffTag.COMPRESSION, Compression.ADOBE_DEFLATE);
        tiff.SetField(TiffTag.SOFTWARE, "HeatmapTools");
        if (reduced) tiff.SetField(TiffTag.SUBFILETYPE, FileType.REDUCEDIMAGE);
        var buffer = new byte[TileSize * TileSize * 3];
        using var tile = new Mat(TileSize, TileSize, MatType.CV_8UC3);
        for (int y = 0; y < bgr.Height; y += TileSize)
            for (int x = 0; x < bgr.Width; x += TileSize)
            {
                tile.SetTo(Scalar.All(255));
                int w = Math.Min(TileSize, bgr.Width - x), h = Math.Min(TileSize, bgr.Height - y);
                using (var source = bgr[new Rect(x, y, w, h)])
                using (var target = tile[new Rect(0, 0, w, h)])
                    Cv2.CvtColor(source, target, ColorConversionCodes.BGR2RGB);
                System.Runtime.InteropServices.Marshal.Copy(tile.Data, buffer, 0, buffer.Length);
                if (tiff.WriteTile(buffer, x, y, 0, 0) < 0)
                    throw new HeatmapToolsException(ErrorIds.OutputWriteFailed, ErrorKind.WriteError, $"Could not write a tile of the slide pyramid '{file}'.", file);
            }
        if (!tiff.WriteDirectory())
            throw new HeatmapToolsException(ErrorIds.OutputWriteFailed, ErrorKind.WriteError, $"Could not write a level of the slide pyramid '{file}'.", file);
    }

    public Mat ReadRegion(long x, long y, int level, int width, int height) => _pyramid.ReadRegion(x, y, level, width, height);

    public void Release() => _pyramid.Release();

    public void Dispose() => _pyramid.Dispose();
}
