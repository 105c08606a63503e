using System.Globalization;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using System.Xml.Linq;
using BitMiracle.LibTiff.Classic;
using HeatmapTools.Engine.IO;
using OpenCvSharp;

namespace HeatmapTools.Engine.Slides;

public sealed record OmeTiffOptions
{
    /// <summary>Level-0 pixels per heatmap pixel at the OME-TIFF's full resolution (1: the slide's own geometry).</summary>
    public int Downsample { get; init; } = 1;
    public OmeTiffSampleType SampleType { get; init; } = OmeTiffSampleType.Byte;
    /// <summary>TIFF tile side (a multiple of 16).</summary>
    public int TileSize { get; init; } = 512;
    /// <summary>What a value is, for the OME channel's name: "probability", "label", "CAM".</summary>
    public string Channel { get; init; } = "probability";
}

public sealed record OmeTiffResult(string Path, long Width, long Height, int Levels, double? PixelSizeMicrons, OmeTiffSampleType SampleType);

/// <summary>The slide's size and resolution, all an OME-TIFF heatmap needs of it.</summary>
public sealed record SlideGeometry(string Name, long Width, long Height, double? MppX, double? MppY)
{
    public static SlideGeometry Of(Slide slide) => new(System.IO.Path.GetFileName(slide.Path), slide.Width, slide.Height, slide.MppX, slide.MppY);
}

/// <summary>
/// Tile values as a tiled, pyramidal OME-TIFF at the slide's level-0 geometry (or a downsample of it), the layout
/// QuPath and Bio-Formats open as an overlay: the full resolution in the first directory with the OME-XML, each halving
/// in a SubIFD of it, deflate-compressed 512-pixel tiles. Every level is painted window by window straight from the tiles
/// (as the thumbnail is), so memory holds one window and the tile list, whatever the slide's size.
/// </summary>
public static class OmeTiffHeatmap
{
    static OmeTiffHeatmap() => Tiff.SetErrorHandler(new Throwing());

    public static OmeTiffResult Write(SlideGeometry slide, IReadOnlyList<TileProbability> tiles, string output, OmeTiffOptions options,
        bool force, IReadOnlySet<string> inputs, CancellationToken cancellation)
    {
        if (options.Downsample < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Downsample, "The downsample is at least 1.");
        if (options.TileSize % 16 != 0 || options.TileSize < 16) throw new ArgumentOutOfRangeException(nameof(options), options.TileSize, "TIFF tiles are a multiple of 16.");
        var levels = Levels(slide, options);
        int bytesPerSample = options.SampleType == OmeTiffSampleType.Byte ? 1 : 4;
        double? mpp = slide.MppX is double mx && slide.MppY is double my ? (mx + my) / 2 * options.Downsample : null;
        string full = System.IO.Path.GetFullPath(output);
        AtomicFile.Write(full, force, stream =>
        {
            // BigTIFF always: a level-0 heatmap of a large slide passes 4 GB before compression, and every slide reader knows it.
            using (var tiff = OpenWriter(full, stream))
            {
                var listener = Running.RunScope.Current;
                for (int l = 0; l < levels.Count; l++)
                {
                    var (width, height, scale) = levels[l];
                    // Each level a quarter of the one before: the first is most of the work.
                    listener.Progress($"Writing {System.IO.Path.GetFileName(full)} (level {l} of {levels.Count - 1})", 1 - Math.Pow(0.25, l));
                    tiff.SetField(TiffTag.IMAGEWIDTH, checked((int)width));
                    tiff.SetField(TiffTag.IMAGELENGTH, checked((int)height));
                    tiff.SetField(TiffTag.TILEWIDTH, options.TileSize);
                    tiff.SetField(TiffTag.TILELENGTH, options.TileSize);
                    tiff.SetField(TiffTag.BITSPERSAMPLE, 8 * bytesPerSample);
                    tiff.SetField(TiffTag.SAMPLESPERPIXEL, 1);
                    tiff.SetField(TiffTag.SAMPLEFORMAT, options.SampleType == OmeTiffSampleType.Byte ? SampleFormat.UINT : SampleFormat.IEEEFP);
                    tiff.SetField(TiffTag.PHOTOMETRIC, Photometric.MINISBLACK);
                    tiff.SetField(TiffTag.PLANARCONFIG, PlanarConfig.CONTIG);
                    tiff.SetField(TiffTag.COMPRESSION, Compression.ADOBE_DEFLATE);
                    tiff.SetField(TiffTag.SOFTWARE, "HeatmapTools");
                    if (mpp is double micron)
                    {
                        // Pixels per centimetre at this level, which vips and OpenSlide read back as microns per pixel.
                        double perCm = 1e4 / (micron * (1 << l));
                        tiff.SetField(TiffTag.RESOLUTIONUNIT, ResUnit.CENTIMETER);
                        tiff.SetField(TiffTag.XRESOLUTION, perCm);
                        tiff.SetField(TiffTag.YRESOLUTION, perCm);
                    }
                    if (l == 0) tiff.SetField(TiffTag.IMAGEDESCRIPTION, OmeXml(slide, levels[0], options, mpp));
                    else tiff.SetField(TiffTag.SUBFILETYPE, FileType.REDUCEDIMAGE);
                    WriteLevel(tiff, tiles, width, height, scale, options, bytesPerSample, cancellation);
                    if (!tiff.WriteDirectory())
                        throw new HeatmapToolsException(ErrorIds.OutputWriteFailed, ErrorKind.WriteError, $"Could not write level {l} of '{full}'.", full);
                }
            }
            stream.Flush();
            BigTiffSubIfds.MoveChainIntoSubIfds(stream);
        }, inputs);
        return new OmeTiffResult(full, levels[0].Width, levels[0].Height, levels.Count, mpp, options.SampleType);
    }

