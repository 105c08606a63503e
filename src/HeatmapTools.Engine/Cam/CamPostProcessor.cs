using System.Numerics;
using OpenCvSharp;

namespace HeatmapTools.Engine.Cam;

/// <summary>
/// pytorch-grad-cam's shared post-processing: per layer relu, min-max scale at layer resolution, resize to the
/// input size (OpenCV bilinear, float32); then across layers relu, mean and min-max scale again.
/// </summary>
public static class CamPostProcessor
{
    public static float[] Combine(IReadOnlyList<float[]> layerMaps, IReadOnlyList<(int H, int W)> layerShapes, int width, int height) =>
        Combine(layerMaps, layerShapes, width, height, out _, out _);

    /// <param name="rawMin">The smallest value of the relu'd layer map before scaling (over layers, the smallest).</param>
    /// <param name="rawMax">The largest (over layers, the largest): with <paramref name="rawMin"/>, what the scaled map's 0 and 1 stood for, so maps
    /// of several images can be put on one scale again (a patient's CAM mosaic).</param>
    /// <param name="extent">How far the layers' maps reach past the image, per axis: each is resized to that extent and cut to the image at its top left (a detector's padded batch).</param>
    public static float[] Combine(IReadOnlyList<float[]> layerMaps, IReadOnlyList<(int H, int W)> layerShapes, int width, int height,
        out float rawMin, out float rawMax, (double Width, double Height)? extent = null)
    {
        var (fullWidth, fullHeight) = extent is { } e ? ((int)Math.Round(width * e.Width), (int)Math.Round(height * e.Height)) : (width, height);
        int layers = layerMaps.Count;
        float[]? sum = null;
        rawMin = float.PositiveInfinity;
        rawMax = float.NegativeInfinity;
        for (int l = 0; l < layers; l++)
        {
            var map = layerMaps[l].ToArray();
            Relu(map);
            var (low, high) = Extremes(map);
            rawMin = Math.Min(rawMin, low);
            rawMax = Math.Max(rawMax, high);
            MinMax(map);
            var resized = Resize(map, layerShapes[l].W, layerShapes[l].H, fullWidth, fullHeight);
            if (fullWidth != width || fullHeight != height) resized = TopLeft(resized, fullWidth, width, height);
            Relu(resized);
            if (sum is null) sum = resized;
            else Add(sum, resized);
        }
        if (layers > 1) Divide(sum!, layers);
        MinMax(sum!);
        return sum!;
    }

    // The loops below run once or more per map on 50,176 floats, which with scalar code (and LINQ's Min/Max, which
    // are not vectorised for float) cost more than the network's own work on small models. They are vectorised with
    // the same IEEE operations per element as the scalar tail, so results are bit for bit those of plain loops.

    private static float[] TopLeft(float[] map, int mapWidth, int width, int height)
    {
        var result = new float[width * height];
        for (int y = 0; y < height; y++) Array.Copy(map, y * mapWidth, result, y * width, width);
        return result;
    }

    /// <summary>max(x, 0), with NaN turned into 0 as well.</summary>
    public static void Relu(float[] map)
    {
        var span = map.AsSpan();
        int i = 0;
        for (; i <= span.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var v = new Vector<float>(span[i..]);
            Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<float>.Zero), v, Vector<float>.Zero).CopyTo(span[i..]);
        }
        for (; i < span.Length; i++) if (!(span[i] > 0)) span[i] = 0;
    }

    /// <summary>(x - min) / (1e-7 + max of the shifted values), as the reference does.</summary>
    public static void MinMax(float[] map)
    {
        var span = map.AsSpan();
        var (min, max) = Extremes(span);
        // Subtracting a constant never reorders floats, so the largest shifted value is the largest value shifted.
        float scale = 1e-7f + (max - min);
        var vmin = new Vector<float>(min);
        var vscale = new Vector<float>(scale);
        int i = 0;
        for (; i <= span.Length - Vector<float>.Count; i += Vector<float>.Count) ((new Vector<float>(span[i..]) - vmin) / vscale).CopyTo(span[i..]);
        for (; i < span.Length; i++) span[i] = (span[i] - min) / scale;
    }

    private static (float Min, float Max) Extremes(ReadOnlySpan<float> span)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        int i = 0;
        if (span.Length >= Vector<float>.Count)
        {
            var low = new Vector<float>(float.PositiveInfinity);
            var high = new Vector<float>(float.NegativeInfinity);
            for (; i <= span.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = new Vector<float>(span[i..]);
                low = Vector.Min(low, v);
                high = Vector.Max(high, v);
            }
            for (int k = 0; k < Vector<float>.Count; k++)
            {
                min = Math.Min(min, low[k]);
                max = Math.Max(max, high[k]);
            }
        }
        for (; i < span.Length; i++)
        {
            min = Math.Min(min, span[i]);
            max = Math.Max(max, span[i]);
        }
        return (min, max);
    }

    private static void Add(float[] sum, float[] values)
    {
        for (int i = 0; i < sum.Length; i++) sum[i] += values[i];
    }

    private static void Divide(float[] sum, int count)
    {
        for (int i = 0; i < sum.Length; i++) sum[i] /= count;
    }

    public static float[] Resize(float[] map, int width, int height, int newWidth, int newHeight)
    {
        if (width == newWidth && height == newHeight) return map.ToArray();
        var result = new float[newWidth * newHeight];
        // OpenCV writes straight into the result array: a destination of the right size and type is used as it is.
        using var source = Mat.FromPixelData(height, width, MatType.CV_32FC1, map);
        using var target = Mat.FromPixelData(newHeight, newWidth, MatType.CV_32FC1, result);
        Cv2.Resize(source, target, new Size(newWidth, newHeight), 0, 0, InterpolationFlags.Linear);
        return result;
    }
}
