using HeatmapTools.Engine.Detection;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HeatmapTools.Engine.Models.Detectors;

/// <summary>What torchvision's SSD constructor fixes: a square input, [-1, 1] pixels, the default boxes and post-processing.</summary>
internal sealed record SsdSettings(int Size, double[] AspectRatios, double MinRatio, double MaxRatio,
    double ScoreThreshold = 0.001, double NmsThreshold = 0.55, int DetectionsPerImage = 300, int TopCandidates = 300) : IDetectorSettings
{
    public int MinSize => Size;
    public int MaxSize => Size;
    public int? FixedSize => Size;
    public float[] Mean => new[] { 0.5f, 0.5f, 0.5f };
    public float[] Std => new[] { 0.5f, 0.5f, 0.5f };
    public DetectionOptions Defaults => new(ScoreThreshold, NmsThreshold, DetectionsPerImage);
}

/// <summary>
/// torchvision's SSDlite (Sandler et al. 2018, "MobileNetV2", section 6.3 of Howard et al. 2019, "Searching for
/// MobileNetV3") at test time, with its state-dict keys: the backbone's levels (two from MobileNetV3-Large, four extra)
/// each get a depthwise 3 x 3 and a 1 x 1 projection per head (SSDLiteHead); a box's scores are the softmax over the
/// categories with index 0 the background, its corners decoded from its default box with weights (10, 10, 5, 5). Each
/// category keeps its best <c>topk_candidates</c> above the score threshold, then NMS per category.
/// </summary>
internal sealed class SsdLite : TorchvisionDetector
{
    private readonly SsdLiteBackbone backbone;
    private readonly SsdLiteHead head;
    private readonly SsdSettings _settings;

    public SsdLite(SsdLiteBackbone backbone, int numClasses, SsdSettings settings) : base("SSD", settings)
    {
        this.backbone = backbone;
        _settings = settings;
        head = new SsdLiteHead(backbone.Channels, DefaultBoxes.PerLocation(settings.AspectRatios), numClasses);
        RegisterComponents();
    }

    protected override Module<Tensor, Tensor> Backbone => backbone;

    protected override IEnumerable<(string Name, Module Module)> HeadModules => new (string, Module)[] { ("head", head) };

    // The coarsest of SSD's levels is one pixel: backbone's map joins them at the finest (20 x 20 at 320 pixels).
    protected override bool JoinAtFinest => true;