    /// <summary>Each level's size and its scale from level-0 pixels: halving from the downsample until one tile holds it.</summary>
    public static IReadOnlyList<(long Width, long Height, double Scale)> Levels(SlideGeometry slide, OmeTiffOptions options)
    {
        var levels = new List<(long, long, double)>();
        for (long factor = options.Downsample; ; factor *= 2)
        {
            long w = (slide.Width + factor - 1) / factor, h = (slide.Height + factor - 1) / factor;
            levels.Add((w, h, 1.0 / factor));
            if (Math.Max(w, h) <= options.TileSize) break;
        }
        return levels;
    }

    private static void WriteLevel(Tiff tiff, IReadOnlyList<TileProbability> tiles, long width, long height, double scale, OmeTiffOptions options,
        int bytesPerSample, CancellationToken cancellation)
    {
        int size = options.TileSize;
        int across = (int)((width + size - 1) / size), down = (int)((height + size - 1) / size);
        // Which tiles may touch each window: a tile's square lands in the windows its corners fall in.
        var buckets = new Dictionary<long, List<TileProbability>>();
        foreach (var t in tiles)
        {
            var (x, y, w, h) = SlideHeatmap.Footprint(t, scale, width, height);
            if (w == 0 || h == 0) continue;
            for (long wy = y / size; wy <= (y + h - 1) / size; wy++)
                for (long wx = x / size; wx <= (x + w - 1) / size; wx++)
                {
                    long key = wy * across + wx;
                    if (!buckets.TryGetValue(key, out var list)) buckets[key] = list = new List<TileProbability>();
                    list.Add(t);
                }
        }
        var plane = new byte[size * size * bytesPerSample];
        // Background windows and windows inside one tile are all one value: compressed once.
        var uniform = new Dictionary<int, byte[]>();
        for (int ty = 0; ty < down; ty++)
            for (int tx = 0; tx < across; tx++)
            {
                cancellation.ThrowIfCancellationRequested();
                int index = ty * across + tx;
                Encode(buckets.GetValueOrDefault(index), width, height, scale, new Rect(tx * size, ty * size, size, size), options.SampleType, plane);
                byte[] compressed;
                int first = bytesPerSample == 1 ? plane[0] : MemoryMarshal.Read<int>(plane);
                bool same = bytesPerSample == 1 ? plane.AsSpan().IndexOfAnyExcept(plane[0]) < 0 : MemoryMarshal.Cast<byte, int>(plane.AsSpan()).IndexOfAnyExcept(first) < 0;
                if (same && uniform.TryGetValue(first, out var cached)) compressed = cached;
                else
                {
                    compressed = Deflate(plane);
                    if (same) uniform[first] = compressed;
                }
                if (tiff.WriteRawTile(index, compressed, compressed.Length) < 0)
                    throw new IOException($"The TIFF writer refused tile {index}.");
            }
    }

    /// <summary>One window's values in the file's coding; the part past the level's edge is "no tile".</summary>
    private static void Encode(List<TileProbability>? tiles, long width, long height, double scale, Rect window, OmeTiffSampleType type, byte[] plane)
    {
        if (tiles is null)
        {
            if (type == OmeTiffSampleType.Byte) Array.Clear(plane);
            else MemoryMarshal.Cast<byte, float>(plane.AsSpan()).Fill(float.NaN);
            return;
        }
        var (mean, covered) = SlideHeatmap.RasterWindow(tiles, scale, width, height, window);
        using (mean)
        using (covered)
        {
            int n = window.Width * window.Height;
            var values = new float[n];
            var mask = new byte[n];
            Marshal.Copy(mean.Data, values, 0, n);
            Marshal.Copy(covered.Data, mask, 0, n);
            if (type == OmeTiffSampleType.Byte)
                for (int i = 0; i < n; i++) plane[i] = mask[i] == 0 ? (byte)0 : (byte)(1 + Math.Round(254 * Math.Clamp(values[i], 0f, 1f)));
            else
            {
                var floats = MemoryMarshal.Cast<byte, float>(plane.AsSpan());
                for (int i = 0; i < n; i++) floats[i] = mask[i] == 0 ? float.NaN : values[i];
            }
        }
    }

