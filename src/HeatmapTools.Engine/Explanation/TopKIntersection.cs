namespace HeatmapTools.Engine.Explanation;

/// <summary>
/// Top-K Intersection: the share of the explanation's k highest pixels (-TopK, 1000) that lie inside the region.
/// Theiner et al., "Interpretable semantic photo geolocation", WACV 2022.
/// </summary>
public sealed class TopKIntersection : ExplanationMetric
{
    public override string Name => "TopKIntersection";
    public override MetricFamily Family => MetricFamily.Localisation;
    public override string Citation => "Theiner et al. 2022, Interpretable semantic photo geolocation";

    public override MetricValue Evaluate(ExplanationSample sample, ExplanationOptions options, CancellationToken cancellation)
    {
        var mask = RequireMask(sample, Name);
        if (options.K < 1 || options.K > mask.Length)
            throw new HeatmapToolsException(ErrorIds.ExplanationSettingInvalid, ErrorKind.InvalidArgument,
                $"-TopK {options.K} must be between 1 and the network input's {mask.Length} pixels.", options.K);
        var order = Descending(Prepared(sample));
        int hits = 0;
        for (int i = 0; i < options.K; i++) if (mask[order[i]]) hits++;
        return new MetricValue((double)hits / options.K);
    }
}
