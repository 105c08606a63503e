using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HeatmapTools.Engine.Models;

/// <summary>
/// torchvision's segmentation models (models.segmentation): a backbone, a classifier head at the backbone's stride,
/// and bilinear upsampling back to the input's size, so the output is B x classes x H x W for any input size. Built
/// with torchvision's submodule names, so its state dicts load key for key; the auxiliary head a checkpoint may hold
/// is only used in training and is not built.
/// </summary>
internal sealed class SegmentationNetwork : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> backbone;
    private readonly Module<Tensor, Tensor> classifier;

    public SegmentationNetwork(Module<Tensor, Tensor> backbone, Module<Tensor, Tensor> classifier) : base(nameof(SegmentationNetwork))
    {
        this.backbone = backbone;
        this.classifier = classifier;
        RegisterComponents();
    }

    /// <summary>
    /// The input's height and width, recorded by the chain's first stage for its last: a CAM method that reruns only the
    /// stages above a layer (Ablation-CAM) upsamples to the size of the images it just ran. Per thread, as a run is.
    /// </summary>
    private readonly ThreadLocal<long[]?> _inputSize = new();

    public override Tensor forward(Tensor x) => Upsample(classifier.call(backbone.call(Record(x))));

    private Tensor Record(Tensor x)
    {
        _inputSize.Value = new[] { x.shape[^2], x.shape[^1] };
        return x;
    }

    private Tensor Upsample(Tensor x)
    {
        var size = _inputSize.Value ?? throw new InvalidOperationException("The segmentation head ran before any input reached the network.");
        return functional.interpolate(x, size, mode: InterpolationMode.Bilinear, align_corners: false);
    }

    /// <summary>
    /// The forward pass as stages: the size recorded, the backbone's modules (its named children opened, or its own
    /// children when <paramref name="backboneParts"/> is null), the head, the upsampling.
    /// </summary>
    public static IReadOnlyList<Stage> StagesOf(Module network, IEnumerable<string>? backboneParts)
    {
        var segmenter = (SegmentationNetwork)network;
        var chain = new StageChain(network).Step("input", new FunctionStage("RecordInputSize", segmenter.Record));
        if (backboneParts is null) chain.Open("backbone");
        else foreach (var part in backboneParts) chain.Open($"backbone.{part}");
        return chain.Open("classifier").Step("upsample", new FunctionStage("Upsample", segmenter.Upsample)).Build();
    }

    /// <summary>A ResNet with the strides of its last two stages turned into dilation (output stride 8), without avgpool and fc.</summary>
    /// <summary>A ResNet's body, conv1 to layer4, its keys as torchvision's (the segmenters dilate it; the detectors' FPN reads it as it is).</summary>
    public static Sequential DilatedResNet(TorchSharp.Modules.ResNet resnet)
    {
        var keep = new[] { "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4" };
        var children = resnet.named_children().ToDictionary(c => c.name, c => (Module<Tensor, Tensor>)c.module);
        return Sequential(keep.Select(name => (name, children[name])).ToList());
    }

    /// <summary>torchvision's FCNHead: a 3x3 convolution to a quarter of the channels, norm, ReLU, dropout, a 1x1 projection.</summary>
    public static Sequential FcnHead(long inChannels, long classes)
    {
        long inter = inChannels / 4;
        return Sequential(
            ("0", Conv2d(inChannels, inter, 3, padding: 1, bias: false)),
            ("1", BatchNorm2d(inter)),
            ("2", ReLU()),
            ("3", Dropout(0.1)),
            ("4", Conv2d(inter, classes, 1)));
    }

    /// <summary>torchvision's DeepLabHead: ASPP, a 3x3 convolution, norm, ReLU, a 1x1 projection.</summary>
    public static Sequential DeepLabHead(long inChannels, long classes) => Sequential(
        ("0", new Aspp(inChannels, new long[] { 12, 24, 36 })),
        ("1", Conv2d(256, 256, 3, padding: 1, bias: false)),
        ("2", BatchNorm2d(256)),
        ("3", ReLU()),
        ("4", Conv2d(256, classes, 1)));
}

/// <summary>
/// Atrous spatial pyramid pooling (Chen et al. 2017, Rethinking Atrous Convolution for Semantic Image Segmentation):
/// a 1x1 branch, three dilated 3x3 branches and an image-pooling branch, concatenated and projected to 256 channels.
/// </summary>
internal sealed class Aspp : Module<Tensor, Tensor>
{
    private readonly ModuleList<Module<Tensor, Tensor>> convs;
    private readonly Sequential project;

