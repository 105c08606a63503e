using System.Text.Json;
using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Slides;
using OpenCvSharp;

namespace HeatmapTools.Engine.Explanation;

/// <summary>
/// A region drawn in QuPath and exported as GeoJSON (File > Export objects: a FeatureCollection, a feature list, one
/// feature or a bare geometry), as a mask over one image. Its polygons (Polygon, MultiPolygon; holes cut out) are in the
/// image's pixels, or for a slide tile (Get-SlideTile) in the slide's level-0 pixels, which are carried to the tile
/// through its position and its level's downsample. A pixel is inside when its centre is.
/// </summary>
public static class GeoJsonRegion
{
    public static bool Recognises(string path) =>
        path.EndsWith(".geojson", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".json", StringComparison.OrdinalIgnoreCase);

    /// <summary>The mask over <paramref name="image"/>: 255 inside, 0 outside.</summary>
    public static Mat Rasterise(string path, PreparedImage image)
    {
        List<List<Point2d[]>> polygons;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            polygons = new List<List<Point2d[]>>();
            Collect(doc.RootElement, polygons);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or KeyNotFoundException or IndexOutOfRangeException)
        {
            throw Invalid(path, $"is not GeoJSON this module reads ({e.Message})");
        }
        if (polygons.Count == 0) throw Invalid(path, "has no Polygon or MultiPolygon: points and lines enclose no pixels");
        // Level-0 slide pixels to the tile's own; an ordinary image's GeoJSON is in its pixels already.
        double x0 = 0, y0 = 0, scale = 1;
        if (SlideTilePath.TryParse(image.Path, out var tile))
        {
            var slide = SlideCache.Get(tile.Slide);
            x0 = tile.X;
            y0 = tile.Y;
            scale = 1 / slide.Levels[Math.Min(tile.Level, slide.Levels.Count - 1)].Downsample;
        }
        var mask = new byte[image.Height * image.Width];
        foreach (var polygon in polygons)
        {
            var rings = polygon.Select(ring => ring.Select(p => new Point2d((p.X - x0) * scale, (p.Y - y0) * scale)).ToArray()).ToList();
            // The outer ring, then each hole taken out of it (a hole drawn past its ring takes nothing from outside).
            Fill(mask, image.Width, image.Height, rings[0], 255);
            foreach (var hole in rings.Skip(1)) Fill(mask, image.Width, image.Height, hole, 0);
        }
        using var wrapped = Mat.FromPixelData(image.Height, image.Width, MatType.CV_8UC1, mask);
        return wrapped.Clone();
    }

    /// <summary>
    /// Sets the pixels whose centre lies inside the ring to <paramref name="value"/>: row by row, the centre line's
    /// crossings with the edges, pixels between each pair (even-odd). Not Cv2.FillPoly: it also fills the pixels its
    /// right and bottom edges touch (a tile's 112-pixel half came out 113 columns wide, Explanation.Tests' GeoJSON case).
    /// </summary>
    private static void Fill(byte[] mask, int width, int height, Point2d[] ring, byte value)
    {
        var crossings = new List<double>();
        for (int y = 0; y < height; y++)
        {
            double cy = y + 0.5;
            crossings.Clear();
            for (int i = 0; i < ring.Length; i++)
            {
                var (a, b) = (ring[i], ring[(i + 1) % ring.Length]);
                // Half-open in y, so a vertex on the line counts once.
                if ((a.Y <= cy) != (b.Y <= cy)) crossings.Add(a.X + (cy - a.Y) * (b.X - a.X) / (b.Y - a.Y));
            }
            crossings.Sort();
            for (int k = 0; k + 1 < crossings.Count; k += 2)
            {
                // Pixel x is in when its centre x + 0.5 lies in [left, right).
                int from = Math.Max(0, (int)Math.Ceiling(crossings[k] - 0.5)), to = Math.Min(width - 1, (int)Math.Ceiling(crossings[k + 1] - 0.5) - 1);
                for (int x = from; x <= to; x++) mask[y * width + x] = value;
            }
        }
    }

    private static void Collect(JsonElement element, List<List<Point2d[]>> polygons)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray()) Collect(item, polygons);
            return;
        }
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty("type", out var type)) throw new FormatException("an object without a type");
        switch (type.GetString())
        {
            case "FeatureCollection":
                Collect(element.GetProperty("features"), polygons);
                break;
            case "Feature":
                if (element.TryGetProperty("geometry", out var geometry) && geometry.ValueKind == JsonValueKind.Object) Collect(geometry, polygons);
                break;
            case "GeometryCollection":
                Collect(element.GetProperty("geometries"), polygons);
                break;
            case "Polygon":
                polygons.Add(Rings(element.GetProperty("coordinates")));
                break;
            case "MultiPolygon":
                foreach (var polygon in element.GetProperty("coordinates").EnumerateArray()) polygons.Add(Rings(polygon));
                break;
        }
    }

    private static List<Point2d[]> Rings(JsonElement polygon) =>
        polygon.EnumerateArray().Select(ring => ring.EnumerateArray().Select(p => new Point2d(p[0].GetDouble(), p[1].GetDouble())).ToArray())
            .Where(r => r.Length >= 3).ToList() is { Count: > 0 } rings ? rings : throw new FormatException("a polygon without a ring");

    private static HeatmapToolsException Invalid(string path, string what) =>
        new(ErrorIds.ExplanationMaskInvalid, ErrorKind.InvalidData, $"The mask '{path}' {what}.", path);
}
