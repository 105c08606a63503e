namespace HeatmapTools.Engine.Stain;

/// <summary>A stain matrix the user measured (two or three stains, each as R, G, B optical density), used as given.</summary>
public sealed class CustomExtractor : StainExtractor
{
    private readonly double[][] _matrix;

    public CustomExtractor(double[][] matrix)
    {
        if (matrix.Length is not (2 or 3) || matrix.Any(r => r.Length != 3 || r.Any(v => !double.IsFinite(v))))
            throw Invalid("a stain matrix is two or three stains of three finite numbers (R, G, B optical density) each");
        if (matrix.Any(r => r.Sum(v => v * v) < 1e-12))
            throw Invalid("a stain of zero optical density absorbs nothing");
        // Rows that are (nearly) dependent leave the concentrations undetermined.
        var gram = Matrix3.Gram(matrix);
        if (Math.Abs(Matrix3.Determinant(gram)) < 1e-9 * matrix.Aggregate(1.0, (p, r) => p * r.Sum(v => v * v)))
            throw Invalid("its stains are not independent (one is a multiple or mix of the others)");
        _matrix = matrix.Select(r => (double[])r.Clone()).ToArray();
    }

    public override bool FromImage => false;

    public override double[][] Extract(StainImage image) => _matrix.Select(r => (double[])r.Clone()).ToArray();

    private static HeatmapToolsException Invalid(string why) =>
        new(ErrorIds.StainMatrixInvalid, ErrorKind.InvalidArgument, $"-StainMatrix cannot be used: {why}.");
}
