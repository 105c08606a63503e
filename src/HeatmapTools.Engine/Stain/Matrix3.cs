namespace HeatmapTools.Engine.Stain;

/// <summary>The small dense linear algebra the stain methods need: at most 3 x 3, in double precision.</summary>
internal static class Matrix3
{
    /// <summary>Rows' pairwise dot products (k x k).</summary>
    public static double[,] Gram(double[][] rows)
    {
        int k = rows.Length;
        var g = new double[k, k];
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++)
                g[i, j] = rows[i][0] * rows[j][0] + rows[i][1] * rows[j][1] + rows[i][2] * rows[j][2];
        return g;
    }

    public static double Determinant(double[,] m) => m.GetLength(0) switch
    {
        1 => m[0, 0],
        2 => m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0],
        3 => m[0, 0] * (m[1, 1] * m[2, 2] - m[1, 2] * m[2, 1]) - m[0, 1] * (m[1, 0] * m[2, 2] - m[1, 2] * m[2, 0])
             + m[0, 2] * (m[1, 0] * m[2, 1] - m[1, 1] * m[2, 0]),
        _ => throw new ArgumentException("At most 3 x 3."),
    };

    /// <summary>Inverse by Gauss-Jordan with partial pivoting.</summary>
    public static double[,] Inverse(double[,] m)
    {
        int n = m.GetLength(0);
        var a = new double[n, 2 * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++) a[i, j] = m[i, j];
            a[i, n + i] = 1;
        }
        for (int c = 0; c < n; c++)
        {
            int pivot = c;
            for (int r = c + 1; r < n; r++) if (Math.Abs(a[r, c]) > Math.Abs(a[pivot, c])) pivot = r;
            for (int j = 0; j < 2 * n; j++) (a[c, j], a[pivot, j]) = (a[pivot, j], a[c, j]);
            double d = a[c, c];
            for (int j = 0; j < 2 * n; j++) a[c, j] /= d;
            for (int r = 0; r < n; r++)
            {
                if (r == c) continue;
                double f = a[r, c];
                for (int j = 0; j < 2 * n; j++) a[r, j] -= f * a[c, j];
            }
        }
        var inverse = new double[n, n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) inverse[i, j] = a[i, n + j];
        return inverse;
    }

    /// <summary>
    /// Eigen-decomposition of a symmetric 3 x 3 matrix by cyclic Jacobi rotations (to machine precision): eigenvalues
    /// ascending, as numpy's eigh, with the eigenvectors as the columns of <paramref name="vectors"/>.
    /// </summary>
    public static double[] SymmetricEigen(double[,] symmetric, out double[,] vectors)
    {
        var a = (double[,])symmetric.Clone();
        var v = new double[3, 3] { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } };
        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = a[0, 1] * a[0, 1] + a[0, 2] * a[0, 2] + a[1, 2] * a[1, 2];
            if (off < 1e-300) break;
            for (int p = 0; p < 2; p++)
                for (int q = p + 1; q < 3; q++)
                {
                    if (a[p, q] == 0) continue;
                    double theta = (a[q, q] - a[p, p]) / (2 * a[p, q]);
                    double t = Math.Sign(theta == 0 ? 1 : theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < 3; k++)
                    {
                        double akp = a[k, p], akq = a[k, q];
                        a[k, p] = c * akp - s * akq;
                        a[k, q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < 3; k++)
                    {
                        double apk = a[p, k], aqk = a[q, k];
                        a[p, k] = c * apk - s * aqk;
                        a[q, k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < 3; k++)
                    {
                        double vkp = v[k, p], vkq = v[k, q];
                        v[k, p] = c * vkp - s * vkq;
                        v[k, q] = s * vkp + c * vkq;
                    }
                }
        }
        var order = new[] { 0, 1, 2 }.OrderBy(i => a[i, i]).ToArray();
        vectors = new double[3, 3];
        for (int col = 0; col < 3; col++)
            for (int row = 0; row < 3; row++) vectors[row, col] = v[row, order[col]];
        return order.Select(i => a[i, i]).ToArray();
    }
}
