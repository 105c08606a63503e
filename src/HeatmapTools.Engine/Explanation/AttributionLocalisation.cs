namespace HeatmapTools.Engine.Explanation;

/// <summary>
/// Attribution Localisation: the share of the explanation's magnitude inside the region.
/// Kohlbrenner et al., "Towards best practice in explaining neural network decisions with LRP", IJCNN 2020.
/// </summary>
public sealed class AttributionLocalisation : ExplanationMetric
{
    public override string Name => "AttributionLocalisation";
    public override MetricFamily Family => MetricFamily.Localisation;
    public override string Citation => "Kohlbrenner et al. 2020, Towards best practice in explaining neural network decisions with LRP";
    public override bool Abs => true;

    public override MetricValue Evaluate(ExplanationSample sample, ExplanationOptions options, CancellationToken cancellation)
    {
        var mask = RequireMask(sample, Name);
        var (inside, total) = MassInside(Prepared(sample), mask);
        return new MetricValue(inside / (total + 1e-9));
    }
}
