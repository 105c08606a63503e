using HeatmapTools.Engine.Detection;
using HeatmapTools.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam.Targets;

/// <summary>A box of a class, in one image's pixels: a detection, or a box typed with -Box.</summary>
public sealed record LabelledBox(int ClassIndex, BoxCorners Box);

/// <summary>
/// Boxes a detector found, scored as pytorch-grad-cam's FasterRCNNBoxScoreTarget scores them, read on the raw output:
/// for each box, the anchor whose decoded box overlaps it most; if that IoU passes the threshold and the anchor's best
/// class is the box's, the IoU plus the anchor's score of that class counts. One target sums all its boxes, as the
/// tutorial explains every detection in one map. A box matched by its own anchor (IoU within 1e-4 of 1, as a detection
/// explained on the output it came from is) sits at the IoU's maximum, a kink whose gradient bits of rounding would
/// choose: there the IoU counts without a gradient, and the score carries the map.
/// </summary>
public sealed class BoxTarget : CamTarget
{
    internal const double Kink = 1e-4;
    private readonly DetectionOutput _layout;
    private readonly int _classes;

    /// <param name="inputBoxes">The boxes on the network input, with their classes.</param>
    /// <param name="photoBoxes">The same boxes in the photo's pixels, for records and overlays.</param>
    public BoxTarget(DetectionOutput layout, int classes, IReadOnlyList<LabelledBox> inputBoxes, IReadOnlyList<LabelledBox> photoBoxes,
        double iouThreshold = 0.5)
    {
        _layout = layout;
        _classes = classes;
        InputBoxes = inputBoxes;
        PhotoBoxes = photoBoxes;
        IouThreshold = iouThreshold;
    }

    public IReadOnlyList<LabelledBox> InputBoxes { get; }
    public IReadOnlyList<LabelledBox> PhotoBoxes { get; }
    public double IouThreshold { get; }

    /// <summary>The boxes' class when they share one; -1 for boxes of several classes.</summary>
    public override int ClassIndex => InputBoxes.Select(b => b.ClassIndex).Distinct().Count() == 1 ? InputBoxes[0].ClassIndex : -1;
    public override string Kind => Maker.Name;

    public override string Label(ClassLabels labels)
    {
        var names = InputBoxes.Select(b => labels[b.ClassIndex].Name).Distinct().ToList();
        return InputBoxes.Count == 1 ? $"{names[0]} box" : $"{string.Join("+", names)} ({InputBoxes.Count} boxes)";
    }

    public override string Key => $"{Kind}:{string.Join(";", PhotoBoxes.Select(b => $"{b.ClassIndex}@{b.Box}"))}";

    public override void Validate(LayeredModel model)
    {
        if (!model.Info.IsDetection)
            throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidArgument,
                $"-Target Box explains a detector's boxes; {model.Name} is not a detector.", Kind);
        foreach (var box in InputBoxes)
            if (box.ClassIndex < 0 || box.ClassIndex >= model.NumClasses)
                throw new HeatmapToolsException(ErrorIds.UnknownClass, ErrorKind.InvalidArgument,
                    $"Class index {box.ClassIndex} is outside 0..{model.NumClasses - 1}.", box.ClassIndex);
    }

    /// <summary>Per sample, the sum over the boxes of the matched anchor's IoU and class score (0 for a box nothing matches).</summary>
    public override Tensor Score(Tensor output)
    {
        long batch = output.shape[0];
        var (rows, columns) = _layout.Shape(output.numel() / batch, _classes);
        var samples = output.reshape(batch, rows, columns);
        var targets = tensor(InputBoxes.SelectMany(b => new[] { (float)b.Box.X1, (float)b.Box.Y1, (float)b.Box.X2, (float)b.Box.Y2 }).ToArray(),
            new long[] { InputBoxes.Count, 4 }).to(output.dtype);
        var totals = new List<Tensor>((int)batch);
        for (long s = 0; s < batch; s++)
        {
            var (boxes, scores) = _layout.Decode(samples[s]);
            var (best, classes) = scores.max(1);
            var ious = Iou(targets, boxes);
            var total = zeros(1, dtype: output.dtype);
            for (int k = 0; k < InputBoxes.Count; k++)
            {
                long index = ious[k].argmax().ToInt64();
                var iou = ious[k, index];
                double value = iou.ToDouble();
                if (!(value > IouThreshold) || classes[index].ToInt64() != InputBoxes[k].ClassIndex) continue;
                total = total + (value >= 1 - Kink ? iou.detach() : iou) + best[index];
            }
            totals.Add(total);
        }
        return cat(totals, 0);
    }

    /// <summary>IoU of each of <paramref name="a"/> (n x 4) with each of <paramref name="b"/> (m x 4), corners, as torchvision's box_iou.</summary>
    internal static Tensor Iou(Tensor a, Tensor b)
    {
        var areaA = (a[.., 2] - a[.., 0]) * (a[.., 3] - a[.., 1]);
        var areaB = (b[.., 2] - b[.., 0]) * (b[.., 3] - b[.., 1]);
        var topLeft = maximum(a[.., 0..2].unsqueeze(1), b[.., 0..2]);
        var bottomRight = minimum(a[.., 2..4].unsqueeze(1), b[.., 2..4]);
        var wh = (bottomRight - topLeft).clamp_min(0);
        var inter = wh[.., .., 0] * wh[.., .., 1];
        return inter / (areaA.unsqueeze(1) + areaB - inter);
    }

    /// <summary>-Target Box: the default for a detector, refused on other models; the boxes come from TargetSelection.</summary>
    internal sealed class Maker : TargetKind
    {
        public const string Name = "Box";
        public override string KindName => Name;

        public override IEnumerable<CamTarget> For(TargetContext context, IReadOnlyList<int> classes) =>
            throw new HeatmapToolsException(ErrorIds.TargetNotApplicable, ErrorKind.InvalidArgument,
                "-Target Box explains a detector's boxes; this model is not a detector.", Name);
    }
}
