namespace HeatmapTools.Engine.Explanation;

/// <summary>The metrics Measure-Explanation knows, by Quantus's names.</summary>
public static class ExplanationMetrics
{
    public static readonly IReadOnlyList<ExplanationMetric> All = new ExplanationMetric[]
    {
        new Sparseness(), new Complexity(), new EffectiveComplexity(),
        new PointingGame(), new RelevanceRankAccuracy(), new RelevanceMassAccuracy(), new TopKIntersection(), new AttributionLocalisation(),
        new PixelFlipping(), new RegionPerturbation(), new FaithfulnessCorrelation(), new Irof(), new Monotonicity(),
        new MaxSensitivity(), new AvgSensitivity(), new RandomLogit(),
    };

    public static IReadOnlyList<string> Names => All.Select(m => m.Name).ToList();

    public static ExplanationMetric ByName(string name) =>
        All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new HeatmapToolsException(ErrorIds.ExplanationSettingInvalid, ErrorKind.InvalidArgument,
            $"Unknown metric '{name}'. Metrics: {string.Join(", ", Names)}.", name);
}
