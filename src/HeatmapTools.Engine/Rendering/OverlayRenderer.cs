using OpenCvSharp;

namespace HeatmapTools.Engine.Rendering;

/// <summary>
/// The Keras recipe's overlay: the map resized to the original image, coloured, then <c>heat * alpha + image</c>,
/// saturated to 8 bits.
/// </summary>
public static class OverlayRenderer
{
    public static Mat Render(Mat bgr, float[] map, int mapWidth, int mapHeight, ColormapTypes colormap, double alpha)
    {
        using var small = Mat.FromPixelData(mapHeight, mapWidth, MatType.CV_32FC1, map);
        using var resized = new Mat();
        Cv2.Resize(small, resized, new Size(bgr.Width, bgr.Height), 0, 0, InterpolationFlags.Linear);
        using var heat = Colormaps.Apply(resized, colormap);
        var overlay = new Mat();
        Cv2.AddWeighted(heat, alpha, bgr, 1.0, 0.0, overlay);
        return overlay;
    }

    /// <summary>Encodes in the format the file extension names (png, jpg, bmp, tif, webp).</summary>
    public static void Encode(Mat image, string path, Stream output, string? note = null) => ImageEncoder.Encode(image, Path.GetExtension(path), output, note: note);
}
