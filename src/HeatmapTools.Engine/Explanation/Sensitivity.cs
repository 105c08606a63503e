namespace HeatmapTools.Engine.Explanation;

/// <summary>
/// Max- and Avg-Sensitivity's shared steps: -Samples times, uniform noise from [-NoiseLevel, NoiseLevel] is added to
/// every feature of the input and the input explained again by the same method for the same class; each sample's
/// sensitivity is the Frobenius norm of the change of the explanation over the norm of the explanation. Quantus's
/// defaults: no normalisation, no absolute values, 200 samples, bound 0.2. Yeh et al., "On the (in)fidelity and
/// sensitivity of explanations", NeurIPS 2019.
/// </summary>
public abstract class Sensitivity : ExplanationMetric
{
    public override MetricFamily Family => MetricFamily.Robustness;
    public override string Citation => "Yeh et al. 2019, On the (in)fidelity and sensitivity of explanations";
    public override bool Normalise => false;

    /// <summary>The value from every sample's sensitivity.</summary>
    protected abstract double Aggregate(IReadOnlyList<double> sensitivities);

    public override MetricValue Evaluate(ExplanationSample sample, ExplanationOptions options, CancellationToken cancellation)
    {
        var explain = sample.Explain ?? throw new InvalidOperationException($"{Name} explains noisy copies of the input and needs the method.");
        int samples = options.SensitivitySamples;
        if (samples < 1)
            throw new HeatmapToolsException(ErrorIds.ExplanationSettingInvalid, ErrorKind.InvalidArgument, $"-Samples {samples} must be at least 1.", samples);
        var a = Prepared(sample);
        double norm = Math.Sqrt(a.Sum(v => (double)v * v));
        var random = new Random(unchecked((int)options.Seed * 31 + 7));
        var sensitivities = new List<double>(samples);
        for (int start = 0; start < samples; start += Math.Max(1, options.Chunk))
        {
            cancellation.ThrowIfCancellationRequested();
            int size = Math.Min(Math.Max(1, options.Chunk), samples - start);
            var noisy = new List<(float[], int)>(size);
            for (int i = 0; i < size; i++)
            {
                var x = (float[])sample.Input.Clone();
                for (int f = 0; f < x.Length; f++) x[f] += (float)((random.NextDouble() * 2 - 1) * options.NoiseLevel);
                noisy.Add((x, sample.ClassIndex));
            }
            foreach (var again in explain(noisy))
            {
                var b = Prepared(again);
                double change = 0;
                for (int i = 0; i < a.Length; i++) change += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
                sensitivities.Add(Math.Sqrt(change) / norm);
            }
        }
        double mean = sensitivities.Average();
        double spread = sensitivities.Count > 1 ? Math.Sqrt(sensitivities.Sum(v => (v - mean) * (v - mean)) / (sensitivities.Count - 1)) : 0;
        return new MetricValue(Aggregate(sensitivities)) { Spread = spread };
    }
}

/// <summary>Max-Sensitivity: the largest change over the noisy copies (Yeh et al. 2019).</summary>
public sealed class MaxSensitivity : Sensitivity
{
    public override string Name => "MaxSensitivity";
    protected override double Aggregate(IReadOnlyList<double> sensitivities) => sensitivities.Max();
}

/// <summary>Avg-Sensitivity: the mean change over the noisy copies (Yeh et al. 2019).</summary>
public sealed class AvgSensitivity : Sensitivity
{
    public override string Name => "AvgSensitivity";
    protected override double Aggregate(IReadOnlyList<double> sensitivities) => sensitivities.Average();
}
