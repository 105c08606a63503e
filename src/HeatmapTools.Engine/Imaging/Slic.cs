namespace HeatmapTools.Engine.Imaging;

/// <summary>
/// SLIC superpixels (Achanta et al. 2012, "SLIC Superpixels Compared to State-of-the-Art Superpixel Methods") as
/// scikit-image 0.19's <c>slic</c> makes them with its defaults (100 segments, compactness 10, 10 iterations, no smoothing,
/// Lab colour for three channels, connectivity enforced), labels from 0: IROF segments the image this way in Quantus, so
/// its regions here are the ones Quantus perturbs. The image is rescaled to [0, 1] over all channels first, as
/// scikit-image does.
/// </summary>
public static class Slic
{
    /// <summary>Labels (height x width, 0 .. count - 1) of a channels x height x width image.</summary>
    public static (int[] Labels, int Count) Segment(float[] chw, int channels, int height, int width, int segments = 100, double compactness = 10,
        int iterations = 10)
    {
        int plane = height * width;
        var image = new double[plane * channels];
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var v in chw) min = Math.Min(min, v);
        for (int p = 0; p < plane; p++)
            for (int c = 0; c < channels; c++)
            {
                double v = chw[c * plane + p] - min;
                image[p * channels + c] = v;
                max = Math.Max(max, v);
            }
        if (max != 0) for (int i = 0; i < image.Length; i++) image[i] /= max;
        if (channels == 3) ToLab(image);
        double ratio = 1.0 / compactness;
        for (int i = 0; i < image.Length; i++) image[i] *= ratio;

