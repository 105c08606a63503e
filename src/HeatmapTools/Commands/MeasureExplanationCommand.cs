using System.Globalization;
using System.Management.Automation;
using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Explanation;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Prediction;
using HeatmapTools.Engine.Trust;

namespace HeatmapTools.Commands;

/// <summary>Quantus's evaluation metrics of maps and attributions: complexity, localisation against a region, faithfulness to the model.</summary>
[Cmdlet(VerbsDiagnostic.Measure, "Explanation", SupportsShouldProcess = true)]
[OutputType(typeof(ExplanationMeasurement))]
public sealed class MeasureExplanationCommand : TrustCommandBase
{
    private static readonly string[] Defaults = { "Sparseness", "Complexity", "PixelFlipping", "RegionPerturbation" };
    private static readonly string[] LocalisationMetrics = { "PointingGame", "RelevanceRankAccuracy", "RelevanceMassAccuracy", "TopKIntersection", "AttributionLocalisation" };

    [Parameter]
    [ValidateSet("Sparseness", "Complexity", "EffectiveComplexity", "PointingGame", "RelevanceRankAccuracy", "RelevanceMassAccuracy",
        "TopKIntersection", "AttributionLocalisation", "PixelFlipping", "RegionPerturbation", "FaithfulnessCorrelation", "IROF", "Monotonicity",
        "MaxSensitivity", "AvgSensitivity", "RandomLogit")]
    public string[]? Metric { get; set; }

    [Parameter]
    public string? Mask { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? FeaturesInStep { get; set; }

    [Parameter]
    [ValidateRange(1, 4096)]
    public int PatchSize { get; set; } = 8;

    [Parameter]
    [ValidateRange(1, 1000000)]
    public int Regions { get; set; } = 100;

    [Parameter]
    public RegionOrder Order { get; set; } = RegionOrder.Morf;

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int TopK { get; set; } = 1000;

    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double Eps { get; set; } = 1e-5;

    [Parameter]
    public string? PerturbBaseline { get; set; }

    [Parameter]
    public int PerturbSeed { get; set; }

    [Parameter]
    [ValidateRange(1, 100000)]
    public int? Samples { get; set; }

    [Parameter]
    [ValidateRange(0.0, 1000.0)]
    public double NoiseLevel { get; set; } = 0.2;

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int SubsetSize { get; set; } = 224;

    [Parameter]
    public ScoreKind? Score { get; set; }

    private protected override string Activity => "Measure-Explanation";

    private protected override bool RegionIsTarget => false;

    /// <summary>-Mask (or -RegionMask) or -Region as given for this record; a mask wins over a rectangle.</summary>
    private RegionMask? Localisation()
    {
        string? mask = !string.IsNullOrEmpty(Mask) ? Mask : !string.IsNullOrEmpty(RegionMask) ? RegionMask : null;
        if (mask is not null) return new RegionMask { Path = GetUnresolvedProviderPathFromPSPath(mask) };
        return Region is { Length: > 0 } ? new RegionMask { Rect = Region } : null;
    }

    private protected override CamJobItem Itemise(CamJobItem item) => item with { Localisation = Localisation() };

    private (PerturbBaselineKind? Kind, float Value) _baseline;

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        // Not given: each metric takes Quantus's default (black; IROF the mean).
        _baseline = PerturbBaseline is null ? (null, 0) : ParseBaseline(PerturbBaseline) ?? throw new PipelineStoppedException();
    }

    /// <summary>The metrics asked for, or the defaults (with the localisation metrics when the batch has a region).</summary>
    private IReadOnlyList<ExplanationMetric> Chosen(IReadOnlyList<CamJobItem> items)
    {
        bool region = items.Any(i => i.Localisation is not null);
        var names = Metric ?? (region ? Defaults.Concat(LocalisationMetrics).ToArray() : Defaults);
        var metrics = names.Distinct(StringComparer.OrdinalIgnoreCase).Select(ExplanationMetrics.ByName).ToList();
        if (!region && metrics.FirstOrDefault(m => m.NeedsMask) is { } needs)
            ThrowTerminatingError(ToErrorRecord(new HeatmapToolsException(ErrorIds.ExplanationMaskMissing, ErrorKind.InvalidArgument,
                $"{needs.Name} measures how much of each explanation falls inside a region: give -Mask (an image as large as each input, or a template with {{name}}) or -Region x,y,width,height.", needs.Name)));
        return metrics;
    }

