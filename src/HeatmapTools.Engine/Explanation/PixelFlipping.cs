using HeatmapTools.Engine.Trust;

namespace HeatmapTools.Engine.Explanation;

/// <summary>
/// Pixel Flipping: features (one channel of one pixel) replaced by the baseline in order of the explanation, most
/// relevant first, -FeaturesInStep at a time, and the class's score after each step; the value is the curve's area
/// (lower is more faithful). Bach et al., "On pixel-wise explanations for non-linear classifier decisions by
/// layer-wise relevance propagation", PLoS ONE 2015.
/// </summary>
public sealed class PixelFlipping : ExplanationMetric
{
    public override string Name => "PixelFlipping";
    public override MetricFamily Family => MetricFamily.Faithfulness;
    public override string Citation => "Bach et al. 2015, On pixel-wise explanations for non-linear classifier decisions by layer-wise relevance propagation";
    public override bool Softmax => true;

    public override MetricValue Evaluate(ExplanationSample sample, ExplanationOptions options, CancellationToken cancellation)
    {
        var a = Prepared(sample);
        int plane = sample.Height * sample.Width, features = sample.Input.Length;
        int step = FeaturesInStep(sample, options);
        var order = FeatureOrder(a, sample.Channels, plane, descending: true);
        var x = (float[])sample.Input.Clone();
        var perturbation = new Perturbation(options);
        int steps = (features + step - 1) / step;
        var scores = Perturbation.Scores(sample, options.Score ?? (Softmax ? ScoreKind.Softmax : ScoreKind.Logit), steps, options.Chunk, (s, into) =>
        {
            float value = perturbation.Baseline(x);
            for (int j = s * step, end = Math.Min(features, (s + 1) * step); j < end; j++) x[order[j]] = value;
            x.CopyTo(into);
        }, cancellation);
        return new MetricValue(Trapezoid(scores), scores);
    }

    /// <summary>
    /// Every feature of the channels x plane input ordered by its pixel's explanation value (the explanation broadcast
    /// over channels, as Quantus broadcasts it), equal values in flat index order.
    /// </summary>
    internal static int[] FeatureOrder(float[] a, int channels, int plane, bool descending)
    {
        var order = new int[channels * plane];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(order, (x, y) =>
        {
            float vx = a[x % plane], vy = a[y % plane];
            if (vx != vy) return descending ? vy.CompareTo(vx) : vx.CompareTo(vy);
            return x.CompareTo(y);
        });
        return order;
    }
}
