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
    public BackboneWithFpn(Sequential body, int[] returned, long[] inChannels) : base("BackboneWithFPN")
    {
        this.body = body;
        _returned = returned;
        fpn = new FeaturePyramidNetwork(inChannels, 256);
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

/// <summary>torchvision's FeaturePyramidNetwork with LastLevelMaxPool, keys inner_blocks.i.0 and layer_blocks.i.0.</summary>
internal sealed class FeaturePyramidNetwork : Module<Tensor, Tensor>
{
    private readonly ModuleList<Module<Tensor, Tensor>> inner_blocks = new();
    private readonly ModuleList<Module<Tensor, Tensor>> layer_blocks = new();

    public FeaturePyramidNetwork(long[] inChannels, long outChannels) : base("FeaturePyramidNetwork")
    {
        foreach (var c in inChannels)
        {
            inner_blocks.Add(Sequential(Conv2d(c, outChannels, 1)));
            layer_blocks.Add(Sequential(Conv2d(outChannels, outChannels, 3, padding: 1)));
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => throw new NotSupportedException("The pyramid takes several levels: call Levels.");

    /// <summary>The pyramid's outputs for the body's levels (finest first), then the "pool" level.</summary>
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
        results.Add(functional.max_pool2d(results[^1], 1, 2, 0));
        return results;
    }
}
