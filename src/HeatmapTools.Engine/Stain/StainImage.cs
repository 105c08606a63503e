using OpenCvSharp;

namespace HeatmapTools.Engine.Stain;

/// <summary>
/// An 8-bit RGB image as the stain methods read it, with TIAToolbox's conventions: optical density
/// max(-ln(v / 255), 1e-6) with 0 read as 1, and the luminosity tissue mask (contrast stretched between the 2nd and
/// 98th percentiles of all values, then LAB lightness below a threshold).
/// </summary>
public sealed class StainImage
{
    /// <summary>Interleaved R, G, B.</summary>
    public byte[] Rgb { get; }
    public int Width { get; }
    public int Height { get; }
    /// <summary>The item's name in errors: a file, a tile, "the stain target".</summary>
    public string Name { get; }

    public int Pixels => Width * Height;

    public StainImage(byte[] rgb, int width, int height, string name)
    {
        if (rgb.Length != 3 * width * height) throw new ArgumentException("RGB bytes do not match the size.", nameof(rgb));
        (Rgb, Width, Height, Name) = (rgb, width, height, name);
    }

    /// <summary>From an 8-bit BGR Mat (what ImageReader returns).</summary>
    public static StainImage FromBgr(Mat bgr, string name)
    {
        if (bgr.Type() != MatType.CV_8UC3) throw new ArgumentException("Stain methods take 8-bit, 3-channel images.", nameof(bgr));
        using var rgb = new Mat();
        Cv2.CvtColor(bgr, rgb, ColorConversionCodes.BGR2RGB);
        // CvtColor's output is a fresh, continuous Mat.
        var bytes = new byte[3 * rgb.Width * rgb.Height];
        System.Runtime.InteropServices.Marshal.Copy(rgb.Data, bytes, 0, bytes.Length);
        return new StainImage(bytes, rgb.Width, rgb.Height, name);
    }

    /// <summary>As an 8-bit BGR Mat; the caller disposes it.</summary>
    public Mat ToBgr() => FromRgbBytes(Rgb, Width, Height);

    internal static Mat FromRgbBytes(byte[] rgb, int width, int height)
    {
        using var mat = new Mat(height, width, MatType.CV_8UC3);
        System.Runtime.InteropServices.Marshal.Copy(rgb, 0, mat.Data, rgb.Length);
        var bgr = new Mat();
        Cv2.CvtColor(mat, bgr, ColorConversionCodes.RGB2BGR);
        return bgr;
    }

    /// <summary>Optical density of each byte value: a table, since it depends on the value alone.</summary>
    public static readonly double[] Density = Enumerable.Range(0, 256)
        .Select(v => Math.Max(-Math.Log(Math.Max(v, 1) / 255.0), 1e-6)).ToArray();

    /// <summary>
    /// Pixels whose lightness after the contrast stretch is below <paramref name="threshold"/> (0 to 1). None is this
    /// image's StainNoTissue: every stain method would then divide by nothing or fit background.
    /// </summary>
    public bool[] TissueMask(double threshold)
    {
        var table = ContrastTable();
        int n = Pixels;
        // Native Mats, not managed arrays: a tile's worth of bytes would land on the large-object heap every call.
        using var rgb = new Mat(Height, Width, MatType.CV_8UC3);
        using var lab = new Mat();
        var mask = new bool[n];
        int count = 0;
        unsafe
        {
            var stretched = new Span<byte>((void*)rgb.Data, 3 * n);
            for (int i = 0; i < stretched.Length; i++) stretched[i] = table[Rgb[i]];
            Cv2.CvtColor(rgb, lab, ColorConversionCodes.RGB2Lab);
            var lightness = new ReadOnlySpan<byte>((void*)lab.Data, 3 * n);
            for (int i = 0; i < n; i++)
                if (lightness[3 * i] / 255.0 < threshold) { mask[i] = true; count++; }
        }
        if (count == 0)
            throw new HeatmapToolsException(ErrorIds.StainNoTissue, ErrorKind.InvalidData,
                $"'{Name}' has no tissue to take a stain from: no pixel is darker than {threshold:0.##} in lightness after the contrast stretch (a blank or background tile).", Name);
        return mask;
    }

    /// <summary>skimage's rescale_intensity between the 2nd and 98th percentiles of all values (min and max when those meet), truncated to bytes, as a table.</summary>
    private byte[] ContrastTable()
    {
        var histogram = new long[256];
        foreach (byte b in Rgb) histogram[b]++;
        double low = Quantiles.OfHistogram(histogram, Rgb.Length, 2), high = Quantiles.OfHistogram(histogram, Rgb.Length, 98);
        if (low >= high)
        {
            low = Array.FindIndex(histogram, c => c > 0);
            high = Array.FindLastIndex(histogram, c => c > 0);
        }
        var table = new byte[256];
        for (int v = 0; v < 256; v++)
            table[v] = high > low ? (byte)((Math.Clamp(v, low, high) - low) / (high - low) * 255.0) : (byte)v;
        return table;
    }
}
