using System.Collections.Concurrent;
using OpenCvSharp;

namespace HeatmapTools.Engine.Imaging;

/// <summary>How an image becomes a network input.</summary>
public enum ResizeMode
{
    /// <summary>Resize straight to the input size, bilinear on 8-bit pixels (the Keras recipe, and pytorch-grad-cam's examples).</summary>
    Stretch,
    /// <summary>torchvision's evaluation transform: shorter side to 256, then a centred 224 crop.</summary>
    CenterCrop,
}

public sealed record PreprocessOptions(int Size, float[] Mean, float[] Std, ResizeMode Mode = ResizeMode.Stretch)
{
    public static readonly float[] ImageNetMean = { 0.485f, 0.456f, 0.406f };
    public static readonly float[] ImageNetStd = { 0.229f, 0.224f, 0.225f };
    public static PreprocessOptions ImageNet(ResizeMode mode = ResizeMode.Stretch, int size = 224) => new(size, ImageNetMean, ImageNetStd, mode);
}

/// <summary>Turns a BGR image into a normalised CHW RGB float array, exactly as OpenCV-based reference code does.</summary>
public static class Preprocessor
{
    public static float[] ToChw(Mat bgr, PreprocessOptions options)
    {
        using var sized = Resize(bgr, options);
        int size = options.Size;
        int plane = size * size;
        var result = new float[3 * plane];
        var lut = Lookup(options);
        for (int y = 0; y < size; y++)
        {
            ReadOnlySpan<byte> pixels;
            unsafe { pixels = new ReadOnlySpan<byte>((void*)sized.Ptr(y), size * 3); }
            int at = y * size;
            for (int x = 0; x < size; x++, at++)
            {
                // BGR in memory, RGB out: channel 0 is red.
                result[at] = lut[0][pixels[3 * x + 2]];
                result[plane + at] = lut[1][pixels[3 * x + 1]];
                result[2 * plane + at] = lut[2][pixels[3 * x]];
            }
        }
        return result;
    }

    // Per-channel tables of the normalised value of each byte value, so normalising a pixel is a table read. Keyed by
    // the values (not the options object), so every image with the same mean and std shares one set.
    private static readonly ConcurrentDictionary<(float, float, float, float, float, float), float[][]> Lookups = new();

    private static float[][] Lookup(PreprocessOptions o) =>
        Lookups.GetOrAdd((o.Mean[0], o.Mean[1], o.Mean[2], o.Std[0], o.Std[1], o.Std[2]), static key =>
        {
            var (m0, m1, m2, s0, s1, s2) = key;
            float[] mean = { m0, m1, m2 }, std = { s0, s1, s2 };
            return Enumerable.Range(0, 3).Select(c => Enumerable.Range(0, 256).Select(v => (v / 255f - mean[c]) / std[c]).ToArray()).ToArray();
        });

    private static Mat Resize(Mat bgr, PreprocessOptions options)
    {
        int size = options.Size;
        var output = new Mat();
        if (options.Mode == ResizeMode.Stretch)
        {
            Cv2.Resize(bgr, output, new Size(size, size), 0, 0, InterpolationFlags.Linear);
            return output;
        }
        int shorter = (int)Math.Round(size * 256.0 / 224.0);
        double scale = (double)shorter / Math.Min(bgr.Width, bgr.Height);
        int w = Math.Max(size, (int)Math.Round(bgr.Width * scale));
        int h = Math.Max(size, (int)Math.Round(bgr.Height * scale));
        using var scaled = new Mat();
        Cv2.Resize(bgr, scaled, new Size(w, h), 0, 0, InterpolationFlags.Linear);
        int left = (w - size) / 2, top = (h - size) / 2;
        using var roi = new Mat(scaled, new Rect(left, top, size, size));
        roi.CopyTo(output);
        return output;
    }
}
