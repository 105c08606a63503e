namespace HeatmapTools.Engine.Explanation;

/// <summary>
/// Faithfulness Correlation: -Samples times, a random subset of -SubsetSize features (one channel of one pixel each) of
/// the original input is set to the baseline; the value is the Pearson correlation between the explanation's sum over
/// each subset and the drop of the class's logit it causes. Stochastic: seeded by -PerturbSeed.
/// Bhatt et al., "Evaluating and aggregating feature-based model explanations", IJCAI 2020.
/// </summary>
public sealed class FaithfulnessCorrelation : ExplanationMetric
{
    public override string Name => "FaithfulnessCorrelation";
    public override MetricFamily Family => MetricFamily.Faithfulness;
    public override string Citation => "Bhatt et al. 2020, Evaluating and aggregating feature-based model explanations";

    public override MetricValue Evaluate(ExplanationSample sample, ExplanationOptions options, CancellationToken cancellation)
    {
        int plane = sample.Height * sample.Width, features = sample.Input.Length, size = options.SubsetSize;
        if (size < 1 || size > features)
            throw new HeatmapToolsException(ErrorIds.ExplanationSettingInvalid, ErrorKind.InvalidArgument,
                $"-SubsetSize {size} must be between 1 and the network input's {features} features.", size);
        if (options.Samples < 2)
            throw new HeatmapToolsException(ErrorIds.ExplanationSettingInvalid, ErrorKind.InvalidArgument,
                $"-Samples {options.Samples}: a correlation needs at least 2 subsets.", options.Samples);
        var a = Prepared(sample);
        var kind = options.Score ?? (Softmax ? ScoreKind.Softmax : ScoreKind.Logit);
        var perturbation = new Perturbation(options);
        var random = new Random(unchecked((int)options.Seed * 7919 + 17));
        var subsets = new int[options.Samples][];
        var sums = new double[options.Samples];
        for (int s = 0; s < subsets.Length; s++)
        {
            // A subset without repeats, as NumPy's choice(replace=False).
            var chosen = new HashSet<int>();
            while (chosen.Count < size) chosen.Add(random.Next(features));
            subsets[s] = chosen.ToArray();
            foreach (var f in subsets[s]) sums[s] += a[f % plane];
        }
        double original = Perturbation.Scores(sample, kind, 1, 1, (_, into) => sample.Input.CopyTo(into), cancellation)[0];
        var scores = Perturbation.Scores(sample, kind, subsets.Length, options.Chunk, (s, into) =>
        {
            sample.Input.CopyTo(into);
            float value = perturbation.Baseline(sample.Input);
            foreach (var f in subsets[s]) into[f] = value;
        }, cancellation);
        var drops = scores.Select(v => original - v).ToArray();
        return new MetricValue(Trust.Similarity.Pearson(sums, drops));
    }
}
