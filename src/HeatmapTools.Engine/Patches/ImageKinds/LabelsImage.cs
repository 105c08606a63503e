using OpenCvSharp;

namespace HeatmapTools.Engine.Patches.ImageKinds;

/// <summary>Each labelled patch in the class colour over its tissue (the seed notebook's red and pink).</summary>
public sealed class LabelsImage : PatientImageKind
{
    public override string Name => "Labels";
    public override int Order => 1;
    public override int PanelPreference => 0;
    public override bool Applies(PatientFacts facts) => true;

    public override Mat Draw(PatientCanvas canvas)
    {
        var options = canvas.Facts.Options;
        return CellPainter.Paint(canvas.Tissue, canvas.Placed, options.Alpha, canvas.Facts.HasImages,
            r => r.Target switch { 1 => options.PositiveColor.ToScalar(), 0 => options.NegativeColor.ToScalar(), _ => (Scalar?)null });
    }
}
