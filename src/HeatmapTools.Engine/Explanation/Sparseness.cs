namespace HeatmapTools.Engine.Explanation;

/// <summary>
/// Sparseness: the Gini index of the explanation's magnitudes, 1 when one feature holds all of it, near 0 when it is
/// spread evenly. Chalasani et al., "Concise explanations of neural networks using adversarial training", ICML 2020.
/// </summary>
public sealed class Sparseness : ExplanationMetric
{
    public override string Name => "Sparseness";
    public override MetricFamily Family => MetricFamily.Complexity;
    public override string Citation => "Chalasani et al. 2020, Concise explanations of neural networks using adversarial training";
    public override bool Abs => true;

    public override MetricValue Evaluate(ExplanationSample sample, ExplanationOptions options, CancellationToken cancellation)
    {
        var a = Prepared(sample);
        // Quantus adds 1e-7 to every value so an all-zero explanation has a defined index.
        for (int i = 0; i < a.Length; i++) a[i] += 1e-7f;
        Array.Sort(a);
        double n = a.Length, weighted = 0, total = 0;
        for (int i = 0; i < a.Length; i++)
        {
            weighted += (2.0 * (i + 1) - n - 1) * a[i];
            total += a[i];
        }
        return new MetricValue(weighted / (n * total));
    }
}