    protected override Tensor Heads(Tensor packed)
    {
        var pass = RcnnPass.Current;
        var levels = PackedLevels.Linked(packed, backbone);
        var options = (DetectionScope.Current ?? new DetectionOptions()).Over(_settings.Defaults);
        var (logits, codes) = head.Run(levels);
        var boxes = DefaultBoxes.Grid(levels.Select(l => (l.shape[2], l.shape[3])).ToList(), _settings.AspectRatios, _settings.MinRatio, _settings.MaxRatio, pass.Height, pass.Width);
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
            for (long label = 1; label < classes; label++)
            {
                var column = values[.., label];
                var above = (column > options.Score).nonzero().view(-1);
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

    /// <summary>SSDLiteHead: classification_head and regression_head, a prediction block per level in module_list.</summary>
    private sealed class SsdLiteHead : Module<Tensor, Tensor>
    {
        private readonly ScoringHead classification_head;
        private readonly ScoringHead regression_head;

        public SsdLiteHead(long[] channels, int anchors, int classes) : base("SSDLiteHead")
        {
            classification_head = new ScoringHead(channels, anchors, classes);
            regression_head = new ScoringHead(channels, anchors, 4);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => throw new NotSupportedException("The head takes several levels: call Run.");

        /// <summary>Every default box's class logits (B x boxes x classes) and box codes (B x boxes x 4), level after level.</summary>
        public (Tensor Logits, Tensor Codes) Run(IReadOnlyList<Tensor> levels) => (classification_head.Run(levels), regression_head.Run(levels));
    }

    /// <summary>SSDLiteClassificationHead or SSDLiteRegressionHead: per level a depthwise 3 x 3 (BatchNorm, ReLU6) and a 1 x 1 to the outputs.</summary>
    private sealed class ScoringHead : Module<Tensor, Tensor>
    {
        private readonly ModuleList<Module<Tensor, Tensor>> module_list = new();
        private readonly long _columns;

        public ScoringHead(long[] channels, int anchors, long columns) : base("SSDScoringHead")
        {
            _columns = columns;
            foreach (var c in channels)
                module_list.Add(Sequential(
                    ("0", Blocks.ConvNormAct(c, c, 3, groups: c, norm: Blocks.BatchNorm(0.001), activation: () => ReLU6())),
                    ("1", Conv2d(c, anchors * columns, 1))));
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => throw new NotSupportedException("The head takes several levels: call Run.");

        public Tensor Run(IReadOnlyList<Tensor> levels) => cat(levels.Select((l, i) => PerAnchor(module_list[i].call(l), _columns)).ToList(), 1);
    }
}

/// <summary>
/// torchvision's SSDLiteFeatureExtractorMobileNet: MobileNetV3-Large's features split at C4's expansion (features.0 ends
/// with it, stride 16; features.1 goes on from C4's depthwise convolution, stride 32), then four extra blocks (a 1 x 1
/// to half the channels, a depthwise 3 x 3 of stride 2, a 1 x 1 out; BatchNorm and ReLU6 after each). Its six levels
/// leave packed (<see cref="PackedLevels"/>, B x 1 x 1 x N: their channels differ): the layer <c>backbone</c>.
/// </summary>
internal sealed class SsdLiteBackbone : Module<Tensor, Tensor>, ILevelChain
{
    private readonly ModuleList<Module<Tensor, Tensor>> features = new();
    private readonly ModuleList<Module<Tensor, Tensor>> extra = new();

    /// <param name="mobileNet">MobileNetV3's features (stem, inverted residual blocks, last 1 x 1).</param>
    /// <param name="c4">The index of C4's block (the last of stride 2), whose expansion output is the first level.</param>
    public SsdLiteBackbone(Sequential mobileNet, int c4, long[] extraChannels) : base("SSDLiteFeatureExtractorMobileNet")
    {
        var children = mobileNet.named_children().Select(c => (c.name, (Module<Tensor, Tensor>)c.module)).ToList();
        var split = children[c4].Item2.named_children().Single(c => c.name == "block").module.named_children()
            .Select(c => (c.name, (Module<Tensor, Tensor>)c.module)).ToList();
        features.Add(Sequential(children.Take(c4).Append((c4.ToString(), split[0].Item2))));
        features.Add(Sequential(new[] { ("0", (Module<Tensor, Tensor>)Sequential(split.Skip(1))) }
            .Concat(children.Skip(c4 + 1).Select((c, i) => ((i + 1).ToString(), c.Item2)))));
        var levelChannels = new List<long> { Expansion(split[0].Item2), Expansion(children[^1].Item2) };
        var norm = Blocks.BatchNorm(0.001);
        foreach (var outChannels in extraChannels)
        {
            long inChannels = levelChannels[^1], mid = outChannels / 2;
            extra.Add(Sequential(
                Blocks.ConvNormAct(inChannels, mid, 1, norm: norm, activation: () => ReLU6()),
                Blocks.ConvNormAct(mid, mid, 3, stride: 2, groups: mid, norm: norm, activation: () => ReLU6()),
                Blocks.ConvNormAct(mid, outChannels, 1, norm: norm, activation: () => ReLU6())));
            levelChannels.Add(outChannels);
        }
        Channels = levelChannels.ToArray();
        RegisterComponents();
    }

    /// <summary>The levels' channels, finest first.</summary>
    public long[] Channels { get; }

    private static long Expansion(Module<Tensor, Tensor> convNormAct) =>
        ((Conv2d)convNormAct.named_children().First().module).weight!.shape[0];

    public override Tensor forward(Tensor input)
    {
        var x = input;
        var levels = new List<Tensor>();
        foreach (var stage in features.Concat(extra))
        {
            x = stage.call(levels.Count == 0 ? x : PackedLevels.Cut(x));
            levels.Add(x);
        }
        return PackedLevels.Pack(levels);
    }

    // Each level after the first is computed from the one before.
    public int? ParentOf(int level) => level == 0 ? null : level - 1;

    public Tensor Derive(int level, Tensor parent) => (level == 1 ? features[1] : extra[level - 2]).call(parent);
}
