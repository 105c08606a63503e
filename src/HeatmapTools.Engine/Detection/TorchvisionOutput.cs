using static TorchSharp.torch;

namespace HeatmapTools.Engine.Detection;

/// <summary>
/// torchvision's detectors as the module builds them: their own post-processing (score threshold, NMS per class, the
/// best boxes kept) has run, and each detection is a row of its box (x1, y1, x2, y2 in input pixels) and a score per
/// class that is its score at its label and 0 elsewhere; rows of a batch's shorter samples are zero. Never recognised
/// in a graph: only the built-in networks write it.
/// </summary>
public sealed class TorchvisionOutput : DetectionOutput
{
    public override string Name => "Torchvision";
    protected override bool AnchorsFirst => true;
    protected override int BoxColumns => 4;
    public override bool Suppressed => true;
    internal override bool Recognisable => false;

    public override int ClassesOf(long rows, long columns) => columns > 4 ? (int)(columns - 4) : 0;

    public override (Tensor Boxes, Tensor Scores) Decode(Tensor output) => (output[.., 0..4], output[.., 4..]);
}
