using static TorchSharp.torch;

namespace HeatmapTools.Engine.Detection;

/// <summary>
/// YOLOv8's export (and YOLO11's): (4 + classes) x anchors per sample, the box as centre x, centre y, width, height in
/// input pixels, then each class's score after its sigmoid; no objectness.
/// </summary>
public sealed class YoloV8Output : DetectionOutput
{
    public override string Name => "YoloV8";
    protected override bool AnchorsFirst => false;

    public override int ClassesOf(long rows, long columns) => rows > 4 ? (int)(rows - 4) : 0;

    public override (Tensor Boxes, Tensor Scores) Decode(Tensor output)
    {
        var rows = output.transpose(0, 1);
        return (Corners(rows[.., 0..4]), rows[.., 4..]);
    }
}
