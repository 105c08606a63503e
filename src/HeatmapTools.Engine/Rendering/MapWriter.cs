using System.Globalization;
using System.Text;
using HeatmapTools.Engine.IO;
using OpenCvSharp;

namespace HeatmapTools.Engine.Rendering;

public enum MapFormat { None, Npy, Png16, Csv }

/// <summary>Saves a raw [0,1] map: float32 .npy, a 16-bit grayscale PNG (value * 65535), or CSV rows.</summary>
public static class MapWriter
{
    public static string Extension(MapFormat format) => format switch
    {
        MapFormat.Npy => ".npy",
        MapFormat.Png16 => ".png",
        MapFormat.Csv => ".csv",
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    public static void Write(string path, MapFormat format, float[] map, int width, int height, bool overwrite)
    {
        switch (format)
        {
            case MapFormat.Npy:
                AtomicFile.Write(path, overwrite, s => Npy.WriteFloat32(s, new[] { height, width }, map));
                break;
            case MapFormat.Png16:
                using (var m = Mat.FromPixelData(height, width, MatType.CV_32FC1, map))
                using (var sixteen = new Mat())
                {
                    m.ConvertTo(sixteen, MatType.CV_16U, 65535.0);
                    AtomicFile.Write(path, overwrite, stream => ImageEncoder.Encode(sixteen, ".png", stream));
                }
                break;
            case MapFormat.Csv:
                var text = new StringBuilder();
                for (int y = 0; y < height; y++)
                {
                    for (int x = 0; x < width; x++)
                    {
                        if (x > 0) text.Append(',');
                        text.Append(map[y * width + x].ToString("R", CultureInfo.InvariantCulture));
                    }
                    text.Append('\n');
                }
                AtomicFile.WriteBytes(path, overwrite, Encoding.UTF8.GetBytes(text.ToString()));
                break;
        }
    }
}