        var (starts, steps) = RegularGrid(new[] { 1, height, width }, segments);
        var centres = new List<double[]>();
        for (int y = starts[1]; y < height; y += steps[1])
            for (int x = starts[2]; x < width; x += steps[2])
            {
                var centre = new double[3 + channels];
                centre[1] = y;
                centre[2] = x;
                centres.Add(centre);
            }
        double step = Math.Max(steps[0], Math.Max(steps[1], steps[2]));
        var labels = Cluster(image, channels, height, width, centres, step, steps[1], steps[2], iterations);
        double size = (double)plane / centres.Count;
        return Connect(labels, height, width, (int)(0.5 * size), (int)(3 * size));
    }

    /// <summary>scikit-image's rgb2lab (sRGB, D65, 2-degree observer) in place on pixel-interleaved values.</summary>
    private static void ToLab(double[] rgb)
    {
        for (int i = 0; i < rgb.Length; i += 3)
        {
            double r = Linear(rgb[i]), g = Linear(rgb[i + 1]), b = Linear(rgb[i + 2]);
            double x = (0.412453 * r + 0.35758 * g + 0.180423 * b) / 0.95047;
            double y = 0.212671 * r + 0.71516 * g + 0.072169 * b;
            double z = (0.019334 * r + 0.119193 * g + 0.950227 * b) / 1.08883;
            x = Lab(x);
            y = Lab(y);
            z = Lab(z);
            rgb[i] = 116 * y - 16;
            rgb[i + 1] = 500 * (x - y);
            rgb[i + 2] = 200 * (y - z);
        }

        static double Linear(double v) => v > 0.04045 ? Math.Pow((v + 0.055) / 1.055, 2.4) : v / 12.92;
        static double Lab(double v) => v > 0.008856 ? Math.Cbrt(v) : 7.787 * v + 16.0 / 116.0;
    }

    /// <summary>scikit-image's regular_grid: each axis's first seed and step for about <paramref name="points"/> seeds.</summary>
    private static (int[] Starts, int[] Steps) RegularGrid(int[] shape, int points)
    {
        int n = shape.Length;
        double space = shape.Aggregate(1.0, (a, s) => a * s);
        if (space <= points) return (new int[n], Enumerable.Repeat(1, n).ToArray());
        // Sorted by size, ties in axis order (NumPy's argsort of so few values is an insertion sort, so stable).
        var order = Enumerable.Range(0, n).OrderBy(i => shape[i]).ToArray();
        var sorted = order.Select(i => (double)shape[i]).ToArray();
        var sizes = Enumerable.Repeat(Math.Pow(space / points, 1.0 / n), n).ToArray();
        if (sorted.Zip(sizes).Any(p => p.First < p.Second))
            for (int dim = 0; dim < n; dim++)
            {
                sizes[dim] = sorted[dim];
                double rest = 1;
                for (int k = dim + 1; k < n; k++) rest *= sorted[k];
                for (int k = dim + 1; k < n; k++) sizes[k] = Math.Pow(rest / points, 1.0 / (n - dim - 1));
                if (sorted.Zip(sizes).All(p => p.First >= p.Second)) break;
            }
        var starts = new int[n];
        var steps = new int[n];
        for (int k = 0; k < n; k++)
        {
            starts[order[k]] = (int)Math.Floor(sizes[k] / 2);
            steps[order[k]] = (int)Math.Round(sizes[k], MidpointRounding.ToEven);
        }
        return (starts, steps);
    }

    /// <summary>scikit-image's _slic_cython for one plane: k-means in colour and position within two steps of each centre.</summary>
    private static int[] Cluster(double[] image, int channels, int height, int width, List<double[]> centres, double step, int stepY, int stepX, int iterations)
    {
        int plane = height * width;
        var nearest = new int[plane];
        Array.Fill(nearest, -1);
        var distance = new double[plane];
        var counts = new long[centres.Count];
        double spatial = 1.0 / (step * step);
        for (int iteration = 0; iteration < iterations; iteration++)
        {
            bool change = false;
            Array.Fill(distance, double.MaxValue);
            for (int k = 0; k < centres.Count; k++)
            {
                var centre = centres[k];
                double cy = centre[1], cx = centre[2];
                // A centre no pixel chose is NaN (0 / 0), and chooses none in turn.
                if (double.IsNaN(cy) || double.IsNaN(cx)) continue;
                int yMin = (int)Math.Max(cy - 2 * stepY, 0), yMax = (int)Math.Min(cy + 2 * stepY + 1, height);
                int xMin = (int)Math.Max(cx - 2 * stepX, 0), xMax = (int)Math.Min(cx + 2 * stepX + 1, width);
                for (int y = yMin; y < yMax; y++)
                {
                    double dy = cy - y;
                    dy *= dy;
                    for (int x = xMin; x < xMax; x++)
                    {
                        double dx = cx - x;
                        dx *= dx;
                        // The depth axis (z = 0 for a plane) adds (cz - 0)^2 = 0.
                        double d = (centre[0] * centre[0] + dy + dx) * spatial;
                        int p = y * width + x;
                        double colour = 0;
                        for (int c = 0; c < channels; c++)
                        {
                            double t = image[p * channels + c] - centre[3 + c];
                            colour += t * t;
                        }
                        d += colour;
                        if (distance[p] > d)
                        {
                            nearest[p] = k;
                            distance[p] = d;
                            change = true;
                        }
                    }
                }
            }
            if (!change) break;
            Array.Clear(counts);
            foreach (var centre in centres) Array.Clear(centre);
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    int p = y * width + x, k = nearest[p];
                    counts[k]++;
                    var centre = centres[k];
                    centre[1] += y;
                    centre[2] += x;
                    for (int c = 0; c < channels; c++) centre[3 + c] += image[p * channels + c];
                }
            for (int k = 0; k < centres.Count; k++)
                for (int c = 0; c < centres[k].Length; c++) centres[k][c] /= counts[k];
        }
        return nearest;
    }

    /// <summary>
    /// scikit-image's _enforce_label_connectivity_cython for one plane: each 4-connected piece of a label becomes its own
    /// label in raster order, and a piece smaller than <paramref name="minSize"/> joins the last labelled piece next to it.
    /// </summary>
    private static (int[] Labels, int Count) Connect(int[] segments, int height, int width, int minSize, int maxSize)
    {
        int[] ddx = { 1, -1, 0, 0 }, ddy = { 0, 0, 1, -1 };
        var connected = new int[segments.Length];
        Array.Fill(connected, -1);
        var queue = new int[Math.Max(1, maxSize)];
        int next = 0;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int start = y * width + x;
                if (segments[start] == -1 || connected[start] > -1) continue;
                int adjacent = next, label = segments[start];
                connected[start] = next;
                int size = 1, visited = 0;
                queue[0] = start;
                while (visited < size && size < maxSize)
                {
                    int qy = queue[visited] / width, qx = queue[visited] % width;
                    for (int i = 0; i < 4; i++)
                    {
                        int yy = qy + ddy[i], xx = qx + ddx[i];
                        if (xx < 0 || xx >= width || yy < 0 || yy >= height) continue;
                        int q = yy * width + xx;
                        if (segments[q] == label && connected[q] == -1)
                        {
                            connected[q] = next;
                            queue[size++] = q;
                            if (size >= maxSize) break;
                        }
                        else if (connected[q] > -1 && connected[q] != next) adjacent = connected[q];
                    }
                    visited++;
                }
                if (size < minSize)
                    for (int i = 0; i < size; i++) connected[queue[i]] = adjacent;
                else next++;
            }
        return (connected, next);
    }
}
