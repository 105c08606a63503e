using HeatmapTools.Engine.Native;
using OpenCvSharp;

namespace HeatmapTools.Engine.Imaging;

/// <summary>Decodes any image OpenCV reads into 8-bit, 3-channel BGR, whatever its depth, channels or alpha.</summary>
public static class ImageReader
{
    public const string MaxPixelsVariable = "HEATMAPTOOLS_IMAGE_MEGAPIXELS";

    /// <summary>
    /// The most pixels one image may declare before it is decoded: 300 megapixels (about 1 GB decoded), far above any
    /// camera's photos; HEATMAPTOOLS_IMAGE_MEGAPIXELS changes it.
    /// </summary>
    public static long MaxPixels =>
        Native.EnvironmentSettings.Number(MaxPixelsVariable, 1, 300, "megapixels") * 1_000_000;

    private static long _decoded;

    /// <summary>Images decoded by this process so far (Get-HeatmapToolsInfo shows it): how a pipeline is seen to decode once.</summary>
    public static long Decoded => Interlocked.Read(ref _decoded);

    /// <summary>Reads a file; the caller owns (and must dispose) the returned Mat. Its decoding is reserved in the shared memory budget.</summary>
    public static Mat ReadBgr(string path)
    {
        var image = ReadBgr(path, MemoryBudget.Shared, 0, CancellationToken.None, out var lease, out _);
        lease.Dispose();
        return image;
    }

    /// <summary>
    /// Images over this many pixels are decoded reduced (JPEG's own 1/2, 1/4 or 1/8 scaling) when only a small
    /// version is needed (a network input): a 100-megapixel photo then never exists at full size in memory.
    /// </summary>
    public const long ReduceAbovePixels = 40_000_000;

    /// <summary>
    /// Reads a file with its decoded size reserved in <paramref name="budget"/> (held by <paramref name="lease"/> until the
    /// caller is done with the image). With <paramref name="smallestSide"/> &gt; 0, a JPEG over <see cref="ReduceAbovePixels"/>
    /// is decoded at 1/2, 1/4 or 1/8 of its size, as long as its shorter side stays at least twice that.
    /// </summary>
    public static Mat ReadBgr(string path, MemoryBudget budget, int smallestSide, CancellationToken cancellation, out MemoryBudget.Lease lease,
        out int reduction)
    {
        reduction = 1;
        // A slide's tile (Get-SlideTile) is read from the slide, never from a file.
        if (Slides.SlideTilePath.TryParse(path, out var tile))
        {
            lease = budget.Acquire(2L * 4 * tile.Size * tile.Size, cancellation);
            try
            {
                var region = Slides.SlideCache.Get(tile.Slide).ReadRegion(tile.X, tile.Y, tile.Level, tile.Size, tile.Size);
                Interlocked.Increment(ref _decoded);
                return region;
            }
            catch
            {
                lease.Dispose();
                throw;
            }
        }
        byte[] bytes;
        IO.RegularFile.Ensure(path, ErrorIds.ImageUnreadable, "Image");
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException ex)
        {
            throw new HeatmapToolsException(ErrorIds.FileNotFound, ErrorKind.ObjectNotFound, $"Image '{path}' does not exist.", path, ex);
        }
        if (bytes.Length == 0)
            throw new HeatmapToolsException(ErrorIds.ImageUnreadable, ErrorKind.InvalidData, $"Image '{path}' is empty (0 bytes).", path);

