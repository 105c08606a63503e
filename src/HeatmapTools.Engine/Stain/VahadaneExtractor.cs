namespace HeatmapTools.Engine.Stain;

/// <summary>
/// Vahadane A. et al. "Structure-preserving color normalization and sparse stain separation for histological images",
/// IEEE TMI 35(8), 2016: optical density V ~ W H with W, H non-negative and an L1 penalty (lambda 0.1, as TIAToolbox)
/// on the concentrations H. Solved by alternating exact non-negative lasso steps per pixel (two unknowns: a closed
/// form) and a projected least-squares step for W, started from the Macenko matrix, so the same image always gives the
/// same matrix. TIAToolbox's VahadaneExtractor uses scikit-learn's unseeded DictionaryLearning instead: its matrix
/// changes from run to run and can have negative entries (it warns so itself); this one is deterministic and will
/// not equal it.
/// </summary>
public sealed class VahadaneExtractor : StainExtractor
{
    public double LuminosityThreshold { get; init; } = 0.8;
    public double Regularizer { get; init; } = 0.1;
    public int Iterations { get; init; } = 60;

    public override double[][] Extract(StainImage image)
    {
        var mask = image.TissueMask(LuminosityThreshold);
        var od = MaskedDensities(image, mask, out int n);
        var w = new MacenkoExtractor { LuminosityThreshold = LuminosityThreshold }.Extract(image)
            .Select(r => r.Select(v => Math.Max(v, 1e-3)).ToArray()).ToArray();
        w = UnitRows(w);
        var h = new double[2 * n];
        for (int iteration = 0; iteration < Iterations; iteration++)
        {
            SparseCodes(od, n, w, h);
            var next = DictionaryStep(od, n, h, w);
            double moved = 0;
            for (int s = 0; s < 2; s++) for (int c = 0; c < 3; c++) moved = Math.Max(moved, Math.Abs(next[s][c] - w[s][c]));
            w = next;
            if (moved < 1e-7) break;
        }
        return w[0][0] >= w[1][0] ? w : new[] { w[1], w[0] };
    }

    /// <summary>Each pixel's min 0.5|v - W'h|^2 + lambda(h1 + h2), h >= 0: the unconstrained optimum, or the better edge.</summary>
    private void SparseCodes(double[] od, int n, double[][] w, double[] h)
    {
        double g00 = Dot(w[0], w[0]), g01 = Dot(w[0], w[1]), g11 = Dot(w[1], w[1]);
        double det = g00 * g11 - g01 * g01, lambda = Regularizer;
        for (int i = 0; i < n; i++)
        {
            double b0 = od[3 * i] * w[0][0] + od[3 * i + 1] * w[0][1] + od[3 * i + 2] * w[0][2] - lambda;
            double b1 = od[3 * i] * w[1][0] + od[3 * i + 1] * w[1][1] + od[3 * i + 2] * w[1][2] - lambda;
            double h0 = (g11 * b0 - g01 * b1) / det, h1 = (g00 * b1 - g01 * b0) / det;
            if (!(h0 >= 0 && h1 >= 0))
            {
                // On an edge the objective, up to a constant, is 0.5 g h^2 - b h: the better of the two edges wins.
                double onlyFirst = Math.Max(0, b0 / g00), onlySecond = Math.Max(0, b1 / g11);
                double costFirst = 0.5 * g00 * onlyFirst * onlyFirst - b0 * onlyFirst;
                double costSecond = 0.5 * g11 * onlySecond * onlySecond - b1 * onlySecond;
                (h0, h1) = costFirst <= costSecond ? (onlyFirst, 0.0) : (0.0, onlySecond);
            }
            h[2 * i] = h0;
            h[2 * i + 1] = h1;
        }
    }

    /// <summary>W = V H' (H H')^-1, clipped at zero and each stain scaled to unit length; a stain no pixel uses keeps its row.</summary>
    private static double[][] DictionaryStep(double[] od, int n, double[] h, double[][] previous)
    {
        double a00 = 0, a01 = 0, a11 = 0;
        var vh = new double[3, 2];
        for (int i = 0; i < n; i++)
        {
            double h0 = h[2 * i], h1 = h[2 * i + 1];
            a00 += h0 * h0; a01 += h0 * h1; a11 += h1 * h1;
            for (int c = 0; c < 3; c++)
            {
                vh[c, 0] += od[3 * i + c] * h0;
                vh[c, 1] += od[3 * i + c] * h1;
            }
        }
        double det = a00 * a11 - a01 * a01;
        if (!(Math.Abs(det) > 1e-12 * Math.Max(1, a00 * a11))) return previous;
        double i00 = a11 / det, i01 = -a01 / det, i11 = a00 / det;
        var rows = new double[2][];
        for (int s = 0; s < 2; s++)
        {
            rows[s] = new double[3];
            for (int c = 0; c < 3; c++)
                rows[s][c] = Math.Max(0, vh[c, 0] * (s == 0 ? i00 : i01) + vh[c, 1] * (s == 0 ? i01 : i11));
            if (rows[s].Sum() <= 0) rows[s] = previous[s];
        }
        return UnitRows(rows);
    }

    private static double Dot(double[] a, double[] b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
