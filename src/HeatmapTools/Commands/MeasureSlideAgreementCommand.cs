using System.Management.Automation;
using HeatmapTools.Engine.Slides;

namespace HeatmapTools.Commands;

/// <summary>How a slide's tile predictions agree with the pathologist's annotation (QuPath GeoJSON or a mask image).</summary>
[Cmdlet(VerbsDiagnostic.Measure, "SlideAgreement")]
[OutputType(typeof(SlideAgreement))]
public sealed class MeasureSlideAgreementCommand : SlideRowsCommandBase
{
    [Parameter(Mandatory = true)]
    public string Annotation { get; set; } = "";

    [Parameter]
    public string? AnnotationClass { get; set; }

    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double Threshold { get; set; } = 0.5;

    [Parameter]
    [ValidateRange(64, 16384)]
    public int MaxSize { get; set; } = 2048;

    protected override void EndProcessing()
    {
        var (slide, tiles) = ResolveTiles();
        string annotation = GetUnresolvedProviderPathFromPSPath(Annotation);
        var r = RunEngine(() => Engine.Slides.SlideAgreement.Measure(slide, tiles, annotation, AnnotationClass, Threshold, MaxSize));
        WriteObject(new SlideAgreement
        {
            Slide = r.Slide, Annotation = r.Annotation, Tiles = r.Tiles, TilesInAnnotation = r.TilesInAnnotation, MaxProbability = r.MaxProbability,
            PredictedPositive = r.PredictedPositive, AnnotatedPositive = r.AnnotatedPositive, MassInside = r.MassInside, PointingGame = r.PointingGame,
            Dice = r.Dice, Auroc = r.Auroc, RightForWrongRegion = r.RightForWrongRegion, Threshold = Threshold, AnnotationClass = AnnotationClass,
        });
    }
}
