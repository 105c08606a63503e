using System.Management.Automation;
using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Prediction;
using HeatmapTools.Engine.Trust;

namespace HeatmapTools.Commands;

/// <summary>How much a prediction and its map move under TIAToolbox-style stain augmentation, seeded.</summary>
[Cmdlet(VerbsDiagnostic.Measure, "StainRobustness", SupportsShouldProcess = true)]
[OutputType(typeof(StainRobustness))]
public sealed class MeasureStainRobustnessCommand : TrustCommandBase
{
    [Parameter]
    [ValidateRange(1, 1000)]
    public int Augmentations { get; set; } = 10;

    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double Sigma1 { get; set; } = 0.4;

    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double Sigma2 { get; set; } = 0.2;

    [Parameter]
    public int AugmentationSeed { get; set; }

    [Parameter]
    [ValidateSet("Macenko", "Vahadane")]
    public StainMethod AugmentationMethod { get; set; } = StainMethod.Macenko;

    private protected override string Activity => "Measure-StainRobustness";

    private protected override IEnumerable<ItemResult<CamJudgement>> Judge(LayeredModel model, ClassLabels labels,
        IReadOnlyList<CamJobItem> items, TrustJobOptions options) =>
        TrustJob.StainRobustness(model, items, options, new StainRobustnessOptions
        {
            Augmentations = Augmentations, Sigma1 = Sigma1, Sigma2 = Sigma2, Seed = AugmentationSeed, Method = AugmentationMethod,
        }, Listener, Cancellation).Select(r => new ItemResult<CamJudgement>(r.Path, r.Value is null ? null : ToRecord(r.Value, model, labels), r.Error));

    private StainRobustness ToRecord(StainRobustnessOutput output, LayeredModel model, ClassLabels labels)
    {
        var r = output.Result;
        return new StainRobustness
        {
            SourcePath = output.SourcePath,
            Model = model.Info.SourceFile ?? model.Name,
            Method = output.Method.Name,
            Layer = output.Layer,
            ClassIndex = r.ClassIndex,
            Label = labels[r.ClassIndex].Name,
            Probability = r.Probability,
            ProbabilityMean = r.ProbabilityMean,
            ProbabilityMin = r.ProbabilityMin,
            ProbabilityMax = r.ProbabilityMax,
            PredictionKept = r.PredictionKept,
            MapSpearmanMedian = r.MapSpearmanMedian,
            MapSpearmanMin = r.MapSpearmanMin,
            Augmentations = Augmentations,
            AugmentationMethod = AugmentationMethod.ToString(),
            Sigma1 = Sigma1,
            Sigma2 = Sigma2,
            Seed = AugmentationSeed,
            Probabilities = r.Probabilities,
            MapSpearman = r.MapSpearman,
            Alpha = r.Alpha,
            Beta = r.Beta,
            PlotPath = output.PlotPath,
        };
    }
}
