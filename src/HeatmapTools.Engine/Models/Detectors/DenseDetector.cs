using HeatmapTools.Engine.Detection;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HeatmapTools.Engine.Models.Detectors;

/// <summary>What a torchvision one-stage detector's constructor fixes: its transform's sizes, anchors and post-processing.</summary>
internal sealed record DenseSettings(int MinSize, int MaxSize, IReadOnlyList<int[]> AnchorSizes, float[] AspectRatios,
    double ScoreThreshold, double NmsThreshold, int DetectionsPerImage, int TopCandidates = 1000) : IDetectorSettings
{
    public DetectionOptions Defaults => new(ScoreThreshold, NmsThreshold, DetectionsPerImage);

    /// <summary>torchvision's _default_anchorgen for RetinaNet: sizes x, x 2^(1/3), x 2^(2/3) (truncated) per level, three aspect ratios.</summary>
    public static IReadOnlyList<int[]> OctaveSizes(params int[] sizes) =>
        sizes.Select(x => new[] { x, (int)(x * Math.Pow(2, 1.0 / 3)), (int)(x * Math.Pow(2, 2.0 / 3)) }).ToList();
}

/// <summary>
/// A torchvision one-stage detector's post-processing (RetinaNet's and FCOS's postprocess_detections): per FPN level
/// every anchor's score per class, those above the score threshold, the best <c>topk_candidates</c> of them, each decoded
/// from its anchor and clipped to the resized image; the levels together through NMS per class and the best kept. A
/// family gives its head (scores and box codes per level) and its box coding.
/// </summary>
internal abstract class DenseDetector : TorchvisionDetector
{
    private readonly BackboneWithFpn backbone;
    private readonly DenseSettings _settings;
    private readonly float[][] _cells;

    protected DenseDetector(string name, BackboneWithFpn backbone, DenseSettings settings) : base(name, settings)
    {
        this.backbone = backbone;
        _settings = settings;
        _cells = settings.AnchorSizes.Select(s => Anchors.Cell(s, settings.AspectRatios)).ToArray();
    }

    protected override Module<Tensor, Tensor> Backbone => backbone;

    protected int AnchorsPerLocation => _cells[0].Length / 4;

    /// <summary>One level's scores (B x HWA x classes, in [0, 1]) and box codes (B x HWA x 4), anchor by anchor as the level's grid lays them out.</summary>
    protected abstract (Tensor Scores, Tensor Codes) Level(Tensor level);

    /// <summary>Boxes (n x 4, resized-image pixels) from the codes of their anchors (n x 4).</summary>
    protected abstract Tensor Decode(Tensor codes, Tensor anchors);

    protected override Tensor Heads(Tensor packed)
    {
        var pass = RcnnPass.Current;
        var levels = PackedLevels.Linked(packed, backbone);
        var options = (DetectionScope.Current ?? new DetectionOptions()).Over(_settings.Defaults);
        var outputs = levels.Select(Level).ToList();
        var anchors = levels.Select((l, i) => Anchors.Grid(_cells[i], l.shape[2], l.shape[3], pass)).ToList();
        var samples = new List<Tensor>();
        for (int b = 0; b < packed.shape[0]; b++)
            samples.Add(Detect(outputs.Select(o => (o.Scores[b], o.Codes[b])).ToList(), anchors, pass, options));
        return Batch(samples);
    }

    private Tensor Detect(IReadOnlyList<(Tensor Scores, Tensor Codes)> levels, IReadOnlyList<Tensor> anchors, RcnnPass pass, DetectionOptions options)
    {
        long classes = levels[0].Scores.shape[1];
        var scores = new List<Tensor>();
        var boxes = new List<Tensor>();
        var labels = new List<long>();
        for (int l = 0; l < levels.Count; l++)
        {
            var flat = levels[l].Scores.flatten();
            Tensor top;
            using (no_grad())
            {
                var values = flat.detach();
                // A score that is not a number cannot be thresholded: one row of NaN carries it out, so it is the
                // image's ScoreNotFinite, not a photo with nothing detected.
                if (!values.isfinite().all().item<bool>()) return full(new long[] { 1, 4 + classes }, float.NaN, flat.dtype);
                var above = (values > options.Score).nonzero().view(-1);
                var best = values.index_select(0, above).topk((int)Math.Min(_settings.TopCandidates, above.shape[0])).indexes;
                top = above.index_select(0, best);
            }
            var anchor = top.div(classes, rounding_mode: RoundingMode.floor);
            scores.Add(flat.index_select(0, top));
            boxes.Add(BoxCoding.ClipTo(Decode(levels[l].Codes.index_select(0, anchor), anchors[l].index_select(0, anchor).to(levels[l].Codes.dtype)), pass.Height, pass.Width));
            labels.AddRange((top % classes).data<long>().ToArray());
        }
        return Kept(cat(scores, 0), cat(boxes, 0), labels, (int)classes, options, pass);
    }
}
