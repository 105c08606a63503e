using HeatmapTools.Engine.Detection;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HeatmapTools.Engine.Models.Detectors;

/// <summary>What torchvision's SSD constructor fixes: a square input, its normalisation, the default boxes and post-processing.</summary>
/// <param name="Scales">Default-box scales, one more than the levels (<see cref="DefaultBoxes.Spread"/> when the constructor gives a range).</param>
/// <param name="Steps">Pixels between default-box centres per level (SSD300's), or null for the level's own cells.</param>
internal sealed record SsdSettings(int Size, double[][] AspectRatios, double[] Scales, int[]? Steps, float[] Mean, float[] Std,
    double ScoreThreshold, double NmsThreshold, int DetectionsPerImage, int TopCandidates) : IDetectorSettings
{
    public int MinSize => Size;
    public int MaxSize => Size;
    public int? FixedSize => Size;
    public DetectionOptions Defaults => new(ScoreThreshold, NmsThreshold, DetectionsPerImage);
}

/// <summary>An SSD head: every default box's class logits (B x boxes x classes) and box codes (B x boxes x 4), level after level.</summary>
internal interface ISsdHead
{
    (Tensor Logits, Tensor Codes) Run(IReadOnlyList<Tensor> levels);
}

/// <summary>
/// torchvision's SSD (Liu et al. 2016, "SSD: Single Shot MultiBox Detector") at test time, with its state-dict keys: a
/// backbone's levels (SSD300's VGG-16, SSDlite's MobileNetV3) and a head per level; a box's scores are the softmax over
/// the categories with index 0 the background, its corners decoded from its default box with weights (10, 10, 5, 5).
/// Each category keeps its best <c>topk_candidates</c> above the score threshold, then NMS per category. The photo is
/// stretched to the square; the backbone's levels are joined at the finest for <c>backbone</c>'s map (the coarsest is
/// one pixel).
/// </summary>
internal sealed class Ssd : TorchvisionDetector
{
    private readonly Module<Tensor, Tensor> backbone;
    private readonly Module<Tensor, Tensor> head;
    private readonly SsdSettings _settings;

    public Ssd(Module<Tensor, Tensor> backbone, Module<Tensor, Tensor> head, SsdSettings settings) : base("SSD", settings)
    {
        this.backbone = backbone;
        this.head = head;
        _settings = settings;
        RegisterComponents();
    }

    protected override Module<Tensor, Tensor> Backbone => backbone;

    protected override IEnumerable<(string Name, Module Module)> HeadModules => new (string, Module)[] { ("head", head) };

    protected override bool JoinAtFinest => true;

    protected override Tensor Heads(Tensor packed)
    {
        var pass = RcnnPass.Current;
        // Not kept as fields of their interfaces: RegisterComponents would take them for submodules of their own.
        var levels = PackedLevels.Linked(packed, (ILevelChain)backbone);
        var options = (DetectionScope.Current ?? new DetectionOptions()).Over(_settings.Defaults);
        var (logits, codes) = ((ISsdHead)head).Run(levels);
        var boxes = DefaultBoxes.Grid(levels.Select(l => (l.shape[2], l.shape[3])).ToList(), _settings.AspectRatios, _settings.Scales, _settings.Steps, pass.Height, pass.Width);
        var samples = new List<Tensor>();
        for (int b = 0; b < packed.shape[0]; b++)
            samples.Add(Detect(logits[b].softmax(-1), codes[b], boxes.to(codes.dtype), pass, options));
        return Batch(samples);
    }

    private Tensor Detect(Tensor scores, Tensor codes, Tensor defaults, RcnnPass pass, DetectionOptions options)
    {
        long classes = scores.shape[1];
        var boxes = BoxCoding.ClipTo(BoxCoding.Decode(codes, defaults, (10, 10, 5, 5)).squeeze(1), pass.Height, pass.Width);
        var picked = new List<long>();
        var labels = new List<long>();
        using (no_grad())
        {
            var values = scores.detach();
            if (!values.isfinite().all().item<bool>()) return full(new long[] { 1, 4 + classes }, float.NaN, scores.dtype);
            // One comparison for every category, against a held Scalar (a one-call one can be finalized mid-call: HeldScalars).
            var passing = values > Native.HeldScalars.Of(options.Score);
            for (long label = 1; label < classes; label++)
            {
                var column = values[.., label];
                var above = passing[.., label].nonzero().view(-1);
                var best = column.index_select(0, above).topk((int)Math.Min(_settings.TopCandidates, above.shape[0])).indexes;
                var chosen = above.index_select(0, best).data<long>().ToArray();
                picked.AddRange(chosen);
                labels.AddRange(Enumerable.Repeat(label, chosen.Length));
            }
        }
        var anchor = tensor(picked.ToArray());
        var flat = anchor * classes + tensor(labels.ToArray());
        return Kept(scores.flatten().index_select(0, flat), boxes.index_select(0, anchor), labels, (int)classes, options, pass);
    }
}

/// <summary>
/// SSDHead or SSDLiteHead: classification_head and regression_head, each a block per level (module_list.i) from the
/// level's channels to its default boxes' outputs: SSD300's a 3 x 3 convolution, SSDlite's a depthwise 3 x 3 (BatchNorm,
/// ReLU6) and a 1 x 1.
/// </summary>
internal sealed class SsdHead : Module<Tensor, Tensor>, ISsdHead
{
    private readonly ScoringHead classification_head;
    private readonly ScoringHead regression_head;

    /// <param name="block">A level's block from its channels to its outputs.</param>
    public SsdHead(string name, long[] channels, int[] anchors, int classes, Func<long, long, Module<Tensor, Tensor>> block) : base(name)
    {
        classification_head = new ScoringHead(channels, anchors, classes, block);
        regression_head = new ScoringHead(channels, anchors, 4, block);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => throw new NotSupportedException("The head takes several levels: call Run.");

    public (Tensor Logits, Tensor Codes) Run(IReadOnlyList<Tensor> levels) => (classification_head.Run(levels), regression_head.Run(levels));

    private sealed class ScoringHead : Module<Tensor, Tensor>
    {
        private readonly ModuleList<Module<Tensor, Tensor>> module_list = new();
        private readonly long _columns;

        public ScoringHead(long[] channels, int[] anchors, long columns, Func<long, long, Module<Tensor, Tensor>> block) : base("SSDScoringHead")
        {
            _columns = columns;
            for (int i = 0; i < channels.Length; i++) module_list.Add(block(channels[i], anchors[i] * columns));
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => throw new NotSupportedException("The head takes several levels: call Run.");

        public Tensor Run(IReadOnlyList<Tensor> levels) => cat(levels.Select((l, i) => TorchvisionDetector.PerAnchor(module_list[i].call(l), _columns)).ToList(), 1);
    }
}
