using System.Text.Json;
using OpenCvSharp;

namespace HeatmapTools.Engine.Slides;

/// <summary>
/// A pathologist's annotation of a slide as a mask at a thumbnail's scale: QuPath's GeoJSON (Polygon and MultiPolygon
/// features in level-0 pixels; holes cut out; only features of the classification asked for, when asked), or a mask
/// image of the slide's proportions (its nonzero pixels).
/// </summary>
public static class SlideAnnotation
{
    public static Mat Rasterize(string path, long slideWidth, long slideHeight, double scale, int width, int height, string? classification)
    {
        if (!File.Exists(path))
            throw new HeatmapToolsException(ErrorIds.FileNotFound, ErrorKind.ObjectNotFound, $"Annotation '{path}' does not exist.", path);
        var mask = new Mat(height, width, MatType.CV_8UC1, Scalar.All(0));
        try
        {
            if (path.EndsWith(".geojson", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
                FillGeoJson(mask, path, scale, classification);
            else
                FillMaskImage(mask, path, slideWidth, slideHeight);
            return mask;
        }
        catch
        {
            mask.Dispose();
            throw;
        }
    }

    private static void FillGeoJson(Mat mask, string path, double scale, string? classification)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException ex)
        {
            throw new HeatmapToolsException(ErrorIds.AnnotationInvalid, ErrorKind.InvalidData, $"Annotation '{path}' is not JSON: {ex.Message}", path, ex);
        }
        using (doc)
        {
            var root = doc.RootElement;
            var features = root.ValueKind == JsonValueKind.Array ? root.EnumerateArray().ToList()
                : root.TryGetProperty("features", out var list) ? list.EnumerateArray().ToList()
                : root.TryGetProperty("geometry", out _) ? new List<JsonElement> { root }
                : throw new HeatmapToolsException(ErrorIds.AnnotationInvalid, ErrorKind.InvalidData,
                    $"Annotation '{path}' is neither a GeoJSON FeatureCollection, a Feature nor an array of features.", path);
            int used = 0;
            foreach (var feature in features)
            {
                if (classification is not null && ClassOf(feature) is var name && !string.Equals(name, classification, StringComparison.OrdinalIgnoreCase)) continue;
                if (!feature.TryGetProperty("geometry", out var geometry) || geometry.ValueKind != JsonValueKind.Object) continue;
                string type = geometry.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "";
                var polygons = type switch
                {
                    "Polygon" => new[] { geometry.GetProperty("coordinates") },
                    "MultiPolygon" => geometry.GetProperty("coordinates").EnumerateArray().ToArray(),
                    _ => Array.Empty<JsonElement>(),
                };
                foreach (var polygon in polygons)
                {
                    var rings = polygon.EnumerateArray().Select(ring => ring.EnumerateArray()
                        .Select(p => new Point((int)Math.Round(p[0].GetDouble() * scale), (int)Math.Round(p[1].GetDouble() * scale))).ToArray()).ToList();
                    if (rings.Count == 0) continue;
                    Cv2.FillPoly(mask, new[] { rings[0] }, Scalar.All(255));
                    if (rings.Count > 1) Cv2.FillPoly(mask, rings.Skip(1), Scalar.All(0));
                    used++;
                }
            }
            if (used == 0)
                throw new HeatmapToolsException(ErrorIds.AnnotationInvalid, ErrorKind.InvalidData,
                    $"Annotation '{path}' holds no polygon{(classification is null ? "" : $" classified '{classification}'")}.", path);
        }
    }

    private static string? ClassOf(JsonElement feature) =>
        feature.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object && p.TryGetProperty("classification", out var c)
            ? c.ValueKind == JsonValueKind.Object && c.TryGetProperty("name", out var n) ? n.GetString() : c.ValueKind == JsonValueKind.String ? c.GetString() : null
            : null;

    private static void FillMaskImage(Mat mask, string path, long slideWidth, long slideHeight)
    {
        using var image = Cv2.ImRead(path, ImreadModes.Grayscale);
        if (image.Empty())
            throw new HeatmapToolsException(ErrorIds.AnnotationInvalid, ErrorKind.InvalidData, $"Annotation '{path}' is neither GeoJSON nor an image OpenCV reads.", path);
        // A mask of other proportions than the slide was drawn on something else: stretching it would move the tumour.
        double ratio = (double)image.Width / image.Height, slideRatio = (double)slideWidth / slideHeight;
        if (Math.Abs(ratio / slideRatio - 1) > 0.01)
            throw new HeatmapToolsException(ErrorIds.AnnotationInvalid, ErrorKind.InvalidData,
                $"Annotation mask '{path}' is {image.Width} x {image.Height}; the slide is {slideWidth} x {slideHeight}: a mask must have the slide's proportions.", path);
        using var sized = new Mat();
        Cv2.Resize(image, sized, mask.Size(), 0, 0, InterpolationFlags.Nearest);
        Cv2.Threshold(sized, mask, 0, 255, ThresholdTypes.Binary);
    }
}
