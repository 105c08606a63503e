namespace HeatmapTools;

/// <summary>
/// Measure-Explanation's result for one (image, class, method): one property per metric, named as Quantus names it,
/// null for a metric not asked for. Curve metrics give their area; their curves are in the *Curve properties.
/// </summary>
public sealed class ExplanationMeasurement : CamJudgement
{
    /// <summary>The metrics measured, in the order asked.</summary>
    public string[] Metrics { get; init; } = Array.Empty<string>();
    public double? Sparseness { get; init; }
    public double? Complexity { get; init; }
    public double? EffectiveComplexity { get; init; }
    public double? PointingGame { get; init; }
    public double? RelevanceRankAccuracy { get; init; }
    public double? RelevanceMassAccuracy { get; init; }
    public double? TopKIntersection { get; init; }
    public double? AttributionLocalisation { get; init; }
    public double? PixelFlipping { get; init; }
    public double? RegionPerturbation { get; init; }
    public double? IROF { get; init; }
    /// <summary>1 when the class's probability never fell as the input's features were put back least relevant first, else 0.</summary>
    public double? Monotonicity { get; init; }
    public double? FaithfulnessCorrelation { get; init; }
    public double? MaxSensitivity { get; init; }
    public double? AvgSensitivity { get; init; }
    public double? RandomLogit { get; init; }
    /// <summary>The standard deviation of the noisy copies' sensitivities, which Max- and Avg-Sensitivity come from.</summary>
    public double? MaxSensitivitySpread { get; init; }
    public double? AvgSensitivitySpread { get; init; }
    [System.Management.Automation.Hidden]
    public double[]? PixelFlippingCurve { get; init; }
    [System.Management.Automation.Hidden]
    public double[]? RegionPerturbationCurve { get; init; }
    /// <summary>IROF's class probability after each superpixel removed, as a share of the original's.</summary>
    [System.Management.Automation.Hidden]
    public double[]? IROFCurve { get; init; }
    [System.Management.Automation.Hidden]
    public double[]? MonotonicityCurve { get; init; }
    /// <summary>Pixel Flipping's features per step as used (its default depends on the input size).</summary>
    public int? FeaturesInStep { get; init; }
    /// <summary>What the perturbing metrics put in place of features.</summary>
    public string? PerturbBaseline { get; init; }
}
