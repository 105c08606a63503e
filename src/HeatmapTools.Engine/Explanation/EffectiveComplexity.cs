namespace HeatmapTools.Engine.Explanation;

/// <summary>
/// Effective Complexity: how many features have a normalised magnitude above eps (-Eps, 1e-5).
/// Nguyen and Martinez, "On quantitative aspects of model interpretability", 2020.
/// </summary>
public sealed class EffectiveComplexity : ExplanationMetric
{
    public override string Name => "EffectiveComplexity";
    public override MetricFamily Family => MetricFamily.Complexity;
    public override string Citation => "Nguyen and Martinez 2020, On quantitative aspects of model interpretability";
    public override bool Abs => true;

    public override MetricValue Evaluate(ExplanationSample sample, ExplanationOptions options, CancellationToken cancellation)
    {
        // NumPy compares a float32 array with a Python float in float32.
        float eps = (float)options.Eps;
        int count = 0;
        foreach (var v in Prepared(sample)) if (v > eps) count++;
        return new MetricValue(count);
    }
}
