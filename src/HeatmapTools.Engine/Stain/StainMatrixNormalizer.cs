namespace HeatmapTools.Engine.Stain;

/// <summary>
/// Normalisation through a stain matrix (Macenko, Ruifrok, Vahadane, a custom matrix), as TIAToolbox's
/// StainNormalizer: each pixel's stain concentrations by least squares against the source's matrix, each stain scaled
/// so its 99th percentile meets the target's, and the pixel drawn again with the target's matrix.
/// </summary>
public sealed class StainMatrixNormalizer : StainNormalizer
{
    private readonly StainExtractor _extractor;
    private double[][] _targetMatrix = Array.Empty<double[]>();
    private double[] _targetMaximum = Array.Empty<double>();

    public StainMatrixNormalizer(StainMethod method, StainExtractor extractor) : base(method) => _extractor = extractor;

    /// <summary>The target's stain matrix, haematoxylin first (for the record and the tests).</summary>
    public IReadOnlyList<double[]> TargetMatrix => _targetMatrix;

    protected override void FitTo(StainImage target)
    {
        _targetMatrix = _extractor.Extract(target);
        _targetMaximum = Enumerable.Range(0, _targetMatrix.Length).Select(s => Percentile99(target, _targetMatrix, s)).ToArray();
    }

    public override StainImage Transform(StainImage source)
    {
        // A fixed matrix needs no tissue to be found, but a tile of background has nothing to normalise.
        if (!_extractor.FromImage) source.TissueMask(0.8);
        var matrix = _extractor.Extract(source);
        if (_extractor.FromImage) StainCheck.RequireSeparable(source, matrix);
        int k = matrix.Length, n = source.Pixels;
        var scale = new double[k];
        for (int s = 0; s < k; s++)
        {
            double maximum = Percentile99(source, matrix, s);
            if (!(maximum > 0))
                throw new HeatmapToolsException(ErrorIds.StainNoTissue, ErrorKind.InvalidData,
                    $"'{source.Name}' has no {StainName(s)} to scale to the target's: its 99th-percentile concentration is {maximum:0.###}.", source.Name);
            scale[s] = _targetMaximum[s] / maximum;
        }
        // Each output channel is 255 exp(-sum over stains and input channels of a per-byte term): a product of three
        // tables of exponentials, so no pixel computes an exponential.
        var weights = Matrix3.Inverse(Matrix3.Gram(matrix));
        var factor = new double[3][][];
        for (int c = 0; c < 3; c++)
        {
            factor[c] = new double[3][];
            for (int ch = 0; ch < 3; ch++)
            {
                double weight = 0;
                for (int s = 0; s < k; s++)
                {
                    double toStain = 0;
                    for (int t = 0; t < k; t++) toStain += matrix[t][ch] * weights[t, s];
                    weight += toStain * scale[s] * _targetMatrix[s][c];
                }
                factor[c][ch] = StainImage.Density.Select(d => Math.Exp(-d * weight)).ToArray();
            }
        }
        var rgb = new byte[3 * n];
        var input = source.Rgb;
        for (int c = 0; c < 3; c++)
        {
            double[] fr = factor[c][0], fg = factor[c][1], fb = factor[c][2];
            for (int i = 0; i < n; i++)
            {
                double value = 255 * fr[input[3 * i]] * fg[input[3 * i + 1]] * fb[input[3 * i + 2]];
                rgb[3 * i + c] = value >= 255 ? (byte)255 : (byte)value;
            }
        }
        return new StainImage(rgb, source.Width, source.Height, source.Name);
    }

    private static string StainName(int s) => s switch { 0 => "haematoxylin", 1 => "eosin", _ => "third stain" };

    /// <summary>
    /// The 99th percentile of one stain's least-squares concentrations over all pixels: od . S' (S S')^-1, numpy's lstsq
    /// for a full-rank matrix. Per channel and byte value its contribution is a table, so a pixel is three reads.
    /// </summary>
    internal static double Percentile99(StainImage image, double[][] matrix, int stain)
    {
        int k = matrix.Length, n = image.Pixels;
        var inverse = Matrix3.Inverse(Matrix3.Gram(matrix));
        var table = new double[3][];
        for (int c = 0; c < 3; c++)
        {
            double weight = 0;
            for (int t = 0; t < k; t++) weight += matrix[t][c] * inverse[t, stain];
            table[c] = StainImage.Density.Select(d => d * weight).ToArray();
        }
        var rented = System.Buffers.ArrayPool<double>.Shared.Rent(n);
        try
        {
            var column = rented.AsSpan(0, n);
            var rgb = image.Rgb;
            double[] r = table[0], g = table[1], b = table[2];
            for (int i = 0; i < n; i++) column[i] = r[rgb[3 * i]] + g[rgb[3 * i + 1]] + b[rgb[3 * i + 2]];
            return Quantiles.Percentile(column, 99);
        }
        finally
        {
            System.Buffers.ArrayPool<double>.Shared.Return(rented);
        }
    }
}
