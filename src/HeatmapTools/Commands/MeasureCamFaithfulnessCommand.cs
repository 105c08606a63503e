using System.Management.Automation;
using HeatmapTools.Engine.Cam;
using HeatmapTools.Engine.Models;
using HeatmapTools.Engine.Prediction;
using HeatmapTools.Engine.Trust;

namespace HeatmapTools.Commands;

/// <summary>How faithful maps are to the model: pytorch-grad-cam's confidence metrics, ROAD, deletion and insertion.</summary>
[Cmdlet(VerbsDiagnostic.Measure, "CamFaithfulness", SupportsShouldProcess = true)]
[OutputType(typeof(CamFaithfulness))]
public sealed class MeasureCamFaithfulnessCommand : TrustCommandBase
{
    [Parameter]
    public ScoreKind? Score { get; set; }

    [Parameter]
    [ValidateRange(0.0, 100.0)]
    public double[] Percentile { get; set; } = { 10, 20, 30, 40, 50, 60, 70, 80, 90 };

    [Parameter]
    [ValidateRange(0.0, 100.0)]
    public double Noise { get; set; } = 0.01;

    [Parameter]
    public int NoiseSeed { get; set; }

    [Parameter]
    [ValidateRange(0, 100000)]
    public int CurveSteps { get; set; } = 50;

    [Parameter]
    public SwitchParameter NoRoad { get; set; }

    private protected override string Activity => "Measure-CamFaithfulness";

    private protected override IEnumerable<ItemResult<CamJudgement>> Judge(LayeredModel model, ClassLabels labels,
        IReadOnlyList<CamJobItem> items, TrustJobOptions options) =>
        TrustJob.Faithfulness(model, items, options, new FaithfulnessOptions
        {
            Score = Score ?? (model.Info.IsDetection ? ScoreKind.Logit : ScoreKind.Softmax),
            Percentiles = Percentile,
            Noise = Noise,
            Seed = (ulong)(uint)NoiseSeed,
            CurveSteps = CurveSteps,
            Road = !NoRoad,
        }, Listener, Cancellation).Select(r => new ItemResult<CamJudgement>(r.Path, r.Value is null ? null : ToRecord(r.Value, model, labels), r.Error));

    private static CamJudgement ToRecord(FaithfulnessOutput output, LayeredModel model, ClassLabels labels)
    {
        var m = output.Metrics;
        CurvePoint[] Points(ScoreCurve? curve) => curve is null ? Array.Empty<CurvePoint>()
            : curve.Fractions.Select((f, i) => new CurvePoint { Fraction = f, Score = curve.Scores[i] }).ToArray();
        return new CamFaithfulness
        {
            SourcePath = output.SourcePath,
            Model = model.Info.SourceFile ?? model.Name,
            Method = output.Method.Name,
            Layer = output.Layer,
            ClassIndex = m.ClassIndex,
            Label = output.Target?.Label(labels) ?? labels[m.ClassIndex].Name,
            Score = m.Score.ToString(),
            OriginalScore = m.OriginalScore,
            CamMultImageConfidenceChange = m.CamMultImageConfidenceChange,
            DropInConfidence = m.DropInConfidence,
            IncreaseInConfidence = m.IncreaseInConfidence,
            RoadMostRelevantFirstAverage = m.RoadMostRelevantFirstAverage,
            RoadLeastRelevantFirstAverage = m.RoadLeastRelevantFirstAverage,
            RoadCombined = m.RoadCombined,
            DeletionArea = m.Deletion?.Area,
            InsertionArea = m.Insertion?.Area,
            Road = m.RoadMostRelevantFirst.Zip(m.RoadLeastRelevantFirst, (a, b) => new RoadPoint
                { Percentile = a.Percentile, MostRelevantFirst = a.Change, LeastRelevantFirst = b.Change }).ToArray(),
            Deletion = Points(m.Deletion),
            Insertion = Points(m.Insertion),
            PlotPath = output.PlotPath,
        };
    }
}
