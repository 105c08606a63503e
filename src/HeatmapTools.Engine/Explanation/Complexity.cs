namespace HeatmapTools.Engine.Explanation;

/// <summary>
/// Complexity: the entropy of the explanation's magnitudes as shares of their sum, larger the more features it uses.
/// Bhatt et al., "Evaluating and aggregating feature-based model explanations", IJCAI 2020.
/// </summary>
public sealed class Complexity : ExplanationMetric
{
    public override string Name => "Complexity";
    public override MetricFamily Family => MetricFamily.Complexity;
    public override string Citation => "Bhatt et al. 2020, Evaluating and aggregating feature-based model explanations";
    public override bool Abs => true;

    public override MetricValue Evaluate(ExplanationSample sample, ExplanationOptions options, CancellationToken cancellation)
    {
        var a = Prepared(sample);
        double sum = 0;
        foreach (var v in a) sum += Math.Abs(v);
        double entropy = 0;
        foreach (var v in a)
        {
            double share = v / sum;
            entropy -= share * Math.Log(share + 1e-12);
        }
        return new MetricValue(entropy);
    }
}
