namespace HeatmapTools.Engine.Detection;

/// <summary>
/// A map renormalised inside the boxes it explains, as pytorch-grad-cam's Faster R-CNN tutorial does
/// (renormalize_cam_in_bounding_boxes): each box's part of the map min-max scaled on its own, zero outside every box,
/// the boxes' maximum where they overlap, then the whole scaled again. Every box then shows where inside it the
/// evidence lies, however weak its box is beside the others.
/// </summary>
public static class InBoxes
{
    /// <param name="boxes">Boxes in the map's pixels; their corners are truncated to whole pixels, as the tutorial's np.int32.</param>
    public static float[] Renormalize(float[] map, int width, int height, IEnumerable<BoxCorners> boxes)
    {
        if (map.Length != width * height) throw new ArgumentException($"The map has {map.Length} values, not {width} x {height}.", nameof(map));
        var result = new float[map.Length];
        foreach (var box in boxes)
        {
            int x1 = Math.Clamp((int)box.X1, 0, width), y1 = Math.Clamp((int)box.Y1, 0, height);
            int x2 = Math.Clamp((int)box.X2, 0, width), y2 = Math.Clamp((int)box.Y2, 0, height);
            if (x2 <= x1 || y2 <= y1) continue;
            var crop = new float[(x2 - x1) * (y2 - y1)];
            for (int y = y1; y < y2; y++) Array.Copy(map, y * width + x1, crop, (y - y1) * (x2 - x1), x2 - x1);
            Cam.CamPostProcessor.MinMax(crop);
            for (int y = y1; y < y2; y++)
                for (int x = x1; x < x2; x++)
                    result[y * width + x] = Math.Max(result[y * width + x], crop[(y - y1) * (x2 - x1) + x - x1]);
        }
        Cam.CamPostProcessor.MinMax(result);
        return result;
    }
}
