using OpenCvSharp;

namespace HeatmapTools.Engine.Slides;

/// <summary>
/// Which parts of a slide hold tissue, found on its thumbnail as TIAToolbox and CLAM find it: the saturation channel
/// (stained tissue is coloured, glass and background are grey or white), median-blurred, thresholded by Otsu's method
/// or a threshold given. 255 marks tissue.
/// </summary>
public sealed class TissueMask : IDisposable
{
    private TissueMask(Mat mask, double scale, double threshold)
    {
        Mask = mask;
        Scale = scale;
        Threshold = threshold;
    }

    /// <summary>One byte a thumbnail pixel, 255 for tissue.</summary>
    public Mat Mask { get; }

    /// <summary>Mask pixels per level-0 pixel.</summary>
    public double Scale { get; }

    /// <summary>The saturation (0-255) that separated tissue from background: Otsu's, or the one given.</summary>
    public double Threshold { get; }

    public static TissueMask Of(Mat thumbnail, double scale, double? threshold = null)
    {
        using var hsv = new Mat();
        Cv2.CvtColor(thumbnail, hsv, ColorConversionCodes.BGR2HSV);
        using var saturation = hsv.ExtractChannel(1);
        using var smooth = new Mat();
        Cv2.MedianBlur(saturation, smooth, 7);
        var mask = new Mat();
        // With Otsu's method OpenCV returns the threshold it chose; with one given, that one.
        double used = Cv2.Threshold(smooth, mask, threshold ?? 0, 255, threshold is null ? ThresholdTypes.Binary | ThresholdTypes.Otsu : ThresholdTypes.Binary);
        return new TissueMask(mask, scale, used);
    }

    /// <summary>The share of a level-0 rectangle's mask pixels that are tissue (0 when it falls outside the slide).</summary>
    public double Fraction(long x, long y, long width, long height)
    {
        int x0 = (int)Math.Floor(x * Scale), y0 = (int)Math.Floor(y * Scale);
        int x1 = (int)Math.Ceiling((x + width) * Scale), y1 = (int)Math.Ceiling((y + height) * Scale);
        x0 = Math.Clamp(x0, 0, Mask.Width); x1 = Math.Clamp(x1, 0, Mask.Width);
        y0 = Math.Clamp(y0, 0, Mask.Height); y1 = Math.Clamp(y1, 0, Mask.Height);
        if (x1 <= x0 || y1 <= y0) return 0;
        using var part = Mask[new Rect(x0, y0, x1 - x0, y1 - y0)];
        return (double)Cv2.CountNonZero(part) / ((x1 - x0) * (y1 - y0));
    }

    public void Dispose() => Mask.Dispose();
}
