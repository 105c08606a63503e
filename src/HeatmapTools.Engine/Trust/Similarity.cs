using OpenCvSharp;

namespace HeatmapTools.Engine.Trust;

/// <summary>The similarity measures of Adebayo et al.'s sanity checks, computed as SciPy and scikit-image do.</summary>
public static class Similarity
{
    /// <summary>Spearman's rank correlation (Pearson's of the ranks, ties sharing their mean rank, as scipy.stats.spearmanr).
    /// A constant map has no ranking: its correlation with anything is undefined, NaN, as SciPy reports it (never 0, which
    /// would read as "unrelated" and pass a sanity check).</summary>
    public static double Spearman(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException("The maps differ in size.");
        return Pearson(Ranks(a), Ranks(b));
    }

    /// <summary>Spearman's rank correlation of the absolute values, which ignores which way a signed map points.</summary>
    public static double SpearmanAbsolute(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var absA = new float[a.Length];
        var absB = new float[b.Length];
        for (int i = 0; i < a.Length; i++) absA[i] = Math.Abs(a[i]);
        for (int i = 0; i < b.Length; i++) absB[i] = Math.Abs(b[i]);
        return Spearman(absA, absB);
    }

    /// <summary>
    /// Mean structural similarity as scikit-image's <c>structural_similarity</c> computes it by default: a 7 x 7 uniform window,
    /// K1 = 0.01, K2 = 0.03, sample covariances, the mean over pixels whose window lies inside the image.
    /// </summary>
    public static double Ssim(float[] a, float[] b, int height, int width, double dataRange = 1)
    {
        const int window = 7, pad = (window - 1) / 2;
        if (height < window || width < window) throw new ArgumentException($"SSIM needs maps of at least {window} x {window} pixels.");
        using var x = new Mat(height, width, MatType.CV_64FC1);
        using var y = new Mat(height, width, MatType.CV_64FC1);
        x.SetArray(a.Select(v => (double)v).ToArray());
        y.SetArray(b.Select(v => (double)v).ToArray());
        double[] Mean(Mat m)
        {
            using var filtered = new Mat();
            Cv2.BoxFilter(m, filtered, MatType.CV_64F, new Size(window, window), normalize: true, borderType: BorderTypes.Reflect101);
            filtered.GetArray(out double[] values);
            return values;
        }
        using var xx = x.Mul(x).ToMat();
        using var yy = y.Mul(y).ToMat();
        using var xy = x.Mul(y).ToMat();
        double[] ux = Mean(x), uy = Mean(y), uxx = Mean(xx), uyy = Mean(yy), uxy = Mean(xy);
        double norm = window * window / (window * window - 1.0);
        double c1 = Math.Pow(0.01 * dataRange, 2), c2 = Math.Pow(0.03 * dataRange, 2);
        double sum = 0;
        int count = 0;
        for (int r = pad; r < height - pad; r++)
            for (int c = pad; c < width - pad; c++)
            {
                int i = r * width + c;
                double vx = norm * (uxx[i] - ux[i] * ux[i]), vy = norm * (uyy[i] - uy[i] * uy[i]), vxy = norm * (uxy[i] - ux[i] * uy[i]);
                sum += (2 * ux[i] * uy[i] + c1) * (2 * vxy + c2) / ((ux[i] * ux[i] + uy[i] * uy[i] + c1) * (vx + vy + c2));
                count++;
            }
        return sum / count;
    }

    private static double[] Ranks(ReadOnlySpan<float> values)
    {
        var order = new int[values.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var keys = values.ToArray();
        Array.Sort((float[])keys.Clone(), order);
        var ranks = new double[values.Length];
        for (int start = 0; start < order.Length;)
        {
            int end = start;
            while (end + 1 < order.Length && keys[order[end + 1]] == keys[order[start]]) end++;
            double mean = (start + end) / 2.0 + 1;
            for (int k = start; k <= end; k++) ranks[order[k]] = mean;
            start = end + 1;
        }
        return ranks;
    }

    internal static double Pearson(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average(), sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return sab / Math.Sqrt(saa * sbb);
    }
}
