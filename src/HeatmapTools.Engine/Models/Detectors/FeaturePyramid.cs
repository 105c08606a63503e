using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HeatmapTools.Engine.Models.Detectors;

/// <summary>
/// torchvision's BackboneWithFPN (Lin et al. 2017, "Feature Pyramid Networks for Object Detection"): a body whose chosen
/// stages feed a feature pyramid (a 1 x 1 lateral per level, the coarser level added by nearest upsampling, a 3 x 3
/// output per level) and LastLevelMaxPool's extra level "pool". Its levels leave as one tensor, B x 256 x 1 x N (each
/// level flattened, finest first), so the stages above read them from one activation whose gradient holds every
/// level's: the layer <c>backbone</c>, which pytorch-grad-cam's hooks cannot differentiate through torchvision's dict.
/// </summary>
internal sealed class BackboneWithFpn : Module<Tensor, Tensor>
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
        var levels = fpn.Levels(features);
        RcnnPass.Levels = levels.Select(l => (l.shape[2], l.shape[3])).ToList();
        return cat(levels.Select(l => l.flatten(2)).ToList(), 2).unsqueeze(2);
    }

    /// <summary>The packed levels (B x K x 1 x N) as B x K x h x w maps, one per level, finest first.</summary>
    public static IReadOnlyList<Tensor> Unpack(Tensor packed)
    {
        var shapes = RcnnPass.Levels;
        var flat = packed.squeeze(2);
        var parts = flat.split(shapes.Select(s => s.H * s.W).ToArray(), 2);
        return parts.Select((p, l) => p.reshape(packed.shape[0], packed.shape[1], shapes[l].H, shapes[l].W)).ToList();
    }

    /// <summary>
    /// pytorch-grad-cam's fasterrcnn_reshape_transform on the packed levels (activations and gradients alike): each level's
    /// absolute value resized bilinearly to the coarsest level's size, the levels' channels concatenated.
    /// </summary>
    public static Tensor Joined(Tensor packed)
    {
        var levels = Unpack(packed);
        var size = new[] { levels[^1].shape[2], levels[^1].shape[3] };
        return cat(levels.Select(l => functional.interpolate(l.abs(), size, mode: InterpolationMode.Bilinear, align_corners: false)).ToList(), 1);
    }
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
            results.Add(functional.max_pool2d(results[^1], 1, 2, 0));
            return results;
        }
        var p6 = extra_blocks.P6(extra_blocks.UsesP5 ? results[^1] : x[last]);
        results.Add(p6);
        results.Add(extra_blocks.P7(p6));
        return results;
    }

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
