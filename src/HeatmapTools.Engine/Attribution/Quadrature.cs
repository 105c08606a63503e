namespace HeatmapTools.Engine.Attribution;

/// <summary>Points on [0, 1] and their weights for an integral along a path, as Captum's approximation methods define them.</summary>
public static class Quadrature
{
    public static (double[] Alphas, double[] Weights) Rule(IntegrationMethod method, int n)
    {
        if (n < (method == IntegrationMethod.GaussLegendre ? 1 : 2))
            throw new HeatmapToolsException(ErrorIds.MethodNotApplicable, ErrorKind.InvalidArgument,
                $"{method} needs at least {(method == IntegrationMethod.GaussLegendre ? 1 : 2)} steps; {n} were asked for.", n);
        if (method == IntegrationMethod.GaussLegendre)
        {
            var (x, w) = GaussLegendre(n);
            return (x.Select(v => 0.5 * (1 + v)).ToArray(), w.Select(v => 0.5 * v).ToArray());
        }
        var weights = Enumerable.Repeat(1.0 / n, n).ToArray();
        double[] alphas = method switch
        {
            IntegrationMethod.RiemannLeft => Linspace(0, 1 - 1.0 / n, n),
            IntegrationMethod.RiemannRight => Linspace(1.0 / n, 1, n),
            IntegrationMethod.RiemannMiddle => Linspace(1.0 / (2 * n), 1 - 1.0 / (2 * n), n),
            _ => Linspace(0, 1, n),
        };
        if (method == IntegrationMethod.RiemannTrapezoid)
        {
            weights[0] /= 2;
            weights[^1] /= 2;
        }
        return (alphas, weights);
    }

    private static double[] Linspace(double from, double to, int n) =>
        Enumerable.Range(0, n).Select(i => n == 1 ? from : from + (to - from) * i / (n - 1)).ToArray();

    /// <summary>
    /// Gauss-Legendre nodes on [-1, 1] in ascending order and their weights: the roots of the Legendre polynomial P_n by
    /// Newton's method from Tricomi's estimate, weights 2 / ((1 - x^2) P_n'(x)^2). Exact for polynomials of degree 2n - 1.
    /// </summary>
    public static (double[] Nodes, double[] Weights) GaussLegendre(int n)
    {
        var nodes = new double[n];
        var weights = new double[n];
        for (int i = 0; i < (n + 1) / 2; i++)
        {
            double x = Math.Cos(Math.PI * (i + 0.75) / (n + 0.5)), derivative = 0;
            for (int iteration = 0; iteration < 100; iteration++)
            {
                (double p, derivative) = Legendre(n, x);
                double step = p / derivative;
                x -= step;
                if (Math.Abs(step) < 1e-16) break;
            }
            (_, derivative) = Legendre(n, x);
            double weight = 2 / ((1 - x * x) * derivative * derivative);
            nodes[i] = -x; nodes[n - 1 - i] = x;
            weights[i] = weight; weights[n - 1 - i] = weight;
        }
        return (nodes, weights);
    }

    /// <summary>P_n(x) and P_n'(x) by the three-term recurrence.</summary>
    private static (double P, double Derivative) Legendre(int n, double x)
    {
        double p0 = 1, p1 = x;
        if (n == 0) return (1, 0);
        for (int k = 2; k <= n; k++)
        {
            double p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
            p0 = p1; p1 = p2;
        }
        return (p1, n * (x * p1 - p0) / (x * x - 1));
    }
}
