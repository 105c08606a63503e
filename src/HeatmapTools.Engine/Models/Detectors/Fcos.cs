using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HeatmapTools.Engine.Models.Detectors;

/// <summary>
/// torchvision's FCOS (Tian et al. 2019, "FCOS: Fully Convolutional One-Stage Object Detection") at test time, with its
/// state-dict keys: a ResNet-50 with FPN and LastLevelP6P7, FCOSHead (towers of four 3 x 3 convolutions, GroupNorm and
/// ReLU; class logits; box distances through a ReLU and a centre-ness logit), each location's score per class
/// sqrt(sigmoid(class) x sigmoid(centre-ness)), boxes by BoxLinearCoder: distances from the anchor's centre to the four
/// sides in units of the anchor's size.
/// </summary>
internal sealed class Fcos : DenseDetector
{
    private readonly FcosHead head;

    public Fcos(BackboneWithFpn backbone, int numClasses, DenseSettings settings) : base("FCOS", backbone, settings)
    {
        head = new FcosHead(256, AnchorsPerLocation, numClasses);
        RegisterComponents();
    }

    protected override IEnumerable<(string Name, Module Module)> HeadModules => new (string, Module)[] { ("head", head) };

    protected override (Tensor Scores, Tensor Codes) Level(Tensor level) => head.Run(level);

    /// <summary>BoxLinearCoder(normalize_by_size=True).decode, in its order of operations.</summary>
    protected override Tensor Decode(Tensor codes, Tensor anchors)
    {
        var centreX = 0.5f * (anchors[.., 0] + anchors[.., 2]);
        var centreY = 0.5f * (anchors[.., 1] + anchors[.., 3]);
        var w = anchors[.., 2] - anchors[.., 0];
        var h = anchors[.., 3] - anchors[.., 1];
        var scaled = codes * stack(new[] { w, h, w, h }, 1);
        return stack(new[] { centreX - scaled[.., 0], centreY - scaled[.., 1], centreX + scaled[.., 2], centreY + scaled[.., 3] }, 1);
    }

    private sealed class FcosHead : Module<Tensor, Tensor>
    {
        private readonly Tower classification_head;
        private readonly Tower regression_head;

        public FcosHead(long channels, int anchors, int classes) : base("FCOSHead")
        {
            classification_head = new Tower(channels, classes: anchors * classes);
            regression_head = new Tower(channels, codes: anchors * 4, centreness: anchors);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => Run(input).Scores;

        public (Tensor Scores, Tensor Codes) Run(Tensor level)
        {
            var logits = classification_head.Outputs(level)[0];
            var regression = regression_head.Outputs(level);
            long anchors = regression[1].shape[1];
            var classes = PerAnchor(logits, logits.shape[1] / anchors);
            var centreness = PerAnchor(regression[1], 1);
            return ((classes.sigmoid() * centreness.sigmoid()).sqrt(), PerAnchor(functional.relu(regression[0]), 4));
        }
    }

    /// <summary>FCOSClassificationHead (cls_logits) or FCOSRegressionHead (bbox_reg, bbox_ctrness): conv (Conv2d conv.3i, GroupNorm conv.3i+1, ReLU) x 4 and its output convolutions.</summary>
    private sealed class Tower : Module<Tensor, Tensor>
    {
        private readonly Sequential conv;
        private readonly Conv2d? cls_logits;
        private readonly Conv2d? bbox_reg;
        private readonly Conv2d? bbox_ctrness;

        public Tower(long channels, long? classes = null, long? codes = null, long? centreness = null) : base("FCOSTower")
        {
            var layers = new List<Module<Tensor, Tensor>>();
            for (int i = 0; i < 4; i++)
                layers.AddRange(new Module<Tensor, Tensor>[] { Conv2d(channels, channels, 3, padding: 1), GroupNorm(32, channels), ReLU() });
            conv = Sequential(layers);
            if (classes is { } k) cls_logits = Conv2d(channels, k, 3, padding: 1);
            if (codes is { } c) bbox_reg = Conv2d(channels, c, 3, padding: 1);
            if (centreness is { } n) bbox_ctrness = Conv2d(channels, n, 3, padding: 1);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => Outputs(input)[0];

        /// <summary>The class logits, or the box distances (before their ReLU) and the centre-ness logits.</summary>
        public Tensor[] Outputs(Tensor level)
        {
            var t = conv.call(level);
            return cls_logits is not null ? new[] { cls_logits.call(t) } : new[] { bbox_reg!.call(t), bbox_ctrness!.call(t) };
        }
    }
}
