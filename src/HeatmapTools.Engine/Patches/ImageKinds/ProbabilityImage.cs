using HeatmapTools.Engine.Rendering;
using OpenCvSharp;

namespace HeatmapTools.Engine.Patches.ImageKinds;

/// <summary>Each patch's predicted probability through the colormap, with a colour bar; grey where there is no data.</summary>
public sealed class ProbabilityImage : PatientImageKind
{
    public override string Name => "Probability";
    public override int Order => 2;
    public override int PanelPreference => 1;
    public override bool Applies(PatientFacts facts) => facts.ProbabilityRange is not null;

    public override Mat Draw(PatientCanvas canvas)
    {
        var range = canvas.Facts.ProbabilityRange!.Value;
        var tissue = canvas.Tissue;
        var lut = PatientAnnotations.ColormapLut(Colormaps.Parse(canvas.Facts.Options.Colormap));
        // The colour bar sits right of the map, in the same canvas, so the map is not copied once more.
        var frame = new Rect(0, 0, tissue.Width + PatientAnnotations.ColorBarWidth, Math.Max(tissue.Height, 120));
        var withBar = CellPainter.Paint(tissue, canvas.Placed, canvas.Facts.Options.Alpha, canvas.Facts.HasImages,
            r => r.Probability is double p ? lut[PatientAnnotations.ToByte(p, range)] : null, noDataOutside: true, frame);
        PatientAnnotations.DrawColorBar(withBar, tissue.Width, lut, range);
        return withBar;
    }
}
