using HeatmapTools.Engine.Detection;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HeatmapTools.Engine.Models.Detectors;

/// <summary>What a torchvision Faster R-CNN constructor fixes: its transform's sizes, anchors, proposals and box settings.</summary>
internal sealed record RcnnSettings(int MinSize, int MaxSize, ProposalSettings Proposals, IReadOnlyList<int[]> AnchorSizes, float[] AspectRatios,
    double BoxScoreThreshold = 0.05, double BoxNmsThreshold = 0.5, int DetectionsPerImage = 100) : IDetectorSettings
{
    public DetectionOptions Defaults => new(BoxScoreThreshold, BoxNmsThreshold, DetectionsPerImage);
}

/// <summary>
/// torchvision's FasterRCNN (Ren et al. 2015, "Faster R-CNN: Towards Real-Time Object Detection with Region Proposal
/// Networks") at test time, with its state-dict keys: GeneralizedRCNNTransform (normalise, resize by min/max size,
/// pad to 32), a backbone with FPN, the region proposal network, MultiScaleRoIAlign, TwoMLPHead and FastRCNNPredictor,
/// post-processing (softmax, per-class boxes clipped, background dropped, score threshold, small boxes dropped, NMS per
/// class, the best kept) and boxes mapped back to the photo. It takes the photo whole in [0, 1] and runs as three
/// stages, transform, backbone (its FPN levels packed into one activation) and the heads; its output is the detections
/// as <see cref="TorchvisionOutput"/> lays them out, differentiable through their scores and boxes.
/// </summary>
internal sealed class FasterRcnn : TorchvisionDetector
{
    private readonly BackboneWithFpn backbone;
    private readonly RegionProposalNetwork rpn;
    private readonly RoiHeads roi_heads;
    private readonly RcnnSettings _settings;
    private readonly int _classes;

    /// <param name="convHead">
    /// The v2 models' heads (Li et al. 2021, "Benchmarking Detection Transfer Learning with Vision Transformers"): two 3 x 3
    /// convolutions in the RPN head, and FastRCNNConvFCHead (four 3 x 3 convolutions with BatchNorm, one fully connected
    /// layer) for TwoMLPHead.
    /// </param>
    public FasterRcnn(BackboneWithFpn backbone, int numClasses, RcnnSettings settings, bool convHead = false) : base("FasterRCNN", settings)
    {
        this.backbone = backbone;
        rpn = new RegionProposalNetwork(settings.AnchorSizes, settings.AspectRatios, settings.Proposals, convHead ? 2 : 1);
        roi_heads = new RoiHeads(convHead ? ConvFcHead(256, 7, 1024) : new TwoMlpHead(256 * 7 * 7, 1024), 1024, numClasses);
        _settings = settings;
        _classes = numClasses;
        RegisterComponents();
    }

    protected override Module<Tensor, Tensor> Backbone => backbone;

    protected override IEnumerable<(string Name, Module Module)> HeadModules => new (string, Module)[] { ("rpn", rpn), ("roi_heads", roi_heads) };

    /// <summary>Proposals, box head and post-processing on the packed levels; the detections in photo pixels.</summary>
    protected override Tensor Heads(Tensor packed)
    {
        var pass = RcnnPass.Current;
        var levels = PackedLevels.Linked(packed, backbone);
        var proposals = rpn.Propose(levels, pass);
        var options = (DetectionScope.Current ?? new DetectionOptions()).Over(_settings.Defaults);
        // MultiScaleRoIAlign pools from the named levels "0", "1", ...: every level but the extra "pool".
        var pooled = levels.Take(levels.Count - 1).ToList();
        var scales = pooled.Select(l => RoiAlign.Scale(l.shape[2], pass.Height)).ToArray();
        int finest = (int)MathF.Round(-MathF.Log2(scales[0])), coarsest = (int)MathF.Round(-MathF.Log2(scales[^1]));
        var samples = new List<Tensor>();
        for (int b = 0; b < proposals.Length; b++)
        {
            // Objectness that is not a number: one row of NaN carries it out (the image's ScoreNotFinite).
            if (proposals[b] is not { } boxes)
            {
                samples.Add(full(new long[] { 1, 4 + _classes }, float.NaN, packed.dtype));
                continue;
            }
            var level = RoiAlign.Levels(boxes, finest, coarsest);
            var parts = new List<Tensor>();
            var order = new List<int>();
            for (int l = 0; l < pooled.Count; l++)
            {
                var members = Enumerable.Range(0, level.Length).Where(i => level[i] == l).ToArray();
                if (members.Length == 0) continue;
                parts.Add(RoiAlign.Pool(pooled[l], b, members.SelectMany(i => boxes.AsSpan(4 * i, 4).ToArray()).ToArray(), scales[l], 7, 2));
                order.AddRange(members);
            }
            // Rows back in proposal order, as MultiScaleRoIAlign fills its result by each level's indices.
            if (parts.Count == 0)
            {
                samples.Add(zeros(new long[] { 0, 4 + _classes }, packed.dtype));
                continue;
            }
            var rows = parts.Count == 1 ? parts[0] : cat(parts, 0).index_select(0, argsort(tensor(order.ToArray())));
            samples.Add(Detect(rows, boxes, pass, options));
        }
        return Batch(samples);
    }

