using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HeatmapTools.Engine.Models.Detectors;

/// <summary>
/// torchvision's RetinaNet (Lin et al. 2017, "Focal Loss for Dense Object Detection") at test time, with its state-dict
/// keys: a ResNet-50 with FPN and LastLevelP6P7, RetinaNetHead (a tower of four 3 x 3 convolutions with ReLU, GroupNorm
/// after each in the v2 model, then class logits and box codes for nine anchors a location), each anchor's score per
/// class its sigmoid, boxes by BoxCoder with weights (1, 1, 1, 1).
/// </summary>
internal sealed class RetinaNet : DenseDetector
{
    private readonly RetinaNetHead head;

    public RetinaNet(BackboneWithFpn backbone, int numClasses, DenseSettings settings, bool groupNorm) : base("RetinaNet", backbone, settings)
    {
        head = new RetinaNetHead(256, AnchorsPerLocation, numClasses, groupNorm);
        RegisterComponents();
    }

    protected override IEnumerable<(string Name, Module Module)> HeadModules => new (string, Module)[] { ("head", head) };

    protected override (Tensor Scores, Tensor Codes) Level(Tensor level) => head.Run(level);

    protected override Tensor Decode(Tensor codes, Tensor anchors) => BoxCoding.Decode(codes, anchors, (1, 1, 1, 1)).squeeze(1);

    private sealed class RetinaNetHead : Module<Tensor, Tensor>
    {
        private readonly Tower classification_head;
        private readonly Tower regression_head;

        public RetinaNetHead(long channels, int anchors, int classes, bool groupNorm) : base("RetinaNetHead")
        {
            classification_head = new Tower(channels, groupNorm, classes: anchors * classes);
            regression_head = new Tower(channels, groupNorm, codes: anchors * 4);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => Run(input).Scores;

        public (Tensor Scores, Tensor Codes) Run(Tensor level)
        {
            var logits = classification_head.Output(level);
            var codes = regression_head.Output(level);
            return (PerAnchor(logits, logits.shape[1] / (codes.shape[1] / 4)).sigmoid(), PerAnchor(codes, 4));
        }
    }

    /// <summary>RetinaNetClassificationHead (cls_logits) or RetinaNetRegressionHead (bbox_reg): conv (Conv2dNormActivation x 4: conv.i.0, GroupNorm conv.i.1) and its output convolution.</summary>
    private sealed class Tower : Module<Tensor, Tensor>
    {
        private readonly Sequential conv;
        private readonly Conv2d? cls_logits;
        private readonly Conv2d? bbox_reg;

        public Tower(long channels, bool groupNorm, long? classes = null, long? codes = null) : base("RetinaNetTower")
        {
            var layers = new List<(string, Module<Tensor, Tensor>)>();
            for (int i = 0; i < 4; i++)
                layers.Add(($"{i}", groupNorm
                    ? Sequential(Conv2d(channels, channels, 3, padding: 1, bias: false), GroupNorm(32, channels), ReLU())
                    : Sequential(Conv2d(channels, channels, 3, padding: 1), ReLU())));
            conv = Sequential(layers);
            if (classes is { } k) cls_logits = Conv2d(channels, k, 3, padding: 1);
            if (codes is { } c) bbox_reg = Conv2d(channels, c, 3, padding: 1);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => Output(input);

        public Tensor Output(Tensor level) => (cls_logits ?? bbox_reg)!.call(conv.call(level));
    }
}
