using OpenCvSharp;

namespace HeatmapTools.Engine.Patches.ImageKinds;

/// <summary>Each patch true or false positive or negative at the threshold, with a legend of the counts.</summary>
public sealed class ConfusionImage : PatientImageKind
{
    public override string Name => "Confusion";
    public override int Order => 4;
    public override int PanelPreference => 2;
    public override bool Applies(PatientFacts facts) => facts.HasConfusion;

    public override Mat Draw(PatientCanvas canvas)
    {
        var tissue = canvas.Tissue;
        var counts = new int[4];
        double threshold = canvas.Facts.Options.Threshold;
        // The legend is a strip above the map, in the same canvas.
        var frame = new Rect(0, -PatientAnnotations.LegendHeight, Math.Max(tissue.Width, 330), tissue.Height + PatientAnnotations.LegendHeight);
        var map = CellPainter.Paint(tissue, canvas.Placed, canvas.Facts.Options.Alpha, canvas.Facts.HasImages, r =>
        {
            if (PatientAnnotations.ConfusionKind(r, threshold) is not int kind) return null;
            counts[kind]++;
            return PatientAnnotations.ConfusionColors[kind];
        }, noDataOutside: true, frame);
        canvas.Confusion = new ConfusionCounts(counts[0], counts[1], counts[2], counts[3]);
        PatientAnnotations.DrawLegend(map, canvas.Confusion);
        return map;
    }
}
