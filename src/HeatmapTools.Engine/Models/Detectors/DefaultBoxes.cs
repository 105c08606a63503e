using static TorchSharp.torch;

namespace HeatmapTools.Engine.Models.Detectors;

/// <summary>
/// torchvision's DefaultBoxGenerator (Liu et al. 2016, "SSD: Single Shot MultiBox Detector", p. 6): per level k a scale
/// s_k spread evenly from the smallest to the largest ratio of the image (and 1 after the last), and at every location
/// of the level's grid the boxes s_k x s_k, s'_k x s'_k with s'_k = sqrt(s_k s_(k+1)), and for each aspect ratio a
/// s_k sqrt(a) x s_k / sqrt(a) and its transpose; sizes clipped to the image, centres at the cells' middles.
/// </summary>
internal static class DefaultBoxes
{
    /// <summary>Boxes per location: the two squares and two per aspect ratio.</summary>
    public static int PerLocation(double[] aspectRatios) => 2 + 2 * aspectRatios.Length;

    /// <summary>The scales from the smallest to the largest ratio of the image, evenly, and 1 after the last (one level: the two ratios).</summary>
    public static double[] Spread(int levels, double minRatio, double maxRatio) => levels > 1
        ? Enumerable.Range(0, levels).Select(k => minRatio + (maxRatio - minRatio) * k / (levels - 1.0)).Append(1.0).ToArray()
        : new[] { minRatio, maxRatio };

    /// <summary>
    /// Every level's boxes (level by level, location by location row-major, the location's boxes inner) as corners in
    /// the image's pixels, in torchvision's single-precision steps: sizes in double then single, centres (i + 0.5) over
    /// the level's cells (or over the image's side / the level's step, when steps are given), corners (centre -/+ size / 2)
    /// x the image's side.
    /// </summary>
    /// <param name="scales">One more than the levels: level k's boxes are of scale k, s'_k = sqrt(scale k x scale k+1).</param>
    public static Tensor Grid(IReadOnlyList<(long H, long W)> levels, IReadOnlyList<double[]> aspectRatios, double[] scales, int[]? steps,
        int imageHeight, int imageWidth)
    {
        var all = new List<Tensor>();
        for (int k = 0; k < levels.Count; k++)
        {
            double prime = Math.Sqrt(scales[k] * scales[k + 1]);
            var pairs = new List<double> { scales[k], scales[k], prime, prime };
            foreach (var ar in aspectRatios[k])
            {
                double w = scales[k] * Math.Sqrt(ar), h = scales[k] / Math.Sqrt(ar);
                pairs.AddRange(new[] { w, h, h, w });
            }
            var sizes = tensor(pairs.Select(v => (float)v).ToArray(), new long[] { pairs.Count / 2, 2 }).clamp(0, 1);
            var (rows, cols) = levels[k];
            float across = steps is null ? cols : (float)((double)imageWidth / steps[k]), down = steps is null ? rows : (float)((double)imageHeight / steps[k]);
            var x = (arange(0, cols, dtype: ScalarType.Float32) + 0.5f) / across;
            var y = (arange(0, rows, dtype: ScalarType.Float32) + 0.5f) / down;
            var grid = meshgrid(new[] { y, x }, indexing: "ij");
            var centres = stack(new[] { grid[1].reshape(-1), grid[0].reshape(-1) }, 1).repeat_interleave(sizes.shape[0], 0);
            var wh = sizes.repeat(rows * cols, 1);
            var side = tensor(new float[] { imageWidth, imageHeight });
            all.Add(cat(new[] { (centres - 0.5f * wh) * side, (centres + 0.5f * wh) * side }, 1));
        }
        return cat(all, 0);
    }
}