    /// <summary>A number (any sign, in the network input's units) or one of the named baselines; an error for anything else.</summary>
    private (PerturbBaselineKind? Kind, float Value)? ParseBaseline(string text)
    {
        if (float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && float.IsFinite(value))
            return (PerturbBaselineKind.Value, value);
        // By name only: Enum.TryParse would also take "-1" or "7" as a kind.
        var named = Enum.GetNames<PerturbBaselineKind>().FirstOrDefault(n => n != nameof(PerturbBaselineKind.Value) && string.Equals(n, text, StringComparison.OrdinalIgnoreCase));
        if (named is not null) return (Enum.Parse<PerturbBaselineKind>(named), 0);
        ThrowTerminatingError(ToErrorRecord(new HeatmapToolsException(ErrorIds.ExplanationSettingInvalid, ErrorKind.InvalidArgument,
            $"-PerturbBaseline '{text}' is none of Black, White, Mean, Uniform or a number (in the network input's units).", text)));
        return null;
    }

    private protected override IEnumerable<ItemResult<CamJudgement>> Judge(LayeredModel model, ClassLabels labels,
        IReadOnlyList<CamJobItem> items, TrustJobOptions options)
    {
        var metrics = Chosen(items);
        var (kind, value) = _baseline;
        var settings = new ExplanationOptions
        {
            FeaturesInStep = FeaturesInStep, PatchSize = PatchSize, Regions = Regions, Order = Order, K = TopK, Eps = Eps,
            Baseline = kind, BaselineValue = value, Seed = (ulong)(uint)PerturbSeed, Score = Score,
            Samples = Samples ?? 100, SensitivitySamples = Samples ?? 200, NoiseLevel = NoiseLevel, SubsetSize = SubsetSize,
        };
        return TrustJob.Explanation(model, items, options, metrics, settings, Listener, Cancellation)
            .Select(r => new ItemResult<CamJudgement>(r.Path, r.Value is null ? null : ToRecord(r.Value, model, labels, settings), r.Error));
    }

    private ExplanationMeasurement ToRecord(ExplanationOutput output, LayeredModel model, ClassLabels labels, ExplanationOptions settings)
    {
        double? V(string name) => output.Values.TryGetValue(name, out var v) ? v.Value : null;
        double[]? C(string name) => output.Values.TryGetValue(name, out var v) ? v.Curve?.ToArray() : null;
        return new ExplanationMeasurement
        {
            SourcePath = output.SourcePath,
            Model = model.Info.SourceFile ?? model.Name,
            Method = output.Method.Name,
            Layer = output.Layer,
            ClassIndex = output.ClassIndex,
            Label = labels[output.ClassIndex].Name,
            PlotPath = output.PlotPath,
            Metrics = output.Values.Keys.ToArray(),
            Sparseness = V("Sparseness"),
            Complexity = V("Complexity"),
            EffectiveComplexity = V("EffectiveComplexity"),
            PointingGame = V("PointingGame"),
            RelevanceRankAccuracy = V("RelevanceRankAccuracy"),
            RelevanceMassAccuracy = V("RelevanceMassAccuracy"),
            TopKIntersection = V("TopKIntersection"),
            AttributionLocalisation = V("AttributionLocalisation"),
            PixelFlipping = V("PixelFlipping"),
            RegionPerturbation = V("RegionPerturbation"),
            IROF = V("IROF"),
            Monotonicity = V("Monotonicity"),
            FaithfulnessCorrelation = V("FaithfulnessCorrelation"),
            MaxSensitivity = V("MaxSensitivity"),
            AvgSensitivity = V("AvgSensitivity"),
            RandomLogit = V("RandomLogit"),
            MaxSensitivitySpread = output.Values.TryGetValue("MaxSensitivity", out var max) ? max.Spread : null,
            AvgSensitivitySpread = output.Values.TryGetValue("AvgSensitivity", out var avg) ? avg.Spread : null,
            PixelFlippingCurve = C("PixelFlipping"),
            RegionPerturbationCurve = C("RegionPerturbation"),
            IROFCurve = C("IROF"),
            MonotonicityCurve = C("Monotonicity"),
            FeaturesInStep = output.Values.ContainsKey("PixelFlipping") || output.Values.ContainsKey("Monotonicity") ? output.FeaturesInStep : null,
            PerturbBaseline = settings.Baseline == PerturbBaselineKind.Value ? settings.BaselineValue.ToString(CultureInfo.InvariantCulture) : settings.Baseline?.ToString(),
        };
    }

    /// <summary>Shown by default: which map, and the metrics asked for.</summary>
    private protected override object Present(CamJudgement record)
    {
        var shown = new PSObject(record);
        var names = new[] { "Image", "Method", "Class" }.Concat(((ExplanationMeasurement)record).Metrics).ToArray();
        shown.Members.Add(new PSMemberSet("PSStandardMembers", new PSMemberInfo[] { new PSPropertySet("DefaultDisplayPropertySet", names) }));
        return shown;
    }
}
