namespace HeatmapTools;

/// <summary>One point of a deletion or insertion curve.</summary>
public sealed class CurvePoint
{
    public double Fraction { get; init; }
    public double Score { get; init; }
    public override string ToString() => $"({Fraction:0.###}, {Score:0.####})";
}

/// <summary>ROAD at one percentile, both orders.</summary>
public sealed class RoadPoint
{
    public double Percentile { get; init; }
    public double MostRelevantFirst { get; init; }
    public double LeastRelevantFirst { get; init; }
    public override string ToString() => $"p{Percentile:0.#}: MoRF {MostRelevantFirst:0.####}, LeRF {LeastRelevantFirst:0.####}";
}

/// <summary>What Measure-CamFaithfulness and Test-CamSanity say of one (image, class, method): which map was judged.</summary>
public abstract class CamJudgement
{
    public string SourcePath { get; init; } = "";
    public string Model { get; init; } = "";
    public string Method { get; init; } = "";
    public string Layer { get; init; } = "";
    public int ClassIndex { get; init; }
    public string Label { get; init; } = "";
    /// <summary>The figure written with -PlotPath, if any.</summary>
    public string? PlotPath { get; init; }
    // The table's column headers as properties (Select-Object Image, Class), hidden so Export-Csv keeps one column per fact.
    [System.Management.Automation.Hidden, Newtonsoft.Json.JsonIgnore] public string Image => System.IO.Path.GetFileName(SourcePath);
    [System.Management.Automation.Hidden, Newtonsoft.Json.JsonIgnore] public int Class => ClassIndex;
}

/// <summary>
/// Measure-CamFaithfulness's result for one (image, class, method): flat numbers for Measure-Object and Export-Csv,
/// the ROAD points and curves for plots. Score changes are perturbed minus original, as pytorch-grad-cam reports them.
/// </summary>
public sealed class CamFaithfulness : CamJudgement
{
    /// <summary>Softmax (probability) or Logit.</summary>
    public string Score { get; init; } = "";
    public double OriginalScore { get; init; }
    public double CamMultImageConfidenceChange { get; init; }
    public double DropInConfidence { get; init; }
    public double IncreaseInConfidence { get; init; }
    public double? RoadMostRelevantFirstAverage { get; init; }
    public double? RoadLeastRelevantFirstAverage { get; init; }
    public double? RoadCombined { get; init; }
    public double? DeletionArea { get; init; }
    public double? InsertionArea { get; init; }
    [System.Management.Automation.Hidden, Newtonsoft.Json.JsonIgnore] public double CamMult => CamMultImageConfidenceChange;
    [System.Management.Automation.Hidden]
    public RoadPoint[] Road { get; init; } = Array.Empty<RoadPoint>();
    [System.Management.Automation.Hidden]
    public CurvePoint[] Deletion { get; init; } = Array.Empty<CurvePoint>();
    [System.Management.Automation.Hidden]
    public CurvePoint[] Insertion { get; init; } = Array.Empty<CurvePoint>();
}

/// <summary>One step of Test-CamSanity's cascade: similarity of the map to the original after randomising down to Layer.</summary>
public sealed class CamSanityStep
{
    public int Step { get; init; }
    public string Layer { get; init; } = "";
    public double Spearman { get; init; }
    public double SpearmanAbsolute { get; init; }
    public double Ssim { get; init; }
    public override string ToString() => $"{Step} {Layer}: {Spearman:0.###}";
}

/// <summary>Test-CamSanity's result for one (image, class, method): the verdict and every step's similarity.</summary>
public sealed class CamSanity : CamJudgement
{
    /// <summary>True or false; null (Verdict "Undefined") when the original or final map is constant and has no ranking to compare.</summary>
    public bool? Passed { get; init; }
    public string Verdict { get; init; } = "";
    public double Threshold { get; init; }
    /// <summary>Rank correlation with the original map once every step of the cascade is done.</summary>
    public double FinalSpearman { get; init; }
    public double MinimumSpearman { get; init; }
    public double FinalSsim { get; init; }
    [System.Management.Automation.Hidden]
    public CamSanityStep[] Steps { get; init; } = Array.Empty<CamSanityStep>();
}

/// <summary>Measure-StainRobustness's result for one (image, class, method): how the prediction and the map move under stain augmentation.</summary>
public sealed class StainRobustness : CamJudgement
{
    /// <summary>The original image's probability of the class (softmax, or a one-logit head's sigmoid).</summary>
    public double Probability { get; init; }
    public double ProbabilityMean { get; init; }
    public double ProbabilityMin { get; init; }
    public double ProbabilityMax { get; init; }
    /// <summary>Share of the copies whose call (top class; for one logit, whether it reaches 0.5) is the original's.</summary>
    public double PredictionKept { get; init; }
    /// <summary>Median over the copies of the map's Spearman rank correlation with the original map; NaN when a map is constant.</summary>
    public double MapSpearmanMedian { get; init; }
    public double MapSpearmanMin { get; init; }
    public int Augmentations { get; init; }
    public string AugmentationMethod { get; init; } = "";
    public double Sigma1 { get; init; }
    public double Sigma2 { get; init; }
    public int Seed { get; init; }
    /// <summary>Each copy's probability of the class, in draw order.</summary>
    public double[] Probabilities { get; init; } = Array.Empty<double>();
    /// <summary>Each copy's map's Spearman correlation with the original map.</summary>
    public double[] MapSpearman { get; init; } = Array.Empty<double>();
    /// <summary>Each copy's scale (alpha) and shift (beta) per stain, haematoxylin first: what TIAToolbox's augmentor would be given.</summary>
    [System.Management.Automation.Hidden] public double[][] Alpha { get; init; } = Array.Empty<double[]>();
    [System.Management.Automation.Hidden] public double[][] Beta { get; init; } = Array.Empty<double[]>();
}

