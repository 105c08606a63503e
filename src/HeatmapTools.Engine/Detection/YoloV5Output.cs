using static TorchSharp.torch;

namespace HeatmapTools.Engine.Detection;

/// <summary>
/// YOLOv5's export (and YOLOv7's): anchors x (5 + classes) per sample, the box as centre x, centre y, width, height in
/// input pixels, an objectness, then each class's probability; a class's score is objectness times its probability.
/// </summary>
public sealed class YoloV5Output : DetectionOutput
{
    public override string Name => "YoloV5";
    protected override bool AnchorsFirst => true;

    public override int ClassesOf(long rows, long columns) => columns > 5 ? (int)(columns - 5) : 0;

    public override (Tensor Boxes, Tensor Scores) Decode(Tensor output) =>
        (Corners(output[.., 0..4]), output[.., 5..] * output[.., 4..5]);
}