        // Decoding from memory avoids OpenCV's narrow-string path handling (non-ASCII file names). "Unchanged" keeps
        // alpha and 16 bits but also ignores EXIF orientation, which camera and phone JPEGs rely on: those are decoded
        // as colour, upright as a viewer shows them (JPEG has neither alpha nor more than 8 bits here anyway).
        if (ImageHeader.Size(bytes) is (int width, int height) && (long)width * height > MaxPixels)
            throw new HeatmapToolsException(ErrorIds.ImageUnreadable, ErrorKind.LimitsExceeded,
                $"Image '{path}' declares {width:N0} x {height:N0} pixels ({(long)width * height / 1e6:N0} megapixels), over the {MaxPixels / 1e6:N0}-megapixel " +
                $"limit for one image (a decompression bomb, or a scan to tile first); set {MaxPixelsVariable} to raise it.", path);
        if (ImageHeader.IsTruncatedPng(bytes))
            throw new HeatmapToolsException(ErrorIds.ImageUnreadable, ErrorKind.InvalidData,
                $"Image '{path}' is a PNG cut short: its data ends before the closing IEND chunk (an interrupted copy or download).", path);
        int reduce = 1;
        long declared = 3L * 4096 * 4096;
        if (ImageHeader.Size(bytes) is (int w, int h))
        {
            if (smallestSide > 0 && IsJpeg(bytes))
                while (reduce < 8 && (long)w * h / (reduce * reduce) > ReduceAbovePixels && Math.Min(w, h) / (reduce * 2) >= 2 * smallestSide) reduce *= 2;
            // The decoded image, and as much again for a conversion (alpha, 16 bits) or a resize of it.
            declared = 2L * 4 * ((long)w / reduce + 1) * ((long)h / reduce + 1);
        }
        lease = budget.Acquire(declared, cancellation);
        reduction = reduce;
        var mode = !IsJpeg(bytes) ? ImreadModes.Unchanged
            : reduce switch { 2 => ImreadModes.ReducedColor2, 4 => ImreadModes.ReducedColor4, 8 => ImreadModes.ReducedColor8, _ => ImreadModes.Color };
        Mat raw = Cv2.ImDecode(bytes, mode);
        Interlocked.Increment(ref _decoded);
        if (raw.Empty())
        {
            raw.Dispose();
            lease.Dispose();
            throw new HeatmapToolsException(ErrorIds.ImageUnreadable, ErrorKind.InvalidData,
                $"Image '{path}' could not be decoded: it is corrupt or not an image format OpenCV reads.", path);
        }
        // Most images already are 8-bit BGR: hand the decoded Mat over rather than copying it.
        if (raw.Type() == MatType.CV_8UC3) return raw;
        try
        {
            return ToBgr8(raw);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
        finally
        {
            raw.Dispose();
        }
    }

    private static bool IsJpeg(ReadOnlySpan<byte> bytes) => bytes.Length > 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF;

    /// <summary>Converts a decoded image of any depth and channel count to a new 8-bit BGR Mat.</summary>
    public static Mat ToBgr8(Mat source)
    {
        using var eightBit = new Mat();
        if (source.Depth() == MatType.CV_8U)
            source.CopyTo(eightBit);
        else if (source.Depth() == MatType.CV_16U)
            source.ConvertTo(eightBit, MatType.CV_8U, 1.0 / 257.0);
        else
        {
            // Float images: assume [0,1] like most pipelines that write them.
            source.ConvertTo(eightBit, MatType.CV_8U, 255.0);
        }

        var bgr = new Mat();
        switch (eightBit.Channels())
        {
            case 1: Cv2.CvtColor(eightBit, bgr, ColorConversionCodes.GRAY2BGR); break;
            case 3: eightBit.CopyTo(bgr); break;
            case 4: BlendAlphaOverWhite(eightBit, bgr); break;
            default:
                bgr.Dispose();
                throw new InvalidDataException($"Unsupported channel count {eightBit.Channels()}.");
        }
        return bgr;
    }

    // A transparent pixel has no colour of its own; white is what a viewer shows behind it.
    private static void BlendAlphaOverWhite(Mat bgra, Mat bgr)
    {
        Mat[] planes = Cv2.Split(bgra);
        try
        {
            using var alpha = new Mat();
            planes[3].ConvertTo(alpha, MatType.CV_32F, 1.0 / 255.0);
            using var inverse = new Mat();
            Cv2.Subtract(Scalar.All(1.0), alpha, inverse);
            var blended = new Mat[3];
            for (int c = 0; c < 3; c++)
            {
                using var plane = new Mat();
                planes[c].ConvertTo(plane, MatType.CV_32F);
                using var fg = plane.Mul(alpha).ToMat();
                using var bg = new Mat();
                Cv2.Multiply(inverse, Scalar.All(255.0), bg);
                using var sum = new Mat();
                Cv2.Add(fg, bg, sum);
                blended[c] = new Mat();
                sum.ConvertTo(blended[c], MatType.CV_8U);
            }
            Cv2.Merge(blended, bgr);
            foreach (var m in blended) m.Dispose();
        }
        finally
        {
            foreach (var p in planes) p.Dispose();
        }
    }
}
