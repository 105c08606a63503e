using OpenCvSharp;

namespace HeatmapTools.Engine.Patches.ImageKinds;

/// <summary>The patient's tissue rebuilt from its patch images on white.</summary>
public sealed class TissueImage : PatientImageKind
{
    public override string Name => "Tissue";
    public override int Order => 0;
    public override int PanelPreference => 4;
    public override bool Applies(PatientFacts facts) => facts.HasImages;

    // A view of the canvas itself: disposing it leaves the tissue the other kinds draw on.
    public override Mat Draw(PatientCanvas canvas) => new(canvas.Tissue, new Rect(0, 0, canvas.Tissue.Width, canvas.Tissue.Height));
}
