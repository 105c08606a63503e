using HeatmapTools.Engine.Imaging;
using OpenCvSharp;

namespace HeatmapTools.Engine.Cam;

/// <summary>
/// Puts a map computed on the network input back where that input came from in the image, so an overlay lines up
/// with what the network saw: a letterboxed input's band is the image, a centre crop is placed at its crop.
/// </summary>
internal static class MapPlacement
{
    /// <summary>Each map placed for its image as <paramref name="preprocess"/> prepared it.</summary>
    public static IReadOnlyList<CamResult> Place(IReadOnlyList<CamResult> maps, IReadOnlyList<PreparedImage> images, PreprocessOptions preprocess)
    {
        if (preprocess.Mode == ResizeMode.Letterbox) return maps.Select((m, k) => Unletterbox(m, images[k])).ToList();
        // A centre crop saw part of the image: its map is placed there, the rest of the image left cold, instead of
        // stretching the crop over the whole picture.
        if (preprocess.Mode == ResizeMode.CenterCrop && !preprocess.Native) return maps.Select((m, k) => Uncrop(m, images[k])).ToList();
        return maps;
    }

    /// <summary>A centre crop's map placed at the crop inside the scaled image, the rest zero.</summary>
    internal static CamResult Uncrop(CamResult map, PreparedImage image)
    {
        var (scaledWidth, scaledHeight, crop) = Preprocessor.CenterCrop(image.Width, image.Height, map.Width);
        return Moved(map, scaledWidth, scaledHeight, new Rect(0, 0, crop.Width, crop.Height), crop.Location);
    }

    /// <summary>A letterboxed map cut back to the band the image filled.</summary>
    internal static CamResult Unletterbox(CamResult map, PreparedImage image)
    {
        var band = Preprocessor.Letterbox(image.Width, image.Height, map.Width, map.Height);
        return Moved(map, band.Width, band.Height, band, new Point(0, 0));
    }

    /// <summary>The map (and guided gradients, per channel) copied from <paramref name="from"/> to <paramref name="to"/> in a width x height map of zeros.</summary>
    private static CamResult Moved(CamResult map, int width, int height, Rect from, Point to)
    {
        float[] Copy(float[] source, int channels)
        {
            var result = new float[channels * width * height];
            for (int c = 0; c < channels; c++)
                for (int y = 0; y < from.Height; y++)
                    Array.Copy(source, c * map.Width * map.Height + (from.Y + y) * map.Width + from.X, result, c * width * height + (to.Y + y) * width + to.X, from.Width);
            return result;
        }
        var guided = map.Guided is { } g ? Copy(g, g.Length / (map.Width * map.Height)) : null;
        return map with { Map = Copy(map.Map, 1), Width = width, Height = height, Guided = guided };
    }
}
