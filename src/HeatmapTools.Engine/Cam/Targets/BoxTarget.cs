using HeatmapTools.Engine.Detection;
using HeatmapTools.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam.Targets;

/// <summary>A box of a class, in one image's pixels: a detection, or a box typed with -Box.</summary>
public sealed record LabelledBox(int ClassIndex, BoxCorners Box);

/// <summary>
/// Boxes a detector found, scored as pytorch-grad-cam's FasterRCNNBoxScoreTarget scores them, read on the raw output:
/// for each box, the anchor whose decoded box overlaps it most (compared where the photo is on the input: output boxes
/// clipped to it, as detections are reported); if that IoU passes the threshold and the anchor's best class is the
/// box's, the IoU plus the anchor's score of that class counts. One target sums all its boxes, as the
/// tutorial explains every detection in one map. A box matched by its own anchor (IoU within 1e-4 of 1, as a detection
/// explained on the output it came from is) sits at the IoU's maximum, a kink whose gradient bits of rounding would
/// choose: there the IoU counts without a gradient, and the score carries the map.
/// </summary>
public sealed class BoxTarget : CamTarget
{
    internal const double Kink = 1e-4;
    private readonly DetectionOutput _layout;
    private readonly int _classes;

    private readonly BoxCorners _window;
    private long[]? _anchors;

    /// <param name="photoBoxes">The boxes in the photo's pixels (as detections are reported, clipped to it), with their classes.</param>
    /// <param name="geometry">Where the photo sits on the network input: the boxes are compared there, output boxes clipped to it.</param>
    public BoxTarget(DetectionOutput layout, int classes, IReadOnlyList<LabelledBox> photoBoxes, BoxGeometry geometry, double iouThreshold = 0.5)
    {
        _layout = layout;
        _classes = classes;
        PhotoBoxes = photoBoxes;
        InputBoxes = photoBoxes.Select(b => b with { Box = geometry.ToInput(b.Box) }).ToList();
        _window = geometry.ToInput(new BoxCorners(0, 0, geometry.PhotoWidth, geometry.PhotoHeight));
        IouThreshold = iouThreshold;
    }

    public IReadOnlyList<LabelledBox> InputBoxes { get; }
    /// <summary>The detection settings the boxes were found with, which a detector that suppresses its own boxes applies again when scored.</summary>
    public DetectionOptions? Options { get; init; }
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

    /// <summary>With -PerBox, the box's rank among its image's boxes (1 the first): its maps are named "box1", "box2"...</summary>
    public int? Number { get; init; }

    public override string NameToken => Number is int n ? $"box{n}" : base.NameToken;

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

    /// <summary>
    /// Per sample, the sum over the boxes of the matched anchor's IoU and class score; a box nothing matches adds 0 (a
    /// perturbed image may lose it), still tied to the output so gradients are defined.
    /// </summary>
    public override Tensor Score(Tensor output)
    {
        long batch = output.shape[0];
        var samples = Samples(output);
        var totals = new List<Tensor>((int)batch);
        for (long s = 0; s < batch; s++)
        {
            var total = samples[s].sum().mul(0).reshape(1);
            foreach (var (_, _, iou, score) in Matches(samples[s]))
                total = total + (iou.ToDouble() >= 1 - Kink ? iou.detach() : iou) + score;
            totals.Add(total);
        }
        return cat(totals, 0);
    }

    /// <summary>
    /// This target held to the anchors one output (one sample's, flattened) matches its boxes with: scored on another
    /// network (a randomised copy, in the sanity check) by those anchors' IoU and class score whatever they output,
    /// since its own best matches would be other boxes. A box that output does not match counts 0.
    /// </summary>
    public BoxTarget PinnedTo(float[] output)
    {
        // A network that suppresses its own boxes outputs detections, not anchors: a row of a re-drawn copy's output is
        // another box, so its boxes are matched there as anywhere (a box it does not output counts 0).
        if (_layout.Suppressed) return this;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var sample = Samples(tensor(output).reshape(1, -1))[0];
        var anchors = Enumerable.Repeat(-1L, InputBoxes.Count).ToArray();
        foreach (var (box, anchor, _, _) in Matches(sample)) anchors[box] = anchor;
        return new BoxTarget(this, anchors);
    }

    private BoxTarget(BoxTarget from, long[] anchors)
    {
        (_layout, _classes, _window, _anchors) = (from._layout, from._classes, from._window, anchors);
        (PhotoBoxes, InputBoxes, IouThreshold, Options) = (from.PhotoBoxes, from.InputBoxes, from.IouThreshold, from.Options);
    }

    /// <summary>The boxes (in the photo's pixels) that no output box of one sample's output matches.</summary>
    public IReadOnlyList<LabelledBox> Unmatched(Tensor sampleOutput)
    {
        var matched = Matches(Samples(sampleOutput.reshape(1, -1))[0]).Select(m => m.Box).ToHashSet();
        return PhotoBoxes.Where((_, k) => !matched.Contains(k)).ToList();
    }

    private Tensor Samples(Tensor output)
    {
        long batch = output.shape[0];
        var (rows, columns) = _layout.Shape(output.numel() / batch, _classes);
        return output.reshape(batch, rows, columns);
    }

    /// <summary>
    /// Each box matched in one sample (rows x columns): its index, the anchor that overlaps it most (or the pinned one),
    /// their IoU, and that anchor's score of the class.
    /// </summary>
    private IEnumerable<(int Box, long Anchor, Tensor Iou, Tensor Score)> Matches(Tensor sample)
    {
        var targets = tensor(InputBoxes.SelectMany(b => new[] { (float)b.Box.X1, (float)b.Box.Y1, (float)b.Box.X2, (float)b.Box.Y2 }).ToArray(),
            new long[] { InputBoxes.Count, 4 }).to(sample.dtype);
        var (decoded, scores) = _layout.Decode(sample);
        // Output boxes where the photo is, as detections are reported: a box's part over the letterbox's padding is no part of the photo.
        var (x1, y1, x2, y2) = (_window.X1, _window.Y1, _window.X2, _window.Y2);
        var boxes = stack(new[] { decoded[.., 0].clamp(x1, x2), decoded[.., 1].clamp(y1, y2), decoded[.., 2].clamp(x1, x2), decoded[.., 3].clamp(y1, y2) }, 1);
        // No output box (a detector that found nothing): nothing matches.
        if (boxes.shape[0] == 0) yield break;
        var (best, classes) = scores.max(1);
        var ious = Iou(targets, boxes);
        for (int k = 0; k < InputBoxes.Count; k++)
        {
            if (_anchors is { } pinned)
            {
                if (pinned[k] >= 0) yield return (k, pinned[k], ious[k, pinned[k]], scores[pinned[k], InputBoxes[k].ClassIndex]);
                continue;
            }
            long index = ious[k].argmax().ToInt64();
            var iou = ious[k, index];
            if (iou.ToDouble() > IouThreshold && classes[index].ToInt64() == InputBoxes[k].ClassIndex) yield return (k, index, iou, best[index]);
        }
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
