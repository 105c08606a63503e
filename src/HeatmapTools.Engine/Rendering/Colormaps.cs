using System.Collections.Concurrent;
using OpenCvSharp;

namespace HeatmapTools.Engine.Rendering;

/// <summary>OpenCV's colormaps by name (Jet, Viridis, Turbo, ...), case-insensitive.</summary>
public static class Colormaps
{
    public static IReadOnlyList<string> Names { get; } = Enum.GetNames<ColormapTypes>().ToList();

    // cv::applyColorMap builds its 256-entry table on every call, which costs milliseconds: more than colouring a
    // photo-sized map. Each colormap's table is built once (by applyColorMap itself, on a 0..255 ramp) and reused.
    private static readonly ConcurrentDictionary<ColormapTypes, Mat> Tables = new();

    public static ColormapTypes Parse(string name)
    {
        if (Enum.TryParse<ColormapTypes>(name, ignoreCase: true, out var value)) return value;
        throw new HeatmapToolsException(ErrorIds.UnknownColormap, ErrorKind.InvalidArgument,
            $"Unknown colormap '{name}'. Known: {string.Join(", ", Names)}.", name);
    }

    /// <summary>The colormap's own spelling of a name given in any case; an unknown name is an error listing the known ones.</summary>
    public static string Canonical(string name) => Parse(name).ToString();

    /// <summary>Colours a [0,1] map with the colormap; returns an 8-bit BGR image the caller disposes.</summary>
    public static Mat Apply(Mat unitFloatMap, ColormapTypes colormap)
    {
        using var eightBit = new Mat();
        unitFloatMap.ConvertTo(eightBit, MatType.CV_8U, 255.0);
        using var grey3 = new Mat();
        Cv2.CvtColor(eightBit, grey3, ColorConversionCodes.GRAY2BGR);
        var colored = new Mat();
        Cv2.LUT(grey3, Table(colormap), colored);
        return colored;
    }

    /// <summary>The colormap's BGR colour for each of the 256 levels.</summary>
    public static Vec3b[] Colors(ColormapTypes colormap)
    {
        var table = Table(colormap);
        var colors = new Vec3b[256];
        for (int i = 0; i < 256; i++) colors[i] = table.At<Vec3b>(0, i);
        return colors;
    }

    /// <summary>A 1x256 BGR table; shared, so callers must not dispose or change it.</summary>
    private static Mat Table(ColormapTypes colormap) => Tables.GetOrAdd(colormap, static map =>
    {
        using var ramp = new Mat(1, 256, MatType.CV_8UC1);
        for (int i = 0; i < 256; i++) ramp.Set(0, i, (byte)i);
        var table = new Mat();
        Cv2.ApplyColorMap(ramp, table, map);
        return table;
    });
}
