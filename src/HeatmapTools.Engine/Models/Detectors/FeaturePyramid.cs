using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HeatmapTools.Engine.Models.Detectors;

/// <summary>
/// torchvision's BackboneWithFPN (Lin et al. 2017, "Feature Pyramid Networks for Object Detection"): a body whose chosen
/// stages feed a feature pyramid (a 1 x 1 lateral per level, the coarser level added by nearest upsampling, a 3 x 3
/// output per level) and LastLevelMaxPool's extra level "pool". Its levels leave packed (<see cref="PackedLevels"/>), B x 256
/// x 1 x N: the layer <c>backbone</c>.
/// </summary>
internal sealed class BackboneWithFpn : Module<Tensor, Tensor>, ILevelChain
{
    private readonly Sequential body;
    private readonly FeaturePyramidNetwork fpn;
    private readonly int[] _returned;

    /// <param name="body">The stages as torchvision's IntermediateLayerGetter keeps them (names "0", "1", ... or "conv1", "layer1", ...).</param>
    /// <param name="returned">Indices of the body's children whose outputs feed the pyramid, finest first.</param>
    /// <param name="p6p7From">
    /// Channels LastLevelP6P7 reads (RetinaNet's and FCOS's extra levels "p6" and "p7" in place of "pool"): 256 reads
    /// the pyramid's coarsest output P5, the body's channels read the body's last stage C5; null for LastLevelMaxPool.
    /// </param>
    /// <param name="norm">BatchNorm after each pyramid convolution (torchvision's norm_layer, the v2 models'), which then has no bias.</param>
    public BackboneWithFpn(Sequential body, int[] returned, long[] inChannels, long? p6p7From = null, bool norm = false) : base("BackboneWithFPN")
    {
        this.body = body;
        _returned = returned;
        fpn = new FeaturePyramidNetwork(inChannels, 256, p6p7From, norm);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var x = input;
        var features = new List<Tensor>();
        int i = 0;
        foreach (var child in body.children())
        {
            if (i > _returned[^1]) break;
            x = ((Module<Tensor, Tensor>)child).call(x);
            if (_returned.Contains(i)) features.Add(x);
            i++;
        }
        return PackedLevels.Pack(fpn.Levels(features));
    }

    // The levels after the body's: "pool" or "p6" from P5 (p6 of a v2 model from C5, no level), "p7" from "p6".
    public int? ParentOf(int level) => fpn.ParentOf(level - _returned.Length);

    public Tensor Derive(int level, Tensor parent) => fpn.Derive(level - _returned.Length, parent);
}

/// <summary>
/// torchvision's FeaturePyramidNetwork, keys inner_blocks.i.0 and layer_blocks.i.0 (and i.1 with a norm), with LastLevelMaxPool or
/// LastLevelP6P7 (Lin et al. 2017, "Focal Loss for Dense Object Detection": keys extra_blocks.p6 and extra_blocks.p7).
/// </summary>
internal sealed class FeaturePyramidNetwork : Module<Tensor, Tensor>
{
    private readonly ModuleList<Module<Tensor, Tensor>> inner_blocks = new();
    private readonly ModuleList<Module<Tensor, Tensor>> layer_blocks = new();
    private readonly LastLevelP6P7? extra_blocks;

    public FeaturePyramidNetwork(long[] inChannels, long outChannels, long? p6p7From = null, bool norm = false) : base("FeaturePyramidNetwork")
    {
        foreach (var c in inChannels)
        {
            inner_blocks.Add(norm ? Sequential(Conv2d(c, outChannels, 1, bias: false), BatchNorm2d(outChannels)) : Sequential(Conv2d(c, outChannels, 1)));
            layer_blocks.Add(norm
                ? Sequential(Conv2d(outChannels, outChannels, 3, padding: 1, bias: false), BatchNorm2d(outChannels))
                : Sequential(Conv2d(outChannels, outChannels, 3, padding: 1)));
        }
        if (p6p7From is { } from) extra_blocks = new LastLevelP6P7(from, outChannels);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => throw new NotSupportedException("The pyramid takes several levels: call Levels.");

    /// <summary>The pyramid's outputs for the body's levels (finest first), then the "pool" level or "p6" and "p7".</summary>
    public List<Tensor> Levels(IReadOnlyList<Tensor> x)
    {
        int last = x.Count - 1;
        var inner = inner_blocks[last].call(x[last]);
        var results = new List<Tensor> { layer_blocks[last].call(inner) };
        for (int i = last - 1; i >= 0; i--)
        {
            var lateral = inner_blocks[i].call(x[i]);
            var topDown = functional.interpolate(inner, new[] { lateral.shape[2], lateral.shape[3] }, mode: InterpolationMode.Nearest);
            inner = lateral + topDown;
            results.Insert(0, layer_blocks[i].call(inner));
        }
        if (extra_blocks is null)
        {
            results.Add(Derive(0, PackedLevels.Cut(results[^1])));
            return results;
        }
        var p6 = extra_blocks.UsesP5 ? Derive(0, PackedLevels.Cut(results[^1])) : extra_blocks.P6(x[last]);
        results.Add(p6);
        results.Add(Derive(1, PackedLevels.Cut(p6)));
        return results;
    }

    /// <summary>The index among the levels of the level that extra level <paramref name="extra"/> (0: "pool" or "p6", 1: "p7") is computed from; null for p6 from C5.</summary>
    public int? ParentOf(int extra) => extra switch
    {
        0 when extra_blocks is null || extra_blocks.UsesP5 => inner_blocks.Count - 1,
        1 => inner_blocks.Count,
        _ => null,
    };

    /// <summary>An extra level from its parent level: LastLevelMaxPool's pool, or p6, or p7.</summary>
    public Tensor Derive(int extra, Tensor parent) =>
        extra_blocks is null ? functional.max_pool2d(parent, 1, 2, 0) : extra == 0 ? extra_blocks.P6(parent) : extra_blocks.P7(parent);

    private sealed class LastLevelP6P7 : Module<Tensor, Tensor>
    {
        private readonly Conv2d p6;
        private readonly Conv2d p7;

        public LastLevelP6P7(long inChannels, long outChannels) : base("LastLevelP6P7")
        {
            p6 = Conv2d(inChannels, outChannels, 3, stride: 2, padding: 1);
            p7 = Conv2d(outChannels, outChannels, 3, stride: 2, padding: 1);
            UsesP5 = inChannels == outChannels;
            RegisterComponents();
        }

        public bool UsesP5 { get; }

        public Tensor P6(Tensor x) => p6.call(x);

        public Tensor P7(Tensor p6Level) => p7.call(functional.relu(p6Level));

        public override Tensor forward(Tensor input) => P7(P6(input));
    }
}
