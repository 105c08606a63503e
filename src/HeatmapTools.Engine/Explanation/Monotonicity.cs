using HeatmapTools.Engine.Trust;

namespace HeatmapTools.Engine.Explanation;

/// <summary>
/// Monotonicity as Arya et al. define it: from an input all of baseline (Quantus's default, black: the input's smallest
/// value), the input's own features put back in order of the explanation's magnitude, least relevant first,
/// -FeaturesInStep at a time; 1 when the class's probability never falls along the way, else 0 (the curve is kept).
/// Quantus 0.6.0 means this but writes the baseline where the input belongs, so every step scores the baseline image and
/// its answer is always true; this follows the definition. Arya et al. 2019, "One Explanation Does Not Fit All".
/// </summary>
public sealed class Monotonicity : ExplanationMetric
{
    public override string Name => "Monotonicity";
    public override MetricFamily Family => MetricFamily.Faithfulness;
    public override string Citation => "Arya et al. 2019, One Explanation Does Not Fit All: A Toolkit and Taxonomy of AI Explainability Techniques";
    public override bool Abs => true;
    public override bool Softmax => true;

    public override MetricValue Evaluate(ExplanationSample sample, ExplanationOptions options, CancellationToken cancellation)
    {
        var a = Prepared(sample);
        int plane = sample.Height * sample.Width, features = sample.Input.Length;
        int step = FeaturesInStep(sample, options);
        var order = PixelFlipping.FeatureOrder(a, sample.Channels, plane, descending: false);
        // The baseline is read off the input once: every feature not yet put back holds it.
        var x = new float[features];
        Array.Fill(x, new Perturbation(options).Baseline(sample.Input));
        int steps = (features + step - 1) / step;
        var scores = Perturbation.Scores(sample, options.Score ?? (Softmax ? ScoreKind.Softmax : ScoreKind.Logit), steps, options.Chunk, (s, into) =>
        {
            for (int j = s * step, end = Math.Min(features, (s + 1) * step); j < end; j++) x[order[j]] = sample.Input[order[j]];
            x.CopyTo(into);
        }, cancellation);
        // Compared as Quantus compares them: the float32 probabilities' differences, none below zero.
        bool rising = true;
        for (int i = 1; i < scores.Length; i++) rising &= (float)scores[i] - (float)scores[i - 1] >= 0;
        return new MetricValue(rising ? 1 : 0, scores);
    }
}
