namespace HeatmapTools.Engine.Explanation;

/// <summary>
/// Relevance Rank Accuracy: of the region's K pixels, the share that are among the explanation's K highest values.
/// Arras et al., "CLEVR-XAI: A benchmark dataset for the ground truth evaluation of neural network explanations", 2022.
/// </summary>
public sealed class RelevanceRankAccuracy : ExplanationMetric
{
    public override string Name => "RelevanceRankAccuracy";
    public override MetricFamily Family => MetricFamily.Localisation;
    public override string Citation => "Arras et al. 2022, CLEVR-XAI";

    public override MetricValue Evaluate(ExplanationSample sample, ExplanationOptions options, CancellationToken cancellation)
    {
        var mask = RequireMask(sample, Name);
        int size = mask.Count(m => m);
        var order = Descending(Prepared(sample));
        int hits = 0;
        for (int i = 0; i < size; i++) if (mask[order[i]]) hits++;
        return new MetricValue((double)hits / size);
    }
}
