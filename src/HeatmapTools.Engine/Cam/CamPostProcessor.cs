using OpenCvSharp;

namespace HeatmapTools.Engine.Cam;

/// <summary>
/// pytorch-grad-cam's shared post-processing: per layer relu, min-max scale at layer resolution, resize to the
/// input size (OpenCV bilinear, float32); then across layers relu, mean and min-max scale again.
/// </summary>
public static class CamPostProcessor
{
    public static float[] Combine(IReadOnlyList<float[]> layerMaps, IReadOnlyList<(int H, int W)> layerShapes, int width, int height)
    {
        var sum = new float[width * height];
        for (int l = 0; l < layerMaps.Count; l++)
        {
            var map = layerMaps[l].ToArray();
            Relu(map);
            MinMax(map);
            var resized = Resize(map, layerShapes[l].W, layerShapes[l].H, width, height);
            Relu(resized);
            for (int i = 0; i < sum.Length; i++) sum[i] += resized[i];
        }
        for (int i = 0; i < sum.Length; i++) sum[i] /= layerMaps.Count;
        MinMax(sum);
        return sum;
    }

    public static void Relu(float[] map)
    {
        for (int i = 0; i < map.Length; i++) if (!(map[i] > 0)) map[i] = 0;
    }

    /// <summary>(x - min) / (1e-7 + max of the shifted values), as the reference does.</summary>
    public static void MinMax(float[] map)
    {
        float min = map.Min();
        for (int i = 0; i < map.Length; i++) map[i] -= min;
        float max = map.Max();
        for (int i = 0; i < map.Length; i++) map[i] /= 1e-7f + max;
    }

    public static float[] Resize(float[] map, int width, int height, int newWidth, int newHeight)
    {
        if (width == newWidth && height == newHeight) return map.ToArray();
        using var source = Mat.FromPixelData(height, width, MatType.CV_32FC1, map);
        using var resized = new Mat();
        Cv2.Resize(source, resized, new Size(newWidth, newHeight), 0, 0, InterpolationFlags.Linear);
        resized.GetArray(out float[] data);
        return data;
    }
}
