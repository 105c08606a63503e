using TorchSharp;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Trust;

/// <summary>A deletion or insertion curve: the class score after each step, against the share of pixels changed.</summary>
public sealed record ScoreCurve(double[] Fractions, float[] Scores, double Area);

/// <summary>
/// Deletion and insertion (Petsiuk et al. 2018, "RISE: Randomized Input Sampling for Explanation of Black-box Models"):
/// pixels are taken in order of the map, most salient first, a fixed number per step. Deletion sets them to a constant
/// (0 in the normalised input, the dataset's mean colour); insertion starts from a blurred copy (a normalised Gaussian of 11 x 11
/// pixels, sigma 5, zeros outside the image, the size and width RISE's code uses) and puts the original pixels back. The area is the trapezoid rule over the
/// share of pixels changed (0..1). A faithful map makes deletion fall fast (small area) and insertion rise fast (large).
/// </summary>
internal static class DeletionInsertion
{
    public const int BlurSize = 11;
    public const double BlurSigma = 5;

    /// <summary>The pixel order, most salient first (ties in pixel order).</summary>
    public static int[] Order(float[] map) => Enumerable.Range(0, map.Length).OrderByDescending(i => map[i]).ThenBy(i => i).ToArray();

    /// <summary>How many pixels have changed after each of the <paramref name="steps"/> steps (step 0 included).</summary>
    public static int[] Counts(int pixels, int steps)
    {
        int per = (pixels + steps - 1) / steps;
        return Enumerable.Range(0, steps + 1).Select(k => Math.Min(pixels, k * per)).ToArray();
    }

    /// <summary>3 x H x W blurred copy: each channel convolved with a normalised Gaussian, zeros outside.</summary>
    public static Tensor Blur(Tensor image)
    {
        var g = Enumerable.Range(0, BlurSize).Select(i => Math.Exp(-Math.Pow(i - BlurSize / 2, 2) / (2 * BlurSigma * BlurSigma))).ToArray();
        double sum = g.Sum();
        var row = tensor(g.Select(v => (float)(v / sum)).ToArray());
        var kernel = outer(row, row).reshape(1, 1, BlurSize, BlurSize).expand(image.shape[0], 1, BlurSize, BlurSize);
        return nn.functional.conv2d(image.unsqueeze(0), kernel, padding: new long[] { BlurSize / 2, BlurSize / 2 }, groups: image.shape[0]).squeeze(0);
    }

    /// <summary>
    /// The curve from <paramref name="start"/> towards <paramref name="finish"/> (both 3 x H x W): after step k the first
    /// counts[k] pixels of <paramref name="order"/> hold the finish's values.
    /// </summary>
    public static ScoreCurve Run(Func<Tensor, Tensor> logits, Tensor start, Tensor finish, int[] order, int[] counts, long target,
        ScoreKind kind, int chunk, CancellationToken cancellation)
    {
        long c = start.shape[0], h = start.shape[1], w = start.shape[2];
        int pixels = (int)(h * w);
        var scores = new List<float>(counts.Length);
        // The ranks of every pixel, so step k's mask is rank < counts[k]: built a chunk of steps at a time.
        var rank = new int[pixels];
        for (int i = 0; i < order.Length; i++) rank[order[i]] = i;
        var ranks = tensor(rank).reshape(1, 1, h, w);
        for (int first = 0; first < counts.Length; first += chunk)
        {
            using var scope = NewDisposeScope();
            int last = Math.Min(counts.Length, first + chunk);
            var limits = tensor(counts[first..last]).reshape(-1, 1, 1, 1);
            var changed = ranks.lt(limits); // k x 1 x H x W
            var images = where(changed, finish.unsqueeze(0), start.unsqueeze(0));
            scores.AddRange(ClassScores.Of(logits, images, Enumerable.Repeat(target, last - first).ToArray(), kind, chunk, cancellation));
        }
        var fractions = counts.Select(k => (double)k / pixels).ToArray();
        double area = 0;
        for (int k = 1; k < counts.Length; k++) area += (fractions[k] - fractions[k - 1]) * ((double)scores[k] + scores[k - 1]) / 2;
        return new ScoreCurve(fractions, scores.ToArray(), area);
    }
}
