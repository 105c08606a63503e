using OpenCvSharp;

namespace HeatmapTools.Engine.Rendering;

/// <summary>
/// Guided Grad-CAM as a picture: the map times the guided gradients, standardised and centred on grey as
/// pytorch-grad-cam's <c>deprocess_image</c> does (mean 0.5, 0.1 per standard deviation, clipped), in true colour at
/// the original image's size.
/// </summary>
public static class GuidedRenderer
{
    /// <param name="guided">3 x height x width, RGB as the network input.</param>
    public static Mat Render(float[] map, float[] guided, int width, int height, Size original)
    {
        int plane = width * height;
        var product = new double[3 * plane];
        for (int c = 0; c < 3; c++)
            for (int p = 0; p < plane; p++) product[c * plane + p] = (double)guided[c * plane + p] * map[p];
        double mean = product.Average();
        double std = Math.Sqrt(product.Sum(v => (v - mean) * (v - mean)) / product.Length);
        var bgr = new byte[3 * plane];
        for (int c = 0; c < 3; c++)
            for (int p = 0; p < plane; p++)
            {
                double v = Math.Clamp((product[c * plane + p] - mean) / (std + 1e-5) * 0.1 + 0.5, 0, 1);
                bgr[3 * p + (2 - c)] = (byte)(v * 255);
            }
        using var small = Mat.FromPixelData(height, width, MatType.CV_8UC3, bgr);
        var result = new Mat();
        Cv2.Resize(small, result, original, 0, 0, InterpolationFlags.Linear);
        return result;
    }
}
