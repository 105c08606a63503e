using HeatmapTools.Engine.Detection;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HeatmapTools.Engine.Models.Detectors;

/// <summary>What torchvision's RegionProposalNetwork keeps at test time (its constructors' rpn_* arguments).</summary>
internal sealed record ProposalSettings(int PreNmsTopN, int PostNmsTopN, double NmsThreshold = 0.7, double ScoreThreshold = 0.0, float MinSize = 1e-3f);

/// <summary>
/// torchvision's RegionProposalNetwork at test time (Ren et al. 2015, "Faster R-CNN"): a shared 3 x 3 convolution, an
/// objectness logit and four box codes per anchor; per level the best anchors by objectness, decoded, clipped, small
/// and low ones dropped, NMS per level, the best kept. Proposals carry no gradient (torchvision detaches them).
/// </summary>
internal sealed class RegionProposalNetwork : Module<Tensor, Tensor>
{
    private readonly RpnHead head;
    private readonly float[][] _cells;
    private readonly ProposalSettings _settings;

    /// <param name="convDepth">The head's 3 x 3 convolutions (torchvision's conv_depth: 1, the v2 models' 2).</param>
    public RegionProposalNetwork(IReadOnlyList<int[]> sizes, float[] ratios, ProposalSettings settings, int convDepth = 1) : base("RegionProposalNetwork")
    {
        _cells = sizes.Select(s => Anchors.Cell(s, ratios)).ToArray();
        head = new RpnHead(256, _cells[0].Length / 4, convDepth);
        _settings = settings;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => throw new NotSupportedException("Proposals come from the feature levels: call Propose.");

    /// <summary>Each sample's proposals as corners (n x 4 floats, resized-image pixels), best first; null for a sample whose objectness is not a number.</summary>
    public float[]?[] Propose(IReadOnlyList<Tensor> levels, RcnnPass pass)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long batch = levels[0].shape[0];
        var objectness = new List<Tensor>();
        var codes = new List<Tensor>();
        var anchors = new List<Tensor>();
        for (int l = 0; l < levels.Count; l++)
        {
            var (o, d) = head.Run(levels[l]);
            long h = levels[l].shape[2], w = levels[l].shape[3], a = o.shape[1];
            objectness.Add(o.permute(0, 2, 3, 1).reshape(batch, -1));
            codes.Add(d.view(batch, a, 4, h, w).permute(0, 3, 4, 1, 2).reshape(batch, -1, 4));
            anchors.Add(Anchors.Grid(_cells[l], h, w, pass));
        }
        var allAnchors = cat(anchors, 0);
        var result = new float[]?[batch];
        for (long b = 0; b < batch; b++)
        {
            var picked = new List<long>();
            var levelOf = new List<int>();
            long offset = 0;
            for (int l = 0; l < levels.Count; l++)
            {
                long n = objectness[l].shape[1];
                var top = objectness[l][b].topk((int)Math.Min(_settings.PreNmsTopN, n)).indexes;
                foreach (var i in top.data<long>()) { picked.Add(offset + i); levelOf.Add(l); }
                offset += n;
            }
            var index = tensor(picked.ToArray());
            var logits = cat(objectness, 1)[b].index_select(0, index);
            var boxes = BoxCoding.ClipTo(BoxCoding.Decode(cat(codes, 1)[b].index_select(0, index), allAnchors.index_select(0, index), (1, 1, 1, 1)).squeeze(1),
                pass.Height, pass.Width).contiguous();
            var probability = logits.sigmoid().data<float>().ToArray();
            if (probability.Any(p => !float.IsFinite(p))) continue;
            var values = boxes.data<float>().ToArray();
            var candidates = Enumerable.Range(0, picked.Count)
                .Where(i => BoxCoding.Large(values.AsSpan(4 * i, 4).ToArray(), _settings.MinSize) && probability[i] >= _settings.ScoreThreshold).ToList();
            var keep = BoxNms.Keep(candidates.Select(i => values.AsSpan(4 * i, 4).ToArray()).ToList(), candidates.Select(i => probability[i]).ToList(),
                candidates.Select(i => levelOf[i]).ToList(), _settings.NmsThreshold, _settings.PostNmsTopN);
            result[b] = keep.SelectMany(k => values.AsSpan(4 * candidates[k], 4).ToArray()).ToArray();
        }
        return result;
    }

    /// <summary>torchvision's RPNHead: conv.0.0, conv.1.0... (3 x 3, ReLU each), cls_logits and bbox_pred (1 x 1).</summary>
    private sealed class RpnHead : Module<Tensor, Tensor>
    {
        private readonly Sequential conv;
        private readonly Conv2d cls_logits;
        private readonly Conv2d bbox_pred;

        public RpnHead(long channels, int anchors, int convDepth) : base("RPNHead")
        {
            conv = Sequential(Enumerable.Range(0, convDepth).Select(_ => (nn.Module<Tensor, Tensor>)Sequential(Conv2d(channels, channels, 3, padding: 1), ReLU())).ToArray());
            cls_logits = Conv2d(channels, anchors, 1);
            bbox_pred = Conv2d(channels, anchors * 4, 1);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => cls_logits.call(conv.call(input));

        public (Tensor Objectness, Tensor Codes) Run(Tensor level)
        {
            var t = conv.call(level);
            return (cls_logits.call(t), bbox_pred.call(t));
        }
    }
}
