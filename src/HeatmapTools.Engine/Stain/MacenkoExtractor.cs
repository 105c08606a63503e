namespace HeatmapTools.Engine.Stain;

/// <summary>
/// Macenko M. et al. "A method for normalizing histology slides for quantitative analysis", ISBI 2009: the tissue's
/// optical densities projected on their two principal directions; the stains are the directions at the 1st and 99th
/// percentiles of angle in that plane (TIAToolbox's MacenkoExtractor: tissue below 0.8 lightness, 99th percentile).
/// </summary>
public sealed class MacenkoExtractor : StainExtractor
{
    public double LuminosityThreshold { get; init; } = 0.8;
    public double AngularPercentile { get; init; } = 99;

    public override double[][] Extract(StainImage image)
    {
        var mask = image.TissueMask(LuminosityThreshold);
        var basis = PrincipalPlane(image, mask, out int n);
        var rented = System.Buffers.ArrayPool<double>.Shared.Rent(n);
        try
        {
            var phi = rented.AsSpan(0, n);
            var density = StainImage.Density;
            var rgb = image.Rgb;
            for (int i = 0, at = 0; i < mask.Length; i++)
            {
                if (!mask[i]) continue;
                double r = density[rgb[3 * i]], g = density[rgb[3 * i + 1]], b = density[rgb[3 * i + 2]];
                phi[at++] = Math.Atan2(r * basis[0, 1] + g * basis[1, 1] + b * basis[2, 1], r * basis[0, 0] + g * basis[1, 0] + b * basis[2, 0]);
            }
            return Directions(basis, Quantiles.Percentile(phi, 100 - AngularPercentile), Quantiles.Percentile(phi, AngularPercentile));
        }
        finally
        {
            System.Buffers.ArrayPool<double>.Shared.Return(rented);
        }
    }

    private static double[][] Directions(double[,] basis, double minPhi, double maxPhi)
    {
        double[] Direction(double angle) => Enumerable.Range(0, 3)
            .Select(c => basis[c, 0] * Math.Cos(angle) + basis[c, 1] * Math.Sin(angle)).ToArray();
        double[] v1 = Direction(minPhi), v2 = Direction(maxPhi);
        // Haematoxylin absorbs more red than eosin does.
        return UnitRows(v1[0] > v2[0] ? new[] { v1, v2 } : new[] { v2, v1 });
    }

    /// <summary>The two eigenvectors of the tissue's density covariance with the largest eigenvalues, each turned to point into positive red.</summary>
    private static double[,] PrincipalPlane(StainImage image, bool[] mask, out int n)
    {
        var density = StainImage.Density;
        var rgb = image.Rgb;
        var mean = new double[3];
        n = 0;
        for (int i = 0; i < mask.Length; i++)
        {
            if (!mask[i]) continue;
            n++;
            for (int c = 0; c < 3; c++) mean[c] += density[rgb[3 * i + c]];
        }
        for (int c = 0; c < 3; c++) mean[c] /= n;
        var cov = new double[3, 3];
        for (int i = 0; i < mask.Length; i++)
        {
            if (!mask[i]) continue;
            double d0 = density[rgb[3 * i]] - mean[0], d1 = density[rgb[3 * i + 1]] - mean[1], d2 = density[rgb[3 * i + 2]] - mean[2];
            cov[0, 0] += d0 * d0; cov[0, 1] += d0 * d1; cov[0, 2] += d0 * d2;
            cov[1, 1] += d1 * d1; cov[1, 2] += d1 * d2; cov[2, 2] += d2 * d2;
        }
        double dof = Math.Max(1, n - 1);
        for (int r = 0; r < 3; r++)
            for (int c = r; c < 3; c++)
            {
                cov[r, c] /= dof;
                cov[c, r] = cov[r, c];
            }
        Matrix3.SymmetricEigen(cov, out var vectors);
        var plane = new double[3, 2];
        for (int k = 0; k < 2; k++)
        {
            int column = 2 - k;
            double sign = vectors[0, column] < 0 ? -1 : 1;
            for (int c = 0; c < 3; c++) plane[c, k] = sign * vectors[c, column];
        }
        return plane;
    }
}
