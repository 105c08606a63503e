using HeatmapTools.Engine.Detection;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HeatmapTools.Engine.Models.Detectors;

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
