namespace HeatmapTools.Engine.Stain;

/// <summary>numpy's default percentile (linear interpolation between the two nearest ranks), without sorting everything.</summary>
public static class Quantiles
{
    /// <summary>The q-th percentile (0 to 100) of <paramref name="values"/>, which it reorders.</summary>
    public static double Percentile(Span<double> values, double q)
    {
        if (values.Length == 0) throw new ArgumentException("No values.", nameof(values));
        double rank = q / 100.0 * (values.Length - 1);
        int below = (int)Math.Floor(rank);
        double fraction = rank - below;
        double a = Select(values, below);
        if (fraction == 0 || below + 1 >= values.Length) return a;
        // After selecting rank k, everything above k is at least a; the next rank is their minimum.
        double b = double.PositiveInfinity;
        foreach (double v in values[(below + 1)..]) if (v < b) b = v;
        return Lerp(a, b, fraction);
    }

    /// <summary>The percentile of byte values counted in a histogram (as numpy over the values themselves).</summary>
    public static double OfHistogram(long[] histogram, long count, double q)
    {
        double rank = q / 100.0 * (count - 1);
        long below = (long)Math.Floor(rank);
        double fraction = rank - below;
        int a = ValueAt(histogram, below), b = below + 1 < count ? ValueAt(histogram, below + 1) : a;
        return Lerp(a, b, fraction);
    }

    // numpy's _lerp: from the nearer end, so the result never leaves [a, b].
    private static double Lerp(double a, double b, double t) => t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;

    private static int ValueAt(long[] histogram, long rank)
    {
        long seen = 0;
        for (int v = 0; v < histogram.Length; v++)
        {
            seen += histogram[v];
            if (seen > rank) return v;
        }
        return histogram.Length - 1;
    }

    /// <summary>Hoare's selection: afterwards values[k] is the k-th smallest, smaller ones before it, larger after.</summary>
    private static double Select(Span<double> values, int k)
    {
        int left = 0, right = values.Length - 1;
        while (right > left)
        {
            double pivot = MedianOfThree(values[left], values[(left + right) / 2], values[right]);
            int i = left, j = right;
            while (i <= j)
            {
                while (values[i] < pivot) i++;
                while (values[j] > pivot) j--;
                if (i <= j)
                {
                    (values[i], values[j]) = (values[j], values[i]);
                    i++;
                    j--;
                }
            }
            if (k <= j) right = j;
            else if (k >= i) left = i;
            else return values[k];
        }
        return values[k];
    }

    private static double MedianOfThree(double a, double b, double c) =>
        Math.Max(Math.Min(a, b), Math.Min(Math.Max(a, b), c));
}
