using System.Runtime.InteropServices;
using OpenCvSharp;

namespace HeatmapTools.Engine.Stain;

/// <summary>
/// Reinhard E. et al. "Color transfer between images", IEEE CG&amp;A 21(5), 2001, as TIAToolbox applies it: OpenCV's
/// 8-bit LAB (L scaled to 0-100, a and b centred), each channel's mean and standard deviation moved to the target's,
/// in single precision, truncated back to bytes.
/// </summary>
public sealed class ReinhardNormalizer : StainNormalizer
{
    private (double[] Mean, double[] Std) _target;

    public ReinhardNormalizer() : base(StainMethod.Reinhard) { }

    protected override void FitTo(StainImage target) => _target = MeanStd(Split(target), target.Pixels);

    public override StainImage Transform(StainImage source)
    {
        source.TissueMask(0.8);
        int n = source.Pixels;
        var channels = Split(source);
        var (mean, std) = MeanStd(channels, n);
        if (std.Any(s => !(s > 0)))
            throw new HeatmapToolsException(ErrorIds.StainNoTissue, ErrorKind.InvalidData,
                $"'{source.Name}' is one flat colour in a LAB channel: Reinhard's method would divide by its zero spread.", source.Name);
        var lab = new byte[3 * n];
        for (int c = 0; c < 3; c++)
        {
            // float32 throughout, as numpy computes with a float32 array and Python floats.
            float shift = (float)mean[c], ratio = (float)(_target.Std[c] / std[c]), to = (float)_target.Mean[c];
            var plane = channels[c];
            for (int i = 0; i < n; i++)
            {
                float v = (plane[i] - shift) * ratio + to;
                v = c == 0 ? v * 2.55f : v + 128f;
                // np.clip, then astype(uint8), which truncates.
                lab[3 * i + c] = v >= 255f ? (byte)255 : v <= 0f ? (byte)0 : (byte)v;
            }
        }
        using var labMat = new Mat(source.Height, source.Width, MatType.CV_8UC3);
        Marshal.Copy(lab, 0, labMat.Data, lab.Length);
        using var rgb = new Mat();
        Cv2.CvtColor(labMat, rgb, ColorConversionCodes.Lab2RGB);
        var output = new byte[lab.Length];
        Marshal.Copy(rgb.Data, output, 0, output.Length);
        return new StainImage(output, source.Width, source.Height, source.Name);
    }

    /// <summary>L (0 to 100), a and b (centred on 0) as float32 planes.</summary>
    private static float[][] Split(StainImage image)
    {
        using var rgb = new Mat(image.Height, image.Width, MatType.CV_8UC3);
        Marshal.Copy(image.Rgb, 0, rgb.Data, image.Rgb.Length);
        using var lab = new Mat();
        Cv2.CvtColor(rgb, lab, ColorConversionCodes.RGB2Lab);
        var bytes = new byte[image.Rgb.Length];
        Marshal.Copy(lab.Data, bytes, 0, bytes.Length);
        int n = image.Pixels;
        var planes = new[] { new float[n], new float[n], new float[n] };
        for (int i = 0; i < n; i++)
        {
            planes[0][i] = bytes[3 * i] / 2.55f;
            planes[1][i] = bytes[3 * i + 1] - 128f;
            planes[2][i] = bytes[3 * i + 2] - 128f;
        }
        return planes;
    }

    /// <summary>Through OpenCV's meanStdDev, as TIAToolbox (population standard deviation, accumulated in double).</summary>
    private static (double[] Mean, double[] Std) MeanStd(float[][] planes, int n)
    {
        var mean = new double[3];
        var std = new double[3];
        for (int c = 0; c < 3; c++)
        {
            using var mat = new Mat(n, 1, MatType.CV_32FC1);
            Marshal.Copy(planes[c], 0, mat.Data, n);
            Cv2.MeanStdDev(mat, out var m, out var s);
            (mean[c], std[c]) = (m.Val0, s.Val0);
        }
        return (mean, std);
    }
}