    private static byte[] Deflate(byte[] plane)
    {
        using var buffer = new MemoryStream();
        using (var zlib = new ZLibStream(buffer, CompressionLevel.Fastest, leaveOpen: true)) zlib.Write(plane);
        return buffer.ToArray();
    }

    /// <summary>OME-XML for one image of one channel, plane 0 in the first directory; the coding said in a map annotation.</summary>
    private static string OmeXml(SlideGeometry slide, (long Width, long Height, double Scale) full, OmeTiffOptions options, double? mpp)
    {
        XNamespace ome = "http://www.openmicroscopy.org/Schemas/OME/2016-06";
        string coding = options.SampleType == OmeTiffSampleType.Byte
            ? $"uint8: 0 where no tile lies, else {options.Channel} = (value - 1) / 254"
            : $"float32: the {options.Channel}, NaN where no tile lies";
        var pixels = new XElement(ome + "Pixels",
            new XAttribute("ID", "Pixels:0"), new XAttribute("DimensionOrder", "XYCZT"),
            new XAttribute("Type", options.SampleType == OmeTiffSampleType.Byte ? "uint8" : "float"),
            new XAttribute("SizeX", full.Width), new XAttribute("SizeY", full.Height),
            new XAttribute("SizeC", 1), new XAttribute("SizeZ", 1), new XAttribute("SizeT", 1),
            new XAttribute("BigEndian", "false"), new XAttribute("Interleaved", "false"));
        if (mpp is double micron)
        {
            pixels.Add(new XAttribute("PhysicalSizeX", micron.ToString("R", CultureInfo.InvariantCulture)), new XAttribute("PhysicalSizeXUnit", "µm"),
                new XAttribute("PhysicalSizeY", micron.ToString("R", CultureInfo.InvariantCulture)), new XAttribute("PhysicalSizeYUnit", "µm"));
        }
        pixels.Add(new XElement(ome + "Channel", new XAttribute("ID", "Channel:0:0"), new XAttribute("Name", options.Channel), new XAttribute("SamplesPerPixel", 1)));
        pixels.Add(new XElement(ome + "TiffData", new XAttribute("IFD", 0), new XAttribute("PlaneCount", 1)));
        var document = new XElement(ome + "OME",
            new XAttribute("Creator", "HeatmapTools"),
            new XElement(ome + "Image", new XAttribute("ID", "Image:0"), new XAttribute("Name", $"{slide.Name} {options.Channel}"),
                pixels, new XElement(ome + "AnnotationRef", new XAttribute("ID", "Annotation:0"))),
            new XElement(ome + "StructuredAnnotations",
                new XElement(ome + "MapAnnotation", new XAttribute("ID", "Annotation:0"), new XAttribute("Namespace", "heatmaptools"),
                    new XElement(ome + "Value",
                        new XElement(ome + "M", new XAttribute("K", "coding"), coding),
                        new XElement(ome + "M", new XAttribute("K", "slide"), slide.Name),
                        new XElement(ome + "M", new XAttribute("K", "downsample"), options.Downsample)))));
        string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>" + document.ToString(SaveOptions.DisableFormatting);
        // The TIFF description is ASCII: anything else goes as a character reference (a slide's name, the micron sign).
        var ascii = new StringBuilder(xml.Length);
        foreach (var rune in xml.EnumerateRunes()) ascii.Append(rune.IsAscii ? rune.ToString() : $"&#{rune.Value};");
        return ascii.ToString();
    }

    /// <summary>A BigTIFF writer on an atomic write's stream, its errors exceptions (LibTiff.NET prints them by default).</summary>
    internal static Tiff OpenWriter(string file, Stream stream) => Tiff.ClientOpen(file, "w8", stream, new KeepOpen())
        ?? throw new HeatmapToolsException(ErrorIds.OutputWriteFailed, ErrorKind.WriteError, $"Could not start the TIFF '{file}'.", file);

    /// <summary>The TIFF writer closes its stream when done; the pyramid is linked after, and the atomic write closes it.</summary>
    private sealed class KeepOpen : TiffStream
    {
        public override void Close(object clientData) => ((Stream)clientData).Flush();
    }

    /// <summary>LibTiff.NET reports through a process-wide handler that prints by default: errors become exceptions, warnings are dropped.</summary>
    private sealed class Throwing : TiffErrorHandler
    {
        public override void ErrorHandler(Tiff tif, string method, string format, params object[] args) =>
            throw new IOException($"{method}: {string.Format(CultureInfo.InvariantCulture, format, args)}");

        public override void ErrorHandlerExt(Tiff tif, object clientData, string method, string format, params object[] args) =>
            ErrorHandler(tif, method, format, args);

        public override void WarningHandler(Tiff tif, string method, string format, params object[] args) { }

        public override void WarningHandlerExt(Tiff tif, object clientData, string method, string format, params object[] args) { }
    }
}
