using static TorchSharp.torch;

namespace HeatmapTools.Engine.Models.Detectors;

/// <summary>
/// torchvision's roi_align (He et al. 2017, "Mask R-CNN"; aligned=False, a fixed sampling ratio) and MultiScaleRoIAlign's
/// level choice, which TorchVision for .NET does not have. Bilinear sampling on a regular grid of each bin is separable:
/// a box's output is Wy · F · Wxᵀ per channel, with Wy (out x H) and Wx (out x W) holding each row's sample weights,
/// built with torchvision's single-precision coordinates and edge rules. Matrix products keep it differentiable with
/// respect to the features (as torchvision's backward is; boxes get no gradient, proposals are detached).
/// </summary>
internal static class RoiAlign
{
    /// <summary>Multiplies at most this many floats at once (boxes are pooled in chunks), whatever the number of boxes.</summary>
    private const long ChunkFloats = 8L << 20;

    /// <summary>
    /// Pools <paramref name="boxes"/> (R x 4 corners, input pixels, of sample <paramref name="sample"/>) from one level
    /// (B x C x H x W) at <paramref name="scale"/> into R x C x size x size.
    /// </summary>
    public static Tensor Pool(Tensor level, int sample, float[] boxes, float scale, int size, int samplingRatio)
    {
        int count = boxes.Length / 4;
        long channels = level.shape[1], height = level.shape[2], width = level.shape[3];
        var features = level[sample];
        if (count == 0) return zeros(new long[] { 0, channels, size, size }, level.dtype);
        var wy = new float[count * size * height];
        var wx = new float[count * size * width];
        for (int r = 0; r < count; r++)
        {
            float startW = boxes[4 * r] * scale, startH = boxes[4 * r + 1] * scale;
            float endW = boxes[4 * r + 2] * scale, endH = boxes[4 * r + 3] * scale;
            float roiW = MathF.Max(endW - startW, 1f), roiH = MathF.Max(endH - startH, 1f);
            Fill(wy.AsSpan(r * size * (int)height, size * (int)height), startH, roiH / size, size, samplingRatio, (int)height);
            Fill(wx.AsSpan(r * size * (int)width, size * (int)width), startW, roiW / size, size, samplingRatio, (int)width);
        }
        var rows = tensor(wy, new long[] { count, size, height }).to(level.dtype);
        var columns = tensor(wx, new long[] { count, size, width }).to(level.dtype).transpose(1, 2);
        long chunk = Math.Max(1, ChunkFloats / Math.Max(1, channels * size * width));
        var parts = new List<Tensor>();
        for (long from = 0; from < count; from += chunk)
        {
            long to = Math.Min(count, from + chunk);
            var across = matmul(rows.narrow(0, from, to - from).unsqueeze(1), features.unsqueeze(0));
            parts.Add(matmul(across, columns.narrow(0, from, to - from).unsqueeze(1)));
        }
        return parts.Count == 1 ? parts[0] : cat(parts, 0);
    }

    /// <summary>One axis's weights: per output cell, each sample's two taps at 1 / samplingRatio, torchvision's bilinear_interpolate rules.</summary>
    private static void Fill(Span<float> weights, float start, float bin, int size, int samplingRatio, int extent)
    {
        for (int p = 0; p < size; p++)
        {
            var row = weights.Slice(p * extent, extent);
            for (int i = 0; i < samplingRatio; i++)
            {
                float v = start + p * bin + (i + .5f) * bin / samplingRatio;
                // A sample more than a pixel outside the map reads nothing (it still counts in the average).
                if (v < -1.0 || v > extent) continue;
                if (v <= 0) v = 0;
                int low = (int)v, high;
                if (low >= extent - 1)
                {
                    high = low = extent - 1;
                    v = low;
                }
                else high = low + 1;
                float l = v - low, h = 1 - l;
                row[low] += h / samplingRatio;
                row[high] += l / samplingRatio;
            }
        }
    }

    /// <summary>
    /// MultiScaleRoIAlign's level per box: floor(4 + log2(sqrt(area) / 224) + 1e-6) clamped to the levels present, in
    /// single precision as torchvision's LevelMapper computes it; returned as an index into the levels.
    /// </summary>
    public static int[] Levels(float[] boxes, int finest, int coarsest)
    {
        if (finest == coarsest) return new int[boxes.Length / 4];
        using var scope = NewDisposeScope();
        var b = tensor(boxes, new long[] { boxes.Length / 4, 4 });
        var s = ((b[.., 2] - b[.., 0]) * (b[.., 3] - b[.., 1])).sqrt();
        var level = (4 + (s / 224f).log2() + tensor(1e-6f)).floor().clamp(finest, coarsest);
        return level.to_type(ScalarType.Int64).data<long>().Select(l => (int)l - finest).ToArray();
    }

    /// <summary>A level's scale as MultiScaleRoIAlign infers it: 2 to the rounded log2 of its height over the resized image's.</summary>
    public static float Scale(long levelHeight, int imageHeight)
    {
        float approx = (float)levelHeight / imageHeight;
        return MathF.Pow(2, MathF.Round(MathF.Log2(approx), MidpointRounding.ToEven));
    }
}