/// <summary>Compare-CamHeatmap's result for one image: the two models' predictions and how alike their maps of one class are.</summary>
public sealed class CamComparison
{
    public string Path { get; init; } = "";
    public string Method { get; init; } = "";
    /// <summary>The class both maps explain: the reference model's top class, or -ClassIndex.</summary>
    public int ClassIndex { get; init; }
    public int ReferenceClass { get; init; }
    public int DifferenceClass { get; init; }
    public bool PredictionChanged { get; init; }
    /// <summary>Each model's softmax probability of ClassIndex (null when two sets of maps were compared: they carry none).</summary>
    public double? ReferenceProbability { get; init; }
    public double? DifferenceProbability { get; init; }
    /// <summary>Spearman's rank correlation of the two maps (1: the same ranking of pixels).</summary>
    public double Spearman { get; init; }
    /// <summary>The structural similarity of the two maps (1: the same map).</summary>
    public double Ssim { get; init; }
    /// <summary>The two overlays side by side (-PlotPath); null without it.</summary>
    public string? PlotPath { get; init; }
    /// <summary>Quantus's metrics (-Metric) of each model's explanation of ClassIndex, by name; null without -Metric.</summary>
    public IReadOnlyDictionary<string, double>? ReferenceMetrics { get; init; }
    public IReadOnlyDictionary<string, double>? DifferenceMetrics { get; init; }
}

/// <summary>One metric over the compared images: each model's mean, the change, and whether it stays within its tolerance.</summary>
public sealed class CamMetricChange
{
    public string Metric { get; init; } = "";
    public double ReferenceMean { get; init; }
    public double DifferenceMean { get; init; }
    /// <summary>DifferenceMean - ReferenceMean.</summary>
    public double Change { get; init; }
    /// <summary>The largest change allowed (-MetricTolerance); null when none was given.</summary>
    public double? Tolerance { get; init; }
    /// <summary>|Change| &lt;= Tolerance; null without a tolerance.</summary>
    public bool? Passed { get; init; }
}

/// <summary>Compare-CamHeatmap -Summary: the figures a release gate asserts on.</summary>
public sealed record CamComparisonSummary
{
    public string ReferenceWeights { get; init; } = "";
    public string DifferenceWeights { get; init; } = "";
    public int Images { get; init; }
    public int PredictionChanges { get; init; }
    public double MeanSpearman { get; init; }
    public double MinSpearman { get; init; }
    public double MeanSsim { get; init; }
    public double MinSsim { get; init; }
    /// <summary>The image whose maps differ most (lowest Spearman).</summary>
    public string? WorstImage { get; init; }
    /// <summary>Each -Metric over the images both models were judged on.</summary>
    public CamMetricChange[] Metrics { get; init; } = Array.Empty<CamMetricChange>();
    /// <summary>Every metric with a tolerance stayed within it; null when no tolerance was given.</summary>
    public bool? MetricsPassed { get; init; }

    internal static CamComparisonSummary Of(IReadOnlyList<CamComparison> all, string reference, string difference,
        IReadOnlyList<string>? metrics = null, IReadOnlyDictionary<string, double>? tolerances = null)
    {
        var changes = (metrics ?? Array.Empty<string>()).Select(name =>
        {
            var judged = all.Where(c => c.ReferenceMetrics?.ContainsKey(name) == true && c.DifferenceMetrics?.ContainsKey(name) == true).ToList();
            double before = judged.Count == 0 ? double.NaN : judged.Average(c => c.ReferenceMetrics![name]);
            double after = judged.Count == 0 ? double.NaN : judged.Average(c => c.DifferenceMetrics![name]);
            double? tolerance = tolerances is not null && tolerances.TryGetValue(name, out var t) ? t : null;
            // No image judged is no evidence: a tolerance then fails rather than passing on NaN.
            return new CamMetricChange
            {
                Metric = name, ReferenceMean = before, DifferenceMean = after, Change = after - before, Tolerance = tolerance,
                Passed = tolerance is double limit ? judged.Count > 0 && Math.Abs(after - before) <= limit : null,
            };
        }).ToArray();
        return Summarise(all, reference, difference) with { Metrics = changes, MetricsPassed = changes.Any(c => c.Passed is not null) ? changes.All(c => c.Passed != false) : null };
    }

    private static CamComparisonSummary Summarise(IReadOnlyList<CamComparison> all, string reference, string difference) => new()
    {
        ReferenceWeights = reference,
        DifferenceWeights = difference,
        Images = all.Count,
        PredictionChanges = all.Count(c => c.PredictionChanged),
        MeanSpearman = all.Count == 0 ? double.NaN : all.Average(c => c.Spearman),
        MinSpearman = all.Count == 0 ? double.NaN : all.Min(c => c.Spearman),
        MeanSsim = all.Count == 0 ? double.NaN : all.Average(c => c.Ssim),
        MinSsim = all.Count == 0 ? double.NaN : all.Min(c => c.Ssim),
        WorstImage = all.OrderBy(c => c.Spearman).FirstOrDefault()?.Path,
    };
}
