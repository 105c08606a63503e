using OpenCvSharp;

namespace HeatmapTools.Engine.Rendering.MapFormats;

/// <summary>
/// A 32-bit float grayscale TIFF: the map's own values, which ImageJ/Fiji, QuPath and GIS tools open as an image layer
/// (a 16-bit PNG rounds them; .npy needs Python).
/// </summary>
public sealed class Tiff32MapFormat : RawMapFormat
{
    public override string Name => "Tiff32";
    public override string Extension => ".tif";

    protected override void Encode(Stream output, float[] map, int width, int height)
    {
        using var m = Mat.FromPixelData(height, width, MatType.CV_32FC1, map);
        ImageEncoder.Encode(m, ".tif", output);
    }
}
