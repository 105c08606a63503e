using HeatmapTools.Engine.Imaging;
using HeatmapTools.Engine.Trust;

namespace HeatmapTools.Engine.Explanation;

/// <summary>
/// Iterative Removal of Features: the input cut into SLIC superpixels (<see cref="Slic"/>, as Quantus cuts it), the
/// superpixels replaced by the baseline (Quantus's default for IROF: the mean of the input as perturbed so far) one after
/// another in order of the explanation's mean over each, most relevant first, and the class's probability after each as a
/// share of the original's; the value is the area over that curve (the superpixel count less its trapezoid area; higher
/// is more faithful). Rieger and Hansen, "IROF: a low resource evaluation metric for explanation methods", 2020.
/// </summary>
public sealed class Irof : ExplanationMetric
{
    public override string Name => "IROF";
    public override MetricFamily Family => MetricFamily.Faithfulness;
    public override string Citation => "Rieger and Hansen 2020, IROF: a low resource evaluation metric for explanation methods";
    public override bool Softmax => true;

    public override MetricValue Evaluate(ExplanationSample sample, ExplanationOptions options, CancellationToken cancellation)
    {
        var a = Prepared(sample);
        int c = sample.Channels, plane = sample.Height * sample.Width;
        var (labels, count) = Slic.Segment(sample.Input, c, sample.Height, sample.Width);
        if (count < 2)
            throw new HeatmapToolsException(ErrorIds.ExplanationMetricUndefined, ErrorKind.InvalidData,
                $"IROF found {count} superpixel in '{sample.Name}' (a flat image): there is nothing to remove in order.", sample.Name);
        var sums = new double[count];
        var sizes = new int[count];
        for (int p = 0; p < plane; p++)
        {
            sums[labels[p]] += a[p];
            sizes[labels[p]]++;
        }
        var order = Descending(sums.Select((s, k) => (float)(s / sizes[k])).ToArray());
        var kind = options.Score ?? (Softmax ? ScoreKind.Softmax : ScoreKind.Logit);
        double original = Perturbation.Scores(sample, kind, 1, 1, (_, into) => sample.Input.CopyTo(into), cancellation)[0];
        var perturbation = new Perturbation(options, PerturbBaselineKind.Mean);
        var x = (float[])sample.Input.Clone();
        var scores = Perturbation.Scores(sample, kind, count, options.Chunk, (s, into) =>
        {
            float value = perturbation.Baseline(x);
            int segment = order[s];
            for (int p = 0; p < plane; p++)
                if (labels[p] == segment)
                    for (int ch = 0; ch < c; ch++) x[ch * plane + p] = value;
            x.CopyTo(into);
        }, cancellation);
        var curve = scores.Select(v => v / original).ToArray();
        return new MetricValue(count - Trapezoid(curve), curve);
    }
}
