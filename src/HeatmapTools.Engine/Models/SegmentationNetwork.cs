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

    /// <summary>The forward pass as stages: the size recorded, the backbone's and head's modules, the upsampling.</summary>
    public static IReadOnlyList<Stage> StagesOf(Module network, IEnumerable<string> backboneParts)
    {
        var segmenter = (SegmentationNetwork)network;
        var chain = new StageChain(network).Step("input", new FunctionStage("RecordInputSize", segmenter.Record));
        foreach (var part in backboneParts) chain.Open($"backbone.{part}");
        return chain.Open("classifier").Step("upsample", new FunctionStage("Upsample", segmenter.Upsample)).Build();
    }

    /// <summary>A ResNet with the strides of its last two stages turned into dilation (output stride 8), without avgpool and fc.</summary>
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
