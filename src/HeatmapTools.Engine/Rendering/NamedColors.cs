using System.Globalization;

namespace HeatmapTools.Engine.Rendering;

/// <summary>An 8-bit colour, red first as people write it (OpenCV's own order is blue first).</summary>
public readonly record struct Rgb(byte R, byte G, byte B)
{
    internal OpenCvSharp.Scalar ToScalar() => new(B, G, R);
}

/// <summary>Colours given as everyday names (red, pink, ...) or #RRGGBB.</summary>
public static class NamedColors
{
    private static readonly Dictionary<string, Rgb> Named = new(StringComparer.OrdinalIgnoreCase)
    {
        ["red"] = new(255, 0, 0), ["pink"] = new(255, 192, 203), ["green"] = new(0, 160, 0), ["blue"] = new(0, 0, 255),
        ["yellow"] = new(255, 255, 0), ["orange"] = new(255, 165, 0), ["purple"] = new(128, 0, 128), ["black"] = new(0, 0, 0),
        ["white"] = new(255, 255, 255), ["gray"] = new(128, 128, 128), ["cyan"] = new(0, 255, 255), ["magenta"] = new(255, 0, 255),
    };

    public static Rgb Parse(string text)
    {
        if (Named.TryGetValue(text, out var named)) return named;
        var hex = text.TrimStart('#');
        if (hex.Length == 6 && int.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int v))
            return new Rgb((byte)(v >> 16), (byte)(v >> 8), (byte)v);
        throw new HeatmapToolsException(ErrorIds.ColorUnknown, ErrorKind.InvalidArgument,
            $"Colour '{text}' is neither a known name ({string.Join(", ", Named.Keys)}) nor #RRGGBB.", text);
    }
}
