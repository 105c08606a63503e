namespace HeatmapTools.Engine.Detection;

/// <summary>
/// Greedy non-maximum suppression per class, as torchvision's batched_nms: candidates by score, highest first; one is
/// dropped when a kept box of its class overlaps it by more than the threshold (IoU in single precision, areas as
/// (x2 - x1)(y2 - y1), as torchvision's kernel computes them). Up to 1,000 boxes torchvision (on the CPU) separates the
/// classes by shifting each class's boxes by class x (largest coordinate + 1) and compares the shifted boxes, whose
/// IoU rounds otherwise: so does this, or a box at the threshold would be kept here and dropped there.
/// </summary>
public static class BoxNms
{
    /// <summary>Indices into the candidates that survive, highest score first, at most <paramref name="max"/>.</summary>
    public static IReadOnlyList<int> Keep(IReadOnlyList<float[]> boxes, IReadOnlyList<float> scores, IReadOnlyList<int> classes, double iouThreshold, int max)
    {
        if (boxes.Count > 0 && boxes.Count * 4 <= 4000)
        {
            float step = boxes.Max(b => b.Max()) + 1f;
            boxes = boxes.Select((b, i) => { float shift = classes[i] * step; return b.Select(v => v + shift).ToArray(); }).ToList();
        }
        var order = Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i]).ToArray();
        var kept = new List<int>();
        var byClass = new Dictionary<int, List<int>>();
        foreach (int i in order)
        {
            if (kept.Count >= max) break;
            if (!byClass.TryGetValue(classes[i], out var same)) byClass[classes[i]] = same = new List<int>();
            bool suppressed = false;
            foreach (int j in same)
                if (Iou(boxes[i], boxes[j]) > iouThreshold) { suppressed = true; break; }
            if (suppressed) continue;
            same.Add(i);
            kept.Add(i);
        }
        return kept;
    }

    public static float Iou(float[] a, float[] b)
    {
        float areaA = (a[2] - a[0]) * (a[3] - a[1]), areaB = (b[2] - b[0]) * (b[3] - b[1]);
        float w = Math.Max(0f, Math.Min(a[2], b[2]) - Math.Max(a[0], b[0])), h = Math.Max(0f, Math.Min(a[3], b[3]) - Math.Max(a[1], b[1]));
        float inter = w * h;
        return inter / (areaA + areaB - inter);
    }
}
