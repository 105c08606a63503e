namespace HeatmapTools.Engine.Explanation;

/// <summary>
/// Pointing Game: 1 when the explanation's largest value (any of them, if several are equal) lies inside the region, else 0.
/// Zhang et al., "Top-down neural attention by excitation backprop", IJCV 2018.
/// </summary>
public sealed class PointingGame : ExplanationMetric
{
    public override string Name => "PointingGame";
    public override MetricFamily Family => MetricFamily.Localisation;
    public override string Citation => "Zhang et al. 2018, Top-down neural attention by excitation backprop";

    public override MetricValue Evaluate(ExplanationSample sample, ExplanationOptions options, CancellationToken cancellation)
    {
        var mask = RequireMask(sample, Name);
        var a = Prepared(sample);
        float max = a.Max();
        for (int i = 0; i < a.Length; i++)
            if (a[i] == max && mask[i]) return new MetricValue(1);
        return new MetricValue(0);
    }
}