    public Aspp(long inChannels, long[] rates, long outChannels = 256) : base("ASPP")
    {
        var branches = new List<Module<Tensor, Tensor>>
        {
            Sequential(("0", Conv2d(inChannels, outChannels, 1, bias: false)), ("1", BatchNorm2d(outChannels)), ("2", ReLU())),
        };
        foreach (long rate in rates)
            branches.Add(Sequential(("0", Conv2d(inChannels, outChannels, 3, padding: rate, dilation: rate, bias: false)), ("1", BatchNorm2d(outChannels)), ("2", ReLU())));
        branches.Add(new AsppPooling(inChannels, outChannels));
        convs = ModuleList(branches.ToArray());
        project = Sequential(("0", Conv2d(branches.Count * outChannels, outChannels, 1, bias: false)), ("1", BatchNorm2d(outChannels)), ("2", ReLU()), ("3", Dropout(0.5)));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => project.call(cat(convs.Select(branch => branch.call(x)).ToList(), 1));
}

/// <summary>ASPP's image-level branch: global average pooling, 1x1 convolution, norm, ReLU, then spread back over the map.</summary>
internal sealed class AsppPooling : Module<Tensor, Tensor>
{
    private readonly Sequential steps;

    public AsppPooling(long inChannels, long outChannels) : base("ASPPPooling")
    {
        steps = Sequential(("0", AdaptiveAvgPool2d(1)), ("1", Conv2d(inChannels, outChannels, 1, bias: false)), ("2", BatchNorm2d(outChannels)), ("3", ReLU()));
        // torchvision's ASPPPooling is itself the Sequential: its parameters are named 1.weight, 2.weight, ... directly.
        foreach (var (name, child) in steps.named_children()) register_module(name, child);
    }

    public override Tensor forward(Tensor x)
    {
        var pooled = steps.call(x);
        return functional.interpolate(pooled, new[] { x.shape[^2], x.shape[^1] }, mode: InterpolationMode.Bilinear, align_corners: false);
    }
}

/// <summary>
/// LR-ASPP (Howard et al. 2019, Searching for MobileNetV3): the high-level features gated by their own global context,
/// upsampled to the low-level features' size, each side projected to the categories and summed. The low-level features
/// are the output of a backbone module the head listens to (a forward hook), so the backbone stays one chain.
/// </summary>
internal sealed class LrasppHead : Module<Tensor, Tensor>
{
    private readonly Sequential cbr;
    private readonly Sequential scale;
    private readonly Module<Tensor, Tensor> low_classifier;
    private readonly Module<Tensor, Tensor> high_classifier;
    // The low-level features of the last pass on this thread: an alias of the tapped output, kept past the scope of the
    // Sequential that produced it, released when the next pass replaces it.
    private readonly ThreadLocal<Tensor?> _low = new();

    public LrasppHead(long lowChannels, long highChannels, long classes, long interChannels = 128) : base("LRASPPHead")
    {
        cbr = Sequential(("0", Conv2d(highChannels, interChannels, 1, bias: false)), ("1", BatchNorm2d(interChannels)), ("2", ReLU()));
        scale = Sequential(("0", AdaptiveAvgPool2d(1)), ("1", Conv2d(highChannels, interChannels, 1, bias: false)), ("2", Sigmoid()));
        low_classifier = Conv2d(lowChannels, classes, 1);
        high_classifier = Conv2d(interChannels, classes, 1);
        RegisterComponents();
    }

    /// <summary>Takes the low-level features from <paramref name="tap"/> each time it runs.</summary>
    public void Listen(Module<Tensor, Tensor> tap) => tap.register_forward_hook((_, _, output) =>
    {
        var previous = _low.Value;
        _low.Value = output.alias().DetachFromDisposeScope();
        previous?.Dispose();
        return output;
    });

    public override Tensor forward(Tensor high)
    {
        var low = _low.Value ?? throw new InvalidOperationException("The LR-ASPP head ran before the backbone's low-level features.");
        if (low.shape[0] != high.shape[0])
            throw new HeatmapToolsException(ErrorIds.MethodNotSupported, ErrorKind.InvalidOperation,
                "The LR-ASPP head was run on other images than its backbone's low-level features came from.", "classifier");
        var x = cbr.call(high) * scale.call(high);
        x = functional.interpolate(x, new[] { low.shape[^2], low.shape[^1] }, mode: InterpolationMode.Bilinear, align_corners: false);
        return low_classifier.call(low) + high_classifier.call(x);
    }
}