using System.Text.Json;
using OpenCvSharp;

namespace HeatmapTools.Engine.Slides;

/// <summary>
/// Tiles and contours as the GeoJSON QuPath imports (File > Import objects): a FeatureCollection of polygons in
/// level-0 pixels, each tile a detection with its probability as a measurement, each contour an annotation, both
/// classified "Tumor".
/// </summary>
internal static class QuPathGeoJson
{
    public static void Write(Stream stream, IReadOnlyList<TileProbability> tiles, Point[][] contours, double scale, double threshold)
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false });
        json.WriteStartObject();
        json.WriteString("type", "FeatureCollection");
        json.WriteStartArray("features");
        foreach (var t in tiles)
            Feature(json, "detection", new[] { (t.X, t.Y), (t.X + t.Extent, t.Y), (t.X + t.Extent, t.Y + t.Extent), (t.X, t.Y + t.Extent) }, t.Probability);
        foreach (var contour in contours.Where(c => c.Length >= 3))
            Feature(json, "annotation", contour.Select(p => ((long)Math.Round(p.X / scale), (long)Math.Round(p.Y / scale))).ToArray(), null, threshold);
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void Feature(Utf8JsonWriter json, string kind, (long X, long Y)[] ring, double? probability, double? threshold = null)
    {
        json.WriteStartObject();
        json.WriteString("type", "Feature");
        json.WriteStartObject("geometry");
        json.WriteString("type", "Polygon");
        json.WriteStartArray("coordinates");
        json.WriteStartArray();
        foreach (var (x, y) in ring.Append(ring[0]))
        {
            json.WriteStartArray();
            json.WriteNumberValue(x);
            json.WriteNumberValue(y);
            json.WriteEndArray();
        }
        json.WriteEndArray();
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteStartObject("properties");
        json.WriteString("objectType", kind);
        json.WriteStartObject("classification");
        json.WriteString("name", "Tumor");
        json.WriteStartArray("color");
        json.WriteNumberValue(200);
        json.WriteNumberValue(0);
        json.WriteNumberValue(0);
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteStartObject("measurements");
        if (probability is double p) json.WriteNumber("probability", p);
        if (threshold is double t) json.WriteNumber("threshold", t);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
    }
}
