using OpenCvSharp;

namespace HeatmapTools.Engine.Rendering;

/// <summary>OpenCV's colormaps by name (Jet, Viridis, Turbo, ...), case-insensitive.</summary>
public static class Colormaps
{
    public static IReadOnlyList<string> Names { get; } = Enum.GetNames<ColormapTypes>().ToList();

    public static ColormapTypes Parse(string name)
    {
        if (Enum.TryParse<ColormapTypes>(name, ignoreCase: true, out var value)) return value;
        throw new HeatmapToolsException("UnknownColormap", "InvalidArgument",
            $"Unknown colormap '{name}'. Known: {string.Join(", ", Names)}.", name);
    }

    /// <summary>Colours a [0,1] map with the colormap; returns an 8-bit BGR image the caller disposes.</summary>
    public static Mat Apply(Mat unitFloatMap, ColormapTypes colormap)
    {
        using var eightBit = new Mat();
        unitFloatMap.ConvertTo(eightBit, MatType.CV_8U, 255.0);
        var colored = new Mat();
        Cv2.ApplyColorMap(eightBit, colored, colormap);
        return colored;
    }
}
