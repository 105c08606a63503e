namespace HeatmapTools.Engine.Explanation;

/// <summary>
/// Random Logit: the structural similarity (SSIM, scikit-image's, over the explanation read row by row as one signal, as
/// Quantus flattens it) between the explanation and the same method's explanation of another class drawn at random
/// (seeded by -PerturbSeed); an explanation that depends on the class scores low. Sixt et al., "When explanations lie:
/// Why many modified BP attributions fail", ICML 2020.
/// </summary>
public sealed class RandomLogit : ExplanationMetric
{
    public override string Name => "RandomLogit";
    public override MetricFamily Family => MetricFamily.Randomisation;
    public override string Citation => "Sixt et al. 2020, When explanations lie: Why many modified BP attributions fail";

    public override MetricValue Evaluate(ExplanationSample sample, ExplanationOptions options, CancellationToken cancellation)
    {
        var explain = sample.Explain ?? throw new InvalidOperationException("RandomLogit explains another class and needs the method.");
        if (sample.Classes < 2)
            throw new HeatmapToolsException(ErrorIds.ExplanationSettingInvalid, ErrorKind.InvalidArgument,
                $"RandomLogit compares with another class's explanation; this model has {sample.Classes} class(es).", sample.Name);
        int other = options.OtherClass ?? Draw(sample.ClassIndex, sample.Classes, options.Seed);
        var a = Prepared(sample);
        var b = Prepared(explain(new[] { (sample.Input, other) })[0]);
        return new MetricValue(Ssim1D(a, b));
    }

    /// <summary>A class other than <paramref name="explained"/>, uniformly.</summary>
    private static int Draw(int explained, int classes, ulong seed)
    {
        int k = new Random(unchecked((int)seed * 131 + 3)).Next(classes - 1);
        return k >= explained ? k + 1 : k;
    }

    /// <summary>
    /// scikit-image's structural_similarity of two 1-D signals with its defaults: a 7-sample uniform window (SciPy's
    /// reflect mode at the ends), sample covariance, K1 0.01, K2 0.03, the data range of both together, the mean over
    /// the samples at least 3 from either end.
    /// </summary>
    internal static double Ssim1D(float[] x, float[] y)
    {
        const int window = 7, pad = 3;
        int n = x.Length;
        double max = double.NegativeInfinity, min = double.PositiveInfinity;
        foreach (var v in x) { max = Math.Max(max, v); min = Math.Min(min, v); }
        foreach (var v in y) { max = Math.Max(max, v); min = Math.Min(min, v); }
        double range = max - min, c1 = Math.Pow(0.01 * range, 2), c2 = Math.Pow(0.03 * range, 2), norm = window / (window - 1.0);
        int Reflect(int i) => i < 0 ? -i - 1 : i >= n ? 2 * n - i - 1 : i;
        double total = 0;
        for (int i = pad; i < n - pad; i++)
        {
            double ux = 0, uy = 0, uxx = 0, uyy = 0, uxy = 0;
            for (int k = i - pad; k <= i + pad; k++)
            {
                double a = x[Reflect(k)], b = y[Reflect(k)];
                ux += a; uy += b; uxx += a * a; uyy += b * b; uxy += a * b;
            }
            ux /= window; uy /= window; uxx /= window; uyy /= window; uxy /= window;
            double vx = norm * (uxx - ux * ux), vy = norm * (uyy - uy * uy), vxy = norm * (uxy - ux * uy);
            total += (2 * ux * uy + c1) * (2 * vxy + c2) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
        }
        return total / (n - 2 * pad);
    }
}