    /// <summary>One sample's detections: rows of box (photo pixels) and a score per class, its score at its label.</summary>
    private Tensor Detect(Tensor pooled, float[] proposals, RcnnPass pass, DetectionOptions options)
    {
        if (proposals.Length == 0) return zeros(new long[] { 0, 4 + _classes }, pooled.dtype);
        var (logits, codes) = roi_heads.Run(pooled);
        var references = tensor(proposals, new long[] { proposals.Length / 4, 4 }).to(codes.dtype);
        var boxes = BoxCoding.ClipTo(BoxCoding.Decode(codes, references, (10, 10, 5, 5)), pass.Height, pass.Width);
        var scores = functional.softmax(logits, -1);
        // Every proposal once per class but the background, proposal by proposal.
        var flatBoxes = boxes[.., 1..].reshape(-1, 4);
        var flatScores = scores[.., 1..].reshape(-1);
        float[] values, boxValues;
        using (no_grad())
        {
            values = flatScores.detach().contiguous().to_type(ScalarType.Float32).data<float>().ToArray();
            boxValues = flatBoxes.detach().contiguous().to_type(ScalarType.Float32).data<float>().ToArray();
        }
        // A score that is not a number cannot be thresholded: one row of NaN carries it out, so it is the image's
        // ScoreNotFinite, not a photo with nothing detected.
        if (values.Any(v => !float.IsFinite(v))) return full(new long[] { 1, 4 + _classes }, float.NaN, pooled.dtype);
        int perProposal = _classes - 1;
        var candidates = Enumerable.Range(0, values.Length)
            .Where(i => values[i] > options.Score && BoxCoding.Large(boxValues.AsSpan(4 * i, 4).ToArray(), 1e-2f)).ToList();
        var keep = BoxNms.Keep(candidates.Select(i => boxValues.AsSpan(4 * i, 4).ToArray()).ToList(), candidates.Select(i => values[i]).ToList(),
            candidates.Select(i => i % perProposal + 1).ToList(), options.Iou, options.Max);
        var index = tensor(keep.Select(k => (long)candidates[k]).ToArray());
        var kept = flatBoxes.index_select(0, index);
        var labels = keep.Select(k => (long)(candidates[k] % perProposal + 1)).ToArray();
        return Rows(ToPhoto(kept, pass), flatScores.index_select(0, index), labels, _classes);
    }

    /// <summary>torchvision's FastRCNNConvFCHead: box_head.0 to .3 (3 x 3 convolution without bias, BatchNorm, ReLU), flatten, box_head.5 (fully connected, ReLU).</summary>
    private static Module<Tensor, Tensor> ConvFcHead(long channels, long resolution, long representation) =>
        Sequential(Enumerable.Range(0, 4)
            .Select(_ => (Module<Tensor, Tensor>)Sequential(Conv2d(channels, channels, 3, padding: 1, bias: false), BatchNorm2d(channels), ReLU()))
            .Append(Flatten()).Append(Linear(channels * resolution * resolution, representation)).Append(ReLU()).ToArray());

    /// <summary>torchvision's RoIHeads' layers: box_head (TwoMLPHead: fc6, fc7, or FastRCNNConvFCHead) and box_predictor (FastRCNNPredictor: cls_score, bbox_pred).</summary>
    private sealed class RoiHeads : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> box_head;
        private readonly FastRcnnPredictor box_predictor;

        public RoiHeads(Module<Tensor, Tensor> boxHead, long representation, int classes) : base("RoIHeads")
        {
            box_head = boxHead;
            box_predictor = new FastRcnnPredictor(representation, classes);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => Run(input).Logits;

        public (Tensor Logits, Tensor Codes) Run(Tensor pooled) => box_predictor.Run(box_head.call(pooled));
    }

    private sealed class TwoMlpHead : Module<Tensor, Tensor>
    {
        private readonly Linear fc6;
        private readonly Linear fc7;

        public TwoMlpHead(long inChannels, long representation) : base("TwoMLPHead")
        {
            fc6 = Linear(inChannels, representation);
            fc7 = Linear(representation, representation);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => functional.relu(fc7.call(functional.relu(fc6.call(x.flatten(1)))));
    }

    private sealed class FastRcnnPredictor : Module<Tensor, Tensor>
    {
        private readonly Linear cls_score;
        private readonly Linear bbox_pred;

        public FastRcnnPredictor(long inChannels, int classes) : base("FastRCNNPredictor")
        {
            cls_score = Linear(inChannels, classes);
            bbox_pred = Linear(inChannels, classes * 4);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => cls_score.call(x.flatten(1));

        public (Tensor Logits, Tensor Codes) Run(Tensor x) => (cls_score.call(x.flatten(1)), bbox_pred.call(x.flatten(1)));
    }
}

/// <summary>A network whose layer reads otherwise than B x K x h x w (a detector's packed feature levels): its maps, or null to read it as it is.</summary>
public interface IMapView
{
    Tensor? Maps(string target, Tensor x);

    /// <summary>How far a map of the network's layers reaches past the photo, per axis (1: it covers the photo exactly).</summary>
    (double Width, double Height) Extent(int photoHeight, int photoWidth);
}
