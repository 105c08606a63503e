using HeatmapTools.Engine.Trust;

namespace HeatmapTools.Engine.Explanation;

/// <summary>
/// Region Perturbation: square patches (-PatchSize, all channels) replaced by the baseline in order of the
/// explanation's sum over them (-Order Morf, Lerf or Random), -Regions of them one after another, and the drop of the
/// class's score after each; the value is the curve's area (higher is more faithful for Morf). Samek et al.,
/// "Evaluating the visualization of what a deep neural network has learned", IEEE TNNLS 2016.
/// </summary>
public sealed class RegionPerturbation : ExplanationMetric
{
    public override string Name => "RegionPerturbation";
    public override MetricFamily Family => MetricFamily.Faithfulness;
    public override string Citation => "Samek et al. 2016, Evaluating the visualization of what a deep neural network has learned";
    public override bool Softmax => true;

    public override MetricValue Evaluate(ExplanationSample sample, ExplanationOptions options, CancellationToken cancellation)
    {
        int p = options.PatchSize, c = sample.Channels, h = sample.Height, w = sample.Width;
        if (p < 1 || p > Math.Min(h, w))
            throw new HeatmapToolsException(ErrorIds.ExplanationSettingInvalid, ErrorKind.InvalidArgument,
                $"-PatchSize {p} must be between 1 and the network input's shorter side ({Math.Min(h, w)}).", p);
        if (options.Regions < 1)
            throw new HeatmapToolsException(ErrorIds.ExplanationSettingInvalid, ErrorKind.InvalidArgument, $"-Regions {options.Regions} must be at least 1.", options.Regions);
        var a = Prepared(sample);
        // Quantus pads the input (by repeating its edge) and the explanation (with zeros) to whole patches, half on each side.
        var (top, bottom) = Padding(h, p);
        var (left, right) = Padding(w, p);
        int hp = h + top + bottom, wp = w + left + right, rows = hp / p, cols = wp / p;
        var sums = new float[rows * cols];
        for (int by = 0; by < rows; by++)
            for (int bx = 0; bx < cols; bx++)
            {
                double sum = 0;
                for (int y = by * p - top; y < (by + 1) * p - top; y++)
                    for (int x = bx * p - left; x < (bx + 1) * p - left; x++)
                        if (y >= 0 && y < h && x >= 0 && x < w) sum += a[y * w + x];
                sums[by * cols + bx] = (float)(sum * c);
            }
        var perturbation = new Perturbation(options);
        var order = options.Order switch
        {
            RegionOrder.Morf => Descending(sums),
            RegionOrder.Lerf => Ascending(sums),
            _ => perturbation.Permutation(sums.Length),
        };
        int regions = Math.Min(options.Regions, order.Length);
        var kind = options.Score ?? (Softmax ? ScoreKind.Softmax : ScoreKind.Logit);

        var padded = new float[c * hp * wp];
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < hp; y++)
                for (int x = 0; x < wp; x++)
                    padded[(ch * hp + y) * wp + x] = sample.Input[(ch * h + Math.Clamp(y - top, 0, h - 1)) * w + Math.Clamp(x - left, 0, w - 1)];
        double original = Perturbation.Scores(sample, kind, 1, 1, (_, into) => sample.Input.CopyTo(into), cancellation)[0];
        var scores = Perturbation.Scores(sample, kind, regions, options.Chunk, (r, into) =>
        {
            float value = perturbation.Baseline(padded);
            int by = order[r] / cols, bx = order[r] % cols;
            for (int ch = 0; ch < c; ch++)
                for (int y = by * p; y < (by + 1) * p; y++)
                    Array.Fill(padded, value, (ch * hp + y) * wp + bx * p, p);
            for (int ch = 0; ch < c; ch++)
                for (int y = 0; y < h; y++)
                    padded.AsSpan((ch * hp + y + top) * wp + left, w).CopyTo(into.Slice((ch * h + y) * w, w));
        }, cancellation);
        var curve = scores.Select(s => original - s).ToArray();
        return new MetricValue(Trapezoid(curve), curve);
    }

    /// <summary>Quantus's padding of a side to whole patches: the shortfall split, the larger half after.</summary>
    private static (int Before, int After) Padding(int size, int patch)
    {
        int remainder = size % patch;
        if (remainder == 0) return (0, 0);
        int total = patch - remainder;
        return (total / 2, total - total / 2);
    }
}
