namespace HeatmapTools.Engine.Explanation;

/// <summary>
/// Relevance Mass Accuracy: the explanation's sum inside the region over its sum everywhere (signed, as Quantus
/// leaves it: a signed attribution can give a value outside 0..1).
/// Arras et al., "CLEVR-XAI: A benchmark dataset for the ground truth evaluation of neural network explanations", 2022.
/// </summary>
public sealed class RelevanceMassAccuracy : ExplanationMetric
{
    public override string Name => "RelevanceMassAccuracy";
    public override MetricFamily Family => MetricFamily.Localisation;
    public override string Citation => "Arras et al. 2022, CLEVR-XAI";

    public override MetricValue Evaluate(ExplanationSample sample, ExplanationOptions options, CancellationToken cancellation)
    {
        var mask = RequireMask(sample, Name);
        var (inside, total) = MassInside(Prepared(sample), mask);
        return new MetricValue(inside / total);
    }
}
