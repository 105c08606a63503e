using OpenCvSharp;

namespace HeatmapTools.Engine.Rendering.MapFormats;

/// <summary>A 16-bit grayscale PNG, value * 65535: image tools open it, and it keeps 1/65535 of the map's resolution.</summary>
public sealed class Png16MapFormat : RawMapFormat
{
    public override string Name => "Png16";
    public override string Extension => ".png";

    protected override void Encode(Stream output, float[] map, int width, int height)
    {
        using var m = Mat.FromPixelData(height, width, MatType.CV_32FC1, map);
        using var sixteen = new Mat();
        m.ConvertTo(sixteen, MatType.CV_16U, 65535.0);
        ImageEncoder.Encode(sixteen, ".png", output);
    }
}
