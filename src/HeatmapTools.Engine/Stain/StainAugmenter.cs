namespace HeatmapTools.Engine.Stain;

/// <summary>
/// Stain augmentation as TIAToolbox's StainAugmentor (Tellez D. et al., "Whole-slide mitosis detection in H&amp;E breast
/// histology using PHH3 as a reference to train distilled stain-invariant convolutional networks", IEEE TMI 37(9), 2018):
/// each pixel's stain concentrations (least squares against the image's own stain matrix) scaled by alpha and shifted by
/// beta per stain, alpha from [1 - sigma1, 1 + sigma1] and beta from [-sigma2, sigma2], on tissue only (lightness below
/// 0.85 after the contrast stretch), and the image drawn again. TIAToolbox draws from an unseeded generator; here the
/// draws come from a seeded one, so a run repeats.
/// </summary>
public sealed class StainAugmenter
{
    /// <summary>TIAToolbox's fit threshold for the tissue that is augmented.</summary>
    public const double TissueThreshold = 0.85;

    private readonly StainImage _image;
    private readonly double[][] _matrix;
    private readonly bool[] _tissue;

    public StainAugmenter(StainImage image, StainMethod method = StainMethod.Macenko)
    {
        if (method is not (StainMethod.Macenko or StainMethod.Vahadane))
            throw new ArgumentOutOfRangeException(nameof(method), method, "Stain augmentation takes its matrix from the image: Macenko or Vahadane.");
        _image = image;
        _matrix = StainExtractor.For(method).Extract(image);
        StainCheck.RequireSeparable(image, _matrix);
        _tissue = image.TissueMask(TissueThreshold);
    }

    /// <summary>The image's stain matrix, haematoxylin first.</summary>
    public IReadOnlyList<double[]> Matrix => _matrix;

    /// <summary>One draw per stain, in TIAToolbox's order (alpha then beta for each stain, haematoxylin first).</summary>
    public (double[] Alpha, double[] Beta) Draw(Random random, double sigma1, double sigma2)
    {
        var alpha = new double[_matrix.Length];
        var beta = new double[_matrix.Length];
        for (int s = 0; s < _matrix.Length; s++)
        {
            alpha[s] = 1 - sigma1 + 2 * sigma1 * random.NextDouble();
            beta[s] = -sigma2 + 2 * sigma2 * random.NextDouble();
        }
        return (alpha, beta);
    }

    /// <summary>
    /// The image with each stain's tissue concentrations c turned into alpha c + beta. Per channel the exponent is a sum
    /// of per-byte terms, so the pixel is a product of table reads, as in the normaliser; 255 exp(-od) truncated to bytes.
    /// </summary>
    public StainImage Augment(double[] alpha, double[] beta)
    {
        int k = _matrix.Length, n = _image.Pixels;
        if (alpha.Length != k || beta.Length != k) throw new ArgumentException($"One alpha and one beta per stain ({k}).");
        var weights = Matrix3.Inverse(Matrix3.Gram(_matrix));
        // toStain[s][ch]: how much input channel ch's optical density adds to stain s's concentration.
        var toStain = new double[k][];
        for (int s = 0; s < k; s++)
        {
            toStain[s] = new double[3];
            for (int ch = 0; ch < 3; ch++)
                for (int t = 0; t < k; t++) toStain[s][ch] += _matrix[t][ch] * weights[t, s];
        }
        var tissue = Tables(toStain, alpha, beta);
        var background = Tables(toStain, Enumerable.Repeat(1.0, k).ToArray(), new double[k]);
        var rgb = new byte[3 * n];
        var input = _image.Rgb;
        for (int i = 0; i < n; i++)
        {
            var (factor, offset) = _tissue[i] ? tissue : background;
            for (int c = 0; c < 3; c++)
            {
                double value = offset[c] * factor[c][0][input[3 * i]] * factor[c][1][input[3 * i + 1]] * factor[c][2][input[3 * i + 2]];
                rgb[3 * i + c] = value >= 255 ? (byte)255 : (byte)value;
            }
        }
        return new StainImage(rgb, _image.Width, _image.Height, _image.Name);
    }

    /// <summary>Per output channel: exp(-weight d) tables for each input channel, and 255 exp(-sum of the shifts) as the constant.</summary>
    private (double[][][] Factor, double[] Offset) Tables(double[][] toStain, double[] alpha, double[] beta)
    {
        var factor = new double[3][][];
        var offset = new double[3];
        for (int c = 0; c < 3; c++)
        {
            factor[c] = new double[3][];
            double shift = 0;
            for (int s = 0; s < _matrix.Length; s++) shift += beta[s] * _matrix[s][c];
            offset[c] = 255 * Math.Exp(-shift);
            for (int ch = 0; ch < 3; ch++)
            {
                double weight = 0;
                for (int s = 0; s < _matrix.Length; s++) weight += alpha[s] * toStain[s][ch] * _matrix[s][c];
                factor[c][ch] = StainImage.Density.Select(d => Math.Exp(-d * weight)).ToArray();
            }
        }
        return (factor, offset);
    }
}
